"""The history store: ``DIR/history.sqlite``, one row per config × dataset × seed × fold of
every run added, keyed by commit and by the machine and environment it ran on.

Adding is idempotent per (commit, machine, suite): adding a run again for the same commit
on the same machine replaces what that commit had there. Series never mix machines: the
machine key is a digest of the hardware a run reports (CPU, CPU count, memory, platform,
threads per job, parallel jobs, device) or the name given with ``--machine`` (one key for a
self-hosted runner), and the environment key a digest of Python's and the libraries'
versions (a dependency bump starts new series, as asv does).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from familybench._errors import FamilybenchError

DEFAULT_DIR = Path("reports") / "history"
FILE = "history.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    machine TEXT NOT NULL, environment TEXT NOT NULL, suite TEXT NOT NULL, commit_sha TEXT NOT NULL,
    commit_date TEXT NOT NULL, added_at TEXT NOT NULL, run_dir TEXT, machine_info TEXT, environment_info TEXT,
    n_rows INTEGER, PRIMARY KEY (machine, environment, suite, commit_sha));
CREATE TABLE IF NOT EXISTS points (
    machine TEXT NOT NULL, environment TEXT NOT NULL, suite TEXT NOT NULL, commit_sha TEXT NOT NULL,
    config TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER, fold INTEGER, metric TEXT,
    quality REAL, fit_seconds REAL, predict_seconds REAL, status TEXT);
CREATE INDEX IF NOT EXISTS points_by_entry ON points (machine, environment, suite, commit_sha);
"""
POINT_COLUMNS = ["config", "dataset", "seed", "fold", "metric", "quality", "fit_seconds", "predict_seconds",
                 "status"]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def machine_info(meta: dict) -> dict:
    """What the machine key is made of: the run's hardware and how jobs were placed on it."""
    gib = meta.get("memory_bytes")
    return {"cpu": meta.get("cpu"), "cpu_count": meta.get("cpu_count"),
            "memory_gib": round(gib / 2**30) if gib else None, "platform": meta.get("platform"),
            "threads_per_job": meta.get("threads_per_job"), "parallel_jobs": meta.get("parallel_jobs"),
            "device": meta.get("device")}


def environment_info(meta: dict) -> dict:
    versions = dict(meta.get("versions") or {})
    versions.pop("familybench", None)  # the code under test: its commit is the x axis
    return {"python": meta.get("python"), "versions": versions}


