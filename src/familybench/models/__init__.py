"""One interface for the model families: every model is a scikit-learn estimator.

>>> from familybench.models import get_model
>>> model = get_model("poly", task="regression", degree=3)
"""

from __future__ import annotations

import importlib

from ._names import ACTIVATION_MODULES, ACTIVATIONS
from ._registry import (
    ModelError,
    ModelSpec,
    check_params,
    get_model,
    get_search_space,
    get_spec,
    list_models,
    register,
)
from ._space import Categorical, Float, Int, SearchSpace

# Estimator classes load on first access: scikit-learn takes a second to import, torch two;
# the registry alone lets a suite be checked before either loads.
_LAZY = {
    "n_polynomial_features": "_linear",
    "Preprocessor": "_preprocess",
    "LinearRegressor": "_linear",
    "LinearClassifier": "_linear",
    "PolynomialRegressor": "_linear",
    "PolynomialClassifier": "_linear",
    "LightGBMRegressor": "_boosting",
    "LightGBMClassifier": "_boosting",
    "HistGBMRegressor": "_boosting",
    "HistGBMClassifier": "_boosting",
    "TorchMLPRegressor": "_torch_mlp",
    "TorchMLPClassifier": "_torch_mlp",
    "SkMLPRegressor": "_sklearn_mlp",
    "SkMLPClassifier": "_sklearn_mlp",
    "LectureWedgeNetwork": "_lecture",
    "FamilyRegressor": "_base",
    "FamilyClassifier": "_base",
    "XGBoostRegressor": "_xgboost",
    "XGBoostClassifier": "_xgboost",
    "check_family": "_checks",
    "family_estimators": "_checks",
}

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_MODULES",
    "Categorical",
    "Float",
    "Int",
    "ModelError",
    "SearchSpace",
    "get_search_space",
    "ModelSpec",
    "check_params",
    "get_model",
    "get_spec",
    "list_models",
    "register",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
