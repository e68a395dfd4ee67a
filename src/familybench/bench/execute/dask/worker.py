"""The worker side of the Dask executor: the task that runs one job, the worker's pool of
job processes, and the plugins that start and stop them (:mod:`.dask_shipping` brings a
run's code and data files to every worker).

A Dask task cannot be interrupted, so :func:`run_job` hands its job to a reused child
process (a :class:`~.dask_child.JobProcess`), waits at most the job's timeout, and kills
the child when the time is up (``timeout``) or finds it dead (``failed``, "job process
crashed"). A killed or crashed child is replaced at once and warms up again while the
worker goes on, so no job's clock counts a warm-up. Children are kept per worker process
in this module (one per task slot in use); a run's children end with :func:`end_run`, with
their worker process (each watches its standard input), when a different run arrives, or
when the run's client is gone: each worker asks the scheduler every second whether the
run's sentinel task (held by its client, released when the client closes or dies) is still
there (:func:`_watch`), so on a cluster that outlives a killed client nothing of its run
stays alive, or keeps a task slot busy.

This module is imported by Dask workers (pickled references to :func:`run_job` and the
plugins) and must therefore be importable wherever familybench is installed. It stays
light: a worker imports neither familybench's models and datasets nor pandas, and never
unpickles a job's outcome (the job process pickles it, the client reads it), so a worker
starting up or passing results on takes no CPU from the job processes warming up.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from dataclasses import replace

from distributed.diagnostics.plugin import WorkerPlugin

from familybench._errors import exit_description, one_line
from familybench._threads import cpu_count
from familybench.bench.execute.dask.child import JobProcess
from familybench.bench.execute.dask.shipping import ShipCode, code_path, data_path
from familybench.bench.execute.memory import default_memory_limit, gib
from familybench.bench.results.record import FAILED, OOM, TIMEOUT

COLD_START_TIMEOUT = 120.0
"""Seconds a child without warm-up fits (imports only) may take to start."""
ALIVE_POLL_MS = 1000
"""How often a worker asks the scheduler whether the runs it has job processes for still
have their client."""


# -- job processes


_LOCK = threading.Lock()
_IDLE: list[JobProcess] = []
_BUSY: set[JobProcess] = set()
_ENDED: set[str] = set()
_ALIVE: dict[str, str] = {}  # run token -> the key of its client's sentinel task
# run token -> (generation, threads per host, code digests) of the newest payload seen here:
# tasks submitted before the client re-read its workers (or shipped more code) run with
# the newer values too, so one worker's job processes for a run all have the same settings
_NEWEST: dict[str, tuple[int, dict, tuple]] = {}
_CURRENT: dict[str, tuple] = {}  # run token -> the settings its job processes have now


def _acquire(settings: tuple, cwd: str, probe: bool) -> JobProcess:
    """An idle child with these settings, or a new one (``probe``: it reports its
    environment); idle children of other runs, or of this run with older settings, end."""
    token = settings[0]
    with _LOCK:
        if token in _ENDED:  # a task of a closed run that started late
            raise RuntimeError("job process not started: its run has ended")
        child = None
        for candidate in list(_IDLE):
            if candidate.settings == settings and child is None:
                child = candidate
                _IDLE.remove(candidate)
            elif candidate.settings != settings:
                _IDLE.remove(candidate)
                candidate.kill()
        if child is None:
            child = JobProcess(settings, cwd, probe=probe)
        _BUSY.add(child)
        return child


def _release(child: JobProcess, *, replace_it: bool, cwd: str) -> None:
    """Back to the idle pool; ``replace_it``: kill it and pool a fresh one, warming up now.
    A child whose run has ended, or whose settings the run has since changed, ends."""
    token = child.settings[0]
    with _LOCK:
        _BUSY.discard(child)
        current = _CURRENT.get(token, child.settings)
        if replace_it or token in _ENDED or child.settings != current:
            child.kill()
        if token not in _ENDED:
            if replace_it or child.settings != current:
                _IDLE.append(JobProcess(current, cwd, warm=child.warm, probe=False))
            else:
                _IDLE.append(child)


def _swap(old: JobProcess, new: JobProcess) -> JobProcess:
    with _LOCK:
        _BUSY.discard(old)
        _BUSY.add(new)
    return new


class StopChildren(WorkerPlugin):
    """Kill every job process when its worker closes, so a closing worker does not wait
    for a job that its task thread is still watching (the nanny would kill it after 4 s)."""

    idempotent = True
    name = "familybench-stop-children"

    def teardown(self, worker) -> None:
        with _LOCK:
            for child in _IDLE:
                child.kill()
            for child in _BUSY:
                child.kill(close_pipes=False)
            _IDLE.clear()


def end_run(token: str) -> int:
    """Kill every child of run ``token`` on this worker (idle or busy); how many there were."""
    with _LOCK:
        _ENDED.add(token)
        _ALIVE.pop(token, None)
        _NEWEST.pop(token, None)
        _CURRENT.pop(token, None)
        doomed = [c for c in [*_IDLE, *_BUSY] if c.settings[0] == token]
        for child in doomed:
            if child in _IDLE:
                _IDLE.remove(child)
                child.kill()
            else:
                child.kill(close_pipes=False)
    return len(doomed)


def _watch(worker, payload: dict) -> None:
    """From now on, end run ``payload["token"]``'s job processes on this worker once its
    client's sentinel task (``payload["alive"]``, a key the scheduler knew before the client
    sent anything with it) is gone from the scheduler."""
    token, key = payload["token"], payload.get("alive")
    if key is None:
        return
    with _LOCK:
        if token in _ENDED or _ALIVE.get(token) == key:
            return
        _ALIVE[token] = key
        if "familybench-runs" in worker.periodic_callbacks:
            return
        from tornado.ioloop import PeriodicCallback

        callback = PeriodicCallback(functools.partial(_check_runs, worker), ALIVE_POLL_MS)
        worker.periodic_callbacks["familybench-runs"] = callback  # stopped when the worker closes
    worker.loop.add_callback(callback.start)


async def _check_runs(worker) -> None:
    with _LOCK:
        runs = {token: key for token, key in _ALIVE.items() if token not in _ENDED}
    if not runs:
        return
    try:
        states = await worker.scheduler.get_task_status(keys=list(runs.values()))
    except Exception:  # no scheduler now: the worker reconnects, or closes with its children
        return
    for token, key in runs.items():
        if states.get(key) is None:  # released: the client closed or died
            await asyncio.get_running_loop().run_in_executor(None, end_run, token)


def host_cores() -> int:
    """CPUs this worker process may use (for the client's threads-per-job split)."""
    return cpu_count()


def _ready_child(
    settings: tuple, cwd: str, warm_up_timeout: float, notes: list[str], probe: bool
) -> tuple[JobProcess, float]:
    """A started child; a warm-up that fails or hangs becomes a noted cold start.

    Returns the child and the seconds spent starting children for this job (0 when reused).
    ``RuntimeError`` when not even a cold child starts.
    """
    child = _acquire(settings, cwd, probe)
    if child.ready:
        return child, 0.0
    spent = 0.0
    if child.warm:
        try:
            child.wait_ready(warm_up_timeout)
            return child, child.warm_up_seconds
        except TimeoutError:
            what = f"timed out after {warm_up_timeout:g} s"
        except (EOFError, OSError):
            what = f"crashed ({exit_description(child.exit_code())})"
        spent = time.monotonic() - child.started
        child.kill()
        if settings[0] in _ENDED:  # killed by end_run: no cold start for a closed run
            with _LOCK:
                _BUSY.discard(child)
            raise RuntimeError("job process stopped: its run has ended")
        notes.append(f"warm-up of a job process {what}: cold start")
        child = _swap(child, JobProcess(settings, cwd, warm=False, probe=child.probe))
    try:
        child.wait_ready(max(warm_up_timeout, COLD_START_TIMEOUT))
        return child, spent + child.warm_up_seconds
    except TimeoutError:
        what = f"timed out after {max(warm_up_timeout, COLD_START_TIMEOUT):g} s"
    except (EOFError, OSError):
        what = f"crashed ({exit_description(child.exit_code())})"
    child.kill()
    with _LOCK:
        _BUSY.discard(child)
    raise RuntimeError(f"job process could not start ({what})")


def _newest(payload: dict) -> tuple[int, dict, tuple]:
    """(generation, threads per host, code digests) of the newest payload of this run seen
    on this worker, ``payload`` included."""
    token, generation = payload["token"], payload.get("generation", 0)
    with _LOCK:
        seen = _NEWEST.get(token)
        if seen is None or generation > seen[0]:
            _NEWEST[token] = seen = (generation, payload["threads"], tuple(payload["code"]))
    return seen


def _settings(payload: dict, worker) -> tuple:
    """What makes a job process fit for a run's job on this worker: the run, threads per job
    on this host, warmed models, the shipped code on its path, the environment variables
    given to it (threads and code from the run's newest payload seen here)."""
    from distributed.comm import get_address_host

    _, threads_by_host, code = _newest(payload)
    threads = threads_by_host.get(get_address_host(worker.address)) or max(
        1, cpu_count() // max(1, worker.state.nthreads)
    )
    settings = (
        payload["token"],
        threads,
        tuple(payload["models"]),
        tuple(code_path(worker.local_directory, digest) for digest in code),
        tuple(sorted(payload["env"].items())),
    )
    with _LOCK:
        if payload["token"] not in _ENDED:
            _CURRENT[payload["token"]] = settings
    return settings


def prestart(payload: dict, dask_worker=None) -> int:
    """Start this worker's job processes for a run now, one per task slot, without waiting
    for them: they import and warm up while the client records the run and the first
    tasks are scheduled (``Client.run`` calls it on every worker). Idle children of other
    runs, or of this run with other settings (started by :class:`Prestart` before the
    client knew the cluster), end. Returns how many started."""
    worker = dask_worker
    local = worker.local_directory
    settings = _settings(payload, worker)
    _watch(worker, payload)
    with _LOCK:
        if settings[0] in _ENDED:
            return 0
        for child in [c for c in _IDLE if c.settings != settings]:
            _IDLE.remove(child)
            child.kill()
        # busy children of the run hold a slot too: each is pooled (or replaced) when its job ends
        have = sum(1 for c in _IDLE if c.settings == settings) + sum(
            1 for c in _BUSY if c.settings[0] == settings[0]
        )
        missing = max(0, worker.state.nthreads - have)
        _IDLE.extend(JobProcess(settings, local, probe=True) for _ in range(missing))
    return missing


class Prestart(WorkerPlugin):
    """Given to the workers of familybench's own local cluster when they are created: each
    starts its run's job processes as it starts, before it has registered with the
    scheduler, so their imports and warm-up overlap the cluster's start.

    Parameters
    ----------
    payload : dict
        What :func:`prestart` needs (as :meth:`.DaskExecutor._payload` builds it).
    code : list of ShipCode
        The run's shipped modules, written first: the job processes import them.
    """

    idempotent = True

    def __init__(self, payload: dict, code: list[ShipCode]):
        self.payload = payload
        self.code = list(code)
        self.name = f"familybench-prestart-{payload['token']}"
        self.pids: list[int] = []  # of the job processes it started (on the worker)

    def setup(self, worker) -> None:
        for ship in self.code:
            ship._write(worker.local_directory)
        prestart(self.payload, worker)
        with _LOCK:
            self.pids = [c.pid for c in _IDLE if c.settings[0] == self.payload["token"]]


def run_job(payload: dict) -> dict:
    """The Dask task: run ``payload["job"]`` in a child of this worker; never raises.

    Parameters
    ----------
    payload : dict
        ``job`` (its file dataset, if any, without a path), ``data`` (``None`` or
        ``(sha256, filename)`` of a :class:`ShipData` file), ``token`` (the run),
        ``threads`` (per host), ``models`` (warm-up), ``code`` (:class:`ShipCode` digests),
        ``generation`` (bumped by the client when threads or code change: a worker uses the
        newest it has seen for the run),
        ``env`` (variables to give the child as the client has them, ``None``: unset),
        ``alive`` (the key of the run's sentinel task, see :func:`_watch`),
        ``warm_up_timeout`` (seconds), ``probe`` (a new child reports its environment:
        torch, the GPU; asked of one job per run, as importing torch costs a second),
        ``plugin_files`` (a suite's plug-in file → ``(digest, filename)`` of its
        :class:`ShipCode`), ``slots`` (task slots per host) and ``memory_limit`` (bytes a
        job may add, when the executor sets one; else the job's own, else 0.8 × this host's
        RAM over its slots): the job process tree is polled every 50 ms and killed above it
        (``oom``).

    Returns
    -------
    dict
        ``outcome`` (the job process's pickled :class:`~familybench.bench.execute.worker.Outcome`,
        bytes the client unpickles) or ``failure`` (``(status, message, seconds)``, which the
        client turns into the job's record), ``threads`` (the job's), ``pid`` (of the job
        process, ``None`` when none ran it), ``warm_up_seconds`` (spent starting children
        for this job), ``notes`` (cold starts), ``info`` (the child's environment probe) and
        ``worker`` (this worker's address).
    """
    from distributed import get_worker
    from distributed.comm import get_address_host

    worker = get_worker()
    _watch(worker, payload)
    local = worker.local_directory
    job = payload["job"]
    settings = _settings(payload, worker)
    threads = settings[1]
    result = {"warm_up_seconds": 0.0, "notes": [], "info": {}, "worker": worker.address,
              "threads": threads, "pid": None, "outcome": None, "failure": None}
    shipped = payload.get("plugin_files") or {}
    if shipped:  # the suite's plug-in files, as this worker stored them
        plugins = tuple(os.path.join(code_path(local, shipped[p][0]), shipped[p][1]) if p in shipped else p
                        for p in job.plugins)
        job = replace(job, plugins=plugins)
    if payload["data"] is not None:
        sha256, filename = payload["data"]
        path = data_path(local, sha256, filename)
        if not os.path.isfile(path):
            message = (
                f"data file {filename} (sha256 {sha256[:16]}) was not delivered to worker "
                f"{worker.address}"
            )
            result["failure"] = (FAILED, message, 0.0)
            return result
        job = replace(job, dataset=replace(job.dataset, path=path))
    try:
        child, result["warm_up_seconds"] = _ready_child(
            settings, local, payload["warm_up_timeout"], result["notes"], payload["probe"]
        )
    except RuntimeError as exc:
        result["failure"] = (FAILED, str(exc), 0.0)
        return result
    result["info"] = child.info
    result["pid"] = child.pid
    host_slots = (payload.get("slots") or {}).get(get_address_host(worker.address)) or worker.state.nthreads
    memory_limit = job.memory_limit or payload.get("memory_limit") or default_memory_limit(host_slots)
    started = time.monotonic()
    failure = None  # (status, message): the child is replaced and the job recorded as such
    try:
        child.send(job)
        message = child.receive_supervised(started + job.timeout, memory_limit)
    except MemoryError as exc:
        failure = (OOM, f"killed: used {gib(exc.args[0])} of memory above its start, over the "
                        f"{gib(memory_limit)} limit")
    except TimeoutError:
        failure = (TIMEOUT, f"stopped after the {job.timeout:g} s timeout")
    except (EOFError, OSError):
        failure = (FAILED, f"job process crashed ({exit_description(child.exit_code())}) while running this job")
    except Exception as exc:  # a job that does not pickle: this job's failure only
        failure = (FAILED, f"job process protocol: {one_line(exc)}")
    _release(child, replace_it=failure is not None, cwd=local)
    if failure is not None:
        result["failure"] = (*failure, time.monotonic() - started)
        return result
    if message[0] == "unpicklable":
        result["failure"] = (FAILED, f"the job's result does not pickle ({message[1]})",
                             time.monotonic() - started)
    else:
        result["outcome"] = message[1]
    for name in message[2] if len(message) > 2 else ():
        if name not in child.cold_noted:  # a model warmed before its first job here, and it failed
            child.cold_noted.add(name)
            result["notes"].append(f"warm-up of {name} failed or overran its time limit: cold start")
    return result
