"""The Dask executor: the process executor's records and semantics on a Dask cluster.

Same metrics as the process executor; timeouts, crashed job processes and dead workers
each fail only their job; a lost scheduler stops the run with exit 3 and keeps results;
nothing outlives a killed client and a re-run resumes; a CUDA run without GPU workers is
refused; code and data files reach the workers by content.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import familybench  # noqa: E402
from familybench._threads import cpu_count  # noqa: E402
from familybench.bench.execute.dask.cluster import (  # noqa: E402
    ClusterWarning,
    restore_environment,
    start_local_cluster,
)
from familybench.bench.execute.dask.executor import DaskExecutor  # noqa: E402
from familybench.bench.execute.dask.shipping import data_path  # noqa: E402
from familybench.bench.execute.process import ProcessExecutor  # noqa: E402
from familybench.bench.results.store import ResultStore, load_results  # noqa: E402
from familybench.bench.run.driver import execute  # noqa: E402
from familybench.bench.run.hooks import Hook  # noqa: E402
from familybench.bench.suite.spec import load_suite, parse_suite  # noqa: E402
from familybench.cli import main  # noqa: E402

TESTS = Path(__file__).resolve().parents[1]
MOONS = {"moons": {"n_samples": 200}}
SINE = {"sine1d": {"n_samples": 200}}
GBM = {"model": "lightgbm", "params": {"n_estimators": 15}}


@pytest.fixture(scope="module")
def client():
    cluster = start_local_cluster(2)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()
    restore_environment()  # a worker the nanny restarted wrote its hash seed into os.environ


def suite(models, datasets=None, **extra):
    table = {"seeds": 2, "datasets": datasets or MOONS, "models": models, **extra}
    return parse_suite(table, source="<test>", default_name="dask")


def worker_addresses(client) -> list[str]:
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def count_rows(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


def wait_for_rows(db_path: Path, n: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (done := count_rows(db_path)) >= n:
            return done
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} results in {db_path} after {timeout} s")


def sleepy_suite_file(tmp_path: Path, seeds: int, seconds: float) -> Path:
    path = tmp_path / "sleepy.toml"
    path.write_text(
        f"seeds = {seeds}\ndatasets = {{ sine1d = {{ n_samples = 100 }} }}\n"
        f'[models.sleepy]\nmodel = "badmodels:Sleepy"\nparams = {{ seconds = {seconds} }}\n'
    )
    return path


def test_same_records_as_the_process_executor(tmp_path, client):
    jobs = suite({"linear": {"model": "linear"}, "gbm": GBM})
    execute(jobs, tmp_path / "process", executor=ProcessExecutor(n_workers=2, threads=1))
    dask = DaskExecutor(client, threads=1)
    execute(jobs, tmp_path / "dask", executor=dask)
    cols = [
        "job_key",
        "config",
        "seed",
        "status",
        "task",
        "family",
        "n_train",
        "n_test",
        "threads",
        "train_roc_auc",
        "test_roc_auc",
        "test_log_loss",
        "test_accuracy",
        "n_params",
    ]
    a = load_results(tmp_path / "process").sort_values("job_key")[cols].reset_index(drop=True)
    b = load_results(tmp_path / "dask").sort_values("job_key")[cols].reset_index(drop=True)
    assert (b["status"] == "ok").all() and len(b) == 4
    assert a.equals(b)
    with ResultStore(tmp_path / "dask") as store:
        meta = store.runs()[-1]["meta"]
        assert set(store.artefacts("view", "dataset")) == {"moons"}
        assert len(store.artefacts("grid")) == 2  # seed 0 of each config, as the reports draw
    assert meta["worker"]["executor"] == "dask" and meta["worker"]["task_slots"] == 2
    assert meta["parallel_jobs"] == 2  # the cluster's task slots, whatever --jobs said
    assert meta["worker"]["auto_device"] == "cpu" and meta["threads_per_job"] == 1
    assert meta["worker_warm_up_seconds"] > 0 and meta["interrupted"] is False


def test_a_local_cluster_leaves_this_process_environment_alone(client):
    # a nanny writes its workers' settings into os.environ, where later processes inherit them
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") != "65536"
    assert os.environ.get("PYTHONHASHSEED") != "6640"


def test_threads_per_job_split_the_host_and_oversubscription_warns(client):
    executor = DaskExecutor(client)
    with executor:
        executor.start({"linear"})
        assert executor.threads == max(1, cpu_count() // 2) and executor.slots == 2
    with pytest.warns(ClusterWarning, match="2 task slots x"):
        with DaskExecutor(client, threads=cpu_count(), max_in_flight=5) as crowded:
            crowded.start({"linear"})
            assert crowded.slots == 5


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_hung_job_is_killed_at_its_timeout_and_its_worker_runs_the_next_job(tmp_path, client):
    address = worker_addresses(client)[0]
    jobs = suite(
        {"hang": {"model": "badmodels:Hang", "timeout": 1, "seeds": [0]}, "linear": {}}, SINE
    )
    executor = DaskExecutor(client, workers=[address])
    execute(jobs, tmp_path, executor=executor)
    frame = load_results(tmp_path).set_index(["config", "seed"])
    hang = frame.loc[("hang", 0)]
    assert hang["status"] == "timeout" and hang["error"] == "stopped after the 1 s timeout"
    assert 1 <= hang["job_seconds"] < 30
    hang_worker, hang_pid = hang["worker"].split(" pid ")
    assert hang_worker == address and executor.slots == 1
    after = frame.xs("linear")
    assert (after["status"] == "ok").all() and len(after) == 2
    for worker in after["worker"]:
        where, pid = worker.split(" pid ")
        assert where == address and pid != hang_pid  # the same worker, in a fresh job process
    assert executor.worker_info["shipped_modules"] == ["badmodels"]


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_dead_worker_or_a_crashed_job_process_fails_only_its_job(tmp_path, client):
    jobs = suite(
        {
            "kill": {"model": "dask_badmodels:KillWorker", "seeds": [0]},
            "crash": {"model": "badmodels:Crash", "seeds": [0]},
            "linear": {},
        },
        SINE,
    )
    _, records = execute(jobs, tmp_path, executor=DaskExecutor(client))
    frame = load_results(tmp_path).set_index(["config", "seed"])
    assert len(records) == len(frame) == 4
    kill = frame.loc[("kill", 0)]
    assert kill["status"] == "failed"
    assert re.fullmatch(
        r"Dask worker tcp://127\.0\.0\.1:\d+ died while running this job", kill["error"]
    )
    crash = frame.loc[("crash", 0)]
    assert crash["status"] == "failed"
    assert crash["error"] == "job process crashed (exit code 3) while running this job"
    assert (frame.xs("linear")["status"] == "ok").all()
    client.wait_for_workers(2, timeout=60)  # the nanny replaced the dead worker


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_users_csv_renamed_after_hashing_still_runs_and_reaches_new_workers(tmp_path, client):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    rows = "\n".join(f"{a:.6f},{b:.6f},{int(a + b > 0)}" for a, b in x)
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,y\n" + rows + "\n")
    content = csv.read_bytes()

    class MoveAway(Hook):
        ended, moved_after = 0, None

        def on_job_end(self, record):
            self.ended += 1
            if csv.exists():
                csv.rename(tmp_path / "moved.csv")
                self.moved_after = self.ended

    hook = MoveAway()
    jobs = suite(
        {"linear": {}, "gbm": GBM}, {"points": {"path": str(csv), "target": "y", "task": "binary"}}
    )
    _, records = execute(jobs, tmp_path / "out", executor=DaskExecutor(client), hooks=[hook])
    assert (
        hook.moved_after == 1 and not csv.exists()
    )  # 2 of the 4 jobs were submitted after the move
    assert len(records) == 4 and all(r["status"] == "ok" for r in records), [
        r["error"] for r in records
    ]
    import hashlib

    sha = hashlib.sha256(content).hexdigest()

    def cached(dask_worker):
        path = data_path(dask_worker.local_directory, sha, "points.csv")
        return os.path.isfile(path) and Path(path).read_bytes() == content

    assert all(client.run(cached).values())

    # a worker that joins later (a replacement) is sent the file too
    async def join():
        return await distributed.Worker(client.scheduler.address, nthreads=1, host="127.0.0.1")

    extra = client.sync(join)
    try:
        assert client.run(cached, workers=[extra.address])[extra.address]
    finally:
        client.sync(extra.close)


def test_a_cuda_run_without_gpu_workers_is_refused_before_any_job(tmp_path, client, capsys):
    with pytest.raises(familybench.FamilybenchError, match="no Dask worker offers a GPU"):
        execute(
            suite({"linear": {}}, device="cuda"), tmp_path / "api", executor=DaskExecutor(client)
        )
    assert count_rows(tmp_path / "api" / "results.sqlite") == 0
    code = main(
        [
            "run",
            "--models",
            "linear",
            "--datasets",
            "moons",
            "--device",
            "cuda",
            "--scheduler",
            client.scheduler.address,
            "--out",
            str(tmp_path / "cli"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "familybench: error: device 'cuda': no Dask worker offers a GPU" in err
    assert count_rows(tmp_path / "cli" / "results.sqlite") == 0


def test_executor_flags_that_conflict_exit_2(capsys):
    for flags in (
        ["--scheduler", "tcp://127.0.0.1:1", "--executor", "process"],
        ["--serial", "--executor", "dask"],
    ):
        assert main(["run", "--models", "linear", "--datasets", "moons", *flags]) == 2
        assert "conflicts with --executor" in capsys.readouterr().err


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_hung_warm_up_is_a_cold_start_and_a_module_the_workers_lack_fails_its_job(
    tmp_path, client, monkeypatch
):
    (tmp_path / "needs_more.py").write_text(
        "import sys\n\n"
        "from sklearn.linear_model import LinearRegression as Model\n\n"
        "# importable here, not in a job process: stands for a dependency the workers lack\n"
        "main = getattr(sys.modules['__main__'].__spec__, 'name', None)\n"
        "if main == 'familybench.bench.execute.dask.child':\n"
        "    import a_package_the_workers_do_not_have  # noqa: F401\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    jobs = suite({"linear": {}, "needs": {"model": "needs_more:Model"}}, SINE, seeds=1)
    executor = DaskExecutor(client, workers=worker_addresses(client)[:1], warm_up_timeout=0.001)
    with pytest.warns(
        ClusterWarning, match=r"warm-up of a job process timed out after 0\.001 s: cold start"
    ):
        execute(jobs, tmp_path / "out", executor=executor)
    frame = load_results(tmp_path / "out").set_index("config")
    assert frame.loc["linear", "status"] == "ok"
    assert frame.loc["needs", "status"] == "failed"
    assert "cannot import 'needs_more'" in frame.loc["needs", "error"]
    assert "a_package_the_workers_do_not_have" in frame.loc["needs", "error"]
    assert executor.worker_info["shipped_modules"] == ["needs_more"]
    assert len(executor.worker_info["cold_starts"]) == 1


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_lost_scheduler_stops_the_run_with_exit_3_and_keeps_its_results(tmp_path, capsys):
    cluster = start_local_cluster(1)
    db_path = tmp_path / "out" / "results.sqlite"

    def stop_after_first_result():
        wait_for_rows(db_path, 1)
        cluster.close()

    stopper = threading.Thread(target=stop_after_first_result, daemon=True)
    stopper.start()
    code = main(
        [
            "run",
            str(sleepy_suite_file(tmp_path, seeds=4, seconds=0.5)),
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            str(tmp_path / "out"),
        ]
    )
    stopper.join(30)
    err = capsys.readouterr().err.strip().splitlines()[-1]
    kept = count_rows(db_path)
    assert code == 3, err
    assert re.fullmatch(
        rf"familybench: error: lost the Dask scheduler tcp://127\.0\.0\.1:\d+ \(.+\): "
        rf"{kept} results kept; re-run to resume",
        err,
    )
    assert 1 <= kept < 4
    with ResultStore(tmp_path / "out") as store:
        assert store.runs()[-1]["meta"]["interrupted"] is True


def _alive(processes) -> list:
    import psutil

    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_nothing_outlives_a_killed_client_and_a_rerun_resumes(tmp_path, client):
    import psutil

    suite_file = sleepy_suite_file(tmp_path, seeds=6, seconds=0.3)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "familybench",
            "run",
            str(suite_file),
            "--executor",
            "dask",
            "--jobs",
            "2",
            "--out",
            "out",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db_path = tmp_path / "out" / "results.sqlite"
    try:
        wait_for_rows(db_path, 1)
        tree = psutil.Process(proc.pid).children(recursive=True)
        commands = [" ".join(p.cmdline()) for p in tree]
    finally:
        proc.kill()  # the client only: what it started must notice by itself
        proc.wait()
    assert any("familybench.bench.execute.dask.child" in c for c in commands) and len(tree) >= 3, commands
    deadline = time.monotonic() + 15
    while _alive(tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(tree), [p.cmdline() for p in _alive(tree)]
    kept = count_rows(db_path)
    assert 1 <= kept < 6
    _, records = execute(load_suite(suite_file), tmp_path / "out", executor=DaskExecutor(client))
    assert len(records) == 6 - kept and all(r["status"] == "ok" for r in records)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT job_key) FROM results").fetchone() == (
            6,
            6,
        )


def test_familybench_start_up_does_not_import_dask():
    code = (
        "import sys, familybench, familybench.cli as cli, familybench.bench.run.driver\n"
        "import familybench.bench.execute.dask.executor\n"
        "cli.build_parser()\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


_HEAVY = """
import sys
def heavy_modules():
    return sorted(m for m in sys.modules if m.split(".")[0] in ("pandas", "sklearn", "torch", "lightgbm")
                  or m.startswith(("familybench.models", "familybench.datasets", "familybench.bench.execute.worker")))
