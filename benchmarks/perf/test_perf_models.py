"""pytest-benchmark micro-benchmarks: fit and predict of each model family on fixed small data.

Kept apart from the correctness tests (run with `nox -s perf`). The data and model sizes
are fixed so numbers are comparable between commits on the same machine.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_friedman1

from familybench.models import get_model

FAMILIES = {
    "linear": {},
    "poly": {"degree": 2},
    "lightgbm": {"n_estimators": 50, "random_state": 0},
    "hist_gbm": {"max_iter": 50, "random_state": 0},
    "mlp": {"hidden_layer_sizes": (64, 64), "max_epochs": 5, "early_stopping": False, "random_state": 0},
    "sk_mlp": {"hidden_layer_sizes": (64, 64), "max_iter": 5, "early_stopping": False, "random_state": 0},
}


@pytest.fixture(scope="module")
def data():
    X, y = make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    return X.astype(np.float64), y


@pytest.mark.parametrize("name", list(FAMILIES))
def test_fit(benchmark, data, name):
    X, y = data
    benchmark.group = "fit"
    model = benchmark.pedantic(lambda: get_model(name, **FAMILIES[name]).fit(X, y), rounds=5, warmup_rounds=1)
    assert model.n_params_ > 0


@pytest.mark.parametrize("name", list(FAMILIES))
def test_predict(benchmark, data, name):
    X, y = data
    benchmark.group = "predict"
    model = get_model(name, **FAMILIES[name]).fit(X, y)
    pred = benchmark(model.predict, X)
    assert pred.shape == (len(X),)
