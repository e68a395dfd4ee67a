"""CatBoost, the boosting member TabArena found best as a tuned single model
(``pip install 'familybench[catboost]'``).

The whole member lives here: estimators, parameter count and search space; one
``register`` call in ``models/_builtins.py`` makes it a model. Categorical columns stay
categorical (CatBoost's ordered target statistics): the base preprocessor keeps them
native, and a missing level is written as its own category, since CatBoost refuses NaN in a
categorical column; numeric NaN is CatBoost's own ("Min"). On CUDA, ``device="cuda"``
trains on the GPU (``task_type="GPU"``); ``auto`` does when CatBoost sees one.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np
import pandas as pd

from .._devices import AUTO, CPU, CUDA, check_device
from .._errors import FamilybenchError
from .._tasks import check_task
from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor, _seed, _validation_split
from ._space import Categorical, Float, Int, SearchSpace

_MISSING = "__missing__"


def _import_catboost():
    try:
        import catboost
    except ImportError:
        raise FamilybenchError(
            "model 'catboost' needs the catboost package: pip install 'familybench[catboost]'"
        ) from None
    return catboost


def _frame(Xt: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """Positional column names, categorical columns as strings with a missing level."""
    Xt = Xt.set_axis([f"f{i}" for i in range(Xt.shape[1])], axis=1)
    categorical = [i for i, dtype in enumerate(Xt.dtypes) if isinstance(dtype, pd.CategoricalDtype)]
    if categorical:
        Xt = Xt.copy()
        for name in Xt.columns[categorical]:
            column = Xt[name].astype("object")
            Xt[name] = column.where(column.notna(), _MISSING).astype(str)
    return Xt, categorical


@functools.cache
def _gpu_count() -> int:
    """GPUs CatBoost sees, asked once per process; its CUDA probe writes a line to the
    process's stderr on a machine without a driver, which is kept out of the run's output."""
    from catboost.utils import get_gpu_device_count

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                return int(get_gpu_device_count())
            except Exception:  # a CPU-only build or no driver
                return 0
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _CatBoostMixin:
    _preprocessor_defaults = {"categorical": "native"}

    def __init__(
        self,
        n_estimators=1000,
        learning_rate=None,
        depth=6,
        l2_leaf_reg=3.0,
        grow_policy="SymmetricTree",
        subsample=None,
        colsample_bylevel=None,
        leaf_estimation_iterations=None,
        one_hot_max_size=None,
        model_size_reg=None,
        max_ctr_complexity=None,
        max_bin=None,
        device=AUTO,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=50,
        n_jobs=None,
        random_state=None,
        extra_params=None,
        preprocessor=None,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.grow_policy = grow_policy
        self.subsample = subsample
        self.colsample_bylevel = colsample_bylevel
        self.leaf_estimation_iterations = leaf_estimation_iterations
        self.one_hot_max_size = one_hot_max_size
        self.model_size_reg = model_size_reg
        self.max_ctr_complexity = max_ctr_complexity
        self.max_bin = max_bin
        self.device = device
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.extra_params = extra_params
        self.preprocessor = preprocessor

    def _device(self, catboost) -> str:
        """``auto``: CUDA when CatBoost sees a GPU, else the CPU."""
        device = check_device(self.device)
        if device == AUTO:
            device = CUDA if _gpu_count() > 0 else CPU
        return device

    def _catboost_params(self, catboost, categorical: list[int]) -> dict:
        # The one place where familybench options become CatBoost's own; None leaves
        # CatBoost's default (its learning rate is chosen from the data when not given).
        own = {
            "iterations": self.n_estimators, "learning_rate": self.learning_rate, "depth": self.depth,
            "l2_leaf_reg": self.l2_leaf_reg, "grow_policy": self.grow_policy, "subsample": self.subsample,
            "colsample_bylevel": self.colsample_bylevel,
            "leaf_estimation_iterations": self.leaf_estimation_iterations,
            "one_hot_max_size": self.one_hot_max_size, "model_size_reg": self.model_size_reg,
            "max_ctr_complexity": self.max_ctr_complexity, "border_count": self.max_bin,
        }
        params = {k: v for k, v in own.items() if v is not None}
        self.device_ = self._device(catboost)
        params.update(
            task_type="GPU" if self.device_ == CUDA else "CPU",
            thread_count=thread_budget(self.n_jobs),  # explicit: CatBoost's default is all cores
            random_seed=_seed(self.random_state) or 0,
            cat_features=categorical, verbose=False, allow_writing_files=False,  # no catboost_info/
        )
        if self.subsample is not None and "bootstrap_type" not in (self.extra_params or {}):
            params["bootstrap_type"] = "Bernoulli"  # subsample needs it (TabArena's choice too)
        params.update(self.extra_params or {})
        return params

    def _fit_catboost(self, model_class, Xt, y, stratify: bool):
        catboost = _import_catboost()
        if len(y) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 rows, got 1 sample")
        X, categorical = _frame(Xt)
        model = model_class(**self._catboost_params(catboost, categorical))
        if self.early_stopping and len(y) >= 10:
            X_fit, X_val, y_fit, y_val = _validation_split(
                X, y, self.validation_fraction, _seed(self.random_state) or 0, y if stratify else None
            )
            model.fit(X_fit, y_fit, eval_set=(X_val, y_val), early_stopping_rounds=self.n_iter_no_change)
        else:
            model.fit(X, y)
        self.n_iter_ = int(model.tree_count_)
        self.model_ = model

    def _count_params(self):
        # split thresholds + leaf values: a symmetric (oblivious) tree of depth d has d splits
        # shared by its 2^d leaves; a depthwise/lossguide tree has leaves - 1 splits
        leaves = np.asarray(self.model_.get_tree_leaf_counts(), dtype=np.int64)
        symmetric = self.model_.get_all_params().get("grow_policy", "SymmetricTree") == "SymmetricTree"
        splits = np.log2(leaves).round().astype(np.int64) if symmetric else leaves - 1
        return int(splits.sum() + self.model_.get_leaf_values().size)


class CatBoostRegressor(_CatBoostMixin, FamilyRegressor):
    """CatBoost regressor (native categoricals, optional early stopping).

    Parameters are CatBoost's names where familybench has none of its own (``n_estimators``
    is ``iterations``, ``max_bin`` is ``border_count``); ``None`` keeps CatBoost's default
    and ``extra_params`` passes any other CatBoost parameter through. ``early_stopping``
    carves ``validation_fraction`` of the training rows, as ``lightgbm`` does.
    ``n_jobs=None`` uses the job's thread budget, set explicitly.

    Attributes
    ----------
    model_ : catboost.CatBoostRegressor
    n_iter_ : int
        Trees kept.
    n_params_ : int
        Split thresholds + leaf values over all trees.
    """

    def _fit_transformed(self, Xt, y):
        self._fit_catboost(_import_catboost().CatBoostRegressor, Xt, y, stratify=False)

    def _predict_transformed(self, Xt):
        return self.model_.predict(_frame(Xt)[0])


class CatBoostClassifier(_CatBoostMixin, FamilyClassifier):
    """CatBoost classifier; parameters as :class:`CatBoostRegressor`."""

    def _fit_transformed(self, Xt, y):
        self._fit_catboost(_import_catboost().CatBoostClassifier, Xt, y, stratify=True)

    def _predict_proba_transformed(self, Xt):
        return self.model_.predict_proba(_frame(Xt)[0])


_TREES = 1000
_PATIENCE = 50


def catboost_space(task: str) -> SearchSpace:
    """The ``catboost`` member's built-in search space (the same for every task).

    Source: TabArena (``autogluon/tabarena``, ``tabarena/models/catboost/generate.py``,
    ``generate_configs_catboost``), names mapped to this estimator's: learning_rate (log
    5e-3-0.1), subsample 0.7-1 with ``bootstrap_type="Bernoulli"`` (set here whenever
    subsample is), grow_policy (SymmetricTree, Depthwise), depth 4-8, colsample_bylevel
    0.85-1, l2_leaf_reg (log 1e-4-5), leaf_estimation_iterations (log 1-20),
    one_hot_max_size (log 8-100), model_size_reg (log 0.1-1.5), max_ctr_complexity 2-5;
    fixed: ``boosting_type="Plain"`` and ``max_bin`` (border_count) 254 as in TabArena, and
    1000 trees with early stopping after 50 rounds (TabArena's AutoGluon model stops early
    on its own validation rows too).

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
            "subsample": Float(0.7, 1.0),
            "grow_policy": Categorical(["SymmetricTree", "Depthwise"]),
            "depth": Int(4, 8),
            "colsample_bylevel": Float(0.85, 1.0),
            "l2_leaf_reg": Float(1e-4, 5.0, log=True),
            "leaf_estimation_iterations": Int(1, 20, log=True),
            "one_hot_max_size": Int(8, 100, log=True),
            "model_size_reg": Float(0.1, 1.5, log=True),
            "max_ctr_complexity": Int(2, 5),
        },
        fixed={"n_estimators": _TREES, "early_stopping": True, "n_iter_no_change": _PATIENCE, "max_bin": 254,
               "extra_params": {"boosting_type": "Plain"}},
        source="TabArena (autogluon/tabarena models/catboost generate_configs_catboost); 1000 trees with early "
               "stopping after 50 rounds",
    )


