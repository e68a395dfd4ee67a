"""The built-in models. Classes are imported when a model is built, so listing is cheap."""

from __future__ import annotations

import importlib

from .._tasks import BINARY, MULTICLASS, REGRESSION
from ._names import LIGHTGBM_OWN_PARAMS, LIGHTGBM_PARAMS, XGBOOST_OWN_PARAMS, XGBOOST_PARAMS
from ._registry import _REGISTRY, register


def _by_task(module: str, regressor: str, classifier: str):
    def factory(task, **params):
        mod = importlib.import_module(f"familybench.models.{module}")
        return getattr(mod, regressor if task == REGRESSION else classifier)(**params)

    return factory


# Search spaces are "module:function" strings: a family's module (and scikit-learn, LightGBM)
# is imported only when a run tunes, never at registration. ``warm_up`` is what a worker
# fits once before any clock starts (the hand-set lecture network needs none); ``versions``
# the distributions the run's metadata and report show for the family, beyond the base ones
# (scikit-learn, numpy, pandas: see bench/environment.py).

# Constructor parameters, declared so a suite is checked without importing the estimators
# (scikit-learn, LightGBM, torch); tests/test_models.py keeps them equal to get_params().
_BOOSTING = (*LIGHTGBM_PARAMS, *LIGHTGBM_OWN_PARAMS)
_HIST = (
    "early_stopping", "l2_regularization", "learning_rate", "max_bins", "max_depth", "max_iter", "max_leaf_nodes",
    "min_samples_leaf", "n_iter_no_change", "n_jobs", "preprocessor", "random_state", "validation_fraction",
)
_MLP = (
    "activation", "batch_size", "device", "dropout", "early_stopping", "hidden_layer_sizes", "lr", "max_epochs",
    "momentum", "n_jobs", "optimizer", "patience", "preprocessor", "random_state", "tol", "validation_fraction",
    "weight_decay",
)
_SK_MLP = (
    "activation", "alpha", "batch_size", "early_stopping", "hidden_layer_sizes", "learning_rate_init", "max_iter",
    "n_iter_no_change", "n_jobs", "preprocessor", "random_state", "solver", "validation_fraction",
)
_XGBOOST = (*XGBOOST_PARAMS, *XGBOOST_OWN_PARAMS)
_POLY = ("alpha", "degree", "interaction_only", "max_features", "preprocessor")


def _by_regression(regression: tuple[str, ...], classification: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {REGRESSION: regression, BINARY: classification, MULTICLASS: classification}


register(
    "linear", _by_task("_linear", "LinearRegressor", "LinearClassifier"), family="linear",
    description="LinearRegression / LogisticRegression on one-hot, scaled inputs",
    params=_by_regression(("preprocessor",), ("C", "max_iter", "preprocessor")),
    search_space="familybench.models._linear:linear_space", warm_up={},
)
register(
    "poly", _by_task("_linear", "PolynomialRegressor", "PolynomialClassifier"), family="polynomial",
    description="PolynomialFeatures -> scaling -> Ridge / LogisticRegression",
    params=_by_regression(_POLY, (*_POLY, "max_iter")),
    search_space="familybench.models._linear:poly_space", warm_up={},
)
register(
    "lightgbm", _by_task("_boosting", "LightGBMRegressor", "LightGBMClassifier"), family="boosting",
    description="LightGBM with native categoricals", params=_BOOSTING,
    search_space="familybench.models._boosting:lightgbm_space", warm_up={}, versions=("lightgbm",),
)
register(
    "mlp", _by_task("_torch_mlp", "TorchMLPRegressor", "TorchMLPClassifier"), family="mlp",
    description="PyTorch MLP, in-memory batches, early stopping", params=_MLP,
    search_space="familybench.models._torch_mlp:mlp_space",
    warm_up={"max_epochs": 1}, versions=("torch",),  # the first fit pays torch's import and first optimizer
)
register(
    "hist_gbm", _by_task("_boosting", "HistGBMRegressor", "HistGBMClassifier"), family="boosting",
    reference=True, description="scikit-learn HistGradientBoosting (reference)", params=_HIST,
    search_space="familybench.models._boosting:hist_gbm_space", warm_up={},
)
register(
    "xgboost", _by_task("_xgboost", "XGBoostRegressor", "XGBoostClassifier"), family="boosting",
    reference=True, description="XGBoost, hist trees, native categoricals (reference; familybench[xgboost])",
    params=_XGBOOST, search_space="familybench.models._xgboost:xgboost_space", warm_up={}, versions=("xgboost",),
)
register(
    "sk_mlp", _by_task("_sklearn_mlp", "SkMLPRegressor", "SkMLPClassifier"), family="mlp",
    reference=True, description="scikit-learn MLPRegressor / MLPClassifier (reference)", params=_SK_MLP,
    search_space="familybench.models._sklearn_mlp:sk_mlp_space", warm_up={},
)
register(
    "lecture_wedge", _by_task("_lecture", "LectureWedgeNetwork", "LectureWedgeNetwork"), family="handmade",
    tasks=("binary",), description="The lecture's two-neuron network with hand-set weights (wedge data)", params=(),
)

# Everything above ships with familybench; anything registered later is a plug-in.
BUILTIN_NAMES = frozenset(_REGISTRY)
