"""The client's side of a Dask cluster, apart from running jobs: familybench's local
cluster and the environment its nannies touch, the scheduler's settings, cluster warnings,
and which local code must travel to the workers (by content).

``dask`` and ``distributed`` are imported only inside these functions.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import importlib.util
import logging
import os
import sys
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

from familybench._errors import FamilybenchError, one_line

DATA_WARNING_BYTES = 500 * 1024**2
"""A data file above this size is sent to every worker with a warning."""
CODE_WARNING_BYTES = 50 * 1024**2
LOCAL_HOST = "127.0.0.1"
"""Where familybench's local cluster listens (loopback only)."""


class ClusterWarning(UserWarning):
    """Something about the cluster that makes a run slower or less isolated than it should be."""


def _warn(message: str) -> None:
    """A :class:`ClusterWarning`, shown as one line ("familybench: ClusterWarning: ...")."""
    warnings.warn_explicit(message, ClusterWarning, "familybench", 0)


@contextmanager
def _quiet(*loggers: str):
    """Silence these loggers for a while (a client closing after its scheduler vanished logs
    tracebacks of its reconnection attempts; the run has its own one-line error)."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _import_distributed():
    try:
        import dask
        import distributed
    except ImportError as exc:
        raise FamilybenchError(
            f"the Dask executor needs dask and distributed ({exc}); pip install 'familybench[dask]'"
        ) from None
    return dask, distributed


def start_local_cluster(n_workers: int, *, resources: dict | None = None, plugins=()):
    """familybench's own ``LocalCluster``: ``n_workers`` nanny-managed worker processes with
    one task slot each, listening on 127.0.0.1 only.

    The scheduler fails a task at once when its worker dies (``allowed-failures`` 0), so a
    job that kills its worker takes no other worker with it, and sends a worker no more
    tasks than it has threads (``worker-saturation`` 1.0), so a dying worker holds no queued
    job. The scheduler's HTTP server takes a free port (with ``None`` it would take 8787).
    The workers' statistical profiler is off: its sampling thread competes with the jobs; the
    system monitor and the event-loop tick run less often, for the same reason.

    A nanny writes its workers' environment into this process's ``os.environ`` before it
    starts one (``MALLOC_TRIM_THRESHOLD_``, thread counts, ``PYTHONHASHSEED``), where every
    process started later inherits it: familybench's nannies set nothing but the hash seed,
    and :func:`restore_environment` undoes what they wrote (here, after the start).

    Parameters
    ----------
    n_workers : int
    resources : dict, default=None
        Resources every worker offers, e.g. ``{"GPU": 1}``.
    plugins : sequence of distributed.WorkerPlugin, default=()
        Set up in every worker as it starts, before it registers with the scheduler (and
        again in a worker its nanny restarts).

    Returns
    -------
    distributed.LocalCluster
    """
    dask, distributed = _import_distributed()
    scheduler = {
        "distributed.scheduler.allowed-failures": 0,
        "distributed.scheduler.worker-saturation": 1.0,
    }
    workers = {
        "distributed.worker.profile.enabled": False,  # a 10 ms sampling thread per worker
        # fewer wake-ups of the scheduler and the workers, which share the cores with the jobs
        # (host metrics every 5 s instead of 0.5 s; event-loop health every 200 ms, not 20 ms)
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.admin.tick.interval": "200ms",
        "distributed.nanny.pre-spawn-environ": {},  # workers run no numeric code themselves
    }
    _ENVIRONMENT.setdefault("before", {name: os.environ.get(name) for name in _NANNY_VARIABLES})
    try:
        with dask.config.set({**scheduler, **workers}):
            return distributed.LocalCluster(
                n_workers=max(1, int(n_workers)),
                threads_per_worker=1,
                processes=True,
                host=LOCAL_HOST,
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.CRITICAL,
                resources=resources,
                memory_limit=0,  # no nanny memory management: familybench bounds each job itself
                plugins=tuple(plugins),
                # each nanny's configuration for its workers, also for one it restarts later
                # (it merges this over the global one at the top level only: pass it whole)
                config=dask.config.merge(dask.config.config, _nested(workers)),
            )
    finally:
        restore_environment()


def _nested(settings: dict) -> dict:
    """``{"a.b.c": v}`` as ``{"a": {"b": {"c": v}}}`` (a nanny merges its ``config`` that way)."""
    nested: dict = {}
    for key, value in settings.items():
        *path, last = key.split(".")
        level = nested
        for part in path:
            level = level.setdefault(part, {})
        level[last] = value
    return nested


_NANNY_VARIABLES = (
    "MALLOC_TRIM_THRESHOLD_",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
)
_ENVIRONMENT: dict[str, dict[str, str | None]] = {}


def restore_environment() -> None:
    """Put back the variables a nanny of :func:`start_local_cluster` wrote into
    ``os.environ`` (at the start and whenever it restarts a worker) as they were before
    the first one started."""
    for name, value in _ENVIRONMENT.get("before", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _scheduler_settings(dask_scheduler=None) -> dict:
    """Runs on the scheduler: the settings that decide how a dying worker is handled."""
    return {
        "allowed_failures": dask_scheduler.allowed_failures,
        "saturation": dask_scheduler.WORKER_SATURATION,
        "bokeh": importlib.util.find_spec("bokeh") is not None,
    }


def threads_per_host(
    workers: dict[str, dict], cores: dict[str, int], slots_by_host: dict[str, int], override: int | None,
    *, warned: set | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """Threads per job on each host, ``max(1, cores // task slots)`` (or ``override``), and
    the cores each host has; a warning for a host whose slots × threads exceed its cores.

    ``workers`` is the scheduler's worker information, ``cores`` each worker's CPU count;
    ``warned`` (kept by the caller across calls) holds the (host, slots, threads) already
    warned about, so a cluster re-read as workers join warns about each change once.
    """
    cores_by_host: dict[str, int] = {}
    for address, count in cores.items():
        host = workers[address]["host"]
        cores_by_host[host] = max(count, cores_by_host.get(host, 0))
    threads_by_host = {
        host: override or max(1, cores_by_host.get(host, 1) // slots) for host, slots in slots_by_host.items()
    }
    for host, slots in slots_by_host.items():
        have, threads = cores_by_host.get(host, 0), threads_by_host[host]
        if have and slots * threads > have and (host, slots, threads) not in (warned or ()):
            if warned is not None:
                warned.add((host, slots, threads))
            _warn(
                f"host {host}: {slots} task slots x {threads} thread(s) per job on {have} "
                "cores: jobs compete for CPUs, so their times are inflated"
            )
    return threads_by_host, cores_by_host


def probe_scheduler(address: str, timeout: float) -> None:
    """Check that a Dask scheduler answers at ``address`` within ``timeout`` seconds, before
    a ``Client`` is made for it (whose handshake with a service that is not Dask can hang,
    and whose errors on a malformed address are not one line); ``FamilybenchError`` naming
    the address and what answered otherwise.

    Runs in a thread of its own, with its own event loop: callable from a notebook whose
    loop is running.
    """
    from distributed.comm import connect
    from distributed.security import Security

    async def ask():
        # the connection arguments a Client would use (TLS from the Dask config)
        args = Security().get_connection_args("client")
        comm = await connect(address, timeout=timeout, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    outcome: dict = {}

    def run():
        try:
            outcome["reply"] = asyncio.run(asyncio.wait_for(ask(), timeout + 1))  # connect() times out first
        except BaseException as exc:  # reported below, in one line
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="familybench-probe-scheduler", daemon=True)
    thread.start()
    thread.join(timeout + 5)  # a thread stuck past that is left (daemon), reported as no answer
    error = outcome.get("error")
    where = f"--scheduler {address}"
    if "reply" not in outcome and error is None or isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        raise FamilybenchError(f"{where}: no Dask scheduler answered within {timeout:g} s")
    if isinstance(error, ValueError):
        raise FamilybenchError(
            f"{where}: not a Dask scheduler address ({one_line(error)}); expected tcp://HOST:PORT"
        )
    if isinstance(error, OSError):
        raise FamilybenchError(f"{where}: cannot connect ({one_line(error)})")
    if error is not None:
        raise FamilybenchError(f"{where}: no Dask scheduler answers there ({one_line(error)})")
    reply = outcome["reply"]
    kind = reply.get("type") if isinstance(reply, dict) else None
    if not (isinstance(kind, str) and kind.endswith("Scheduler")):
        what = f"a Dask {kind}" if isinstance(kind, str) else "something else"
        raise FamilybenchError(f"{where}: {what} answered there, not a Dask scheduler")


def hold_sentinel(client, token: str, timeout: float):
    """Submit run ``token``'s sentinel task; returns its future (hold it for the run) and
    key, once the scheduler knows the key.

    Workers end the run's job processes when the key is gone from the scheduler, which
    releases it when this client closes or dies (see :func:`.dask_worker._watch`).
    """
    import time

    key = f"familybench-run-{token}"
    future = client.submit(str, token, key=key, pure=False, retries=0)
    deadline = time.monotonic() + timeout
    while client.sync(client.scheduler.get_task_status, keys=[key]).get(key) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the scheduler did not take task {key} within {timeout:g} s")
        time.sleep(0.005)
    return future, key


def warn_about_scheduler(settings: dict) -> None:
    """Warn about scheduler settings (:func:`_scheduler_settings`) that let a job which kills
    its worker take others down."""
    retries = settings["allowed_failures"]
    if retries > 0:
        _warn(
            f"the scheduler retries a job whose worker dies on up to {retries} more workers "
            "(distributed.scheduler.allowed-failures): a job that kills its worker can take "
            "others down; start the scheduler with "
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0"
        )
    if settings["saturation"] > 1.0:
        _warn(
            f"distributed.scheduler.worker-saturation is {settings['saturation']:g}: a worker "
            "may hold a queued job besides the running one, and a worker that dies fails both; "
            "start the scheduler with DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION=1.0"
        )


def _client_environment() -> dict[str, str | None]:
    """The variables a Dask nanny sets for its workers (``distributed.nanny.pre-spawn-environ``
    and ``PYTHONHASHSEED``, other than the thread counts familybench sets per job), as this
    process has them: job processes get these, so they run like the process executor's
    workers (no trimmed ``malloc``, this run's hash seed)."""
    import dask

    names = set(dask.config.get("distributed.nanny.pre-spawn-environ", {})) | {"PYTHONHASHSEED"}
    names -= {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}
    before = _ENVIRONMENT.get("before", {})  # as before a local cluster wrote into it
    return {name: before.get(name, os.environ.get(name)) for name in sorted(names)}


def _installed_top_levels() -> set[str]:
    from importlib.metadata import packages_distributions

    return set(packages_distributions()) | set(sys.stdlib_module_names) | {"familybench"}


def local_module_files(
    module: str, *, installed: set[str] | None = None, regular_only: bool = False
) -> dict[str, bytes] | None:
    """The files of ``module``'s top-level package or module when it is local code: found
    on this process's path but not installed (no distribution provides it).

    Returns ``None`` for installed, standard-library and unknown modules, and with
    ``regular_only`` for a namespace package (a directory without ``__init__.py``, such as
    a log directory that happens to share an import's name). ``installed``: the installed
    top-level names, when the caller has them.
    """
    top = module.split(".")[0]
    if not top or top in (installed if installed is not None else _installed_top_levels()):
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if regular_only and not (spec.origin and spec.origin.endswith(".py")):
        return None
    files: dict[str, bytes] = {}
    if spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            for root, dirs, names in os.walk(location):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
                for name in sorted(names):
                    if name.endswith((".pyc", ".pyo")):
                        continue
                    path = os.path.join(root, name)
                    files[os.path.join(top, os.path.relpath(path, location))] = Path(
                        path
                    ).read_bytes()
    elif spec.origin and os.path.isfile(spec.origin) and spec.origin.endswith(".py"):
        files[os.path.basename(spec.origin)] = Path(spec.origin).read_bytes()
    else:  # an extension module or a frozen one: nothing we can ship as source
        return None
    return files


def local_code_files(module: str) -> dict[str, bytes] | None:
    """:func:`local_module_files` of ``module``, with those of the local modules its files
    import (absolute imports found in their source, followed transitively; regular modules
    and packages only): a model module's helpers beside it (``import helpers``) travel with
    it. ``None`` as for :func:`local_module_files`."""
    installed = _installed_top_levels()
    files = local_module_files(module, installed=installed)
    if files is None:
        return None
    seen = {module.split(".")[0]}
    queue = [content for relative, content in files.items() if relative.endswith(".py")]
    while queue:
        for name in sorted(_imported_top_levels(queue.pop()) - seen - installed):
            seen.add(name)
            more = local_module_files(name, installed=installed, regular_only=True) or {}
            for relative, content in more.items():
                if relative not in files:
                    files[relative] = content
                    if relative.endswith(".py"):
                        queue.append(content)
    return files


def _imported_top_levels(source: bytes) -> set[str]:
    """Top-level names of the absolute imports in a module's source (anywhere in it)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()[:32]