def commit_date(sha: str, cwd: str | Path | None = None) -> str | None:
    """The commit's committer date (ISO 8601) from git, or None outside a checkout."""
    try:
        out = subprocess.run(["git", "show", "-s", "--format=%cI", sha], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.stdout.strip()
    return text if out.returncode == 0 and text else None


@dataclass(frozen=True)
class Added:
    """What ``add`` did: the keys and how many rows, and whether it replaced an earlier add."""

    machine: str
    environment: str
    suite: str
    commit: str
    rows: int
    replaced: bool

    def text(self) -> str:
        verb = "replaced" if self.replaced else "added"
        return (f"{verb} {self.rows} rows of suite {self.suite!r} at commit {self.commit[:12]} "
                f"(machine {self.machine}, environment {self.environment})")


class HistoryStore:
    """``DIR/history.sqlite`` (see the module docstring)."""

    def __init__(self, directory: str | Path = DEFAULT_DIR, *, create: bool = True):
        self.directory = Path(directory)
        path = self.directory / FILE
        if not path.exists() and not create:
            raise FamilybenchError(f"{self.directory}: no history here (familybench history add RUN_DIR "
                                   f"--history {self.directory} starts one)")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def add(self, run_dir: str | Path, *, commit: str | None = None, date: str | None = None,
            machine: str | None = None) -> Added:
        """Add a results directory's selected rows (``select_best``, full training size)."""
        from familybench.bench.results.metrics import MAIN_METRIC
        from familybench.bench.results.select import select_best
        from familybench.bench.results.store import ResultStore, load_results

        run_dir = Path(run_dir)
        if not (run_dir / "results.sqlite").is_file():
            raise FamilybenchError(f"{run_dir}: no results.sqlite (give the directory a familybench run wrote)")
        with ResultStore(run_dir, create=False) as store:
            runs = store.runs()
        if not runs:
            raise FamilybenchError(f"{run_dir}: the store records no run to take the machine and commit from")
        last = runs[-1]
        meta = last["meta"]
        commit = commit or meta.get("git_commit")
        if not commit:
            raise FamilybenchError(f"{run_dir}: the run recorded no git commit; give --commit SHA")
        date = date or commit_date(commit) or last.get("started_at") or datetime.now(timezone.utc).isoformat()
        suite = str(last["suite"].get("name") or run_dir.name)
        tune = next((r["suite"]["tune"] for r in reversed(runs) if r["suite"].get("tune")), None)
        rows = select_best(load_results(run_dir), trials=tune.get("trials") if tune else None,
                           time_budget=tune.get("time_budget") if tune else None)
        rows = rows[rows["train_size"].isna()] if "train_size" in rows else rows
        if rows.empty:
            raise FamilybenchError(f"{run_dir}: no finished rows to add")
        metric = rows["task"].map(lambda t: MAIN_METRIC.get(t) if isinstance(t, str) else None)
        quality = [row.get(f"test_{m}") if m else None for (_, row), m in zip(rows.iterrows(), metric, strict=True)]
        points = pd.DataFrame({
            "config": rows["config"].astype(str), "dataset": rows["dataset"].astype(str),
            "seed": rows["seed"].astype("Int64"), "fold": rows["fold"].astype("Int64"), "metric": metric,
            "quality": pd.to_numeric(pd.Series(quality, index=rows.index), errors="coerce"),
            "fit_seconds": pd.to_numeric(rows["fit_seconds"], errors="coerce"),
            "predict_seconds": pd.to_numeric(rows["predict_seconds"], errors="coerce"),
            "status": rows["status"].astype(str)})
        m_info, e_info = machine_info(meta), environment_info(meta)
        machine_key = machine or _digest(m_info)
        environment_key = _digest(e_info)
        key = (machine_key, environment_key, suite, commit)
        with self.db:
            replaced = self.db.execute("SELECT COUNT(*) FROM entries WHERE machine=? AND environment=? AND suite=? "
                                       "AND commit_sha=?", key).fetchone()[0] > 0
            self.db.execute("DELETE FROM entries WHERE machine=? AND environment=? AND suite=? AND commit_sha=?", key)
            self.db.execute("DELETE FROM points WHERE machine=? AND environment=? AND suite=? AND commit_sha=?", key)
            self.db.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (*key, date, datetime.now(timezone.utc).isoformat(timespec="seconds"), str(run_dir),
                             json.dumps(m_info, default=str), json.dumps(e_info, default=str), len(points)))
            self.db.executemany(
                "INSERT INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*key, *(None if pd.isna(v) else (int(v) if c in ("seed", "fold") else v)
                          for c, v in zip(POINT_COLUMNS, values, strict=True)))
                 for values in points[POINT_COLUMNS].itertuples(index=False)])
        return Added(machine_key, environment_key, suite, commit, len(points), replaced)

    def entries(self) -> pd.DataFrame:
        """One row per added run, in commit order per machine, environment and suite."""
        frame = pd.read_sql_query("SELECT * FROM entries", self.db)
        return frame.sort_values(["machine", "environment", "suite", "commit_date", "added_at"], ignore_index=True)

    def points(self) -> pd.DataFrame:
        """Every stored row with its entry's commit date and its position in commit order."""
        points = pd.read_sql_query("SELECT * FROM points", self.db)
        entries = self.entries()
        entries["order"] = entries.groupby(["machine", "environment", "suite"]).cumcount()
        return points.merge(entries[["machine", "environment", "suite", "commit_sha", "commit_date", "order"]],
                            on=["machine", "environment", "suite", "commit_sha"], how="left")


def load_history(directory: str | Path = DEFAULT_DIR) -> pd.DataFrame:
    """Every point of a history directory (``familybench history add`` wrote it).

    Returns one row per config × dataset × seed × fold of every run added: ``machine``,
    ``environment``, ``suite``, ``commit_sha``, ``commit_date``, ``order`` (the commit's
    position in its machine × environment × suite series), ``metric``, ``quality``,
    ``fit_seconds``, ``predict_seconds``, ``status``. ``familybench.bench.history.detect.analyse``
    turns it into level changes and open regressions. Raises ``FamilybenchError`` when the
    directory holds no history.
    """
    with HistoryStore(directory, create=False) as store:
        return store.points()
