"""A Dask cluster started by hand, as docs/clusters.md says (slow).

``dask scheduler`` and two ``dask worker`` processes on loopback, the workers in a mount
namespace where the user's data directory does not exist (an empty tmpfs over its parent); a suite
file with a hanging, a crashing and a worker-killing plug-in model (local modules that the
workers do not have) and a user CSV, run with ``familybench run --scheduler``, with a worker
killed from outside in the middle of a job; its records
against the process executor's; and a CUDA request refused. Linux, as root (``unshare -m``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from familybench.bench.plan.jobs import expand  # noqa: E402
from familybench.bench.results.store import load_results  # noqa: E402
from familybench.bench.suite.spec import load_suite  # noqa: E402
from familybench.cli import main  # noqa: E402

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
# the scheduler settings of docs/clusters.md: no retry of a job that killed its worker, one job per slot
SCHEDULER_ENV = {
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
    "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
}
METRICS = ["test_r2", "test_rmse", "test_mae", "train_r2", "n_params", "n_train", "n_test"]


def _can_hide_directories() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None or not DASK.exists():
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def hand_cluster(tmp_path):
    """(scheduler address, the hidden data directory); everything stopped afterwards."""
    if not _can_hide_directories():
        pytest.skip("needs Linux, the dask command and unshare -m (root)")
    home = tmp_path / "user"  # hidden from the workers: an empty tmpfs over it
    data = home / "data"
    data.mkdir(parents=True)
    where = tmp_path / "cluster"
    where.mkdir()
    scheduler_file = where / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # workers see no tests/
    logs = open(where / "cluster.log", "wb")  # noqa: SIM115 - closed below
    started = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", scheduler_file],
            cwd=where, env={**env, **SCHEDULER_ENV}, stdout=logs, stderr=logs, start_new_session=True,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        hide = f'mount -t tmpfs none "{home}" && exec "$0" "$@"'
        for _ in range(2):
            started.append(
                subprocess.Popen(
                    ["unshare", "-m", "--propagation", "private", "sh", "-c", hide, DASK, "worker",
                     address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                    cwd=where, env=env, stdout=logs, stderr=logs, start_new_session=True,
                )
            )
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            # the workers cannot see the data directory (the client can)
            seen = client.run(os.path.exists, str(data))
            assert len(seen) == 2 and not any(seen.values()), seen
        yield address, data
    finally:
        for process in reversed(started):
            _stop(process)
        logs.close()


def _write_csv(data: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    y = np.sin(x[:, 0]) + x[:, 1] * x[:, 2] + 0.1 * rng.normal(size=240)
    csv = data / "wave.csv"
    csv.write_text(
        "a,b,c,target\n" + "\n".join(f"{a:.6f},{b:.6f},{c:.6f},{t:.6f}" for (a, b, c), t in zip(x, y, strict=True)) + "\n"
    )
    return csv


def _suite_file(tmp_path: Path, csv: Path, *, bad: bool) -> Path:
    text = f"""
name = "by-hand"
seeds = 2
timeout = 8

[datasets]
sine1d = {{ n_samples = 200 }}
wave = {{ path = "{csv}", target = "target", task = "regression" }}

[models.linear]
model = "linear"

[models.gbm]
model = "lightgbm"
params = {{ n_estimators = 20 }}
"""
    if bad:
        text += """
[models.hang]
model = "badmodels:Hang"
seeds = [0]
datasets = ["sine1d"]

[models.crash]
model = "badmodels:Crash"
seeds = [0]
datasets = ["sine1d"]

[models.kill]
model = "dask_badmodels:KillWorker"
seeds = [0]
datasets = ["sine1d"]

[models.slowpoke]
model = "badmodels:Sleepy"
params = { seconds = 6 }
seeds = [0]
datasets = ["sine1d"]
"""
    path = tmp_path / ("bad.toml" if bad else "good.toml")
    path.write_text(text)
    return path


def _kill_the_worker_running(address: str, key: str, killed: dict) -> None:
    """SIGKILL the Dask worker process whose task holds job ``key``, from outside."""
    with distributed.Client(address, timeout=60) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for worker, tasks in client.processing().items():
                if any(key in str(task) for task in tasks):
                    time.sleep(1.0)  # well inside the job's 6 s
                    pid = client.run(os.getpid, workers=[worker])[worker]
                    os.kill(pid, signal.SIGKILL)
                    killed["worker"] = worker
                    return
            time.sleep(0.05)


def test_a_cluster_started_by_hand_runs_a_suite_like_the_process_executor(tmp_path, hand_cluster, capsys):
    address, data = hand_cluster
    csv = _write_csv(data)
    suite_file = _suite_file(tmp_path, csv, bad=True)
    [slowpoke] = [job for job in expand(load_suite(suite_file)) if job.config == "slowpoke"]
    killed: dict = {}
    killer = threading.Thread(target=_kill_the_worker_running, args=(address, slowpoke.key, killed))
    killer.start()
    code = main(["run", str(suite_file), "--scheduler", address, "--out", str(tmp_path / "dask")])
    killer.join(30)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "4 of 12 jobs failed, timed out or ran out of memory" in err
    frame = load_results(tmp_path / "dask").set_index(["config", "dataset", "seed"])
    assert len(frame) == 12
    # a worker killed from outside mid-job: that job failed, naming the worker
    assert frame.loc[("slowpoke", "sine1d", 0), "status"] == "failed"
    assert frame.loc[("slowpoke", "sine1d", 0), "error"] == (
        f"Dask worker {killed['worker']} died while running this job"
    )
    assert frame.loc[("hang", "sine1d", 0), "status"] == "timeout"
    crash = frame.loc[("crash", "sine1d", 0)]
    assert (crash["status"], crash["error"]) == (
        "failed",
        "job process crashed (exit code 3) while running this job",
    )
    kill = frame.loc[("kill", "sine1d", 0)]
    assert kill["status"] == "failed"
    assert kill["error"].startswith("Dask worker tcp://127.0.0.1:")
    assert kill["error"].endswith(" died while running this job")
    good = frame.loc[["linear", "gbm"]]
    assert (good["status"] == "ok").all() and len(good) == 8
    assert (good["threads"] == 1).all()
    assert set(good.xs("wave", level="dataset")["n_train"]) == {192}

    # the same jobs on the process executor, 2 worker processes at 1 thread each
    code = main(
        ["run", str(_suite_file(tmp_path, csv, bad=False)), "--jobs", "2",
         "--out", str(tmp_path / "process")]
    )
    assert code == 0, capsys.readouterr().err
    local = load_results(tmp_path / "process").set_index(["config", "dataset", "seed"])
    assert (local["threads"] == 1).all() and len(local) == 8
    for key in local.index:
        for metric in METRICS:
            assert good.loc[key, metric] == pytest.approx(local.loc[key, metric], rel=1e-9, abs=1e-12), (
                key,
                metric,
            )

    # a CUDA run on CPU-only workers is refused before any job
    code = main(
        ["run", "--models", "linear", "--datasets", "moons", "--device", "cuda", "--scheduler", address,
         "--out", str(tmp_path / "cuda")]
    )
    assert code == 2
    assert "familybench: error: device 'cuda': no Dask worker offers a GPU" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "cuda" / "results.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
