"""Names the estimators and the registry share, kept here so neither imports the other's
heavy libraries: the MLP's activations and the LightGBM and XGBoost parameters familybench
passes on.
"""

from __future__ import annotations

#: Activation name -> the ``torch.nn`` module class it builds (``_torch_core`` resolves it).
ACTIVATION_MODULES: dict[str, str] = {
    "identity": "Identity",
    "relu": "ReLU",
    "gelu": "GELU",
    "softplus": "Softplus",
    "elu": "ELU",
    "selu": "SELU",
    "leaky_relu": "LeakyReLU",
    "prelu": "PReLU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
}
ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATION_MODULES)

#: Parameters of the LightGBM wrappers handed to ``lightgbm.LGBM*`` under the same name.
LIGHTGBM_PARAMS: tuple[str, ...] = (
    "n_estimators", "learning_rate", "num_leaves", "max_depth", "min_child_samples",
    "subsample", "subsample_freq", "colsample_bytree", "reg_alpha", "reg_lambda",
)
#: The wrappers' own parameters (early stopping, threads, seed, pass-through, preprocessing).
LIGHTGBM_OWN_PARAMS: tuple[str, ...] = (
    "early_stopping", "validation_fraction", "n_iter_no_change", "n_jobs", "random_state", "extra_params",
    "preprocessor",
)

#: Parameters of the XGBoost wrappers handed to ``xgboost.XGB*`` under the same name.
XGBOOST_PARAMS: tuple[str, ...] = (
    "n_estimators", "learning_rate", "max_depth", "min_child_weight", "gamma", "subsample",
    "colsample_bytree", "colsample_bylevel", "reg_alpha", "reg_lambda", "max_bin", "device",
)
#: The XGBoost wrappers' own parameters.
XGBOOST_OWN_PARAMS: tuple[str, ...] = LIGHTGBM_OWN_PARAMS
