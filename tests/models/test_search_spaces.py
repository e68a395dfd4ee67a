"""The built-in search spaces: every name they set is a parameter, and none is inert."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_friedman1

from familybench.models import (
    Categorical,
    Float,
    Int,
    check_params,
    get_model,
    get_search_space,
    get_spec,
    list_models,
)
from familybench.models._registry import BUILTIN_NAMES

# The bounds each space's source documents (TabArena's generate.py files; familybench's own
# for poly; TabArena's torch MLP ranges carried over for sk_mlp, alpha = weight decay x
# batch 256). Each dimension of these spaces must lie inside its entry; a family added
# later checks its space against its source in its own test file (the family recipe).
DOCUMENTED = {
    "linear": {"C": (0.1, 1e3)},
    "poly": {"degree": (1, 3), "alpha": (1e-3, 1e3), "interaction_only": {False, True}},
    "lightgbm": {
        "learning_rate": (5e-3, 0.1),
        "colsample_bytree": (0.4, 1.0),
        "subsample": (0.7, 1.0),
        "num_leaves": (2, 200),
        "min_child_samples": (1, 64),
        "reg_alpha": (1e-4, 1.0),
        "reg_lambda": (1e-4, 2.0),
        "extra_trees": {False, True},
    },
    "hist_gbm": {
        "learning_rate": (5e-3, 0.1),
        "max_leaf_nodes": (2, 200),
        "min_samples_leaf": (1, 64),
        "l2_regularization": (1e-4, 2.0),
    },
    "xgboost": {  # Grinsztajn et al.'s xgb_config.py
        "max_depth": (1, 11),
        "learning_rate": (1e-5, 0.7),
        "gamma": (1e-8, 7.0),
        "min_child_weight": (1.0, 100.0),
        "subsample": (0.5, 1.0),
        "colsample_bytree": (0.5, 1.0),
        "colsample_bylevel": (0.5, 1.0),
        "reg_alpha": (1e-8, 100.0),
        "reg_lambda": (1.0, 4.0),
    },
    "mlp": {
        "lr": (1e-4, 3e-2),
        "weight_decay": (1e-12, 0.1),
        "dropout": (0.0, 0.4),
        "n_layers": (1, 5),
        "width": (8, 256),
        "activation": {"relu", "elu"},
    },
    "sk_mlp": {
        "learning_rate_init": (1e-4, 3e-2),
        "alpha": (1e-12 * 256, 0.1 * 256),
        "n_layers": (1, 5),
        "width": (8, 256),
    },
}

# Smaller budgets so that ~100 fits stay fast; each replaces a fixed count, never a dimension.
_QUICK = {
    "lightgbm": {"n_estimators": 40},
    "hist_gbm": {"max_iter": 40},
    "xgboost": {"n_estimators": 40},
    "mlp": {"max_epochs": 5},
    "sk_mlp": {"max_iter": 5},
    "catboost": {"n_estimators": 40},
    "realmlp": {"n_epochs": 2},
    "tabm": {"n_epochs": 2, "tabm_k": 4},
}
# Dimensions that cannot change a model on this test's data or budget, and why.
_INERT = {
    ("catboost", "one_hot_max_size"): "acts on categorical columns; the test data has none",
    ("catboost", "max_ctr_complexity"): "acts on categorical columns; the test data has none",
    ("catboost", "model_size_reg"): "penalises categorical combinations; the test data has none",
    ("realmlp", "n_epochs_large"): "the test's own n_epochs stands over the sampled one",
    ("realmlp", "max_one_hot_cat_size"): "acts on categorical columns; the test data has none",
    ("realmlp", "embedding_size"): "acts on categorical columns; the test data has none",
    ("realmlp", "use_ls"): "label smoothing: classification only",
}
# pytabkit's networks pay ~0.5 s per fit: their dimensions are checked in `nox -s slow`.
_SLOW_FITS = {"realmlp", "tabm"}


def _builtins():
    """The built-in models, in registration order."""
    return [name for name in list_models()["name"] if name in BUILTIN_NAMES]


def _spaces():
    return [
        (row.name, task, get_search_space(row.name, task))
        for row in list_models().itertuples()
        for task in row.tasks.split(",")
        if get_search_space(row.name, task) is not None
    ]


SPACES = _spaces()


def _data(task):
    if task == "regression":
        return make_friedman1(200, n_features=6, random_state=0)
    classes = 3 if task == "multiclass" else 2
    return make_classification(
        200, n_features=6, n_informative=4, n_classes=classes, random_state=0
    )


def _middle(dim):
    if isinstance(dim, Categorical):
        return dim.choices[0]
    mid = math.sqrt(dim.low * dim.high) if dim.log else (dim.low + dim.high) / 2
    return int(round(mid)) if isinstance(dim, Int) else float(mid)


def _predictions(name, task, space, point, X, y):
    model = get_model(name, task=task, **{**space.params(point), **_QUICK.get(name, {})})
    # One thread: OpenMP threads spin-wait when other jobs share the cores (hist_gbm's fits
    # here took 89 s with two threads on two busy cores, 0.4 s with one).
    settings = {"random_state": 0, "n_jobs": 1}
    model.set_params(**{k: v for k, v in settings.items() if k in model.get_params(deep=False)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny budgets: convergence warnings are expected
        model.fit(X, y)
    return model.predict_proba(X) if task != "regression" else model.predict(X)


def test_every_family_with_a_space_has_one_for_each_of_its_tasks():
    # every task of a family that declares a space, but linear regression (nothing to tune);
    # the lecture's hand-set network declares none
    covered = {(name, task) for name, task, _ in SPACES}
    expected = {
        (name, task)
        for name in _builtins()
        if get_spec(name).search_space is not None
        for task in get_spec(name).tasks
    } - {("linear", "regression")}
    assert covered >= expected and len(expected) >= 20
    assert get_spec("lecture_wedge").search_space is None and get_search_space("lecture_wedge", "binary") is None


def test_the_documented_ranges_are_of_registered_spaces():
    assert set(DOCUMENTED) <= {name for name, _, _ in SPACES}


def test_linear_regression_has_nothing_to_tune_and_classification_tunes_C():
    assert get_search_space("linear", "regression") is None
    for task in ("binary", "multiclass"):
        space = get_search_space("linear", task)
        assert set(space.dimensions) == {"C"}
        assert space.dimensions["C"] == Float(0.1, 1e3, log=True)


@pytest.mark.e2e
def test_registration_imports_no_family_and_a_space_imports_no_estimator_library():
    code = (
        "import sys; from familybench.models import get_search_space, get_spec\n"
        "from familybench.models._registry import BUILTIN_NAMES\n"
        "get_spec('mlp')\n"
        "heavy = ('sklearn', 'torch', 'lightgbm', 'xgboost', 'familybench.models._boosting')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "for name in BUILTIN_NAMES:\n"
        "    get_search_space(name, get_spec(name).tasks[-1])\n"
        "loaded = [m for m in ('torch', 'lightgbm', 'xgboost') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name, task, space", SPACES, ids=[f"{n}-{t}" for n, t, _ in SPACES])
def test_space_is_documented_bounded_and_json_describable(name, task, space):
    assert space.source and not space.is_trivial
    documented = DOCUMENTED.get(name)
    if documented is not None:
        assert set(space.dimensions) == set(documented), "every dimension needs a documented range"
    for dim_name, dim in space.dimensions.items():
        if isinstance(dim, Categorical):
            assert documented is None or set(dim.choices) <= documented[dim_name], dim_name
        else:
            assert dim.low < dim.high, (dim_name, dim)
            assert documented is None or documented[dim_name][0] <= dim.low < dim.high <= documented[dim_name][1], (
                dim_name, dim)
    described = space.describe()
    assert json.loads(json.dumps(described)) == described
    if "early_stopping" in get_spec(name).params[task]:  # iterative: a capped count with early stopping
        assert space.fixed["early_stopping"] is True


@pytest.mark.parametrize("name, task, space", SPACES, ids=[f"{n}-{t}" for n, t, _ in SPACES])
def test_sampled_points_build_an_estimator_that_takes_every_name(name, task, space):
    accepted = set(get_model(name, task=task).get_params(deep=False))
    assert space.estimator_params() <= accepted
    rng = np.random.default_rng(12)
    for _ in range(8):
        point = space.sample(rng)
        assert all(space.dimensions[k].contains(v) for k, v in point.items()), point
        params = space.params(point)
        check_params(name, task, params)  # the declared names, as a suite is checked
        estimator = get_model(name, task=task, **params)
        built = estimator.get_params(deep=False)
        assert {k: built[k] for k in params} == params


def test_the_virtual_names_map_to_estimator_parameters():
    mlp = get_search_space("mlp", "regression")
    params = mlp.params({"n_layers": 3, "width": 40, "lr": 1e-3})
    assert params["hidden_layer_sizes"] == (40, 40, 40) and "n_layers" not in params
    sk = get_search_space("sk_mlp", "binary")
    assert sk.params({"n_layers": 1, "width": 8})["hidden_layer_sizes"] == (8,)
    gbm = get_search_space("lightgbm", "binary")
    params = gbm.params({"extra_trees": True, "num_leaves": 7})
    assert params["extra_params"] == {"extra_trees": True} and "extra_trees" not in params
    assert params["subsample_freq"] == 1  # subsample (bagging_fraction) bags only with a frequency


def test_classification_spaces_are_the_same_for_binary_and_multiclass():
    both = {name for name, task, _ in SPACES if task == "binary"} & {name for name, task, _ in SPACES if task == "multiclass"}
    assert len(both) >= 7
    for name in both:
        binary, multiclass = get_search_space(name, "binary"), get_search_space(name, "multiclass")
        assert binary.describe() == multiclass.describe()


# Multiclass uses the binary task's class and space.
_FIT_CASES = [(n, t, s) for n, t, s in SPACES if t != "multiclass"]
_FIT_IDS = [f"{n}-{t}" for n, t, _ in _FIT_CASES]


@pytest.mark.parametrize("name, task, space", [
    pytest.param(n, t, s, marks=[pytest.mark.slow] if n in _SLOW_FITS else []) for n, t, s in _FIT_CASES
], ids=_FIT_IDS)
def test_every_dimension_changes_the_fitted_model(name, task, space):
    X, y = _data(task)
    base = {dim_name: _middle(dim) for dim_name, dim in space.dimensions.items()}
    reference = _predictions(name, task, space, base, X, y)
    # Same point, same seed: same predictions, so any difference below is the parameter's.
    np.testing.assert_array_equal(reference, _predictions(name, task, space, base, X, y))
    for dim_name, dim in space.dimensions.items():
        if (name, dim_name) in _INERT or (name, dim_name, task) in _INERT:
            continue
        low, high = dim.choices[:2] if isinstance(dim, Categorical) else (dim.low, dim.high)
        a = _predictions(name, task, space, {**base, dim_name: low}, X, y)
        b = _predictions(name, task, space, {**base, dim_name: high}, X, y)
        same = f"{name} {task}: {dim_name} = {low!r} and {high!r} fit the same model"
        assert np.max(np.abs(a - b)) > 1e-6, same
