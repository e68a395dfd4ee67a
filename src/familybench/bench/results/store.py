"""The results store: one SQLite file per output directory, written as each job finishes.

Each result is committed in its own transaction (WAL journal while a run writes), so
killing the process — even with ``kill -9`` — loses at most the jobs in flight.
``job_key`` is the primary key: a job re-run replaces its row, never duplicates it.

Only a writer (a run) creates, migrates or changes the file. It runs the numbered schema
migrations of ``record.MIGRATIONS`` on an older store, and on close checkpoints the WAL and
returns to a rollback journal, so readers (``load_results``, reports, compare, export)
open the file read-only and leave it byte-for-byte unchanged.

Artefacts (``familybench.artefacts``: the arrays reports draw) live in one table,
``artefacts (scope, key, name, payload)``: ``scope`` is ``"job"`` (``key`` a job key) or
``"dataset"`` (``key`` a dataset name); ``payload`` is a compressed ``.npz``. Stores of
schema 2 and older kept grid predictions and dataset views in tables of their own; a
writer moves them (migration 3), a reader reads them in place as ``grid``,
``first_layer`` and ``view``.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import numpy as np

from familybench._errors import FamilybenchError
from familybench.bench.results.record import (
    BAD_STATUSES,
    COLUMNS,
    FINISHED_STATUSES,
    MIGRATIONS,
    SCHEMA_VERSION,
    upgrade,
)

FILENAME = "results.sqlite"
FINISHED = FINISHED_STATUSES
# SQLite's application_id for familybench stores ("FBen"): a foreign database is refused.
APPLICATION_ID = 0x4642656E


class StoreError(FamilybenchError):
    """A results file that is not a familybench store, or cannot be read or written."""


def _encode(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _decode(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _legacy_artefacts(db, tables: set[str]):
    """``(scope, key, name, arrays)`` from a schema-2 store's ``predictions`` and
    ``dataset_views`` tables (a prediction's first-layer arrays become ``first_layer``)."""
    if "dataset_views" in tables:
        for dataset, blob in db.execute("SELECT dataset, payload FROM dataset_views"):
            yield "dataset", dataset, "view", _decode(blob)
    if "predictions" in tables:
        for key, blob in db.execute("SELECT job_key, payload FROM predictions"):
            arrays = _decode(blob)
            weights, bias = arrays.pop("first_layer_weights", None), arrays.pop("first_layer_bias", None)
            yield "job", key, "grid", arrays
            if weights is not None and bias is not None:
                yield "job", key, "first_layer", {"weights": weights, "bias": bias}


def _move_legacy_artefacts(db) -> None:
    """Migration 3: the old tables' rows into ``artefacts``; the old tables dropped."""
    tables = _tables(db)
    rows = [(scope, key, name, _encode(arrays)) for scope, key, name, arrays in _legacy_artefacts(db, tables)]
    db.executemany("INSERT OR IGNORE INTO artefacts VALUES (?, ?, ?, ?)", rows)
    for table in ("predictions", "dataset_views"):
        if table in tables:
            db.execute(f"DROP TABLE {table}")


# Steps a migration takes on the store's own tables, after its columns are added.
_TABLE_STEPS = {3: _move_legacy_artefacts}


def _columns_at(version: int) -> list[str]:
    """The results table's columns as schema ``version`` created them."""
    added = {name for v, names in MIGRATIONS.items() if v > version for name in names}
    return [name for name in COLUMNS if name not in added]


class ResultStore:
    """Read and write ``DIR/results.sqlite``.

    Parameters
    ----------
    directory : path
        Output directory (created if missing, when writing).
    fresh : bool, default=False
        Delete earlier results in this directory first.
    create : bool, default=True
        Write mode: create the store if missing and migrate an older one. ``False`` opens
        an existing store read-only (``FileNotFoundError`` if there is none).
    """

    def __init__(self, directory: str | Path, *, fresh: bool = False, create: bool = True):
        self.directory = Path(directory)
        self.path = self.directory / FILENAME
        self.readonly = not create
        if self.readonly:
            if not self.path.is_file():
                raise FileNotFoundError(
                    f"{self.path}: no results here (run `familybench run --out {directory}` first)"
                )
            self._db = self._connect_readonly()
            self._version, self._present = self._check()
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
        existed = self.path.is_file() and self.path.stat().st_size > 0
        if not existed:
            self._build_new()
        self._db = sqlite3.connect(self.path, timeout=30)
        try:
            if existed:
                self._check()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._create()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.path}: cannot open the results store ({exc})") from None
        self._version, self._present = SCHEMA_VERSION, list(COLUMNS)

    def _connect_readonly(self):
        uri = self.path.resolve().as_uri()
        try:
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.DatabaseError:
            # A directory we may not write to (no -shm can be made): read it as immutable.
            try:
                db = sqlite3.connect(f"{uri}?immutable=1", uri=True)
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return db
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: not a readable SQLite file ({exc})") from None

    def _check(self) -> tuple[int, list[str]]:
        """Refuse a foreign or corrupt file; the store's schema version and its columns."""
        try:
            app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            present = [r[1] for r in self._db.execute("PRAGMA table_info(results)")]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a familybench results store ({exc})") from None
        if app_id not in (0, APPLICATION_ID) or "results" not in tables or "job_key" not in present:
            raise StoreError(f"{self.path}: not a familybench results store (left untouched)")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer familybench (schema {version} > {SCHEMA_VERSION}); upgrade familybench"
            )
        return max(version, 1), present

    def _build_new(self) -> None:
        """Create the empty store beside its place and move it in: a reader polling the
        directory sees no file or a whole store, never a half-made one."""
        tmp = self.path.with_name(f".{FILENAME}.{os.getpid()}.new")
        tmp.unlink(missing_ok=True)
        try:
            self._db = sqlite3.connect(tmp)
            self._create()
            self._db.close()
            os.replace(tmp, self.path)
        except (sqlite3.DatabaseError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot create the results store ({exc})") from None

    def _create(self):
        with self._db:
            if not {r[1] for r in self._db.execute("PRAGMA table_info(results)")}:
                columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
                self._db.execute(f"CREATE TABLE results ({columns}, PRIMARY KEY (job_key))")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, started_at TEXT, "
                "finished_at TEXT, wall_seconds REAL, suite TEXT, meta TEXT)"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS artefacts (scope TEXT, key TEXT, name TEXT, payload BLOB, "
                             "PRIMARY KEY (scope, key, name))")
            # What each run set out to do (config, dataset, seed, fold, train size): compare
            # tells a job that is missing now from one outside the plan.
            self._db.execute("CREATE TABLE IF NOT EXISTS plan (run_id TEXT, config TEXT, dataset TEXT, seed INTEGER, "
                             "fold INTEGER, train_size INTEGER)")
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self._migrate()

    def _migrate(self):
        """Run the numbered migrations from the file's version up to ``SCHEMA_VERSION``."""
        version = max(self._db.execute("PRAGMA user_version").fetchone()[0], 1)
        for target in sorted(v for v in MIGRATIONS if v > version):
            with self._db:
                present = {r[1] for r in self._db.execute("PRAGMA table_info(results)")}
                for name in MIGRATIONS[target]:
                    if name not in present:
                        self._db.execute(f"ALTER TABLE results ADD COLUMN {name} {COLUMNS[name]}")
                if target in _TABLE_STEPS:
                    _TABLE_STEPS[target](self._db)
                self._db.execute(f"PRAGMA user_version = {target}")

    def close(self):
        if getattr(self, "_db", None) is None:
            return
        if not self.readonly:
            try:  # leave a file that a read-only reader can open without a -wal/-shm
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._db.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.OperationalError:
                pass  # another connection still has it open: it checkpoints on its close
        self._db.close()
        self._db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- runs

    def start_run(self, run_id: str, started_at: str, suite: dict, meta: dict):
        try:
            self._start_run(run_id, started_at, suite, meta)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot record the run ({exc}); nothing was run") from None

    def _start_run(self, run_id: str, started_at: str, suite: dict, meta: dict):
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (run_id, started_at, suite, meta) VALUES (?, ?, ?, ?)",
                (run_id, started_at, json.dumps(suite, default=str), json.dumps(meta, default=str)),
            )

    def finish_run(self, run_id: str, finished_at: str, wall_seconds: float, meta: dict | None = None):
        with self._db:
            self._db.execute(
                "UPDATE runs SET finished_at = ?, wall_seconds = ? WHERE run_id = ?",
                (finished_at, wall_seconds, run_id),
            )
            if meta is not None:
                self._db.execute("UPDATE runs SET meta = ? WHERE run_id = ?", (json.dumps(meta, default=str), run_id))

    def write_plan(self, run_id: str, entries) -> None:
        """Record the (config, dataset, seed, fold, train_size) a run plans to finish."""
        with self._db:
            self._db.executemany("INSERT INTO plan VALUES (?, ?, ?, ?, ?, ?)", [(run_id, *e) for e in entries])

    def plan(self, run_id: str | None = None) -> list[tuple] | None:
        """The latest run's plan (or ``run_id``'s); ``None`` for a store that keeps none."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "plan" not in tables:
            return None
        if run_id is None:
            row = self._db.execute("SELECT run_id FROM plan p JOIN runs r USING (run_id) "
                                   "ORDER BY r.started_at DESC LIMIT 1").fetchone()
            if row is None:
                return None
            run_id = row[0]
        rows = self._db.execute("SELECT config, dataset, seed, fold, train_size FROM plan WHERE run_id = ?", (run_id,))
        return [tuple(r) for r in rows]

    def runs(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT run_id, started_at, finished_at, wall_seconds, suite, meta FROM runs ORDER BY started_at"
        ).fetchall()
        return [
            {
                "run_id": r[0], "started_at": r[1], "finished_at": r[2], "wall_seconds": r[3],
                "suite": json.loads(r[4] or "{}"), "meta": json.loads(r[5] or "{}"),
            }
            for r in rows
        ]

    # -- results

    def finished_keys(self) -> set[str]:
        marks = ",".join("?" * len(FINISHED))
        rows = self._db.execute(f"SELECT job_key FROM results WHERE status IN ({marks})", FINISHED)
        return {row[0] for row in rows}

    def failed_keys(self) -> set[str]:
        marks = ",".join("?" * len(BAD_STATUSES))
        rows = self._db.execute(f"SELECT job_key FROM results WHERE status IN ({marks})", BAD_STATUSES)
        return {row[0] for row in rows}

    def provenance_counts(self) -> dict[tuple, int]:
        """Finished rows per (familybench_version, libs_digest, source_commit)."""
        columns = ("familybench_version", "libs_digest", "source_commit")
        if not all(c in self._present for c in columns):
            return {}
        marks = ",".join("?" * len(FINISHED))
        rows = self._db.execute(
            f"SELECT {', '.join(columns)}, count(*) FROM results WHERE status IN ({marks}) GROUP BY 1, 2, 3", FINISHED
        )
        return {tuple(r[:3]): r[3] for r in rows}

    def dataset_tasks(self) -> dict[str, set[str]]:
        """The tasks of the finished rows, per dataset name."""
        marks = ",".join("?" * len(FINISHED))
        rows = self._db.execute(
            f"SELECT DISTINCT dataset, task FROM results WHERE status IN ({marks}) AND task IS NOT NULL", FINISHED
        )
        out: dict[str, set[str]] = {}
        for dataset, task in rows:
            out.setdefault(dataset, set()).add(task)
        return out

    def records_by_key(self) -> dict[str, dict]:
        """Every stored record by ``job_key`` (what the tuner resumes from)."""
        return {record["job_key"]: record for record in self.records()}

    def write(self, record: dict, artefacts: dict[str, dict[str, np.ndarray]] | None = None):
        """Commit one finished job and its artefacts (name -> arrays) atomically; a job
        written again loses the artefacts of its earlier run."""
        names = list(COLUMNS)
        values = [record.get(n) for n in names]
        with self._db:
            self._db.execute(
                f"INSERT OR REPLACE INTO results ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                values,
            )
            self._db.execute("DELETE FROM artefacts WHERE scope = 'job' AND key = ?", (record["job_key"],))
            self._db.executemany(
                "INSERT INTO artefacts VALUES ('job', ?, ?, ?)",
                [(record["job_key"], name, _encode(arrays)) for name, arrays in (artefacts or {}).items()],
            )

    def write_dataset_artefacts(self, dataset: str, artefacts: dict[str, dict[str, np.ndarray]]):
        """Store artefacts about a dataset itself (a view to draw it), replacing older ones."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO artefacts VALUES ('dataset', ?, ?, ?)",
                [(dataset, name, _encode(arrays)) for name, arrays in artefacts.items()],
            )

    def artefacts(self, name: str, scope: str = "job") -> dict[str, dict[str, np.ndarray]]:
        """Key (a job key, or for ``scope="dataset"`` a dataset name) -> the arrays that
        artefact ``name`` stored there. Reads a schema-2 store's old tables as well."""
        tables = _tables(self._db)
        out = {}
        if "artefacts" in tables:
            rows = self._db.execute("SELECT key, payload FROM artefacts WHERE scope = ? AND name = ?", (scope, name))
            out = {key: _decode(blob) for key, blob in rows}
        for row_scope, key, row_name, arrays in _legacy_artefacts(self._db, tables):
            if row_scope == scope and row_name == name:
                out.setdefault(key, arrays)
        return out

    def records(self) -> list[dict]:
        present = [name for name in COLUMNS if name in self._present]
        cursor = self._db.execute(f"SELECT {', '.join(present)} FROM results")
        names = [d[0] for d in cursor.description]
        return [upgrade(dict(zip(names, row, strict=False))) for row in cursor.fetchall()]


