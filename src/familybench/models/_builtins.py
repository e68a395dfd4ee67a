"""The built-in models. Classes are imported when a model is built, so listing is cheap."""

from __future__ import annotations

import importlib

from .._tasks import REGRESSION
from ._registry import register


def _by_task(module: str, regressor: str, classifier: str):
    def factory(task, **params):
        mod = importlib.import_module(f"familybench.models.{module}")
        return getattr(mod, regressor if task == REGRESSION else classifier)(**params)

    return factory


register(
    "linear", _by_task("_linear", "LinearRegressor", "LinearClassifier"), family="linear",
    description="LinearRegression / LogisticRegression on one-hot, scaled inputs",
)
register(
    "poly", _by_task("_linear", "PolynomialRegressor", "PolynomialClassifier"), family="polynomial",
    description="PolynomialFeatures -> scaling -> Ridge / LogisticRegression",
)
register(
    "lightgbm", _by_task("_boosting", "LightGBMRegressor", "LightGBMClassifier"), family="boosting",
    description="LightGBM with native categoricals",
)
register(
    "mlp", _by_task("_torch_mlp", "TorchMLPRegressor", "TorchMLPClassifier"), family="mlp",
    description="PyTorch MLP, in-memory batches, early stopping",
)
register(
    "hist_gbm", _by_task("_boosting", "HistGBMRegressor", "HistGBMClassifier"), family="boosting",
    reference=True, description="scikit-learn HistGradientBoosting (reference)",
)
register(
    "sk_mlp", _by_task("_sklearn_mlp", "SkMLPRegressor", "SkMLPClassifier"), family="mlp",
    reference=True, description="scikit-learn MLPRegressor / MLPClassifier (reference)",
)
register(
    "lecture_wedge", _by_task("_lecture", "LectureWedgeNetwork", "LectureWedgeNetwork"), family="handmade",
    tasks=("binary",), description="The lecture's two-neuron network with hand-set weights (wedge data)",
)
