"""Run a suite's jobs on a Dask cluster: a local one, or an existing scheduler.

:class:`DaskExecutor` implements the one-job-at-a-time :class:`~.executor.Executor`
interface, so ``execute()`` (and a tuner that submits trials as others finish) runs on it
unchanged, and only this process writes the result store, each result as its future
completes. Each job is one Dask task (:func:`.dask_worker.run_job`) that runs the job in a
reused, pre-warmed child process of its worker, which gives the process executor's
semantics on a cluster:

- a job past its timeout is killed with its child (``timeout``) and the worker runs the
  next job in a fresh child, warmed up outside every job's clock; a job that kills its
  child is ``failed`` "job process crashed (...)"; a job whose worker dies is ``failed``
  "Dask worker ADDR died while running this job" and is not retried (familybench's local
  cluster sets ``distributed.scheduler.allowed-failures`` to 0; on an existing cluster a
  larger value is reported as a warning);
- threads per job are ``cores // task slots`` of the workers on each host, re-read as
  workers join (at most every :data:`REFRESH_SECONDS`, when a job is submitted);
- the run holds a sentinel task; workers end the run's job processes once the scheduler
  drops it (the client closed or died), so nothing of a killed client's run stays on a
  cluster that outlives it;
- ``device = "auto"`` is resolved once per run (``cuda`` only when every worker offers a
  ``GPU`` resource); a ``cuda`` job asks for ``resources={"GPU": 1}``, and a run without
  any GPU worker is refused before a job is queued;
- modules named by the suite's models (``"module:callable"``) that are not installed are
  shipped to every worker (:class:`.dask_shipping.ShipCode`), and a user's data file by its
  content (:class:`.dask_shipping.ShipData`), never as a path;
- if the scheduler disappears, :class:`~familybench._errors.ExecutorLost` stops the run
  (the CLI exits 3); the results that arrived are kept, and re-running resumes.

``dask`` and ``distributed`` are imported only when a :class:`DaskExecutor` starts.
"""

from __future__ import annotations

import pickle
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import replace

from familybench._devices import AUTO, CPU, CUDA
from familybench._errors import ExecutorLost, FamilybenchError
from familybench._threads import cpu_count
from familybench.bench.execute.base import Executor, failure
from familybench.bench.execute.dask.cluster import (
    LOCAL_HOST,
    ClusterWarning,
    _client_environment,
    _import_distributed,
    _quiet,
    _scheduler_settings,
    _warn,
    hold_sentinel,
    probe_scheduler,
    restore_environment,
    start_local_cluster,
    warn_about_scheduler,
)
from familybench.bench.execute.dask.view import WorkerView
from familybench.bench.execute.worker import Outcome, one_line
from familybench.bench.plan.jobs import Job
from familybench.bench.results.record import FAILED

RELEASE_BATCH = 16
"""Futures whose results were read are released this many at a time."""
WORKER_WAIT_SECONDS = 60.0
"""How long an existing cluster may take to show its first worker."""
CONNECT_SECONDS = 10.0
"""How long a scheduler address may take to answer as a Dask scheduler."""
REFRESH_SECONDS = 1.0
"""How often, at most, submitting a job re-reads the cluster's workers (workers that joined:
their task slots, threads per job on their host, their job processes started)."""


