"""Behaviour of the model families through the public registry API."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LinearRegression

from familybench.models import (
    ModelError,
    check_params,
    get_model,
    get_spec,
    list_models,
    n_polynomial_features,
    register,
)
from familybench.models._registry import BUILTIN_NAMES

FAST_MLP = {"hidden_layer_sizes": (32, 32), "max_epochs": 60, "random_state": 0, "batch_size": 64}
# pytabkit's networks at a test budget (their defaults train for 256 epochs or more)
FAST_NETS = {"realmlp": {"n_epochs": 64}, "tabm": {"n_epochs": 64, "d_block": 64, "tabm_k": 8, "lr": 0.005}}

# The families under test come from the registry, in registration order: a new built-in is
# tested here without editing a list.
BUILTINS = [name for name in list_models()["name"] if name in BUILTIN_NAMES]
REGRESSORS = [name for name in BUILTINS if "regression" in get_spec(name).tasks]
SEEDED = [name for name in REGRESSORS if "random_state" in get_spec(name).params["regression"]]


def _nonlinear(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.normal(size=n)
    return X, y


def test_list_models_names_families_and_tasks():
    table = list_models().set_index("name")
    assert {"linear", "poly", "lightgbm", "mlp", "hist_gbm", "sk_mlp"} <= set(table.index)
    assert table.loc["poly", "family"] == "polynomial"
    assert table.loc["mlp", "tasks"] == "regression,binary,multiclass"
    assert bool(table.loc["sk_mlp", "reference"]) and not bool(table.loc["mlp", "reference"])


@pytest.mark.parametrize(
    "name, task, cls",
    [
        ("linear", "regression", "LinearRegressor"),
        ("linear", "binary", "LinearClassifier"),
        ("poly", "multiclass", "PolynomialClassifier"),
        ("lightgbm", "regression", "LightGBMRegressor"),
        ("mlp", "binary", "TorchMLPClassifier"),
        ("hist_gbm", "regression", "HistGBMRegressor"),
        ("sk_mlp", "multiclass", "SkMLPClassifier"),
    ],
)
def test_get_model_returns_the_task_estimator(name, task, cls):
    assert type(get_model(name, task=task)).__name__ == cls


def test_family_hyperparameters_are_top_level_and_nested_preprocessing_uses_dunder():
    model = get_model("poly", degree=3, preprocessor__categorical="ordinal")
    params = model.get_params()
    assert params["degree"] == 3
    assert params["preprocessor__categorical"] == "ordinal"
    assert get_model("lightgbm", n_estimators=500).get_params()["n_estimators"] == 500


def test_bad_names_and_params_give_one_line_errors():
    with pytest.raises(ModelError, match=r"unknown model 'lightgmb' \(did you mean 'lightgbm'\?\)"):
        get_model("lightgmb")
    with pytest.raises(ModelError, match="unexpected keyword argument 'n_trees'"):
        get_model("lightgbm", n_trees=5)
    with pytest.raises(ValueError, match="unknown task 'ranking'"):
        get_model("linear", task="ranking")
    with pytest.raises(ModelError, match="cannot import 'no_such_pkg.mod'"):
        get_model("no_such_pkg.mod:thing")


def test_register_a_users_model_and_import_path(monkeypatch):
    register("my_ridge", LinearRegression, family="linear", tasks=("regression",), replace=True)
    assert isinstance(get_model("my_ridge"), LinearRegression)
    with pytest.raises(ModelError, match="does not support task 'binary'"):
        get_model("my_ridge", task="binary")
    with pytest.raises(ModelError, match="already registered"):
        register("my_ridge", LinearRegression, family="linear")
    est = get_model("sklearn.linear_model:Ridge", alpha=2.0)
    assert est.alpha == 2.0


@pytest.mark.parametrize("name", REGRESSORS)
def test_dataframe_with_categoricals_and_missing_values_goes_straight_in(name, mixed_frame):
    X, y = mixed_frame
    params = FAST_MLP if name == "mlp" else FAST_NETS.get(name, {})
    if "random_state" in get_model(name).get_params():  # seeded: unseeded sk_mlp scored 0.69-0.92
        params = {**params, "random_state": 0}
    model = get_model(name, **params).fit(X, y)
    unseen = X.head(5).copy()
    unseen["colour"] = pd.Categorical(["purple"] * 5)  # a level never seen in training
    pred = model.predict(unseen)
    assert pred.shape == (5,) and np.isfinite(pred).all()
    # linear misses the sine and the square; the others must catch them
    assert model.score(X, y) > (0.2 if name == "linear" else 0.7)


def test_preprocessing_is_fit_on_training_rows_only(mixed_frame):
    X, y = mixed_frame
    model = get_model("linear").fit(X.iloc[:100], y[:100])
    scaler = model.preprocessor_.transformer_.named_transformers_["numeric"][-1]
    np.testing.assert_allclose(scaler.mean_[0], X["x1"].iloc[:100].mean())


def test_identity_mlp_collapses_to_linear_regression():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 4))
    y = X @ np.array([1.5, -2.0, 0.5, 3.0]) + 0.3 * rng.normal(size=500)
    lin = get_model("linear").fit(X, y).predict(X)
    mlp = get_model(
        "mlp", activation="identity", hidden_layer_sizes=(16, 16), early_stopping=False,
        max_epochs=150, random_state=0, batch_size=64,
    ).fit(X, y).predict(X)
    assert np.max(np.abs(mlp - lin)) < 0.05 * np.std(y)
    relu = get_model("mlp", **FAST_MLP).fit(*_nonlinear())
    assert relu.score(*_nonlinear(seed=1)) > 0.9  # a nonlinearity captures what identity cannot


def test_polynomial_and_mlp_beat_linear_on_a_nonlinear_target():
    X, y = _nonlinear()
    X_test, y_test = _nonlinear(seed=1)
    linear = get_model("linear").fit(X, y).score(X_test, y_test)
    poly = get_model("poly", degree=4).fit(X, y).score(X_test, y_test)
    mlp = get_model("mlp", **FAST_MLP).fit(X, y).score(X_test, y_test)
    assert linear < 0.6
    assert poly > linear + 0.3
    assert mlp > linear + 0.3


def test_n_params_follow_the_formulas():
    X, y = _nonlinear(n=300)
    d = X.shape[1]
    assert get_model("linear").fit(X, y).n_params_ == d + 1
    poly = get_model("poly", degree=3).fit(X, y)
    assert poly.n_poly_features_ == n_polynomial_features(d, 3) == 19
    assert poly.n_params_ == 19 + 1
    mlp = get_model("mlp", hidden_layer_sizes=(7, 5), max_epochs=2, random_state=0).fit(X, y)
    assert mlp.n_params_ == (d + 1) * 7 + (7 + 1) * 5 + (5 + 1) * 1
    sk = get_model("sk_mlp", hidden_layer_sizes=(7, 5), max_iter=5, random_state=0).fit(X, y)
    assert sk.n_params_ == mlp.n_params_
    gbm = get_model("lightgbm", n_estimators=10, random_state=0).fit(X, y)
    trees = gbm.model_.booster_.trees_to_dataframe()
    assert gbm.n_params_ == len(trees)  # one row per split or leaf
    hgb = get_model("hist_gbm", max_iter=10, random_state=0).fit(X, y)
    assert hgb.n_params_ > 10
    multi = get_model("linear", task="multiclass").fit(X, np.digitize(y, [0, 1]))
    assert multi.n_params_ == 3 * (d + 1)


def test_poly_refuses_an_expansion_beyond_max_features_before_allocating():
    X = np.zeros((10, 60))
    y = np.arange(10.0)
    with pytest.raises(ValueError, match=r"degree=3 on 60 input columns would make 39,710 features"):
        get_model("poly", degree=3, max_features=10_000).fit(X, y)
    assert n_polynomial_features(60, 2, interaction_only=True) == 60 + 1770


@pytest.mark.e2e
@pytest.mark.parametrize("name", SEEDED)
def test_same_seed_same_predictions(name):
    X, y = _nonlinear(n=300)
    params = {**FAST_MLP, "max_epochs": 10} if name == "mlp" else {**FAST_NETS.get(name, {}), "random_state": 3}
    if name == "lightgbm":
        params.update(subsample=0.7, subsample_freq=1)
    a = get_model(name, **params).fit(X, y).predict(X)
    b = clone(get_model(name, **params)).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    if name == "mlp":
        c = get_model(name, **{**params, "random_state": 4}).fit(X, y).predict(X)
        assert not np.array_equal(a, c)


def test_mlp_dropout_changes_the_fit_reproducibly_and_only_in_training():
    X, y = _nonlinear(n=300)
    params = {**FAST_MLP, "max_epochs": 10}
    plain = get_model("mlp", **params).fit(X, y)
    rng_state = torch.get_rng_state()
    dropped = get_model("mlp", dropout=0.3, **params).fit(X, y)
    assert torch.equal(torch.get_rng_state(), rng_state)  # the caller's random state is kept
    assert [type(m).__name__ for m in dropped.module_] == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"
    ]
    assert all(m.p == 0.3 for m in dropped.module_ if isinstance(m, torch.nn.Dropout))
    assert [type(m).__name__ for m in plain.module_] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert dropped.n_params_ == plain.n_params_
    pred = dropped.predict(X)
    assert not np.allclose(pred, plain.predict(X), atol=1e-4)
    np.testing.assert_array_equal(pred, dropped.predict(X))  # no dropout when predicting
    again = get_model("mlp", dropout=0.3, **params).fit(X, y)
    np.testing.assert_array_equal(pred, again.predict(X))  # same seed, same dropout masks
    other_seed = get_model("mlp", dropout=0.3, **{**params, "random_state": 1}).fit(X, y)
    assert not np.array_equal(pred, other_seed.predict(X))


def test_mlp_without_dropout_fits_the_network_it_fitted_before_dropout_existed(monkeypatch):
    from torch import nn

    from familybench.models import _torch_core

    def network_without_dropout(n_in, hidden_layer_sizes, n_out, activation, dropout=0.0):
        # The network as built before the dropout parameter: Linear -> activation blocks.
        assert dropout == 0.0
        layers, width = [], n_in
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), _torch_core.ACTIVATIONS[activation]()]
            width = size
        return nn.Sequential(*layers, nn.Linear(width, n_out))

    X, y = _nonlinear(n=300)
    labels = (y > np.median(y)).astype(int)
    params = {**FAST_MLP, "max_epochs": 8, "dropout": 0.0}
    for task, target, method in (("regression", y, "predict"), ("binary", labels, "predict_proba")):
        current = getattr(get_model("mlp", task=task, **params).fit(X, target), method)(X)
        with monkeypatch.context() as patch:
            patch.setattr(_torch_core, "build_network", network_without_dropout)
            before = getattr(get_model("mlp", task=task, **params).fit(X, target), method)(X)
        np.testing.assert_array_equal(current, before)


@pytest.mark.parametrize("dropout", [1.0, -0.1, True])
def test_mlp_dropout_outside_0_1_is_refused(dropout):
    with pytest.raises(ValueError, match=r"dropout must be a float in \[0, 1\)"):
        get_model("mlp", dropout=dropout, max_epochs=1).fit(*_nonlinear(n=50))


def test_mlp_diverging_loss_stops_with_a_clear_error():
    X, y = _nonlinear(n=200)
    model = get_model("mlp", optimizer="sgd", lr=1e4, max_epochs=50, random_state=0, early_stopping=False)
    with pytest.raises(FloatingPointError, match=r"MLP training loss became (nan|inf) at epoch \d+; lower lr"):
        model.fit(X, y * 1e6)


def test_mlp_early_stopping_restores_the_best_weights():
    X, y = _nonlinear(n=400)
    rng = np.random.default_rng(0)
    noisy = y + rng.normal(0, 2.0, len(y))
    model = get_model("mlp", hidden_layer_sizes=(64, 64), lr=1e-2, max_epochs=300, patience=5, random_state=0)
    model.fit(X, noisy)
    assert model.n_epochs_ < 300
    assert model.best_epoch_ == model.n_epochs_ - 5
    best = min(model.validation_loss_curve_)
    assert model.validation_loss_curve_[model.best_epoch_ - 1] == best


def test_mlp_multioutput_regression_and_classifier_probabilities():
    X, y = _nonlinear(n=300)
    Y = np.column_stack([y, -2 * y])
    reg = get_model("mlp", **FAST_MLP).fit(X, Y)
    assert reg.predict(X).shape == (300, 2)
    assert reg.n_params_ == (3 + 1) * 32 + 33 * 32 + 33 * 2
    labels = np.where(y > np.median(y), "high", "low")
    clf = get_model("mlp", task="binary", **FAST_MLP).fit(X, labels)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert list(clf.classes_) == ["high", "low"]
    assert (clf.predict(X) == labels).mean() > 0.85
    multi = get_model("mlp", task="multiclass", **FAST_MLP).fit(X, np.digitize(y, [0, 1.5]))
    assert multi.predict_proba(X).shape == (300, 3)


@pytest.mark.parametrize(
    "activation",
    ["identity", "relu", "gelu", "softplus", "elu", "selu", "leaky_relu", "prelu", "silu", "sigmoid", "tanh"],
)
def test_every_activation_trains(activation):
    X, y = _nonlinear(n=200)
    model = get_model("mlp", activation=activation, hidden_layer_sizes=(8,), max_epochs=40, random_state=0,
                      early_stopping=False, lr=0.03, batch_size=32)
    model.fit(X, y)
    extra = 1 if activation == "prelu" else 0  # PReLU learns its slope
    assert model.n_params_ == (3 + 1) * 8 + (8 + 1) + extra
    if activation == "identity":  # two linear layers collapse into one: the sine stays out of reach
        assert model.score(X, y) < 0.1
    else:  # it trains (the loss falls) and the nonlinearity catches what a linear model misses
        assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
        assert model.score(X, y) > 0.6


def test_the_lecture_suite_grids_over_every_activation():
    # lecture.toml cannot import the names: a new activation must be added to its grid too.
    from familybench.bench.suite.spec import load_suite
    from familybench.models._names import ACTIVATIONS

    grids = [m.params.get("activation") for m in load_suite("lecture").models if m.config.startswith("act[")]
    assert tuple(grids) == ACTIVATIONS


@pytest.mark.e2e
def test_building_and_cloning_an_mlp_does_not_import_torch():
    # Suite validation builds every model before the first progress line: torch (~2 s) must wait for fit.
    code = (
        "import sys; from sklearn.base import clone; from familybench.models import get_model; "
        "clone(get_model('mlp', task='binary', hidden_layer_sizes=(4,))); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_activation_and_optimizer_are_named():
    X, y = _nonlinear(n=50)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        get_model("mlp", activation="swish", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        get_model("mlp", optimizer="lbfgs", max_epochs=1).fit(X, y)


def test_mlp_restores_torch_threads_and_honours_n_jobs():
    before = torch.get_num_threads()
    X, y = _nonlinear(n=100)
    get_model("mlp", n_jobs=1, max_epochs=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before


def test_lightgbm_early_stopping_uses_a_validation_fraction():
    X, y = _nonlinear(n=600)
    rng = np.random.default_rng(0)
    model = get_model(
        "lightgbm", n_estimators=2000, learning_rate=0.3, early_stopping=True, n_iter_no_change=5, random_state=0
    ).fit(X, y + rng.normal(0, 1.0, len(y)))
    assert model.n_iter_ < 2000


def test_every_lightgbm_parameter_reaches_lightgbm_under_its_name():
    from familybench.models._boosting import LIGHTGBM_PARAMS

    settings = {"n_estimators": 7, "learning_rate": 0.2, "num_leaves": 5, "max_depth": 3, "min_child_samples": 4,
                "subsample": 0.8, "subsample_freq": 2, "colsample_bytree": 0.7, "reg_alpha": 0.3, "reg_lambda": 0.4}
    assert set(settings) == set(LIGHTGBM_PARAMS)
    X, y = _nonlinear(n=100)
    booster = get_model("lightgbm", random_state=0, **settings).fit(X, y).model_.get_params()
    assert {name: booster[name] for name in settings} == settings


def test_mlp_on_cuda_matches_cpu_when_available():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, y = _nonlinear(n=300)
    cpu = get_model("mlp", device="cpu", **FAST_MLP).fit(X, y)
    gpu = get_model("mlp", device="cuda", **FAST_MLP).fit(X, y)
    assert gpu.device_ == "cuda"
    assert abs(cpu.score(X, y) - gpu.score(X, y)) < 0.05


def test_cuda_requested_without_a_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(ValueError, match="device='cuda' was asked for but torch sees no CUDA device"):
        get_model("mlp", device="cuda", max_epochs=1).fit(*_nonlinear(n=50))


def test_lecture_wedge_network_scores_100_percent_on_noise_free_wedge():
    from familybench.datasets import load_dataset

    data = load_dataset("wedge", n_samples=500)
    model = get_model("lecture_wedge", task="binary").fit(data.X, data.y)
    assert (model.predict(data.X) == data.y.to_numpy()).all()
    assert model.n_params_ == 9
    # scikit-learn's MLP convention: coefs_[0] is inputs x hidden units
    np.testing.assert_array_equal(model.coefs_[0].T, [[-2, 1], [2, 1]])
    np.testing.assert_array_equal(model.intercepts_[0], [5, -5])
    assert sum(c.size for c in model.coefs_) + sum(i.size for i in model.intercepts_) == model.n_params_


@pytest.mark.parametrize("name", REGRESSORS)
def test_column_names_with_json_characters_and_newlines_are_fine(name, mixed_frame):
    X, y = mixed_frame
    X = X.rename(columns={"x1": 'a "quoted", [odd]: name', "x2": "line\nbreak", "colour": "<b>colour</b>"})
    params = FAST_MLP if name == "mlp" else {**FAST_NETS.get(name, {}), **({"n_epochs": 4} if name in FAST_NETS else {})}
    if "random_state" in get_model(name).get_params():  # seeded: unseeded sk_mlp scored 0.69-0.92
        params = {**params, "random_state": 0}
    model = get_model(name, **params).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("name", BUILTINS)
def test_a_builtins_parameters_are_read_from_its_init_and_equal_get_params(name):
    # The registry reads each built-in's names from its classes' __init__ in the source, so
    # a suite is checked without importing the estimators; nothing is typed a second time.
    spec = get_spec(name)
    for task in spec.tasks:
        assert spec.params[task] is not None, f"{name} ({task}): the source does not say its parameters"
        assert spec.params[task] == set(get_model(name, task=task).get_params(deep=False)), (name, task)


def test_declared_parameters_of_any_registered_model_match_the_estimators():
    from familybench.models._registry import _REGISTRY

    for name, spec in list(_REGISTRY.items()):
        for task, names in (spec.params or {}).items():
            if names is not None:
                assert names == set(get_model(name, task=task).get_params(deep=False)), (name, task)


def test_builtins_is_one_register_call_per_family_and_nothing_else():
    import ast
    import inspect

    from familybench.models import _builtins

    body = ast.parse(inspect.getsource(_builtins)).body
    calls = [stmt.value for stmt in body if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)]
    assert all(isinstance(call.func, ast.Name) and call.func.id == "register" for call in calls)
    assert [call.args[0].value for call in calls] == BUILTINS  # one call each, in registration order
    others = [stmt for stmt in body if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Constant)))]
    assert [type(stmt).__name__ for stmt in others] == ["ImportFrom", "ImportFrom", "Assign"]  # BUILTIN_NAMES


def test_checking_every_builtins_parameters_imports_no_family_module():
    code = (
        "import sys\n"
        "from familybench.models import check_params, get_spec\n"
        "from familybench.models._registry import BUILTIN_NAMES\n"
        "modules = {get_spec(name).factory.module for name in BUILTIN_NAMES}\n"
        "for name in BUILTIN_NAMES:\n"
        "    for task in get_spec(name).tasks:\n"
        "        assert get_spec(name).params[task] is not None, (name, task)\n"
        "        check_params(name, task, {})\n"
        "loaded = [m for m in sys.modules if m in modules or m.split('.')[0] in ('sklearn', 'torch', 'lightgbm', "
        "'xgboost')]\n"
        "assert len(modules) >= 6 and not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_family_class_is_a_public_name():
    import familybench.models as models

    for name in BUILTINS:
        for task in get_spec(name).tasks:
            cls = type(get_model(name, task=task))
            assert getattr(models, cls.__name__) is cls and cls.__name__ in models.__all__, (name, task)
    with pytest.raises(AttributeError):
        models.NoSuchRegressor  # noqa: B018


def test_check_params_names_the_bad_parameter_without_building():
    with pytest.raises(ModelError, match=r"model 'mlp' has no parameter 'hiden_layer_sizes' \(did you mean 'hidden_layer_sizes'\?\)"):
        check_params("mlp", "regression", {"hiden_layer_sizes": [8]})
    with pytest.raises(ModelError, match="'C'"):
        check_params("linear", "regression", {"C": 1.0})  # C is a classification parameter
    check_params("linear", "binary", {"C": 1.0})
    check_params("mlp", "regression", {"preprocessor__categorical": "ordinal"})  # nested: built and checked
    with pytest.raises(ModelError):
        check_params("mlp", "regression", {"preprocessor__nope": 1})


def test_the_training_loop_takes_explicit_settings_and_returns_what_it_fitted():
    from dataclasses import replace

    from familybench.models._torch_core import TrainSettings, _Trainer

    X, y = _nonlinear(n=120)
    model = get_model("mlp", hidden_layer_sizes=(4,), max_epochs=3, early_stopping=False, random_state=0).fit(X, y)
    settings = TrainSettings(**{name: getattr(model, name) for name in TrainSettings.__dataclass_fields__
                                if name != "n_threads"}, n_threads=1)
    Xt = model.preprocessor_.transform(X)
    target = ((y - model.y_mean_) / model.y_scale_).reshape(-1, 1)
    result = _Trainer(settings).fit(Xt, target, n_outputs=1, loss="mse", target_dtype="float32")
    assert result.n_epochs == 3 and result.loss_curve == model.loss_curve_ and result.validation_loss_curve == []
    longer = _Trainer(replace(settings, max_epochs=5)).fit(Xt, target, n_outputs=1, loss="mse", target_dtype="float32")
    assert longer.loss_curve[:3] == result.loss_curve and longer.n_epochs == 5
