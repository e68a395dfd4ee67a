"""The ``catboost`` member: CatBoost through the base preprocessing, counted, threaded, tuned."""

from __future__ import annotations

import builtins

import numpy as np
import pandas as pd
import pytest

from familybench import FamilybenchError
from familybench.models import CatBoostClassifier, CatBoostRegressor, check_family, get_model
from familybench.models._catboost import catboost_space


@pytest.fixture(scope="module", autouse=True)
def catboost():
    """The library, imported when these tests run (not when the suite is collected)."""
    return pytest.importorskip("catboost")


def test_a_table_with_missing_categories_fits_where_catboost_alone_refuses(catboost, mixed_frame):
    X, y = mixed_frame
    assert X["colour"].isna().any() and X["x2"].isna().any()
    with pytest.raises(Exception, match="(?i)nan|invalid|cat"):
        catboost.CatBoostRegressor(iterations=5, verbose=False, allow_writing_files=False).fit(
            X, y, cat_features=["colour"])
    model = CatBoostRegressor(n_estimators=200, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9 and model.n_iter_ == 200


def test_the_parameter_count_is_splits_and_leaf_values_of_the_fitted_trees(mixed_frame):
    X, y = mixed_frame
    symmetric = CatBoostRegressor(n_estimators=10, depth=3, random_state=0).fit(X, y)
    leaves = np.asarray(symmetric.model_.get_tree_leaf_counts())
    assert (leaves == 8).all()
    assert symmetric.n_params_ == 10 * 3 + 10 * 8  # 3 shared splits and 8 leaf values per tree
    depthwise = CatBoostRegressor(n_estimators=10, depth=3, grow_policy="Depthwise", random_state=0).fit(X, y)
    leaves = np.asarray(depthwise.model_.get_tree_leaf_counts())
    assert depthwise.n_params_ == int((leaves - 1).sum() + leaves.sum())


def test_threads_come_from_the_job_budget_and_early_stopping_uses_a_carve(mixed_frame, monkeypatch):
    X, y = mixed_frame
    monkeypatch.setenv("FAMILYBENCH_THREADS", "1")
    model = CatBoostRegressor(n_estimators=2000, learning_rate=0.3, early_stopping=True, n_iter_no_change=5,
                              random_state=0).fit(X, y)
    assert model.model_.get_params()["thread_count"] == 1 and model.n_iter_ < 2000
    assert model.device_ == "cpu"


def test_classes_and_probabilities(mixed_frame):
    X, y = mixed_frame
    labels = np.where(y > np.median(y), "high", "low")
    model = CatBoostClassifier(n_estimators=30, random_state=0).fit(X, labels)
    proba = model.predict_proba(X)
    assert list(model.classes_) == ["high", "low"] and proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == labels).mean() > 0.8


def test_same_seed_same_predictions_as_catboost_called_directly(catboost):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200),
                      "c": pd.Categorical(rng.choice(["u", "v", "w"], 200))})
    y = X["a"] * 2 + (X["c"] == "u") + rng.normal(size=200) * 0.1
    ours = CatBoostRegressor(n_estimators=40, random_state=3, n_jobs=1).fit(X, y).predict(X)
    frame = X.set_axis(["f0", "f1", "f2"], axis=1).assign(f2=X["c"].astype(str))
    direct = catboost.CatBoostRegressor(iterations=40, depth=6, l2_leaf_reg=3.0, random_seed=3, thread_count=1,
                                        verbose=False, allow_writing_files=False)
    np.testing.assert_allclose(ours, direct.fit(frame, y, cat_features=[2]).predict(frame), rtol=1e-10)


def test_a_sampled_trial_of_the_space_fits(mixed_frame):
    X, y = mixed_frame
    space = catboost_space("regression")
    point = space.sample(np.random.default_rng(0))
    params = {**space.params(point), "n_estimators": 20}
    assert {"learning_rate", "depth", "grow_policy", "one_hot_max_size"} <= set(params)
    model = get_model("catboost", task="regression", **params).fit(X, y)
    assert model.model_.get_all_params()["boosting_type"] == "Plain" and model.n_params_ > 0


@pytest.mark.e2e
def test_check_family():
    check_family("catboost", params={"n_estimators": 50, "learning_rate": 0.3, "random_state": 0})


def test_a_missing_catboost_is_a_one_line_error_naming_the_install(monkeypatch, mixed_frame):
    real_import = builtins.__import__

    def no_catboost(name, *args, **kwargs):
        if name == "catboost":
            raise ImportError("No module named 'catboost'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_catboost)
    with pytest.raises(FamilybenchError, match=r"pip install 'familybench\[catboost\]'"):
        CatBoostRegressor(n_estimators=5).fit(*mixed_frame)


@pytest.mark.gpu
def test_cuda_fits_on_the_gpu_and_agrees_with_the_cpu(mixed_frame):
    from familybench.models._catboost import _gpu_count

    if _gpu_count() == 0:
        pytest.skip("no CUDA device")
    X, y = mixed_frame
    gpu = CatBoostRegressor(n_estimators=100, device="cuda", random_state=0).fit(X, y)
    cpu = CatBoostRegressor(n_estimators=100, device="cpu", random_state=0).fit(X, y)
    assert gpu.device_ == "cuda" and gpu.model_.get_all_params()["task_type"] == "GPU"
    assert np.corrcoef(gpu.predict(X), cpu.predict(X))[0, 1] > 0.95