"""


def _by_value(source: str, name: str):
    """A function defined outside any importable module, so Dask sends its code (a function
    of this test module would make the worker import the module, and with it familybench)."""
    namespace = {"__name__": "familybench_test_by_value"}
    exec(source, namespace)
    return namespace[name]


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_dask_worker_imports_no_models_data_or_pandas_and_never_reads_an_outcome(tmp_path, client):
    """A worker runs tasks and passes their results on: had it imported pandas, torch or
    familybench's models (to read an outcome, or a probe holding a torch type), that CPU
    would be taken from the job processes warming up beside it. The futures read are
    released in batches; none is left on the cluster after the run."""
    models = {"linear": {"model": "linear"}, "mlp": {"model": "mlp", "params": {"hidden_layer_sizes": [4],
                                                                              "max_epochs": 2}}}
    _, records = execute(suite(models, seeds=10), tmp_path, executor=DaskExecutor(client))
    assert [r["status"] for r in records] == ["ok"] * 20
    assert all(re.fullmatch(r"tcp://127\.0\.0\.1:\d+ pid \d+", r["worker"]) for r in records)
    assert client.run(_by_value(_HEAVY, "heavy_modules")) == {address: [] for address in client.scheduler_info()["workers"]}
    left = _by_value("def left(dask_scheduler):\n    return [k for k in dask_scheduler.tasks if 'familybench' in str(k)]\n",
                     "left")
    deadline = time.monotonic() + 10
    while client.run_on_scheduler(left) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.run_on_scheduler(left) == []


def test_a_local_clusters_worker_starts_its_job_processes_as_it_starts(tmp_path):
    """The Prestart plugin a local cluster's workers get: the run's shipped code is written,
    then one warm job process per task slot waits, before the worker has registered."""
    from types import SimpleNamespace

    from familybench.bench.execute.dask.shipping import ShipCode, code_path
    from familybench.bench.execute.dask.worker import _IDLE, Prestart, end_run

    ship = ShipCode("d1", {"shipped_mod.py": b"X = 1\n"})
    payload = {"token": "prestart-test", "threads": {"127.0.0.1": 1}, "models": ("linear",), "code": ["d1"],
               "env": {}, "warm_up_timeout": 60.0, "slots": {"127.0.0.1": 2}, "memory_limit": None}
    worker = SimpleNamespace(local_directory=str(tmp_path), address="tcp://127.0.0.1:1",
                             state=SimpleNamespace(nthreads=2))
    Prestart(payload, [ship]).setup(worker)
    try:
        assert (Path(code_path(str(tmp_path), "d1")) / "shipped_mod.py").read_text() == "X = 1\n"
        children = [c for c in _IDLE if c.settings[0] == "prestart-test"]
        assert len(children) == 2
        for child in children:
            child.wait_ready(60)
            assert child.settings[1:4] == (1, ("linear",), (code_path(str(tmp_path), "d1"),))
    finally:
        assert end_run("prestart-test") == 2
    assert all(c.process.returncode is not None for c in children)


_PRESTARTED = """
def prestarted(dask_worker=None):
    from familybench.bench.execute.dask.worker import _IDLE
    plugins = [p for name, p in dask_worker.plugins.items() if name.startswith("familybench-prestart-")]
    return [p.pids for p in plugins], [c.pid for c in _IDLE]
