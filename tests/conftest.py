from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mixed_frame():
    """A small table with numeric, categorical and missing values, and a nonlinear target."""
    rng = np.random.default_rng(0)
    n = 300
    x1 = rng.uniform(-2, 2, n)
    x2 = rng.uniform(-2, 2, n)
    colour = rng.choice(["red", "green", "blue"], n)
    X = pd.DataFrame({"x1": x1, "x2": x2, "colour": pd.Categorical(colour)})
    y = np.sin(2 * x1) + x2**2 + (colour == "red") * 1.5 + rng.normal(0, 0.1, n)
    X.loc[::17, "x2"] = np.nan
    X.loc[::23, "colour"] = np.nan
    return X, y


@pytest.fixture
def clean_registry(monkeypatch):
    """Models and plug-ins a test registers or loads are forgotten after it."""
    from familybench.models import _plugins, _registry

    registry = _registry._REGISTRY  # one dict, shared by the modules that register and look up
    before = dict(registry)
    monkeypatch.setattr(_plugins, "_LOADED_PLUGINS", set())
    monkeypatch.setattr(_plugins, "_ENTRY_POINTS_LOADED", False)
    yield
    registry.clear()
    registry.update(before)


# pytabkit's networks pay ~0.5 s of set-up per fit, and scikit-learn's checks fit hundreds
# of times: `nox -s tests` runs these checks of them, the rest run in `nox -s slow`.
_NETWORK_ESTIMATORS = ("RealMLPRegressor(", "RealMLPClassifier(", "TabMRegressor(", "TabMClassifier(")
_NETWORK_FAST_CHECKS = (
    "check_no_attributes_set_in_init", "check_estimators_unfitted", "check_get_params_invariance",
    "check_set_params", "check_estimators_pickle]", "check_regressors_train]", "check_classifiers_train]",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in item.nodeid or item.nodeid.startswith("e2e/"):
            item.add_marker(pytest.mark.e2e)  # tests/e2e/: whole runs, end to end
        elif "test_sklearn_compatible[" in item.nodeid:
            # scikit-learn's whole battery over every family (1,000+ fits): not for the fast loop
            item.add_marker(pytest.mark.e2e)
        if "test_sklearn_compatible[" in item.nodeid and any(n in item.nodeid for n in _NETWORK_ESTIMATORS) \
                and not any(c in item.nodeid for c in _NETWORK_FAST_CHECKS):
            item.add_marker(pytest.mark.slow)
