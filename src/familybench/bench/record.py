"""The flat, versioned result record: one row per job.

Raw timing samples are kept (``fit_seconds_samples``); statistics are derived from them.
``SCHEMA_VERSION`` changes whenever a column is added, renamed or changes meaning, and
:func:`upgrade` brings older rows forward.
"""

from __future__ import annotations

import math

from .metrics import ALL_METRICS

SCHEMA_VERSION = 1
STATUSES = ("ok", "failed", "timeout", "skipped")

# name -> SQLite type. Order is the column order of load_results().
COLUMNS: dict[str, str] = {
    "schema_version": "INTEGER",
    "run_id": "TEXT",
    "job_key": "TEXT",
    "config": "TEXT",
    "model": "TEXT",
    "family": "TEXT",
    "params": "TEXT",  # JSON
    "dataset": "TEXT",
    "task": "TEXT",
    "seed": "INTEGER",
    "fold": "INTEGER",
    "train_size": "INTEGER",
    "status": "TEXT",
    "error": "TEXT",
    "error_detail": "TEXT",
    **{f"{side}_{m}": "REAL" for side in ("train", "test") for m in ALL_METRICS},
    "fit_seconds": "REAL",
    "fit_seconds_samples": "TEXT",  # JSON list
    "predict_seconds": "REAL",
    "predict_rows_per_second": "REAL",
    "score_seconds": "REAL",
    "transfer_seconds": "REAL",
    "job_seconds": "REAL",
    "peak_rss_bytes": "INTEGER",
    "n_params": "INTEGER",
    "n_train": "INTEGER",
    "n_test": "INTEGER",
    "n_features": "INTEGER",
    "n_epochs": "INTEGER",
    "device": "TEXT",
    "threads": "INTEGER",
    "worker": "TEXT",
    "finished_at": "TEXT",
}


def empty_record(**values) -> dict:
    """A record with every column present (missing numbers are NaN, text None)."""
    record = {name: (math.nan if kind == "REAL" else None) for name, kind in COLUMNS.items()}
    record["schema_version"] = SCHEMA_VERSION
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not result columns: {sorted(unknown)}")
    record.update(values)
    return record


def upgrade(record: dict) -> dict:
    """Bring a stored record to the current schema (none older than version 1 exists yet)."""
    version = record.get("schema_version") or 1
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"result written by a newer familybench (schema {version} > {SCHEMA_VERSION}); upgrade familybench"
        )
    return {**empty_record(), **record, "schema_version": SCHEMA_VERSION}
