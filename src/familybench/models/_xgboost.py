"""XGBoost as a second gradient-boosting reference (``pip install 'familybench[xgboost]'``).

The whole family lives here — estimators and search space — and one ``register`` call in
``models/_builtins.py`` makes it a model: the recipe for a family (see ARCHITECTURE.md).
Its parameter names are those of ``_XGBoostMixin.__init__``, which the registry reads from
this file's source, so checking a suite imports neither this module nor XGBoost.
``xgboost-cpu`` is the CPU wheel (the plain
``xgboost`` one pulls NCCL, ~130 MB); either provides the ``xgboost`` module. On CUDA, pass
``device="cuda"`` (XGBoost's own parameter, with ``tree_method="hist"``).
"""

from __future__ import annotations

from .._devices import AUTO, CPU, CUDA, check_device
from .._errors import FamilybenchError
from .._tasks import check_task
from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor, _seed, _validation_split
from ._boosting import _positional  # f0, f1, ...: XGBoost, too, rejects names with [, ] or <
from ._space import Float, Int, SearchSpace

#: The wrappers' parameters handed to ``xgboost.XGB*`` under the same name (the others are
#: familybench's own, as for LightGBM).
XGBOOST_PARAMS: tuple[str, ...] = (
    "n_estimators", "learning_rate", "max_depth", "min_child_weight", "gamma", "subsample",
    "colsample_bytree", "colsample_bylevel", "reg_alpha", "reg_lambda", "max_bin", "device",
)


def _import_xgboost():
    try:
        import xgboost
    except ImportError:
        raise FamilybenchError(
            "model 'xgboost' needs the xgboost package: pip install 'familybench[xgboost]' (the xgboost-cpu wheel)"
        ) from None
    return xgboost


