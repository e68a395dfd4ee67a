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
from ._registry import family_classes as _family_classes
from ._space import Categorical, Float, Int, SearchSpace

# Loaded on first access: scikit-learn takes a second to import, torch two, and the registry
# alone lets a suite be checked before either loads. The shared API by module; each family's
# estimator classes (``LightGBMRegressor``, ...) by the module its register(...) call names,
# so a new family adds no name here.
_API = {
    "Preprocessor": "._preprocess",
    "FamilyRegressor": "._base",
    "FamilyClassifier": "._base",
    "check_family": "._checks",
    "family_estimators": "._checks",
    "n_polynomial_features": "._linear",
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
    *_API,
    *_family_classes(),
]


def __getattr__(name: str):
    module = _API.get(name) or _family_classes().get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
