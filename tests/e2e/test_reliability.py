"""Reliability: one writer per directory, provenance per row, serial timeouts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import familybench
from familybench.bench.execute.inprocess import InProcessExecutor
from familybench.bench.results.store import ResultStore, RunLock, StoreError
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite

SMALL = {"datasets": {"moons": {"n_samples": 100}}, "models": ["linear"]}


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(familybench.FamilybenchError, match=f"pid {os.getpid()}"):
            execute(parse_suite(SMALL), tmp_path, executor="serial")
    execute(parse_suite(SMALL), tmp_path, executor="serial")  # released: free again
    assert len(familybench.load_results(tmp_path)) == 1


def test_a_killed_runs_lock_is_free_without_manual_steps(tmp_path):
    code = (f"from familybench.bench.results.store import RunLock; import time; lock = RunLock({str(tmp_path)!r}).acquire(); "
            "print('locked', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(familybench.FamilybenchError, match="another familybench run"):
        RunLock(tmp_path).acquire()
    holder.kill()
    holder.wait()
    RunLock(tmp_path).acquire().release()
    assert (tmp_path / ".lock").is_file()  # the file stays; the lock does not


def test_readers_do_not_lock(tmp_path):
    execute(parse_suite(SMALL), tmp_path, executor="serial")
    with RunLock(tmp_path):
        assert len(familybench.load_results(tmp_path)) == 1
        with ResultStore(tmp_path, create=False) as store:
            assert store.runs()


def test_each_row_records_where_it_came_from_and_a_version_change_warns(tmp_path):
    execute(parse_suite(SMALL), tmp_path, executor="serial")
    row = familybench.load_results(tmp_path).iloc[0]
    assert row["familybench_version"] == familybench.__version__
    assert len(row["libs_digest"]) == 12 and row["source_commit"]
    with ResultStore(tmp_path) as store:  # pretend the row came from another install
        store._db.execute("UPDATE results SET libs_digest = 'olderlibs000'")
        store._db.commit()
    more = parse_suite({**SMALL, "seeds": 2})
    with pytest.warns(UserWarning, match="1 rows from familybench .*libraries olderlibs000"):
        execute(more, tmp_path, executor="serial")
    with pytest.raises(familybench.FamilybenchError, match="--strict refuses"):
        execute(parse_suite({**SMALL, "seeds": 3}), tmp_path, executor="serial", strict=True)
    assert len(familybench.load_results(tmp_path)) == 2  # strict ran nothing
    from familybench.reports import write_report

    report = write_report(tmp_path).read_text()
    assert "come from 2 different versions" in report
    # each group of rows is stated with its own versions: the resolved one names numpy's,
    # the foreign digest is named as such
    assert "1 rows: familybench" in report and "olderlibs000 (versions not recorded)" in report
    assert f"numpy {np.__version__}" in report


def test_a_serial_timeout_is_recorded_as_timeout(tmp_path):
    suite = parse_suite({"timeout": 0.5, "datasets": {"friedman1": {"n_samples": 50}},
                         "models": {"hang": {"model": "badmodels:Hang"}, "linear": {}}})
    start = time.monotonic()
    _, records = execute(suite, tmp_path, executor=InProcessExecutor(threads=1))
    by_config = {r["config"]: r for r in records}
    assert by_config["hang"]["status"] == "timeout" and "0.5 s timeout" in by_config["hang"]["error"]
    assert by_config["linear"]["status"] == "ok"  # the run went on
    assert time.monotonic() - start < 60


def test_a_full_disk_is_one_line_exit_2_and_keeps_what_was_stored(tmp_path, monkeypatch, capsys):
    import sqlite3

    from familybench.cli import main

    real_write, calls = ResultStore.write, []

    def write(self, record, artefacts=None):
        calls.append(record["job_key"])
        if len(calls) > 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(self, record, artefacts)

    monkeypatch.setattr(ResultStore, "write", write)
    code = main(["run", "--models", "linear", "--datasets", "moons", "--seeds", "4", "--serial",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("familybench: error:") and "disk is full" in err[-1]
    assert "2 results written before are kept" in err[-1]
    monkeypatch.undo()
    assert len(familybench.load_results(tmp_path)) == 2
    assert main(["run", "--models", "linear", "--datasets", "moons", "--seeds", "4", "--serial",
                 "--out", str(tmp_path)]) == 0  # the same command resumes
    assert len(familybench.load_results(tmp_path)) == 4


def test_an_unexpected_exception_is_exit_70_with_the_traceback_saved(monkeypatch, capsys):
    from familybench import cli

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "_cmd_list", broken)
    assert cli.main(["list", "models"]) == 70
    err = capsys.readouterr().err
    assert "internal error: KeyError" in err and "details in " in err
    path = err.split("details in ")[1].split(")")[0]
    assert "KeyError" in open(path).read()


def test_check_validates_and_runs_nothing(tmp_path, capsys):
    from familybench.cli import main

    assert main(["run", "--suite", "quick", "--check", "--out", str(tmp_path / "q")]) == 0
    assert "ok — 72 jobs" in capsys.readouterr().out and not (tmp_path / "q").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('datasets = ["moons"]\nmodels = ["lineer"]\n')
    assert main(["run", str(bad), "--check"]) == 2
    assert "unknown model 'lineer'" in capsys.readouterr().err


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow  # a long scenario (two CLI runs): CI runs it in a step of its own
@pytest.mark.parametrize(("signum", "code"), [(2, 130), (15, 143)])
def test_a_signal_stops_the_run_cleanly_and_the_same_command_resumes(tmp_path, signum, code):
    import psutil

    out = tmp_path / "run"
    # Sleepy jobs of 0.5 s: the run is certainly still going when the signal comes (fast models
    # could all finish between the third record and the signal).
    suite_file = tmp_path / "s.toml"
    suite_file.write_text('datasets = ["friedman2", "friedman1"]\nseeds = 3\n'
                          '[models.s]\nmodel = "badmodels:Sleepy"\nparams = { seconds = 0.5 }\n'
                          '[models.linear]\n')
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "familybench", "run", str(suite_file), "--jobs", "2", "--out", str(out)]
    # SIGINT back to its default in the child: a shell without job control starts background
    # commands (pytest ... &) with SIGINT ignored, and a program keeps an ignored SIGINT ignored
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True, env=env,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if (out / "results.sqlite").is_file() and len(familybench.load_results(out)) >= 3:
                break
        except StoreError:  # caught between the file's creation and its first table
            pass
        time.sleep(0.1)
    family = _descendants(run.pid)
    assert family  # the two workers
    if signum == 2:
        os.killpg(run.pid, signum)  # Ctrl-C: the whole foreground group
    else:
        run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert run.returncode == code, err
    assert "interrupted; finished jobs are saved" in err
    kept = familybench.load_results(out)
    assert 3 <= len(kept) < 12 and set(kept["status"]) == {"ok"}  # nothing half-recorded
    time.sleep(0.5)
    assert not [p for p in family if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    with ResultStore(out, create=False) as store:
        assert store.runs()[-1]["meta"]["interrupted"] is True
    subprocess.run(command, check=True, capture_output=True, timeout=300, env=env)
    assert len(familybench.load_results(out)) == 12


def test_a_job_over_its_memory_limit_is_oom_and_the_run_goes_on(tmp_path):
    from familybench.bench.execute.process import ProcessExecutor

    suite = parse_suite({"datasets": {"friedman1": {"n_samples": 60}}, "memory_limit": "400MB",
                         "models": {"bomb": {"model": "badmodels:MemoryBomb", "params": {"seconds": 3.0}},
                                    "linear": {}}})
    _, records = execute(suite, tmp_path, executor=ProcessExecutor(n_workers=1))
    by_config = {r["config"]: r for r in records}
    assert by_config["bomb"]["status"] == "oom" and "over the 381 MiB limit" in by_config["bomb"]["error"]
    assert by_config["linear"]["status"] == "ok"
    from familybench.bench.results.store import ResultStore as Store

    with Store(tmp_path, create=False) as store:
        assert by_config["bomb"]["job_key"] in store.failed_keys()  # --retry-failed runs it again
    assert parse_suite({"datasets": ["moons"], "models": {"m": {"model": "linear", "memory_limit": "1.5GiB"}}}
                       ).models[0].memory_limit == int(1.5 * 2**30)
    with pytest.raises(familybench.FamilybenchError, match="memory_limit"):
        parse_suite({"datasets": ["moons"], "models": ["linear"], "memory_limit": "lots"})


def test_the_library_digest_follows_the_built_in_families_versions_and_not_a_plugins(monkeypatch, clean_registry):
    from sklearn.linear_model import Ridge

    from familybench.bench.results import provenance as environment
    from familybench.models import register

    packages = environment.result_packages()
    assert {"numpy", "scikit-learn", "lightgbm", "torch", "xgboost"} <= set(packages)
    register("tmp_family", lambda task, **p: Ridge(**p), family="tmp", versions=("hypothesis",), replace=True)
    # what a process happens to have loaded must not change what its rows' digest means
    assert environment.result_packages() == packages

    def digest(lightgbm_version):
        real = environment._version
        monkeypatch.setattr(environment, "_version", lambda n: lightgbm_version if n == "lightgbm" else real(n))
        monkeypatch.setattr(environment, "_PROVENANCE", None)
        try:
            return environment.provenance()["libs_digest"]
        finally:
            monkeypatch.setattr(environment, "_version", real)

    assert digest("4.7.0") == digest("4.7.0") != digest("9.9.9")
    monkeypatch.setattr(environment, "_PROVENANCE", None)


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_busy_worker_does_not_outlive_a_killed_run(tmp_path):
    import psutil

    suite_file = tmp_path / "s.toml"
    suite_file.write_text('datasets = { friedman1 = { n_samples = 50 } }\n'
                          '[models.s]\nmodel = "badmodels:Sleepy"\nparams = { seconds = 600.0 }\n')
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.Popen([sys.executable, "-m", "familybench", "run", str(suite_file), "--out", str(tmp_path / "o")],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    run.stderr.readline()  # the header: the worker is starting
    deadline = time.monotonic() + 60
    workers = []
    while time.monotonic() < deadline and not workers:
        workers = psutil.Process(run.pid).children(recursive=True)
        time.sleep(0.2)
    assert workers
    time.sleep(1.0)  # the job is running (600 s of sleep)
    run.kill()  # kill -9: no cleanup of any kind in the parent
    run.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, [p.pid for p in alive]
