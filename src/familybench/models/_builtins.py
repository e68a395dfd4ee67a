"""The built-in models: one ``register(...)`` call per family, nothing else.

Each names its family's module and estimator classes with :func:`estimators`, so nothing
is imported until a model is built, and its parameter names are those of the classes'
``__init__``, read from the module's source (``_signature``) when a suite is checked:
listing models and checking a suite import neither scikit-learn nor LightGBM nor torch,
and no parameter list is typed twice.

Search spaces are ``"module:function"`` strings: a family's module (and scikit-learn,
LightGBM) is imported only when a run tunes, never at registration. ``warm_up`` is what a
worker fits once before any clock starts (the hand-set lecture network needs none);
``versions`` the distributions the run's metadata and report show for the family, beyond
the base ones (scikit-learn, numpy, pandas: see bench/results/provenance.py).
"""

from __future__ import annotations

from ._spec import _REGISTRY, estimators, register

register(
    "linear", estimators("._linear", "LinearRegressor", "LinearClassifier"), family="linear",
    description="LinearRegression / LogisticRegression on one-hot, scaled inputs",
    search_space="familybench.models._linear:linear_space", warm_up={},
)
register(
    "poly", estimators("._linear", "PolynomialRegressor", "PolynomialClassifier"), family="polynomial",
    description="PolynomialFeatures -> scaling -> Ridge / LogisticRegression",
    search_space="familybench.models._linear:poly_space", warm_up={},
)
register(
    "lightgbm", estimators("._boosting", "LightGBMRegressor", "LightGBMClassifier"), family="boosting",
    description="LightGBM with native categoricals",
    search_space="familybench.models._boosting:lightgbm_space", warm_up={}, versions=("lightgbm",),
)
register(
    "mlp", estimators("._torch_mlp", "TorchMLPRegressor", "TorchMLPClassifier"), family="mlp",
    description="PyTorch MLP, in-memory batches, early stopping",
    search_space="familybench.models._torch_mlp:mlp_space",
    warm_up={"max_epochs": 1}, versions=("torch",),  # the first fit pays torch's import and first optimizer
)
register(
    "hist_gbm", estimators("._boosting", "HistGBMRegressor", "HistGBMClassifier"), family="boosting",
    reference=True, description="scikit-learn HistGradientBoosting (reference)",
    search_space="familybench.models._boosting:hist_gbm_space", warm_up={},
)
register(
    "xgboost", estimators("._xgboost", "XGBoostRegressor", "XGBoostClassifier"), family="boosting",
    reference=True, description="XGBoost, hist trees, native categoricals (reference; familybench[xgboost])",
    search_space="familybench.models._xgboost:xgboost_space", warm_up={}, versions=("xgboost",),
)
register(
    "catboost", estimators("._catboost", "CatBoostRegressor", "CatBoostClassifier"), family="boosting",
    description="CatBoost, ordered boosting with native categoricals (familybench[catboost])",
    search_space="familybench.models._catboost:catboost_space", warm_up={"n_estimators": 5}, versions=("catboost",),
)
register(
    "realmlp", estimators("._realmlp", "RealMLPRegressor", "RealMLPClassifier"), family="mlp",
    description="RealMLP with its tuned defaults (RealMLP-TD, pytabkit; familybench[nets])",
    search_space="familybench.models._realmlp:realmlp_space", warm_up={"n_epochs": 1},
    versions=("pytabkit", "torch"),
)
register(
    "tabm", estimators("._tabm", "TabMRegressor", "TabMClassifier"), family="mlp",
    description="TabM, parameter-efficient ensemble of MLPs (TabM-D, pytabkit; familybench[nets])",
    search_space="familybench.models._tabm:tabm_space", warm_up={"n_epochs": 1}, versions=("pytabkit", "torch"),
)
register(
    "sk_mlp", estimators("._sklearn_mlp", "SkMLPRegressor", "SkMLPClassifier"), family="mlp",
    reference=True, description="scikit-learn MLPRegressor / MLPClassifier (reference)",
    search_space="familybench.models._sklearn_mlp:sk_mlp_space", warm_up={},
)
register(
    "lecture_wedge", estimators("._lecture", classifier="LectureWedgeNetwork"), family="handmade",
    tasks=("binary",), description="The lecture's two-neuron network with hand-set weights (wedge data)",
)

# Everything above ships with familybench; anything registered later is a plug-in.
BUILTIN_NAMES = frozenset(_REGISTRY)