class _XGBoostMixin:
    _preprocessor_defaults = {"categorical": "native"}  # pandas categories: XGBoost's own splits

    def __init__(
        self,
        n_estimators=100,
        learning_rate=0.3,
        max_depth=6,
        min_child_weight=1.0,
        gamma=0.0,
        subsample=1.0,
        colsample_bytree=1.0,
        colsample_bylevel=1.0,
        reg_alpha=0.0,
        reg_lambda=1.0,
        max_bin=256,
        device=AUTO,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        n_jobs=None,
        random_state=None,
        extra_params=None,
        preprocessor=None,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.gamma = gamma
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.colsample_bylevel = colsample_bylevel
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.device = device
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.extra_params = extra_params
        self.preprocessor = preprocessor

    def _device(self, xgb) -> str:
        """``auto``: CUDA when this XGBoost build has it (a ``xgboost-cu*`` wheel), else the CPU."""
        device = check_device(self.device)
        if device == AUTO:
            device = CUDA if xgb.build_info().get("USE_CUDA") else CPU
        return device

    def _xgb_params(self, xgb) -> dict:
        # The one place where familybench options become XGBoost's own.
        params = {name: getattr(self, name) for name in XGBOOST_PARAMS}
        params["device"] = self.device_ = self._device(xgb)
        params.update(
            tree_method="hist", enable_categorical=True, verbosity=0,
            random_state=_seed(self.random_state) or 0,
            n_jobs=thread_budget(self.n_jobs),  # explicit: XGBoost's default is all cores
        )
        if self.early_stopping:
            params["early_stopping_rounds"] = self.n_iter_no_change
        params.update(self.extra_params or {})
        return params

    def _fit_booster(self, estimator, Xt, y, stratify):
        Xt = _positional(Xt)
        if self.early_stopping and len(y) >= 10:
            X_fit, X_val, y_fit, y_val = _validation_split(
                Xt, y, self.validation_fraction, _seed(self.random_state) or 0, y if stratify else None
            )
            estimator.fit(X_fit, y_fit, eval_set=[(X_val, y_val)], verbose=False)
            self.n_iter_ = int(estimator.best_iteration) + 1
        else:
            estimator.set_params(early_stopping_rounds=None)
            estimator.fit(Xt, y, verbose=False)
            self.n_iter_ = int(estimator.get_booster().num_boosted_rounds())
        self.model_ = estimator

    def _count_params(self):
        # split thresholds + leaf values, as for LightGBM: every node of every tree
        # (one line per node in the text dump; no pandas frame of the trees)
        return sum(tree.count("\n") for tree in self.model_.get_booster().get_dump())


class XGBoostRegressor(_XGBoostMixin, FamilyRegressor):
    """XGBoost regressor (``hist`` trees, native categoricals, optional early stopping).

    Parameters are XGBoost's scikit-learn names; ``extra_params`` passes any other XGBoost
    parameter through. ``early_stopping`` carves ``validation_fraction`` of the training
    rows. ``n_jobs=None`` uses the job's thread budget, set explicitly.

    Attributes
    ----------
    model_ : xgboost.XGBRegressor
    n_iter_ : int
        Boosting rounds kept.
    n_params_ : int
        Split thresholds + leaf values over all trees.
    """

    def _fit_transformed(self, Xt, y):
        xgb = _import_xgboost()
        self._fit_booster(xgb.XGBRegressor(**self._xgb_params(xgb)), Xt, y, stratify=False)

    def _predict_transformed(self, Xt):
        return self.model_.predict(_positional(Xt))


class XGBoostClassifier(_XGBoostMixin, FamilyClassifier):
    """XGBoost classifier; parameters as :class:`XGBoostRegressor`."""

    def _fit_transformed(self, Xt, y):
        xgb = _import_xgboost()
        self._fit_booster(xgb.XGBClassifier(**self._xgb_params(xgb)), Xt, y, stratify=True)

    def _predict_proba_transformed(self, Xt):
        proba = self.model_.predict_proba(_positional(Xt))
        return proba if proba.ndim == 2 else proba.reshape(len(proba), -1)


# Tuning caps the trees and lets early stopping pick the count, as for LightGBM
# (models/_boosting.py): Grinsztajn et al. sample n_estimators in 100-6000 instead, which
# costs up to 6x more per trial on two cores.
_TREES = 1000
_PATIENCE = 50


def xgboost_space(task: str) -> SearchSpace:
    """The ``xgboost`` reference's built-in search space (the same for every task).

    Source: Grinsztajn et al., "Why do tree-based models still outperform deep learning on
    tabular data?" (``LeoGrin/tabular-benchmark``, ``src/configs/model_configs/xgb_config.py``,
    from hyperopt-sklearn): max_depth 1-11, learning_rate (log 1e-5-0.7), gamma (log
    1e-8-7), min_child_weight (log 1-100), subsample, colsample_bytree and colsample_bylevel
    (0.5-1), reg_alpha (log 1e-8-100), reg_lambda (log 1-4). Fixed for sampled trials: 1000
    trees with early stopping after 50 rounds (their n_estimators 100-6000 is not sampled).

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}

    Returns
    -------
    SearchSpace
    """
    check_task(task)
    return SearchSpace(
        {
            "max_depth": Int(1, 11),
            "learning_rate": Float(1e-5, 0.7, log=True),
            "gamma": Float(1e-8, 7.0, log=True),
            "min_child_weight": Float(1.0, 100.0, log=True),
            "subsample": Float(0.5, 1.0),
            "colsample_bytree": Float(0.5, 1.0),
            "colsample_bylevel": Float(0.5, 1.0),
            "reg_alpha": Float(1e-8, 100.0, log=True),
            "reg_lambda": Float(1.0, 4.0, log=True),
        },
        fixed={"n_estimators": _TREES, "early_stopping": True, "n_iter_no_change": _PATIENCE},
        source=(
            "Grinsztajn et al. 2022 (LeoGrin/tabular-benchmark xgb_config.py, from hyperopt-sklearn); "
            "n_estimators fixed at 1000 with early stopping instead of sampled in 100-6000"
        ),
    )
