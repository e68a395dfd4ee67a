"""Gradient-boosting family: LightGBM and scikit-learn's HistGradientBoosting (reference)."""

from __future__ import annotations

import inspect
import re

from threadpoolctl import threadpool_limits

from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor, _seed, _validation_split


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
        params = {
            name: getattr(self, name)
            for name in (
                "n_estimators", "learning_rate", "num_leaves", "max_depth", "min_child_samples",
                "subsample", "subsample_freq", "colsample_bytree", "reg_alpha", "reg_lambda",
            )
        }
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
        # node cost ~0.25 s per 300-tree job in the runner's clock.
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
