"""Stores as older familybench versions wrote them, for the migration and reader tests."""

from __future__ import annotations

import sqlite3

from familybench.bench.results.record import COLUMNS, empty_record
from familybench.bench.results.store import _columns_at


def legacy_store(directory, version: int, record: dict, *, plan: bool = False):
    """``directory/results.sqlite`` with schema ``version``'s columns and tables (results,
    runs, predictions, dataset_views; ``plan`` from schema 2) holding one ``record``
    (``empty_record`` fields; the columns of later schemas are dropped). Returns the
    open connection, to add rows or pragmas; the caller commits and closes it."""
    directory.mkdir(parents=True, exist_ok=True)
    columns = _columns_at(version)
    db = sqlite3.connect(directory / "results.sqlite")
    db.execute(f"CREATE TABLE results ({', '.join(f'{c} {COLUMNS[c]}' for c in columns)}, PRIMARY KEY (job_key))")
    db.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT, finished_at TEXT, "
               "wall_seconds REAL, suite TEXT, meta TEXT)")
    db.execute("CREATE TABLE predictions (job_key TEXT PRIMARY KEY, payload BLOB)")
    db.execute("CREATE TABLE dataset_views (dataset TEXT PRIMARY KEY, payload BLOB)")
    if plan:
        db.execute("CREATE TABLE plan (run_id TEXT, config TEXT, dataset TEXT, seed INTEGER, fold INTEGER, "
                   "train_size INTEGER)")
    row = {c: v for c, v in empty_record(**record).items() if c in columns}
    row["schema_version"] = version
    db.execute(f"INSERT INTO results ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return db