def load_results(directory: str | Path):
    """The results in ``directory`` as a pandas DataFrame, one row per job.

    ``params`` is decoded to a dict and ``fit_seconds_samples`` to a list of floats.
    """
    import pandas as pd

    with ResultStore(directory, create=False) as store:
        rows = store.records()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("params", "fit_seconds_samples"):
        frame[column] = frame[column].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    for column, kind in COLUMNS.items():
        if kind == "REAL":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame.sort_values(["dataset", "config", "seed", "fold", "train_size"], na_position="first", ignore_index=True)


def export_results(directory: str | Path, path: str | Path, *, selected: bool = False) -> Path:
    """Write the results to CSV or Parquet (by the file's suffix).

    ``selected`` writes ``select_best`` rows instead of every row.
    """
    path = Path(path)
    if path.suffix not in (".parquet", ".csv"):
        raise FamilybenchError(f"{path}: export to .csv or .parquet")
    frame = load_results(directory)
    if selected:
        from familybench.bench.results.select import select_best

        frame = select_best(frame)
    if path.suffix == ".parquet":
        frame = frame.assign(
            params=frame["params"].map(json.dumps), fit_seconds_samples=frame["fit_seconds_samples"].map(json.dumps)
        )
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    return path


class RunLock:
    """One writer per directory: an exclusive ``fcntl.flock`` on ``DIR/.lock``.

    The file holds the owner's pid, host and start time, so a second run can name it. The
    kernel drops the lock when its process dies (even by ``kill -9``), so a crashed run's
    lock is free again with nothing to clean up. Readers never lock.
    """

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / ".lock"
        self._fh = None

    def acquire(self) -> RunLock:
        import fcntl
        import os
        import socket
        from datetime import datetime, timezone

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            owner = fh.read().strip() or "another process"
            fh.close()
            raise FamilybenchError(
                f"{self.path.parent}: another familybench run is writing here ({owner}); wait for it or use --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing drops the flock
            self._fh = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
