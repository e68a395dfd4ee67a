"""The command line as a user meets it: exit codes, one-line errors, resume after kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def fb(*args, cwd=None, timeout=180):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "familybench", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def test_list_commands():
    models = fb("list", "models")
    assert models.returncode == 0 and "lightgbm" in models.stdout and "boosting" in models.stdout
    datasets = fb("list", "datasets")
    assert datasets.returncode == 0 and "wedge" in datasets.stdout and "diamonds" in datasets.stdout
    suites = fb("list", "suites")
    assert suites.returncode == 0 and "quick" in suites.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--suite", "nope"], "unknown suite 'nope'"),
        (["run", "--models", "lightgmb", "--datasets", "moons"], "unknown model 'lightgmb'"),
        (["run", "--models", "linear", "--datasets", "moonz"], "unknown dataset 'moonz'"),
        (["run", "--suite", "quick", "--models", "xgboost"], "--models: 'xgboost' not in this suite"),
        (["run", "--models", "linear", "--data", "missing.csv", "--target", "y"], "file not found"),
        (["report", "no_such_dir"], "no results here"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, args, message):
    result = fb(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_users_file_wrong_target_column_is_named(tmp_path):
    (tmp_path / "houses.csv").write_text("area,price\n50,100\n60,120\n70,150\n80,160\n")
    result = fb("run", "--models", "linear", "--data", "houses.csv", "--target", "prize", cwd=tmp_path)
    assert result.returncode == 2
    assert "houses.csv" in result.stderr and "prize" in result.stderr and "Traceback" not in result.stderr


def test_run_on_users_csv_then_strict_failure_exit_codes(tmp_path, monkeypatch, capsys):
    rows = "\n".join(f"{i},{i % 7},{2 * i + (i % 7) ** 2}" for i in range(120))
    (tmp_path / "houses.csv").write_text("area,rooms,price\n" + rows + "\n")
    ok = fb("run", "--models", "linear", "--data", "houses.csv", "--target", "price", "--seeds", "1",
            "--out", "out", "--serial", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out" / "results.sqlite").is_file() and (tmp_path / "out" / "report.md").is_file()
    assert "houses" in ok.stdout and "r2" in ok.stdout
    assert ok.stdout.strip().splitlines()[-1] == (
        f"report: {Path('out', 'report.html')} (and report.md, figures in {Path('out', 'figures')})"
    )
    assert (tmp_path / "out" / "report.html").is_file()
    suite = tmp_path / "bad.toml"
    suite.write_text('seeds = 1\ndatasets = { sine1d = { n_samples = 100 } }\n[models.boom]\nmodel = "badmodels:Boom"\n[models.linear]\n')
    # the exit codes in this process (the subprocess above checked the command itself)
    from familybench.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(TESTS))  # badmodels
    assert main(["run", str(suite), "--out", "bad", "--serial"]) == 0
    assert "1 of 2 jobs failed" in capsys.readouterr().err
    assert main(["run", str(suite), "--out", "bad", "--serial", "--strict", "--retry-failed"]) == 1


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_kill_9_loses_only_jobs_in_flight_and_resume_finishes(tmp_path):
    suite = tmp_path / "slow.toml"
    suite.write_text(
        "seeds = 8\ndatasets = { sine1d = { n_samples = 100 } }\n"
        '[models.sleepy]\nmodel = "badmodels:Sleepy"\nparams = { seconds = 0.4 }\n'
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "familybench", "run", str(suite), "--out", "out"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    db_path = tmp_path / "out" / "results.sqlite"
    done = 0
    deadline = time.time() + 120
    while time.time() < deadline and done < 3:
        time.sleep(0.1)
        if db_path.exists():
            try:
                with sqlite3.connect(db_path, timeout=1) as db:
                    done = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.Error:
                pass
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= done < 8
    with sqlite3.connect(db_path) as db:
        survived = db.execute("SELECT COUNT(*) FROM results WHERE status = 'ok'").fetchone()[0]
    assert survived >= 3
    resumed = fb("run", str(suite), "--out", "out", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{8 - survived} jobs to run, {survived} already done (resuming)" in resumed.stderr
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT job_key) FROM results").fetchone() == (8, 8)


def test_export_command(tmp_path):
    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import parse_suite

    execute(parse_suite({"datasets": ["sine1d"], "models": ["linear"], "seeds": 1}), tmp_path / "o", executor="serial")
    result = fb("export", "o", "o/results.csv", cwd=tmp_path)
    assert result.returncode == 0 and (tmp_path / "o" / "results.csv").read_text().startswith("schema_version,")
