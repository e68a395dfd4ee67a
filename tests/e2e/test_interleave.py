"""Interleaved A/B comparison on two local commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def _repo_with_a_changed_linear_fit(tmp_path, suite: str, inserted: str, message: str) -> Path:
    """A copy of the project with two commits: A, then B with ``inserted`` before linear's fit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    (repo / "suite.toml").write_text(suite)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "A")
    linear = repo / "src" / "familybench" / "models" / "_linear.py"
    text = linear.read_text()
    fit = "        self.model_ = LinearRegression().fit(Xt, y)\n"
    changed = text.replace(fit, inserted + fit)
    assert changed != text
    linear.write_text(changed)
    _git(repo, "commit", "-qam", message)
    return repo


def _compare_interleaved(repo: Path, tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    """``familybench compare --interleave`` of HEAD~1 against the working tree of ``repo``."""
    return subprocess.run(
        [sys.executable, "-m", "familybench", "compare", "--interleave", "--baseline-ref", "HEAD~1", "suite.toml",
         "--out", str(tmp_path / "ab"), "--markdown", str(tmp_path / "ab.md")],
        cwd=repo, capture_output=True, text=True, env=env, timeout=600,
    )


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_interleave_flags_a_slowdown_between_two_commits(tmp_path):
    repo = _repo_with_a_changed_linear_fit(
        tmp_path, 'seeds = 4\nrepeats = 3\ndatasets = { sine1d = { n_samples = 200 } }\nmodels = ["linear", "poly"]\n',
        "        import time\n\n        time.sleep(0.05)\n", "B: slower linear")

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = _compare_interleaved(repo, tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    report = (tmp_path / "ab.md").read_text()
    assert report.startswith("**❌ familybench compare: 1 regression: linear on sine1d (fit ×")
    assert "(interleaved)" in report
    assert (tmp_path / "ab" / "baseline" / "results.sqlite").is_file()


@pytest.mark.slow  # ~20 s: two hung jobs run to their timeout on each side (nox -s slow)
def test_the_gate_sees_a_pull_request_that_makes_a_job_hang(tmp_path):
    repo = _repo_with_a_changed_linear_fit(
        tmp_path, 'seeds = 2\ntimeout = 3\ndatasets = { sine1d = { n_samples = 100 } }\nmodels = ["linear", "poly"]\n',
        "        import sys\n        import time\n\n        print('linear is stuck', file=sys.stderr, flush=True)\n"
        "        time.sleep(3600)\n", "B: linear hangs")

    # the hanging fit also hangs the side's warm-up: bounded, it is a cold start, not a stuck gate
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "FAMILYBENCH_WARM_UP_TIMEOUT": "2"}
    result = _compare_interleaved(repo, tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    report = (tmp_path / "ab.md").read_text()
    assert "linear on sine1d (now timeout (2/2)" in report
    import familybench

    current = familybench.load_results(tmp_path / "ab" / "current")
    stuck = current[current["config"] == "linear"]
    assert set(stuck["status"]) == {"timeout"} and stuck["error_detail"].str.contains("linear is stuck").all()
    assert (familybench.load_results(tmp_path / "ab" / "baseline")["status"] == "ok").all()


def test_a_job_missing_from_the_current_runs_plan_is_a_status_regression(tmp_path):
    import familybench
    from familybench.bench.compare.read import compare_runs
    from familybench.bench.results.store import ResultStore
    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import parse_suite

    suite = parse_suite({"seeds": 2, "datasets": {"moons": {"n_samples": 100}}, "models": ["linear", "poly"]})
    execute(suite, tmp_path / "base", executor="serial")
    execute(suite, tmp_path / "cur", executor="serial")
    with ResultStore(tmp_path / "cur") as store:  # a job the current run planned, lost without a record
        store._db.execute("DELETE FROM results WHERE config = 'poly' AND seed = 1")
        store._db.commit()
    comparison = compare_runs(tmp_path / "base", tmp_path / "cur")
    assert [r.config for r in comparison.regressions] == ["poly"]
    assert "now missing (1/2)" in comparison.regressions[0].status_regression
    # outside the plan (a config the current run never had): not compared, not a regression
    execute(parse_suite({"seeds": 2, "datasets": {"moons": {"n_samples": 100}}, "models": ["linear"]}),
            tmp_path / "lin", executor="serial")
    other = compare_runs(tmp_path / "base", tmp_path / "lin")
    assert not other.regressions and other.missing == ["poly on moons"]
    assert len(familybench.load_results(tmp_path / "cur")) == 3