"""


def test_a_local_dask_executor_runs_on_the_job_processes_its_workers_started_first():
    """The executor's own setup of the workers (which registers plugins) must not replace
    the job processes a local cluster's workers started as they started."""
    executor = DaskExecutor(n_workers=2)
    executor.start(["linear"], expected_jobs=4)
    try:
        found = executor._client.run(_by_value(_PRESTARTED, "prestarted"))
    finally:
        executor.close()
        executor.wait_closed()
    assert len(found) == 2
    for started, idle in found.values():
        assert len(started) == 1 and started[0] == idle and len(idle) == 1


_WORKER_SETTINGS = """
def worker_settings(dask_worker=None):
    import dask
    return (dask.config.get("distributed.worker.profile.enabled"),
            dask.config.get("distributed.admin.system-monitor.interval"),
            dask.config.get("distributed.admin.tick.interval"))
"""


def test_the_local_cluster_fails_a_dead_workers_job_at_once_and_keeps_its_workers_quiet(client):
    """familybench's local cluster: no retry of a job whose worker died, no queued job on a
    worker, and no profiler thread or frequent monitors competing with the jobs, also in a
    worker its nanny started again (a nanny's configuration once shared the global one's
    dictionaries, which the start's ``dask.config.set`` undid afterwards)."""
    import signal

    from familybench.bench.execute.dask.cluster import _scheduler_settings

    settings = client.run_on_scheduler(_scheduler_settings)
    assert (settings["allowed_failures"], settings["saturation"]) == (0, 1.0)
    victim = sorted(client.scheduler_info(n_workers=-1)["workers"])[0]
    os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = client.scheduler_info(n_workers=-1)["workers"]
        if victim not in workers and len(workers) == 2:
            break
        time.sleep(0.1)
    found = client.run(_by_value(_WORKER_SETTINGS, "worker_settings"))
    assert victim not in found and len(found) == 2
    assert set(found.values()) == {(False, "5s", "200ms")}


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_job_over_its_memory_limit_is_oom_on_dask_and_the_nannies_leave_memory_alone(tmp_path, client):
    workers = client.scheduler_info(n_workers=-1)["workers"]
    assert all(not w.get("memory_limit") for w in workers.values())  # familybench bounds each job itself
    jobs = suite({"bomb": {"model": "badmodels:MemoryBomb", "params": {"seconds": 3.0}}, "linear": {}},
                 memory_limit="400MB", seeds=1)
    _, records = execute(jobs, tmp_path, executor=DaskExecutor(client, threads=1))
    by_config = {r["config"]: r for r in records}
    assert by_config["bomb"]["status"] == "oom" and "over the 381 MiB limit" in by_config["bomb"]["error"]
    assert by_config["linear"]["status"] == "ok"


