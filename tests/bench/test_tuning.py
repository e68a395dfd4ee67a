"""Tuning: trials as jobs on an inner validation split, selection, budgets, samplers, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import familybench
from familybench.bench.execute.process import ProcessExecutor
from familybench.bench.results.select import normalised_scores, select_best
from familybench.bench.run.driver import RunOptions, execute, resolve_suite
from familybench.bench.suite.spec import SuiteError, parse_suite
from familybench.datasets import DatasetError, make_inner_splits, make_splits

ROOT = Path(__file__).resolve().parents[2]
GBM_SEARCH = {"num_leaves": {"low": 2, "high": 32, "log": True}, "learning_rate": {"low": 0.02, "high": 0.3, "log": True}}


def _suite(tune: dict, models: dict, datasets: dict | None = None, seeds: int = 1):
    return parse_suite({"seeds": seeds, "tune": tune, "datasets": datasets or {"moons": {"n_samples": 160}},
                        "models": models})


def _trials(directory) -> pd.DataFrame:
    frame = familybench.load_results(directory)
    return frame[frame["role"] == "trial"].sort_values(["config", "dataset", "seed", "trial"], ignore_index=True)


# -- suite syntax


@pytest.mark.parametrize(("tune", "message"), [
    ({"trials": 0}, "tune.trials"),
    ({"validation": 1.5}, "tune.validation"),
    ({"validation": {"kfold": 1}}, "tune.validation"),
    ({"sampler": "grid"}, "tune.sampler"),
    ({"refit": "yes"}, "tune.refit"),
    ({"budget": 3}, "tune.budget: unknown key"),
])
def test_bad_tune_tables_are_suite_errors(tune, message):
    with pytest.raises(SuiteError, match=message):
        _suite(tune, {"linear": {}})


def test_search_names_are_checked_before_any_job():
    with pytest.raises(SuiteError, match="num_leafs"):
        _suite({}, {"gbm": {"model": "lightgbm", "search": {"num_leafs": {"low": 2, "high": 8}}}})
    with pytest.raises(SuiteError, match="both params and search"):
        _suite({}, {"gbm": {"model": "lightgbm", "params": {"num_leaves": 4}, "search": {"num_leaves": [2, 4]}}})
    with pytest.raises(SuiteError, match="needs a \\[tune\\] table"):
        parse_suite({"datasets": ["moons"], "models": {"gbm": {"model": "lightgbm", "search": {"num_leaves": [2, 4]}}}})


def test_cli_tune_flags_add_a_tune_table():
    suite = resolve_suite(RunOptions(models=["linear"], datasets=["moons"], tune=7, tune_seconds=30))
    assert suite.tune.trials == 7 and suite.tune.time_budget == 30.0 and suite.tune.sampler == "random"
    assert resolve_suite(RunOptions(models=["linear"], datasets=["moons"])).tune is None


def test_params_are_checked_on_every_task_a_config_meets(tmp_path):
    # `C` exists for the classifier only: fine on a mix (regression jobs are skipped) ...
    with pytest.warns(UserWarning, match="regression datasets will be skipped"):
        suite = parse_suite({"datasets": {"moons": {"n_samples": 100}, "friedman1": {"n_samples": 100}},
                             "models": {"lin": {"model": "linear", "params": {"C": 0.5}}}})
    out = execute(suite, tmp_path, executor="serial")[1]
    by_dataset = {r["dataset"]: r for r in out}
    assert by_dataset["moons"]["status"] == "ok"
    assert by_dataset["friedman1"]["status"] == "skipped" and "C" in by_dataset["friedman1"]["error"]
    # ... but valid for no task of its datasets is a suite error naming the task
    with pytest.raises(SuiteError, match="task regression"):
        parse_suite({"datasets": {"friedman1": {}}, "models": {"lin": {"model": "linear", "params": {"C": 0.5}}}})


def test_fast_overlay_is_validated_like_the_suite(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('datasets = ["moons"]\nmodels = ["linear"]\n[fast]\ntrain_sizes = "abc"\n')
    with pytest.raises(SuiteError, match="train_sizes"):
        familybench.bench.suite.spec.load_suite(path)
    path.write_text('datasets = ["moons"]\nmodels = ["linear"]\n[fast]\nmodels = { lienar = {} }\n')
    with pytest.raises(SuiteError, match="fast.models.lienar"):
        familybench.bench.suite.spec.load_suite(path)


# -- the inner split


def test_inner_splits_stay_inside_the_training_rows_and_stratify():
    y = np.array([0] * 60 + [1] * 40)
    [outer] = make_splits(y, "binary", seed=3)
    for validation in ({"holdout": 0.25}, {"kfold": 3}):
        inner = make_inner_splits(y, "binary", outer.train, seed=3, validation=validation)
        assert len(inner) == (1 if "holdout" in validation else 3)
        for part in inner:
            assert set(part.train) | set(part.test) == set(outer.train) or "kfold" in validation
            assert not set(part.test) & set(outer.test) and not set(part.train) & set(outer.test)
            assert not set(part.train) & set(part.test)
            assert abs(y[part.test].mean() - 0.4) < 0.06  # stratified
        if "kfold" in validation:
            assert set().union(*(set(p.test) for p in inner)) == set(outer.train)
    assert make_inner_splits(y, "binary", outer.train, seed=3, validation={"holdout": 0.25}) == \
        make_inner_splits(y, "binary", outer.train, seed=3, validation={"holdout": 0.25})


def test_a_class_too_rare_for_the_validation_split_is_a_clear_reason():
    y = np.array([0] * 30 + [1] * 3)
    with pytest.raises(DatasetError, match="class 1 has 1 row"):
        make_inner_splits(y, "binary", np.arange(33), seed=0, validation={"holdout": 0.2})


# -- the leak canary


def _regression_csv(path: Path, seed: int = 0, n: int = 150) -> Path:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + rng.normal(0, 0.3, n)
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}).to_csv(path, index=False)
    return path


def _canary_suite(csv: Path, **tune):
    return parse_suite({"seeds": 2, "tune": {"trials": 6, **tune},
                        "datasets": {"table": {"path": str(csv), "target": "y", "task": "regression"}},
                        "models": {"canary": {"model": "tunemodels:Canary",
                                              "search": {"alpha": {"low": 1e-3, "high": 1e3, "log": True}}}}})


def test_test_rows_never_reach_fit_or_selection(tmp_path):
    from tunemodels import Canary

    csv = _regression_csv(tmp_path / "table.csv")
    Canary.fitted_on.clear()
    execute(_canary_suite(csv), tmp_path / "run", executor="serial")
    y = pd.read_csv(csv)["y"]
    test_rows = {seed: set(make_splits(y.to_numpy(), "regression", seed=seed)[0].test) for seed in (0, 1)}
    trials = _trials(tmp_path / "run")
    assert len(Canary.fitted_on) == len(familybench.load_results(tmp_path / "run"))  # trials + plot jobs
    assert {seed for seed, _ in Canary.fitted_on} == {0, 1}
    for seed, fitted in Canary.fitted_on:  # every fit: inner-train rows, never a test row
        assert not fitted & test_rows[seed]
        assert len(fitted) == int(trials["n_train"].iloc[0])

    # shuffling the test labels changes test scores but not one chosen trial
    shuffled = pd.read_csv(csv)
    rows = sorted(test_rows[0])
    shuffled.loc[rows, "y"] = np.random.default_rng(1).permutation(shuffled.loc[rows, "y"].to_numpy())
    csv2 = tmp_path / "shuffled.csv"
    shuffled.to_csv(csv2, index=False)
    execute(_canary_suite(csv2), tmp_path / "shuffled", executor="serial")
    first = select_best(familybench.load_results(tmp_path / "run"))
    second = select_best(familybench.load_results(tmp_path / "shuffled"))
    seed0 = first["seed"] == 0
    assert list(first["trial"]) == list(second["trial"])
    assert (first.loc[seed0, "valid_r2"].to_numpy() == second.loc[seed0, "valid_r2"].to_numpy()).all()
    assert (first.loc[seed0, "test_r2"].to_numpy() != second.loc[seed0, "test_r2"].to_numpy()).all()


# -- selection


def test_select_best_picks_on_validation_with_ties_to_the_default():
    rows = pd.DataFrame({
        "config": "m", "dataset": "d", "seed": 0, "fold": 0, "train_size": np.nan, "task": "regression",
        "role": "trial", "trial": [0, 1, 2, 3], "status": ["ok", "ok", "failed", "ok"],
        "valid_r2": [0.5, 0.5, np.nan, 0.4], "test_r2": [0.1, 0.9, np.nan, 0.95],
        "fit_seconds": [1.0, 1.0, np.nan, 1.0], "job_seconds": [1.1, 1.1, 0.5, 1.1],
        "tune_trials": 4, "tune_time_budget": np.nan, "error": [None, None, "boom", None], "job_key": list("abcd"),
    })
    chosen = select_best(rows).iloc[0]
    assert chosen["trial"] == 0 and chosen["test_r2"] == 0.1  # tie on validation: the default; test ignored
    assert chosen["n_trials"] == 4 and chosen["n_trials_failed"] == 1 and chosen["stop_reason"] == "trials"
    assert select_best(rows, trials=1).iloc[0]["n_trials"] == 1
    budget = select_best(rows, time_budget=1.6).iloc[0]  # trial 0 (1.0) fits, + trial 1 (2.0) does not
    assert budget["n_trials"] == 1 and budget["stop_reason"] == "time_budget"
    all_failed = select_best(rows.assign(status="failed", valid_r2=np.nan)).iloc[0]
    assert all_failed["status"] == "failed" and "4 of 4 trials failed" in all_failed["error"]
    untuned = rows.assign(role=None, trial=np.nan)
    assert len(select_best(untuned)) == 4  # untuned rows pass through


def test_normalisation_is_grinsztajns():
    ref = pd.DataFrame({"dataset": "d", "task": "regression", "status": "ok",
                        "test_r2": [0.0, 0.2, 0.4, 0.6, 1.0]})
    scores = normalised_scores(ref, ref)
    # q = median 0.4, max 1.0: (s - 0.4) / 0.6 clipped at 0
    assert np.allclose(scores, [0, 0, 0, (0.6 - 0.4) / 0.6, 1.0])
    cls = pd.DataFrame({"dataset": "c", "task": "binary", "status": "ok", "test_roc_auc": np.linspace(0.5, 1.0, 11)})
    q = np.quantile(cls["test_roc_auc"], 0.1)
    assert np.isclose(normalised_scores(cls, cls).iloc[5], (0.75 - q) / (1.0 - q))


# -- runs


@pytest.mark.e2e
def test_a_tuned_run_gives_equal_trials_per_family_and_reports_them(tmp_path):
    suite = _suite({"trials": 4}, {
        "linear": {},
        "gbm": {"model": "lightgbm", "params": {"n_estimators": 10}, "search": GBM_SEARCH},
        "ref": {"model": "lightgbm", "params": {"n_estimators": 10}, "tune": False},
    }, datasets={"moons": {"n_samples": 160}, "friedman1": {"n_samples": 160}})
    execute(suite, tmp_path, executor="serial")
    results = familybench.load_results(tmp_path)
    trials = results[results["role"] == "trial"]
    counts = trials.groupby(["config", "dataset"])["trial"].nunique()
    assert counts[("gbm", "moons")] == counts[("gbm", "friedman1")] == 4
    assert counts[("ref", "moons")] == 1 and counts[("linear", "friedman1")] == 1  # the listed exceptions
    t0 = trials[(trials["config"] == "gbm") & (trials["trial"] == 0)]
    assert len(t0) == 2 and all(p == {"n_estimators": 10} for p in t0["params"])  # trial 0 = the config's own params
    others = trials[(trials["config"] == "gbm") & (trials["trial"] > 0)]
    assert len(others) == 2 * 3 and all(set(GBM_SEARCH) <= set(p) for p in others["params"])
    assert trials["valid_r2"].notna().sum() + trials["valid_roc_auc"].notna().sum() == len(trials)
    from familybench.reports import write_report

    text = write_report(tmp_path).read_text()
    assert "Tuned: 4 trials per config per dataset × seed, random search, validation 20% of the training rows" in text
    assert "Ran trial 0 only" in text and "ref" in text.split("Ran trial 0 only")[1].split(".")[0]
    assert "Tuning budget" in text and "figures/budget-curves.png" in text and "Default against tuned" in text
    assert (tmp_path / "figures" / "budget-curves.png").stat().st_size > 10_000


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
@pytest.mark.e2e
def test_random_search_is_the_same_at_any_number_of_jobs(tmp_path):
    suite = _suite({"trials": 4}, {"gbm": {"model": "lightgbm", "params": {"n_estimators": 10},
                                           "search": GBM_SEARCH}}, seeds=2)
    execute(suite, tmp_path / "one", executor=ProcessExecutor(n_workers=1, threads=1))
    execute(suite, tmp_path / "two", executor=ProcessExecutor(n_workers=2, threads=1))
    one, two = _trials(tmp_path / "one"), _trials(tmp_path / "two")
    assert list(one["job_key"]) == list(two["job_key"])
    assert [json.dumps(p, sort_keys=True) for p in one["params"]] == [json.dumps(p, sort_keys=True) for p in two["params"]]
    assert np.allclose(one["valid_roc_auc"], two["valid_roc_auc"]) and np.allclose(one["test_roc_auc"], two["test_roc_auc"])


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
@pytest.mark.e2e
def test_resume_after_kill_9_mid_tuning_gives_the_same_trials(tmp_path):
    suite_file = tmp_path / "tune.toml"
    suite_file.write_text(
        'seeds = 2\ndatasets = { moons = { n_samples = 150 } }\n[tune]\ntrials = 8\n'
        '[models.gbm]\nmodel = "lightgbm"\nparams = { n_estimators = 10 }\n'
        'search = { num_leaves = { low = 2, high = 32, log = true } }\n[models.poly]\nmodel = "poly"\n'
        'search = { degree = { low = 1, high = 3 }, alpha = { low = 0.01, high = 10.0, log = true } }\n')
    command = [sys.executable, "-m", "familybench", "run", str(suite_file), "--serial"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    first = subprocess.Popen([*command, "--out", str(tmp_path / "killed")], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = tmp_path / "killed" / "results.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if store.is_file() and len(familybench.load_results(tmp_path / "killed")) >= 6:
            break
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    partial = len(familybench.load_results(tmp_path / "killed"))
    assert 6 <= partial < 2 * 2 * 8
    subprocess.run([*command, "--out", str(tmp_path / "killed")], env=env, check=True, capture_output=True)
    subprocess.run([*command, "--out", str(tmp_path / "whole")], env=env, check=True, capture_output=True)
    resumed, whole = _trials(tmp_path / "killed"), _trials(tmp_path / "whole")
    assert len(resumed) == len(whole) == 2 * 2 * 8
    assert list(resumed["job_key"]) == list(whole["job_key"])
    assert list(resumed["params"].map(json.dumps)) == list(whole["params"].map(json.dumps))
    assert np.allclose(resumed["valid_roc_auc"], whole["valid_roc_auc"])


@pytest.mark.e2e
def test_time_budget_stops_new_trials(tmp_path):
    suite = _suite({"trials": 40, "time_budget": 1.0}, {
        "sleepy": {"model": "tunemodels:Sleepy", "params": {"seconds": 0.2},
                   "search": {"alpha": {"low": 0.1, "high": 10.0}}}},
        datasets={"friedman1": {"n_samples": 100}})
    execute(suite, tmp_path, executor="serial")
    trials = _trials(tmp_path)
    # the budget is recorded fit time: ~5 trials of 0.2 s, far fewer than 40 whatever the machine
    assert 3 <= len(trials) < 15
    chosen = select_best(familybench.load_results(tmp_path)).iloc[0]
    assert chosen["stop_reason"] == "time_budget" and chosen["tuning_seconds"] <= 1.0


@pytest.mark.e2e
def test_refit_rows_carry_the_test_scores_and_export_best_params(tmp_path):
    suite = _suite({"trials": 3, "refit": True}, {
        "gbm": {"model": "lightgbm", "params": {"n_estimators": 10}, "search": GBM_SEARCH}})
    execute(suite, tmp_path, executor="serial")
    results = familybench.load_results(tmp_path)
    refits = results[results["role"] == "refit"]
    chosen = select_best(results).iloc[0]
    assert len(refits) in (1, 2) and chosen["test_from"] == "refit"
    refit = refits[refits["trial"] == chosen["trial"]].iloc[0]
    assert chosen["test_roc_auc"] == refit["test_roc_auc"] and refit["n_train"] > chosen["n_valid"]
    from familybench.bench.results.export import export_best_params

    path = export_best_params(tmp_path, tmp_path / "best.toml")
    suite2 = familybench.bench.suite.spec.load_suite(path)
    assert suite2.tune is None and suite2.models[0].params == refit["params"]


@pytest.mark.e2e
def test_tpe_beats_random_search_on_a_smooth_objective(tmp_path):
    pytest.importorskip("optuna")
    best = {}
    for sampler in ("random", "tpe"):
        scores = []
        for seed in range(3):
            suite = _suite({"trials": 25, "sampler": sampler, "seed": seed}, {
                "q": {"model": "tunemodels:Quadratic",
                      "search": {"a": {"low": 0.0, "high": 1.0}, "b": {"low": 0.0, "high": 1.0}}}},
                datasets={"friedman1": {"n_samples": 100}})
            execute(suite, tmp_path / f"{sampler}{seed}", executor="serial")
            trials = _trials(tmp_path / f"{sampler}{seed}")
            scores.append(trials["valid_r2"].max())
        best[sampler] = float(np.mean(scores))
    assert best["tpe"] > best["random"]
    tpe = _trials(tmp_path / "tpe0")
    assert list(tpe["told_trials"].dropna().astype(int)) == list(range(0, 24))  # --jobs 1: every earlier sample told


def test_tuned_and_untuned_runs_are_not_compared(tmp_path):
    from familybench.bench.compare.read import compare_runs

    execute(parse_suite({"datasets": {"moons": {"n_samples": 120}}, "models": ["linear"]}), tmp_path / "plain",
            executor="serial")
    execute(_suite({"trials": 2}, {"linear": {}}, {"moons": {"n_samples": 120}}), tmp_path / "tuned",
            executor="serial")
    with pytest.raises(familybench.FamilybenchError, match="tuned run with an untuned"):
        compare_runs(tmp_path / "plain", tmp_path / "tuned")
    assert not compare_runs(tmp_path / "tuned", tmp_path / "tuned").regressions


def test_inner_kfold_fits_k_models_per_trial(tmp_path):
    suite = _suite({"trials": 2, "validation": {"kfold": 3}}, {
        "poly": {"model": "poly", "search": {"alpha": {"low": 0.01, "high": 10.0, "log": True}}}},
        datasets={"friedman1": {"n_samples": 120}})
    execute(suite, tmp_path, executor="serial")
    trials = _trials(tmp_path)
    assert len(trials) == 2
    samples = trials["fit_seconds_samples"].iloc[0]
    assert len(samples) == 3 and np.isclose(trials["fit_seconds"].iloc[0], sum(samples), rtol=1e-3)
    assert trials["n_valid"].iloc[0] == 96  # out of fold: every training row once
    assert json.loads(trials["tune_validation"].iloc[0]) == {"kfold": 3}


def test_a_poly_expansion_past_the_cap_is_skipped_and_never_chosen(tmp_path):
    suite = _suite({"trials": 4}, {"poly": {"model": "poly", "params": {"max_features": 70},
                                            "search": {"degree": [1, 9]}}},
                   datasets={"friedman1": {"n_samples": 100}})
    execute(suite, tmp_path, executor="serial")
    trials = _trials(tmp_path)
    capped = trials[trials["params"].map(lambda p: p.get("degree") == 9)]
    assert len(capped) and (capped["status"] == "skipped").all()
    assert capped["error"].str.startswith("feature cap: ").all()
    chosen = select_best(familybench.load_results(tmp_path)).iloc[0]
    assert chosen["status"] == "ok" and chosen["params"].get("degree") != 9
    assert chosen["n_trials"] == 4 and chosen["n_trials_skipped"] == len(capped)  # every index counts


def test_a_configs_extra_params_merge_with_sampled_ones():
    from familybench.bench.plan.tuning import _merge_params

    merged = _merge_params({"extra_params": {"extra_trees": True}, "num_leaves": 8},
                           {"extra_params": {"max_bin": 63}, "n_estimators": 5})
    assert merged == {"extra_params": {"extra_trees": True, "max_bin": 63}, "num_leaves": 8, "n_estimators": 5}


def test_a_group_of_one_trial_draws_from_that_trial_without_a_plot_job(tmp_path):
    from familybench.bench.results.store import ResultStore

    suite = _suite({"trials": 1, "validation": 0.25}, {"linear": {}, "gbm": {"model": "lightgbm",
                                                                          "params": {"n_estimators": 10}}})
    assert suite.artefacts  # the default report draws: grid predictions per job
    execute(suite, tmp_path / "one", executor="serial")
    rows = familybench.load_results(tmp_path / "one")
    assert list(rows["role"]) == ["trial", "trial"]  # one fit per group, no second "plot" fit
    with ResultStore(tmp_path / "one", create=False) as store:
        grids = store.artefacts("grid")
    chosen = select_best(rows)
    assert list(chosen["plot_key"]) == list(chosen["job_key"]) and all(key in grids for key in chosen["job_key"])
    # two trials: the chosen one is known only after both, and a plot job draws it
    execute(_suite({"trials": 2, "validation": 0.25}, {"gbm": {"model": "lightgbm", "params": {"n_estimators": 10},
                                                               "search": GBM_SEARCH}}), tmp_path / "two",
            executor="serial")
    two = familybench.load_results(tmp_path / "two")
    assert sorted(two["role"]) == ["plot", "trial", "trial"]
    assert select_best(two)["plot_key"].iloc[0] == two.loc[two["role"] == "plot", "job_key"].iloc[0]
