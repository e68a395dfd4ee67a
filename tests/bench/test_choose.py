"""`familybench run --data FILE --target Y` alone (issue 24): every family's best members over
repeated splits, the time said up front, the report opening with the verdict."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from familybench.bench.plan.jobs import expand
from familybench.bench.run.driver import resolve_suite
from familybench.bench.run.estimate import Estimate, estimate
from familybench.bench.run.options import RunOptions
from familybench.bench.suite.spec import load_suite, parse_suite


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    path = tmp_path / "my sales.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": X[:, 0] ** 2 + X[:, 1]}).to_csv(path, index=False)
    return path


def test_data_alone_runs_every_familys_best_members_over_repeated_splits(table):
    suite = resolve_suite(RunOptions(data=str(table), target="y"))
    assert [m.config for m in suite.models] == ["linear", "poly", "lightgbm", "catboost", "realmlp", "tabm"]
    assert {m.model for m in suite.models} == {"linear", "poly", "lightgbm", "catboost", "realmlp", "tabm"}
    assert suite.seeds == (0, 1) and suite.split == {"kfold": 5}  # 10 paired splits
    assert suite.tune is not None and suite.tune.trials == 1  # a validation score per job: members, portfolio
    assert [d.name for d in suite.datasets] == ["my sales"] and suite.name == "choose-my-sales"
    assert len(expand(suite)) == 6 * 2 * 5
    fast = resolve_suite(RunOptions(data=str(table), target="y", fast=True))
    assert fast.seeds == (0,) and {m.config: m.params.get("n_epochs") for m in fast.models}["tabm"] == 48


def test_data_with_models_keeps_the_repeated_splits(table):
    suite = resolve_suite(RunOptions(data=str(table), target="y", models=["linear", "poly"], fast=True))
    assert [m.config for m in suite.models] == ["linear", "poly"]
    assert suite.split == {"kfold": 5} and suite.seeds == (0,)
    with pytest.raises(Exception, match="--target COLUMN is required"):
        resolve_suite(RunOptions(data=str(table)))


def test_the_choose_suite_runs_by_name_on_a_stand_in_table():
    suite = load_suite("choose")
    assert [d.name for d in suite.datasets] == ["concrete"]


def test_the_estimate_extrapolates_pilot_fits_to_the_jobs(table):
    suite = parse_suite({"seeds": 1, "split": {"kfold": 3}, "tune": {"trials": 2, "validation": 0.25},
                         "datasets": {"t": {"path": str(table), "target": "y"}},
                         "models": {"linear": {}, "broken": {"model": "lightgbm", "params": {"num_leaves": -3}}}})
    jobs = expand(suite)
    result = estimate(suite, jobs, slots=2, threads=1)
    assert isinstance(result, Estimate)
    assert result.jobs == len(jobs) * 2  # each job stands for its 2 trials
    assert set(result.per_config) == {"linear"} and result.per_config["linear"] > 0
    assert "broken" in result.failed  # named, not raised: its jobs fail with their own message
    assert result.seconds >= result.per_config["linear"]
    assert "on this machine with 2 at once" in result.text() and "not estimated: broken" in result.text()


@pytest.mark.e2e
def test_the_cli_says_how_long_before_running_and_opens_with_the_verdict(table, tmp_path, capsys):
    from familybench.cli import main

    out = tmp_path / "out"
    assert main(["run", "--data", str(table), "--target", "y", "--models", "linear,poly", "--fast",
                 "--serial", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "familybench: 2 models on my sales over 1 seed(s) × 5 fold(s); measuring how long" in err
    assert re.search(r"familybench: 10 jobs, about [0-9.]+ (s|min) on this machine with 1 at once", err)
    report = (out / "report.md").read_text()
    assert report.index("## Verdict") < report.index("## Run")
    assert "corrected resampled t-test over 5 paired splits" in report
    # a linear and a polynomial model are two families: the portfolio is one ensemble of both
    assert "**Portfolio:** an ensemble of every family's trials" in report



def test_data_alone_leaves_out_members_whose_libraries_are_missing(table, monkeypatch):
    from importlib import metadata

    real = metadata.version

    def version(dist):
        if dist in ("catboost", "pytabkit"):
            raise metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(metadata, "version", version)
    with pytest.warns(UserWarning, match=r"leaving out catboost, realmlp, tabm \(not installed: catboost, pytabkit"):
        suite = resolve_suite(RunOptions(data=str(table), target="y", task="regression"))
    assert [m.config for m in suite.models] == ["linear", "poly", "lightgbm"]
