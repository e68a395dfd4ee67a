"""scikit-learn's own conformance checks over every registered model."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from familybench.models import get_model, list_models

# Tiny budgets keep the neural nets fast; the checks test the API, not the fit quality.
_FAST = {
    "mlp": {"max_epochs": 30, "hidden_layer_sizes": (16,), "lr": 1e-2, "random_state": 0, "batch_size": 64},
    "sk_mlp": {"max_iter": 200, "hidden_layer_sizes": (16,), "learning_rate_init": 1e-2, "random_state": 0},
    "lightgbm": {"n_estimators": 20, "random_state": 0},
    "hist_gbm": {"max_iter": 20, "random_state": 0},
}

def _instances():
    for name in list_models()["name"]:
        for task in ("regression", "binary"):  # multiclass shares the classifier class
            yield get_model(name, task=task, **_FAST.get(name, {}))


def _expected_failed_checks(estimator):
    # Every model passes every check today. An expected failure goes here as
    # {check name: reason}, keyed on type(estimator).__name__, never silently.
    return _EXPECTED_FAILURES.get(type(estimator).__name__, {})


_EXPECTED_FAILURES: dict[str, dict[str, str]] = {}


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
