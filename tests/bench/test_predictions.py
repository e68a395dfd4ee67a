"""Kept predictions (issue 23): every job stores its test (and validation) predictions, a
k-fold trial bags its k models, and ``load_predictions`` gives them back by job key."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score

import familybench
from familybench.bench.results.store import ResultStore
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import SuiteError, parse_suite
from familybench.datasets import load_dataset, make_inner_splits, make_splits


def _run(tmp_path, tune=None, **extra):
    data = {"seeds": 2, "datasets": {"moons": {"n_samples": 200}, "friedman1": {"n_samples": 150}},
            "models": {"linear": {}, "gbm": {"model": "lightgbm", "params": {"n_estimators": 10}}}, **extra}
    if tune is not None:
        data["tune"] = tune
    execute(parse_suite(data), tmp_path, executor="serial")
    return familybench.load_results(tmp_path)


def test_every_job_keeps_predictions_that_give_back_its_scores(tmp_path):
    rows = _run(tmp_path, tune={"trials": 1, "validation": 0.25})
    kept = familybench.load_predictions(tmp_path)
    assert set(kept) == set(rows["job_key"])
    for row in rows.itertuples():
        p = kept[row.job_key]
        data = load_dataset(row.dataset, n_samples=200 if row.dataset == "moons" else 150)
        split = make_splits(data, seed=row.seed)[0]
        assert np.array_equal(p.test_index, split.test)  # the dataset's row positions
        assert p.test.dtype == np.float32 and p.valid.dtype == np.float32
        assert set(p.valid_index) <= set(split.train) and len(p.valid_index) == row.n_valid
        y = data.y.to_numpy()
        assert np.array_equal(p.test_true, y[p.test_index]) and np.array_equal(p.valid_true, y[p.valid_index])
        if row.dataset == "moons":  # probabilities, columns in classes order
            assert p.test.shape == (len(split.test), 2) and list(p.classes) == [0, 1]
            assert roc_auc_score(y[p.test_index], p.test[:, 1]) == pytest.approx(row.test_roc_auc, abs=1e-6)
            assert roc_auc_score(y[p.valid_index], p.valid[:, 1]) == pytest.approx(row.valid_roc_auc, abs=1e-6)
        else:
            assert p.classes is None and p.test.shape == (len(split.test),)
            assert r2_score(y[p.test_index], p.test) == pytest.approx(row.test_r2, abs=1e-5)
            assert r2_score(y[p.valid_index], p.valid) == pytest.approx(row.valid_r2, abs=1e-5)
    some = sorted(kept)[:2]
    assert set(familybench.load_predictions(tmp_path, keys=[*some, "no-such-key"])) == set(some)


def test_an_untuned_job_keeps_its_test_predictions_and_the_switch_turns_them_off(tmp_path):
    rows = _run(tmp_path / "on")
    kept = familybench.load_predictions(tmp_path / "on")
    assert set(kept) == set(rows["job_key"]) and all(p.valid is None for p in kept.values())
    _run(tmp_path / "off", predictions=False)
    assert familybench.load_predictions(tmp_path / "off") == {}
    with ResultStore(tmp_path / "off", create=False) as store:
        assert store.artefacts("predictions") == {}
    with pytest.raises(SuiteError, match="predictions: expected true or false"):
        parse_suite({"datasets": ["moons"], "models": ["linear"], "predictions": "yes"})


def test_a_kfold_trial_bags_its_k_models_and_scores_validation_out_of_fold(tmp_path):
    from familybench.models import get_model

    suite = parse_suite({"seeds": 1, "datasets": {"friedman1": {"n_samples": 150}},
                         "tune": {"trials": 1, "validation": {"kfold": 3}}, "models": ["linear"]})
    execute(suite, tmp_path, executor="serial")
    row = familybench.load_results(tmp_path).iloc[0]
    p = familybench.load_predictions(tmp_path)[row["job_key"]]
    data = load_dataset("friedman1", n_samples=150)
    y = data.y.to_numpy()
    split = make_splits(data, seed=0)[0]
    assert sorted(p.valid_index) == sorted(split.train) and row["n_valid"] == len(split.train)  # each row once
    # an independent bagging: the k inner-fold models fitted here, their test predictions averaged
    folds = make_inner_splits(y, "regression", split.train, seed=0, validation={"kfold": 3})
    models = [get_model("linear", task="regression").fit(data.X.iloc[f.train], y[f.train])
              for f in folds]
    bagged = np.mean([m.predict(data.X.iloc[split.test]) for m in models], axis=0)
    np.testing.assert_allclose(p.test, bagged, rtol=1e-5, atol=1e-5)
    oof = np.empty(len(y))
    for f, m in zip(folds, models, strict=True):
        oof[f.test] = m.predict(data.X.iloc[f.test])
    np.testing.assert_allclose(p.valid, oof[p.valid_index], rtol=1e-5, atol=1e-5)
    assert row["valid_r2"] == pytest.approx(r2_score(y[p.valid_index], oof[p.valid_index]), abs=1e-6)
    assert row["test_r2"] == pytest.approx(r2_score(y[split.test], bagged), abs=1e-5)
