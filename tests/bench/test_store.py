"""The results store: numbered migrations, read-only readers, foreign files refused."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

import familybench
from familybench.bench.results.record import COLUMNS, MIGRATIONS, SCHEMA_VERSION, empty_record
from familybench.bench.results.store import ResultStore, StoreError, _columns_at
from legacy_stores import legacy_store


def _v1_store(directory):
    """A store as familybench 0.1 (schema 1) wrote it: v1 columns, no user_version."""
    assert "trial" not in _columns_at(1) and "valid_r2" not in _columns_at(1)
    db = legacy_store(directory, 1, dict(job_key="k1", config="linear", model="linear", dataset="moons",
                                         status="ok", seed=0, fold=0, test_r2=0.5))
    db.commit()
    db.close()
    return directory


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_v1_store_is_read_without_being_changed(tmp_path):
    directory = _v1_store(tmp_path / "old")
    before = _digest(directory / "results.sqlite")
    frame = familybench.load_results(directory)
    assert list(frame["job_key"]) == ["k1"] and frame["test_r2"].iloc[0] == 0.5
    assert frame["trial"].isna().all() and frame["role"].isna().all()  # v1 rows are untuned
    assert _digest(directory / "results.sqlite") == before
    assert sorted(p.name for p in directory.iterdir()) == ["results.sqlite"]  # no -wal / -shm


def test_a_writer_migrates_a_v1_store_in_numbered_steps(tmp_path):
    directory = _v1_store(tmp_path / "old")
    with ResultStore(directory) as store:
        store.write(empty_record(job_key="k2", config="gbm", model="lightgbm", dataset="moons", status="ok",
                                 trial=3, role="trial", valid_r2=0.7))
    db = sqlite3.connect(directory / "results.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == max(MIGRATIONS)
    present = {r[1] for r in db.execute("PRAGMA table_info(results)")}
    db.close()
    assert set(COLUMNS) <= present
    frame = familybench.load_results(directory).set_index("job_key")
    assert frame.loc["k1", "schema_version"] == SCHEMA_VERSION  # upgraded on read
    assert frame.loc["k2", "trial"] == 3 and frame.loc["k2", "valid_r2"] == 0.7
    assert sorted(p.name for p in directory.iterdir()) == ["results.sqlite"]  # checkpointed on close


def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "results.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE people (name TEXT)")
    db.commit()
    db.close()
    before = _digest(path)
    for open_store in (lambda: ResultStore(tmp_path), lambda: ResultStore(tmp_path, create=False)):
        with pytest.raises(StoreError, match="not a familybench results store"):
            open_store()
    assert _digest(path) == before


def test_a_corrupt_file_is_refused(tmp_path):
    (tmp_path / "results.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        familybench.load_results(tmp_path)


def _readonly_namespace_works() -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
@pytest.mark.e2e
@pytest.mark.skipif(not _readonly_namespace_works(), reason="needs `unshare -m` (a private mount namespace)")
def test_readers_work_on_a_read_only_directory_and_change_nothing(tmp_path):
    import shlex
    import subprocess
    import sys

    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import parse_suite

    source, mount = tmp_path / "results", tmp_path / "ro"
    mount.mkdir()
    execute(parse_suite({"datasets": {"moons": {"n_samples": 100}}, "models": ["linear"], "seeds": 2}), source,
            executor="serial")
    before = {p.name: _digest(p) for p in source.iterdir() if p.is_file()}
    fb = f"{shlex.quote(sys.executable)} -m familybench"
    script = " && ".join([
        f"mount --bind {source} {mount}", f"mount -o remount,bind,ro {mount}",
        f"! touch {mount}/probe",  # really read-only (as root, chmod would prove nothing)
        f"{fb} report {mount} --out {tmp_path}/report", f"{fb} compare {mount} {mount}",
        f"{fb} export {mount} {tmp_path}/rows.csv --selected",
        f"{shlex.quote(sys.executable)} -c 'import familybench; print(len(familybench.load_results(\"{mount}\")))'",
        f"({fb} report {mount}; test $? -eq 2)",  # the report cannot go into DIR: exit 2 naming --out
    ])
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--out" in done.stderr and done.stdout.strip().endswith("2")
    assert {p.name: _digest(p) for p in source.iterdir() if p.is_file()} == before  # byte-identical, no -wal/-shm
    assert (tmp_path / "report" / "report.md").is_file() and (tmp_path / "rows.csv").is_file()
