"""Bugs the property tests found, each kept as a plain regression test."""

from __future__ import annotations

import pytest

from familybench.cli import main

CASES = [
    '"datasets" = [[]]\n"models" = ["linear"]\n',
    '"datasets" = { "moons" = { "path" = false } }\n"models" = ["linear"]\n',
    '"seeds" = 4332044672\n',
]


@pytest.mark.parametrize("text", CASES)
def test_malformed_suite_is_a_one_line_error(tmp_path, capsys, text):
    path = tmp_path / "suite.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["run", str(path), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("familybench: error:")


# A review found these passing --check and then failing every job or the run (exit 70):
# TOML's nan and inf are numbers, and every number the suite sets must be finite.
NON_FINITE = [
    "timeout = nan\n", "timeout = inf\n", "test_size = nan\n", "[compare]\nfit_seconds = nan\n",
    "[tune]\ntrials = 3\ntime_budget = inf\n", "[models.linear]\ntimeout = nan\n",
    "[models.linear]\ncompare = { predict_seconds = inf }\n",
]


@pytest.mark.parametrize("text", NON_FINITE)
def test_a_non_finite_number_in_a_suite_is_a_one_line_error(tmp_path, capsys, text):
    path = tmp_path / "suite.toml"
    models = "" if "[models." in text else 'models = ["linear"]\n'
    path.write_text('datasets = ["moons"]\n' + models + text, encoding="utf-8")
    assert main(["run", str(path), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "finite" in err[0], err


@pytest.mark.parametrize("flag", ["--timeout", "--tune-seconds"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_non_finite_number_on_the_command_line_is_a_one_line_error(tmp_path, capsys, flag, value):
    argv = ["run", "--models", "linear", "--datasets", "moons", "--out", str(tmp_path), flag, value, "--check"]
    if flag == "--tune-seconds":
        argv += ["--tune", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "finite" in err[0], err
