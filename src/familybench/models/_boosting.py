"""Gradient-boosting family: LightGBM and scikit-learn's HistGradientBoosting (reference)."""

from __future__ import annotations

import inspect
import re

from threadpoolctl import threadpool_limits

from .._tasks import check_task
from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor, _seed, _validation_split
from ._space import Categorical, Float, Int, SearchSpace

#: The wrappers' parameters handed to ``lightgbm.LGBM*`` under the same name (the others are
#: familybench's own: early stopping, threads, seed, pass-through, preprocessing).
LIGHTGBM_PARAMS: tuple[str, ...] = (
    "n_estimators", "learning_rate", "num_leaves", "max_depth", "min_child_samples",
    "subsample", "subsample_freq", "colsample_bytree", "reg_alpha", "reg_lambda",
)


def _positional(Xt):
    """Columns named f0, f1, ...: LightGBM rejects names with JSON characters or newlines,
    and a user's file may have any."""
    return Xt.set_axis([f"f{i}" for i in range(Xt.shape[1])], axis=1)


class _LightGBMMixin:
    _preprocessor_defaults = {"categorical": "native"}

    def __init__(
        self,
        n_estimators=100,
        learning_rate=0.1,
        num_leaves=31,
        max_depth=-1,
        min_child_samples=20,
        subsample=1.0,
        subsample_freq=0,
        colsample_bytree=1.0,
        reg_alpha=0.0,
        reg_lambda=0.0,
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
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.extra_params = extra_params
        self.preprocessor = preprocessor

    def _lgb_params(self) -> dict:
        # The one place where familybench options become LightGBM's own.
        params = {name: getattr(self, name) for name in LIGHTGBM_PARAMS}
        params["random_state"] = _seed(self.random_state)
        params["n_jobs"] = thread_budget(self.n_jobs)  # explicit: LightGBM's default is all cores
        params["verbosity"] = -1
        params.update(self.extra_params or {})
        return params

    def _fit_booster(self, estimator, Xt, y, stratify):
        import lightgbm as lgb

        if self.early_stopping and len(y) >= 10:
            X_fit, X_val, y_fit, y_val = _validation_split(
                Xt, y, self.validation_fraction, _seed(self.random_state) or 0, y if stratify else None
            )
            stop = [lgb.early_stopping(self.n_iter_no_change, verbose=False)]
            if "eval_X" in inspect.signature(estimator.fit).parameters:  # lightgbm >= 4.6
                estimator.fit(X_fit, y_fit, eval_X=(X_val,), eval_y=(y_val,), callbacks=stop)
            else:
                estimator.fit(X_fit, y_fit, eval_set=[(X_val, y_val)], callbacks=stop)
        else:
            estimator.fit(Xt, y)
        self.model_ = estimator
        self.n_iter_ = int(estimator.best_iteration_ or estimator.n_estimators_)

    def _count_params(self):
        # split thresholds + leaf values: a tree with L leaves has L - 1 splits.
        # Read from the text model: 17x faster than dump_model(), whose JSON of every
        # node cost ~0.25 s per 300-tree job in the worker's clock.
        text = self.model_.booster_.model_to_string()
        return sum(2 * int(n) - 1 for n in re.findall(r"^num_leaves=(\d+)$", text, re.M))


class LightGBMRegressor(_LightGBMMixin, FamilyRegressor):
    """LightGBM regressor with native categorical handling and optional early stopping.

    Parameters are LightGBM's scikit-learn names (``n_estimators``, ``num_leaves``, ...);
    ``extra_params`` passes any other LightGBM parameter through. ``early_stopping``
    carves ``validation_fraction`` of the training rows. ``n_jobs=None`` uses the job's
    thread budget, set explicitly.

    Attributes
    ----------
    model_ : lightgbm.LGBMRegressor
    n_iter_ : int
        Boosting rounds kept.
    n_params_ : int
        Split thresholds + leaf values over all trees.
    """

    def _fit_transformed(self, Xt, y):
        import lightgbm as lgb

        self._fit_booster(lgb.LGBMRegressor(**self._lgb_params()), _positional(Xt), y, stratify=False)

    def _predict_transformed(self, Xt):
        return self.model_.predict(_positional(Xt))


class LightGBMClassifier(_LightGBMMixin, FamilyClassifier):
    """LightGBM classifier; parameters as :class:`LightGBMRegressor`."""

    def _fit_transformed(self, Xt, y):
        import lightgbm as lgb

        self._fit_booster(lgb.LGBMClassifier(**self._lgb_params()), _positional(Xt), y, stratify=True)

    def _predict_proba_transformed(self, Xt):
        return self.model_.predict_proba(_positional(Xt))


class _HistGBMMixin:
    _preprocessor_defaults = {"categorical": "native"}

    def __init__(
        self,
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=31,
        max_depth=None,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_bins=255,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        n_jobs=None,
        random_state=None,
        preprocessor=None,
    ):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.preprocessor = preprocessor

    def _hgb_params(self) -> dict:
        params = self.get_params(deep=False)
        for name in ("n_jobs", "preprocessor"):
            params.pop(name)
        params["random_state"] = _seed(self.random_state)
        return params

    def _fit_hgb(self, estimator, Xt, y):
        # HistGradientBoosting reads its thread count from OpenMP only.
        with threadpool_limits(limits=thread_budget(self.n_jobs), user_api="openmp"):
            self.model_ = estimator.fit(Xt, y)
        self.n_iter_ = int(self.model_.n_iter_)

    def _call(self, method, Xt):
        with threadpool_limits(limits=thread_budget(self.n_jobs), user_api="openmp"):
            return getattr(self.model_, method)(Xt)

    def _count_params(self):
        return sum(len(tree.nodes) for stage in self.model_._predictors for tree in stage)


class HistGBMRegressor(_HistGBMMixin, FamilyRegressor):
    """scikit-learn HistGradientBoostingRegressor with native categoricals (a reference)."""

    def _fit_transformed(self, Xt, y):
        from sklearn.ensemble import HistGradientBoostingRegressor

        self._fit_hgb(HistGradientBoostingRegressor(**self._hgb_params()), Xt, y)

    def _predict_transformed(self, Xt):
        return self._call("predict", Xt)


class HistGBMClassifier(_HistGBMMixin, FamilyClassifier):
    """scikit-learn HistGradientBoostingClassifier with native categoricals (a reference)."""

    def _fit_transformed(self, Xt, y):
        from sklearn.ensemble import HistGradientBoostingClassifier

        self._fit_hgb(HistGradientBoostingClassifier(**self._hgb_params()), Xt, y)

    def _predict_proba_transformed(self, Xt):
        return self._call("predict_proba", Xt)


# Tuning: trees are capped and early stopping picks the count. The estimator carves its
# validation_fraction from the rows it is fitted on (a tuning run fits on the inner-train
# rows only), so the run's own validation rows stay unseen. 1000 trees, a patience of 50:
# 30 sampled LightGBM trials on 2,000 rows x 10 columns (make_friedman1), one thread, took
# median 0.2 s, max 1.1 s; at lr ~ 5e-3 early stopping seldom ends a fit before 1000 trees.
_TREES = 1000
_PATIENCE = 50


def _lightgbm_params(sampled: dict) -> dict:
    params = dict(sampled)
    params["extra_params"] = {"extra_trees": bool(params.pop("extra_trees"))}
    return params


def lightgbm_space(task: str) -> SearchSpace:
    """The ``lightgbm`` family's built-in search space (the same for every task).

    Source: TabArena's LightGBM (``autogluon/tabrepo``,
    ``tabarena/models/lightgbm/generate.py``), in the scikit-learn API's names:
    learning_rate (log 5e-3-0.1), feature_fraction -> ``colsample_bytree`` (0.4-1),
    bagging_fraction -> ``subsample`` (0.7-1; LightGBM bags only with bagging_freq >= 1, so
    ``subsample_freq=1`` is fixed, as TabArena's bagging_freq = 1), num_leaves (log 2-200),
    min_data_in_leaf -> ``min_child_samples`` (log 1-64), lambda_l1 -> ``reg_alpha``
    (1e-4-1), lambda_l2 -> ``reg_lambda`` (1e-4-2), extra_trees -> the virtual
    ``extra_trees``, passed as ``extra_params={"extra_trees": ...}``. TabArena's
    categorical-split dimensions (min_data_per_group, cat_l2, cat_smooth,
    max_cat_to_onehot) stay at LightGBM's defaults. Fixed for sampled trials: 1000 trees
    with early stopping after 50 rounds without improvement.

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
            "learning_rate": Float(5e-3, 0.1, log=True),
            "colsample_bytree": Float(0.4, 1.0),  # feature_fraction
            "subsample": Float(0.7, 1.0),  # bagging_fraction (with subsample_freq=1)
            "num_leaves": Int(2, 200, log=True),
            "min_child_samples": Int(1, 64, log=True),  # min_data_in_leaf
            "reg_alpha": Float(1e-4, 1.0),  # lambda_l1
            "reg_lambda": Float(1e-4, 2.0),  # lambda_l2
            "extra_trees": Categorical((False, True)),  # -> extra_params
        },
        fixed={
            "n_estimators": _TREES, "early_stopping": True, "n_iter_no_change": _PATIENCE,
            "subsample_freq": 1,  # bagging_freq: LightGBM bags only when it is >= 1
        },
        to_params=_lightgbm_params,
        virtual=("extra_trees",),
        source=(
            "TabArena LightGBM (autogluon/tabrepo tabarena/models/lightgbm/generate.py); "
            "feature_fraction->colsample_bytree, bagging_fraction->subsample (subsample_freq=1), "
            "min_data_in_leaf->min_child_samples, lambda_l1->reg_alpha, lambda_l2->reg_lambda, "
            "extra_trees->extra_params; categorical-split parameters at LightGBM defaults"
        ),
    )


def hist_gbm_space(task: str) -> SearchSpace:
    """The ``hist_gbm`` reference's built-in search space (the same for every task).

    Source: TabArena's LightGBM ranges (``autogluon/tabrepo``,
    ``tabarena/models/lightgbm/generate.py``) under scikit-learn's names, so the reference
    is tuned like ``lightgbm``: learning_rate (log 5e-3-0.1), num_leaves ->
    ``max_leaf_nodes`` (log 2-200), min_data_in_leaf -> ``min_samples_leaf`` (log 1-64),
    lambda_l2 -> ``l2_regularization`` (1e-4-2). feature_fraction, bagging, extra_trees and
    lambda_l1 have no counterpart in the wrapper. (Grinsztajn et al.'s
    ``hgbt_config.py`` samples narrow normals around the defaults instead.) Fixed for
    sampled trials: ``max_iter=1000`` with early stopping after 50 iterations.

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
            "learning_rate": Float(5e-3, 0.1, log=True),
            "max_leaf_nodes": Int(2, 200, log=True),  # num_leaves
            "min_samples_leaf": Int(1, 64, log=True),  # min_data_in_leaf
            "l2_regularization": Float(1e-4, 2.0),  # lambda_l2
        },
        fixed={"max_iter": _TREES, "early_stopping": True, "n_iter_no_change": _PATIENCE},
        source=(
            "TabArena LightGBM ranges (autogluon/tabrepo tabarena/models/lightgbm/generate.py) as "
            "num_leaves->max_leaf_nodes, min_data_in_leaf->min_samples_leaf, "
            "lambda_l2->l2_regularization"
        ),
    )