def test_a_suites_plugin_file_is_shipped_to_the_workers(tmp_path, client):
    plugin = tmp_path / "where_am_i.py"
    plugin.write_text(
        "from sklearn.linear_model import LinearRegression\n"
        "from familybench.models import register\n"
        "SHIPPED = 'familybench-code' in __file__  # the worker's copy, not the client's file\n"
        "class Here(LinearRegression):\n"
        "    def fit(self, X, y):\n"
        "        if not SHIPPED:\n"
        "            raise RuntimeError('imported from ' + __file__)\n"
        "        return super().fit(X, y)\n"
        "register('here', lambda task, **p: Here(**p), tasks=('regression',), family='linear')\n"
    )
    jobs = suite({"here": {}}, datasets=SINE, plugins=[str(plugin)], seeds=1)
    _, records = execute(jobs, tmp_path / "out", executor=DaskExecutor(client, threads=1))
    assert [r["status"] for r in records] == ["ok"], records[0]["error"]


def _external_family_module():
    """tests/models/test_external_family.py, also when only tests/e2e is collected."""
    import importlib.util

    name = "test_external_family"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "models" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_plugin_familys_failing_warm_up_is_a_noted_cold_start_on_dask(tmp_path, client, clean_registry):
    _suite = _external_family_module()._suite

    jobs = _suite(tmp_path, fail="raise", tune=False)
    with pytest.warns(ClusterWarning, match="warm-up of shrunk failed"):
        _, records = execute(jobs, tmp_path / "out", executor=DaskExecutor(client, threads=1))
    assert [r["status"] for r in records] == ["ok"]
    with ResultStore(tmp_path / "out", create=False) as store:
        cold = store.runs()[-1]["meta"]["worker"]["cold_starts"]
    assert len(cold) == 1 and "warm-up of shrunk failed" in cold[0]


