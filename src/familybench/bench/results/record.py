"""The flat, versioned result record: one row per job.

Raw timing samples are kept (``fit_seconds_samples``); statistics are derived from them.
``SCHEMA_VERSION`` changes whenever a column is added, renamed or changes meaning, and
:func:`upgrade` brings older rows forward.
"""

from __future__ import annotations

import math
from enum import Enum

from familybench.bench.results.metrics import ALL_METRICS

SCHEMA_VERSION = 3


class Status(str, Enum):
    """How a job ended; stored as the plain string (``Status.OK == "ok"``)."""

    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"
    OOM = "oom"  # killed for using more memory than its limit
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


STATUSES = tuple(s.value for s in Status)
#: The statuses as plain strings, for code that writes records (SQLite stores str).
OK, FAILED, TIMEOUT, OOM, SKIPPED = STATUSES
#: Statuses of a job that ran and did not succeed (``--retry-failed`` re-runs these).
BAD_STATUSES = (Status.FAILED.value, Status.TIMEOUT.value, Status.OOM.value)
#: Statuses that end a job for good: resume does not run it again.
FINISHED_STATUSES = STATUSES


class Protocol(str, Enum):
    """How a row's model was chosen (TabArena's three protocols)."""

    DEFAULT = "default"  # the config's defaults (trial 0, or an untuned job)
    TUNED = "tuned"  # the trial chosen on validation
    ENSEMBLED = "ensembled"  # a post-hoc ensemble of trials (bench/results/ensemble.py)

    def __str__(self) -> str:
        return self.value


class Role(str, Enum):
    """What a tuned job is for (untuned jobs have no role)."""

    TRIAL = "trial"  # one sampled configuration, fit on the inner-train rows, scored on validation
    REFIT = "refit"  # the chosen (or default) trial refit on all training rows
    PLOT = "plot"  # the chosen trial again, with the artefacts the reports draw

    def __str__(self) -> str:
        return self.value

# name -> SQLite type. Order is the column order of load_results().
COLUMNS: dict[str, str] = {
    "schema_version": "INTEGER",
    "run_id": "TEXT",
    "job_key": "TEXT",
    "config": "TEXT",
    "model": "TEXT",
    "family": "TEXT",
    "params": "TEXT",  # JSON: the full parameter set the estimator was built with
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
    # -- version 2: tuning (trials as jobs, scored on an inner validation split)
    "trial": "INTEGER",  # trial index (0 = the config's own params); NULL for untuned jobs
    "role": "TEXT",  # Role: trial | refit | plot; NULL for untuned jobs
    "search_params": "TEXT",  # JSON: the sampled point, in the search space's names
    **{f"valid_{m}": "REAL" for m in ALL_METRICS},
    "n_valid": "INTEGER",
    "tune_trials": "INTEGER",
    "tune_time_budget": "REAL",
    "tune_sampler": "TEXT",
    "tune_validation": "TEXT",  # JSON: {"holdout": 0.2} or {"kfold": 3}
    "tune_refit": "INTEGER",
    "told_trials": "INTEGER",  # trials told to the sampler when this one was asked
    # provenance, collected where the job ran (not part of job_key)
    "familybench_version": "TEXT",
    "libs_digest": "TEXT",  # digest of the versions of the libraries the numbers depend on
    "source_commit": "TEXT",  # familybench's own source: git commit, or "files:<digest>"
}

# Numbered schema migrations: version -> the columns that version added. The store runs
# them in order, as the writer, when it opens an older file (readers never write), with
# any step of its own tables (``store._TABLE_STEPS``).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: ("trial", "role", "search_params", *(f"valid_{m}" for m in ALL_METRICS), "n_valid", "tune_trials",
        "tune_time_budget", "tune_sampler", "tune_validation", "tune_refit", "told_trials",
        "familybench_version", "libs_digest", "source_commit"),
    # version 3: no new column; grid predictions and dataset views move from their own
    # tables (predictions, dataset_views) into the generic artefacts table
    3: (),
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
    """Bring a stored record to the current schema: columns added since it was written are
    missing (NaN / None); version 1 rows are untuned jobs, which is what NULL tuning
    columns mean."""
    version = record.get("schema_version") or 1
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"result written by a newer familybench (schema {version} > {SCHEMA_VERSION}); upgrade familybench"
        )
    return {**empty_record(), **record, "schema_version": SCHEMA_VERSION}
