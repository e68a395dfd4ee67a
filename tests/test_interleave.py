"""Interleaved A/B comparison on two local commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def test_interleave_flags_a_slowdown_between_two_commits(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    (repo / "suite.toml").write_text(
        'seeds = 4\nrepeats = 3\ndatasets = { sine1d = { n_samples = 200 } }\nmodels = ["linear", "poly"]\n'
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "A")
    linear = repo / "src" / "familybench" / "models" / "_linear.py"
    text = linear.read_text()
    slowed = text.replace(
        "        self.model_ = LinearRegression().fit(Xt, y)\n",
        "        import time\n\n        time.sleep(0.05)\n        self.model_ = LinearRegression().fit(Xt, y)\n",
    )
    assert slowed != text
    linear.write_text(slowed)
    _git(repo, "commit", "-qam", "B: slower linear")

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "familybench", "compare", "--interleave", "--baseline-ref", "HEAD~1", "suite.toml",
         "--out", str(tmp_path / "ab"), "--markdown", str(tmp_path / "ab.md")],
        cwd=repo, capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = (tmp_path / "ab.md").read_text()
    assert report.startswith("**❌ familybench compare: 1 regression: linear on sine1d (fit ×")
    assert "(interleaved)" in report
    assert (tmp_path / "ab" / "baseline" / "results.sqlite").is_file()