def _children_of_workers(client) -> list:
    """The job processes (``dask_child``) of the cluster's worker processes."""
    import psutil

    children = []
    for pid in client.run(os.getpid).values():
        for child in psutil.Process(pid).children(recursive=True):
            try:
                if "familybench.bench.execute.dask.child" in " ".join(child.cmdline()):
                    children.append(child)
            except psutil.NoSuchProcess:
                pass
    return children


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_killed_clients_job_processes_end_on_a_cluster_that_outlives_it(tmp_path, client):
    """On an existing cluster the workers stay when the client is killed; what the run
    started on them (job processes, busy or idle) does not, and its task slots are free."""
    suite_file = tmp_path / "hang.toml"
    suite_file.write_text(
        'seeds = 2\ntimeout = 120\ndatasets = { sine1d = { n_samples = 100 } }\n'
        '[models.hang]\nmodel = "badmodels:Hang"\n'
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "familybench", "run", str(suite_file), "--scheduler",
         client.scheduler.address, "--out", str(tmp_path / "out")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def hanging() -> int:
        return sum(
            1 for tasks in client.processing().values() for key in tasks
            if str(key).startswith("familybench-") and not str(key).startswith("familybench-run-")
        )

    try:
        deadline = time.monotonic() + 120
        while hanging() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert hanging() == 2  # both workers are in the middle of a hung job
        children = _children_of_workers(client)
    finally:
        proc.kill()
        proc.wait()
    assert len(children) >= 2
    deadline = time.monotonic() + 15
    while (_alive(children) or hanging()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(children), [p.cmdline() for p in _alive(children)]
    assert hanging() == 0  # the slots are free for the next run
    _, records = execute(suite({"linear": {}}, SINE), tmp_path / "next", executor=DaskExecutor(client))
    assert [r["status"] for r in records] == ["ok", "ok"]


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_workers_that_join_mid_run_get_jobs_with_their_hosts_threads(tmp_path, monkeypatch):
    """Threads per job are re-read as workers join: one worker on a 2-core host runs
    2-thread jobs; two more join, the host has 3 slots, its jobs get 1 thread, a warning says
    the host is oversubscribed, and the newcomers run jobs (their job processes started)."""
    import familybench.bench.execute.dask.executor as dask_executor
    import familybench.bench.execute.dask.worker as dask_worker

    monkeypatch.setattr(dask_worker, "cpu_count", lambda: 2)  # the in-process workers' host
    monkeypatch.setattr(dask_executor, "REFRESH_SECONDS", 0.1)
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
        dashboard_address=None,
    )
    local = distributed.Client(cluster, set_as_default=False)

    class Grow(Hook):
        grown = False
        pool = None

        def on_job_end(self, record):
            if not self.grown:
                self.grown = True
                cluster.scale(3)
                local.wait_for_workers(3, timeout=60)
            with dask_worker._LOCK:  # the in-process workers' job processes, as this job ended
                self.pool = [c.settings[1] for c in [*dask_worker._IDLE, *dask_worker._BUSY]]

    try:
        jobs = suite({"sleepy": {"model": "badmodels:Sleepy", "params": {"seconds": 0.2}}}, SINE, seeds=8)
        with pytest.warns(ClusterWarning, match=r"host 127\.0\.0\.1: 3 task slots x 1 thread\(s\) per job on 2 cores"):
            grow = Grow()
            _, records = execute(jobs, tmp_path, executor=DaskExecutor(local), hooks=[grow])
    finally:
        local.close()
        cluster.close()
    assert all(r["status"] == "ok" for r in records), [r["error"] for r in records]
    threads = [r["threads"] for r in sorted(records, key=lambda r: r["finished_at"])]
    assert threads[0] == 2 and threads[-1] == 1
    workers = {r["worker"].split(" pid ")[0] for r in records}
    assert len(workers) == 3  # the two newcomers ran jobs too
    # at the end: at most one job process per slot, none left with the old thread count
    # (the in-process workers share one pool of job processes, so not exactly one each)
    assert grow.pool and set(grow.pool) == {1} and len(grow.pool) <= 3, grow.pool


def test_a_scheduler_address_that_is_not_one_is_a_one_line_error(tmp_path, capsys, client, monkeypatch):
    import socket

    import familybench.bench.execute.dask.executor as dask_executor

    monkeypatch.setattr(dask_executor, "CONNECT_SECONDS", 1.0)
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    worker = worker_addresses(client)[0]
    cases = {
        "notanaddress": "not a Dask scheduler address (ValueError: missing port number",
        f"tcp://127.0.0.1:{silent.getsockname()[1]}": "no Dask scheduler answered within 1 s",
        worker: "a Dask Worker answered there, not a Dask scheduler",
    }
    try:
        for address, message in cases.items():
            code = main(["run", "--models", "linear", "--datasets", "moons", "--scheduler", address,
                         "--out", str(tmp_path / "out")])
            err = capsys.readouterr().err.strip()
            assert code == 2, err
            assert err.startswith(f"familybench: error: --scheduler {address}: {message}"), err
            assert "\n" not in err and "Traceback" not in err
    finally:
        silent.close()


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_stored_data_file_changed_on_a_worker_is_sent_again(tmp_path, client):
    import hashlib

    csv = tmp_path / "points.csv"
    rng = np.random.default_rng(1)
    csv.write_text("x,y\n" + "\n".join(f"{a:.5f},{2 * a + b:.5f}" for a, b in rng.normal(size=(60, 2))) + "\n")
    jobs = suite({"linear": {}}, {"points": {"path": str(csv), "target": "y", "task": "regression"}})
    _, records = execute(jobs, tmp_path / "first", executor=DaskExecutor(client))
    assert [r["status"] for r in records] == ["ok", "ok"]
    sha = hashlib.sha256(csv.read_bytes()).hexdigest()

    def spoil(dask_worker):
        path = data_path(dask_worker.local_directory, sha, "points.csv")
        Path(path).write_text("garbage\n1\n")
        return path

    client.run(spoil)
    _, again = execute(jobs, tmp_path / "second", executor=DaskExecutor(client))
    assert [r["status"] for r in again] == ["ok", "ok"], [r["error"] for r in again]
    assert {r["seed"]: r["test_r2"] for r in again} == {r["seed"]: r["test_r2"] for r in records}

    def stored(dask_worker):
        return hashlib.sha256(Path(data_path(dask_worker.local_directory, sha, "points.csv")).read_bytes()).hexdigest()

    assert set(client.run(stored).values()) == {sha}


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_model_modules_local_imports_travel_with_it(tmp_path, client, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "fb_helper_mod.py").write_text(
        "from sklearn.linear_model import Ridge\n\ndef ridge():\n    return Ridge(alpha=2.0)\n"
    )
    (code / "fb_mymodels.py").write_text(
        "import fb_helper_mod\n\ntry:\n    import fb_logs\nexcept ImportError:\n    fb_logs = None\n\n"
        "def make(task, **params):\n    return fb_helper_mod.ridge()\n"
    )
    (code / "fb_logs").mkdir()  # a directory named like an import: not a package, not shipped
    (code / "fb_logs" / "run.bin").write_bytes(b"\0" * 1000)
    monkeypatch.syspath_prepend(str(code))
    from familybench.bench.execute.dask.cluster import local_code_files

    assert sorted(local_code_files("fb_mymodels")) == ["fb_helper_mod.py", "fb_mymodels.py"]
    _, records = execute(suite({"mine": {"model": "fb_mymodels:make"}}, SINE), tmp_path / "out",
                         executor=DaskExecutor(client))
    assert [r["status"] for r in records] == ["ok", "ok"], [r["error"] for r in records]