class DaskExecutor(Executor):
    """Run jobs as Dask tasks, each in a reused child process of its worker.

    Give one of ``client`` (an existing ``distributed.Client``, left open at
    :meth:`close`), ``scheduler`` (an address such as ``"tcp://10.0.0.5:8786"``) or neither
    (a :func:`start_local_cluster` of ``n_workers`` workers, closed at :meth:`close`).

    Parameters
    ----------
    client : distributed.Client, default=None
    scheduler : str, default=None
    n_workers : int, default=1
        Workers of the local cluster (at most the number of jobs expected).
    max_in_flight : int, default=None
        Jobs submitted at once (``slots``); ``None``: the workers' total task slots.
    threads : int, default=None
        Threads per job everywhere; ``None``: ``max(1, cores // task slots)`` of each host.
    workers : list of str, default=None
        Run only on these worker addresses.
    warm_up_timeout : float, default=180
        Seconds a child may spend importing and warming up before it is replaced by one
        that skips the warm-up fits (a noted cold start, see ``worker_info["cold_starts"]``).
    worker_resources : dict, default=None
        Resources the local cluster's workers offer (``{"GPU": 1}``).
    memory_limit : int, default=None
        Bytes a job may add to its process tree's resident memory before it is killed
        (``oom``); ``None``: the job's own ``memory_limit``, else 0.8 × the worker host's
        RAM over its task slots. The local cluster's nannies manage no memory themselves.
    """

    def __init__(
        self,
        client=None,
        *,
        scheduler: str | None = None,
        n_workers: int = 1,
        max_in_flight: int | None = None,
        threads: int | None = None,
        workers: list[str] | None = None,
        warm_up_timeout: float = 180.0,
        worker_resources: dict | None = None,
        memory_limit: int | None = None,
    ):
        if client is not None and scheduler is not None:
            raise ValueError("give a client or a scheduler address, not both")
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self._given_client = client
        self.scheduler = scheduler
        self.n_workers = max(1, int(n_workers))
        self.max_in_flight = max_in_flight
        self._threads_override = threads
        self._restrict = list(workers) if workers else None
        self.warm_up_timeout = float(warm_up_timeout)
        self._worker_resources = worker_resources
        self.memory_limit = memory_limit  # bytes a job may add; None: the job's, else 0.8 × RAM / slots
        self._view = WorkerView(restrict=self._restrict, threads=threads)
        self._alive_key = None
        self._client = None
        self._cluster = None
        self._owns_client = False
        self._futures: dict[str, tuple[object, Job]] = {}
        self._done: deque[Outcome] = deque()
        self._collected: list = []  # futures read, to release at the next submit
        self._delivered = 0
        self.warm_up_seconds = 0.0
        self.worker_info = {}

    # -- start

    def start(self, models, *, expected_jobs=None):
        _, distributed = _import_distributed()
        if self._client is not None:
            self.close()
        self._token = uuid.uuid4().hex
        self._delivered, self.warm_up_seconds, self._probed = 0, 0.0, False
        self._child_env = _client_environment()
        self._models = tuple(sorted(set(models)))
        from familybench.bench.execute.dask.shipping import Shipment

        self._shipment = Shipment(self._models)
        self._alive_key = None
        self._signature, self._generation = None, 0
        self._view = view = WorkerView(restrict=self._restrict, threads=self._threads_override)
        self._connect(distributed, expected_jobs)
        client = view.client = self._client
        try:
            self._sentinel, self._alive_key = hold_sentinel(client, self._token, WORKER_WAIT_SECONDS)
        except Exception as exc:
            raise self._lost(exc) from None
        settings = client.run_on_scheduler(_scheduler_settings)
        warn_about_scheduler(settings)
        workers = view.workers()
        try:
            view.read(workers)
        except Exception as exc:
            raise self._lost(exc) from None
        gpus = [a for a, info in workers.items() if info.get("resources", {}).get("GPU", 0) >= 1]
        self._gpu_workers = len(gpus)
        self._auto_device = CUDA if workers and len(gpus) == len(workers) else CPU
        from familybench.bench.execute.dask.worker import StopChildren

        if self._cluster is None:  # a local cluster's workers have it from their start: adding
            client.register_plugin(StopChildren())  # it again tears that one down, with its children
        self._shipment.send_code(client)
        from familybench.bench.execute.dask.worker import prestart

        # Job processes start warming up now, on every worker, not when a first task arrives.
        client.run(prestart, self._payload(None), workers=list(workers))  # returns once they are spawned
        self._next_refresh = time.monotonic() + REFRESH_SECONDS
        # results are fetched on the client's event loop as each task ends, before they are asked for
        self._ac = distributed.as_completed(loop=client.loop, with_results=True, raise_errors=False)
        dashboard = None
        if settings["bokeh"] and "dashboard" in view.info.get("services", {}):
            dashboard = client.dashboard_link
            print(f"familybench: Dask dashboard at {dashboard}", file=sys.stderr)
        self.worker_info = {
            "executor": "dask",
            "scheduler": client.scheduler.address,
            "workers": len(workers),
            "task_slots": view.slots,
            "threads_by_host": view.threads_by_host,
            "cores_by_host": view.cores_by_host,
            "gpu_workers": len(gpus),
            "auto_device": self._auto_device,
            "allowed_failures": settings["allowed_failures"],
            "worker_saturation": settings["saturation"],
            "shipped_modules": sorted(self._shipment.modules),
            "dashboard": dashboard,
            "cold_starts": [],
        }

    def _connect(self, distributed, expected_jobs) -> None:
        if self._given_client is not None:
            self._client, self._owns_client = self._given_client, False
        elif self.scheduler is not None:
            probe_scheduler(self.scheduler, CONNECT_SECONDS)
            try:
                self._client = distributed.Client(
                    self.scheduler, timeout=CONNECT_SECONDS, set_as_default=False
                )
            except Exception as exc:
                raise FamilybenchError(
                    f"--scheduler {self.scheduler}: cannot connect ({one_line(exc)})"
                ) from None
            self._owns_client = True
        else:
            count = (
                self.n_workers
                if expected_jobs is None
                else max(1, min(self.n_workers, expected_jobs))
            )
            # The workers start this run's job processes as they start (threads and task
            # slots as the client will find them): imports and warm-up overlap the start.
            from familybench.bench.execute.dask.worker import Prestart, StopChildren

            self._view.assume(LOCAL_HOST, count, self._threads_override or max(1, cpu_count() // count))
            self._cluster = start_local_cluster(
                count, resources=self._worker_resources,
                plugins=[StopChildren(), Prestart(self._payload(None), self._shipment.code_plugins)],
            )
            self._client = distributed.Client(self._cluster, set_as_default=False, direct_to_workers=True)
            self._owns_client = True
        if self._cluster is None and self._given_client is None:
            try:
                self._client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except (OSError, TimeoutError):
                self.close()
                raise FamilybenchError(
                    f"the Dask scheduler {self.scheduler} has no workers "
                    f"(waited {WORKER_WAIT_SECONDS:g} s)"
                ) from None

    def _refresh_workers(self) -> None:
        """At most every :data:`REFRESH_SECONDS`: take in workers that joined (or left);
        the job processes of those that joined start warming up at once."""
        now = time.monotonic()
        if now < self._next_refresh:
            return
        self._next_refresh = now + REFRESH_SECONDS
        view = self._view
        try:
            workers = view.changed()
            if workers is None:
                return
            before = dict(view.threads_by_host)
            new = view.read(workers)
            # job processes start warming up now: on the newcomers, and on every worker of a
            # host whose threads per job changed (their idle ones with the old count end)
            changed = {host for host in view.threads_by_host if view.threads_by_host[host] != before.get(host)}
            targets = [a for a, info in workers.items() if a in new or info["host"] in changed]
            if targets:
                from familybench.bench.execute.dask.worker import prestart

                self._client.run(prestart, self._payload(None), workers=targets, on_error="ignore")
        except Exception as exc:
            raise self._lost(exc) from None
        self.worker_info.update(
            workers=len(workers), task_slots=view.slots, threads_by_host=view.threads_by_host,
            cores_by_host=view.cores_by_host,
        )

    # -- jobs

    @property
    def slots(self) -> int:
        if self.max_in_flight is not None:
            return self.max_in_flight
        return self._view.slots or self.n_workers

    @property
    def threads(self) -> int:
        """Threads per job (the fewest on any host)."""
        return self._view.threads

    @property
    def in_flight(self) -> int:
        return len(self._futures) + len(self._done)

    def _device(self, device: str) -> str:
        if device == AUTO:
            device = self._auto_device
        if device == CUDA and not self._gpu_workers:
            raise FamilybenchError(
                "device 'cuda': no Dask worker offers a GPU (start workers with --resources "
                "GPU=1); refusing to queue jobs that would wait forever"
            )
        return device

    def _payload(self, job: Job | None) -> dict:
        """What a task (or :func:`.dask_worker.prestart`) gets besides its job's own files;
        its ``generation`` goes up whenever the threads per host or the shipped code change."""
        signature = (tuple(sorted(self._view.threads_by_host.items())), tuple(self._shipment.code))
        if signature != self._signature:
            self._signature, self._generation = signature, self._generation + 1
        return {
            "job": job, "data": None, "token": self._token, "threads": dict(self._view.threads_by_host),
            "generation": self._generation,
            "models": self._models, "code": list(self._shipment.code), "warm_up_timeout": self.warm_up_timeout,
            "env": self._child_env, "probe": False, "plugin_files": {}, "slots": self._view.slots_by_host,
            "memory_limit": self.memory_limit, "alive": self._alive_key,
        }

    def submit(self, job: Job) -> None:
        if self._client is None:
            raise RuntimeError("submit() before start()")
        self._refresh_workers()
        device = self._device(job.device)
        task_job = replace(job, device=device) if device != job.device else job
        data = None
        if job.dataset.loader == "file" and job.dataset.path is not None:
            data = self._shipment.data(self._client, job.dataset)
            if isinstance(data, str):
                self._done.append(failure(job, FAILED, data, self.threads, 0.0))
                return
            task_job = replace(task_job, dataset=replace(job.dataset, path=None))
        plugin_files = self._shipment.plugins(self._client, job.plugins) if job.plugins else {}
        if isinstance(plugin_files, str):
            self._done.append(failure(job, FAILED, plugin_files, self.threads, 0.0))
            return
        payload = {**self._payload(task_job), "data": data, "probe": not self._probed, "plugin_files": plugin_files}
        self._probed = True
        from familybench.bench.execute.dask.worker import run_job
        try:
            future = self._client.submit(
                run_job,
                payload,
                key=f"familybench-{job.key}-{uuid.uuid4().hex[:8]}",
                pure=False,
                resources={"GPU": 1} if device == CUDA else None,
                workers=self._view.restrict,
                allow_other_workers=False,
                retries=0,
            )
        except Exception as exc:
            raise self._lost(exc) from None
        self._futures[future.key] = (future, job)
        self._ac.add(future)
        self._release_collected()

    def _release_collected(self) -> None:
        """Release the futures whose results were read, a batch at a time and after a submit:
        a release fills the client's batched stream to the scheduler, which then holds the
        next message (a job submitted to a free worker) for its 10 ms interval. Their
        results (a few hundred kB) stay on the workers meanwhile."""
        if len(self._collected) < RELEASE_BATCH:
            return
        for future in self._collected:
            future.release()
        self._collected.clear()

    def next_outcome(self) -> Outcome:
        if not self.in_flight:
            raise RuntimeError("next_outcome() with no job submitted")
        while not self._done:
            self._done.append(self._collect(*next(self._ac)))
        self._delivered += 1
        return self._done.popleft()

    def _collect(self, future, result) -> Outcome:
        """The outcome of a task that ended: ``result`` is what it returned (fetched by
        ``as_completed``), or what ended it."""
        _, job = self._futures.pop(future.key)
        self._collected.append(future)
        if future.status == "error":
            from distributed.scheduler import KilledWorker

            try:
                exc = future.exception()
            except Exception as lost:
                raise self._lost(lost) from None
            if isinstance(exc, KilledWorker):
                message = f"Dask worker {exc.last_worker.address} died while running this job"
            else:
                message = f"Dask task failed: {one_line(exc)}"
            return failure(job, FAILED, message, self.threads, 0.0)
        if future.status != "finished" or not isinstance(result, dict):
            running = self._client.status == "running"
            raise self._lost(f"its task was {future.status}" if running else "connection lost")
        outcome = self._outcome(job, result)
        self.warm_up_seconds += result["warm_up_seconds"]
        for note in result["notes"]:
            note = f"{result['worker']}: {note}"
            self.worker_info["cold_starts"].append(note)
            _warn(note)
        if (
            result["info"]
            and "torch" not in self.worker_info
            and "torch_error" not in self.worker_info
        ):
            self.worker_info.update({k: v for k, v in result["info"].items() if k != "pid"})
        return outcome

    @staticmethod
    def _outcome(job: Job, result: dict) -> Outcome:
        """The job's outcome from what its task returned (see :func:`.dask_worker.run_job`)."""
        if result["outcome"] is not None:
            try:
                outcome = pickle.loads(result["outcome"])
            except Exception as exc:  # a class the job process had and this process has not
                outcome = failure(job, FAILED, f"the job's result cannot be read here ({one_line(exc)})",
                                   result["threads"], 0.0)
            outcome.job = job
        else:
            outcome = failure(job, *result["failure"][:2], result["threads"], result["failure"][2])
        if result["pid"] is not None:
            outcome.record["worker"] = f"{result['worker']} pid {result['pid']}"
        return outcome

    def _lost(self, cause) -> ExecutorLost:
        address = self.scheduler or getattr(
            getattr(self._client, "scheduler", None), "address", "?"
        )
        reason = cause if isinstance(cause, str) else one_line(cause)
        return ExecutorLost(
            f"lost the Dask scheduler {address} ({reason}): {self._delivered} results kept; "
            "re-run to resume"
        )

    # -- end

    def close(self) -> None:
        """Stop this run's jobs and job processes and close what this executor started.

        familybench's own local cluster shuts down in a background (non-daemon) thread, so
        the caller goes on meanwhile (the CLI writes its report); :meth:`wait_closed` waits
        for it, as the interpreter does before it exits. Safe to call twice.
        """
        client, self._client = self._client, None
        if client is None:
            return
        futures = [f for f, _ in self._futures.values()]
        self._futures.clear()
        sentinel, self._sentinel = getattr(self, "_sentinel", None), None
        futures_read, self._collected = self._collected, []
        self._done.clear()
        if client.status == "running":
            from familybench.bench.execute.dask.worker import end_run

            try:
                if futures:
                    client.cancel(futures, force=True)
                client.run(end_run, self._token, on_error="ignore")
            except Exception:  # the cluster is going or gone: its workers end their children
                pass
        lost = client.status != "running"
        cluster, self._cluster = self._cluster, None
        owns_client = self._owns_client

        def shut_down():
            noisy = ("distributed.client", "distributed.comm", "distributed.core")
            with _quiet(*noisy) if lost else _quiet():
                for future in futures + futures_read + ([sentinel] if sentinel is not None else []):
                    future.release()
                for closable in ([client] if owns_client else []) + ([cluster] if cluster else []):
                    try:
                        closable.close(timeout=10)
                    except Exception:
                        pass
                if cluster is not None:  # its nannies may have restarted workers meanwhile
                    restore_environment()

        if cluster is None:
            shut_down()
        else:
            self._closer = threading.Thread(target=shut_down, name="familybench-dask-close")
            self._closer.start()

    def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the local cluster that :meth:`close` shuts down in the background is gone."""
        closer = getattr(self, "_closer", None)
        if closer is not None:
            closer.join(timeout)


# start_local_cluster and ClusterWarning live in dask_cluster; imported here for existing callers
__all__ = ["ClusterWarning", "DaskExecutor", "restore_environment", "start_local_cluster"]
