"""Executors: where jobs run. An interface, so a cluster executor can follow.

``InProcessExecutor`` runs jobs one after another in this process (no isolation; a timeout
is enforced only between Python bytecodes, via SIGALRM). ``ProcessExecutor`` runs them
in reused, pre-warmed worker processes, each pinned to ``cores // n_workers`` threads; a
job past its timeout is killed with its worker (recorded as ``timeout``), a crashed
worker becomes a ``failed`` record, and a replacement worker is started.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import wait

from .._errors import exit_description
from .._threads import cpu_count
from ._memory import MEMORY_POLL, ProcessTree, default_memory_limit, gib
from .jobs import Job
from .record import FAILED, OOM, TIMEOUT
from .worker import JobWorker, Outcome, job_record

_WORKER_START_TIMEOUT = 300.0
class Executor:
    """Where jobs run, one job at a time: ``start``, then ``submit`` up to ``slots`` jobs and
    collect each with ``next_outcome`` (completion order), then ``close``.

    Callers that produce jobs as others finish (the tuner asks for trial k+1 after trial k
    is told) drive this interface directly; :meth:`run` is the wrapper for a fixed list.
    """

    threads: int = 1
    warm_up_seconds: float = 0.0
    worker_info: dict = {}

    def start(self, models: set[str], *, expected_jobs: int | None = None) -> None:
        """Prepare to run jobs of these registry names (workers warm up for them).

        ``expected_jobs`` bounds how many workers are worth starting.
        """

    @property
    def slots(self) -> int:
        """Jobs this executor runs at once."""
        return 1

    @property
    def in_flight(self) -> int:
        """Jobs submitted whose outcome has not been collected yet."""
        raise NotImplementedError  # pragma: no cover - interface

    def submit(self, job: Job) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def next_outcome(self) -> Outcome:  # pragma: no cover - interface
        """Block until a submitted job finishes; its :class:`Outcome`."""
        raise NotImplementedError

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        """Run a fixed list of jobs; outcomes in completion order."""
        pending = deque(jobs)
        if not pending:
            return
        self.start({j.model for j in pending}, expected_jobs=len(pending))
        try:
            while pending or self.in_flight:
                while pending and self.in_flight < self.slots:
                    self.submit(pending.popleft())
                yield self.next_outcome()
        finally:
            self.close()

    def close(self) -> None:
        """Release workers; safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _failure(job: Job, status: str, message: str, threads: int, seconds: float) -> Outcome:
    record = job_record(job, status=status, error=message, threads=threads, job_seconds=seconds)
    try:
        from ..models import get_spec

        record["family"] = get_spec(job.model).family
    except Exception:
        pass
    return Outcome(job, record)


class _JobTimeout(BaseException):
    """Raised by the alarm; a BaseException so the worker's ``except Exception`` cannot
    record it as an ordinary failure."""


class InProcessExecutor(Executor):
    """Run jobs serially in this process (handy for debugging and the Python API).

    A timeout is enforced with SIGALRM, between Python bytecodes: a job stuck inside one
    C call (a long BLAS call) overruns until that call returns.
    """

    def __init__(self, threads: int | None = None):
        self.threads = threads or cpu_count()
        self._job_worker = JobWorker(self.threads)
        self._queue: deque[Job] = deque()

    def start(self, models, *, expected_jobs=None):
        self.warm_up_seconds = self._job_worker.warm_up(set(models))
        self.worker_info = {**_environment_probe(), "cold_start": self._job_worker.cold}

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def submit(self, job: Job) -> None:
        if job.memory_limit and not getattr(self, "_warned_memory", False):
            import warnings

            warnings.warn("the serial executor cannot enforce memory_limit (jobs share this process); "
                          "use the process executor", UserWarning, stacklevel=2)
            self._warned_memory = True
        self._queue.append(job)

    def next_outcome(self) -> Outcome:
        if not self._queue:
            raise RuntimeError("next_outcome() with no job submitted")
        return self._run_one(self._queue.popleft())

    def _run_one(self, job: Job) -> Outcome:
        can_alarm = hasattr(signal, "setitimer") and _in_main_thread()
        if not can_alarm:
            return self._job_worker.run(job)

        def on_alarm(signum, frame):
            raise _JobTimeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, job.timeout)
        start = time.perf_counter()
        try:
            return self._job_worker.run(job)
        except _JobTimeout:
            return _failure(job, TIMEOUT, f"stopped after the {job.timeout:g} s timeout", self.threads,
                            time.perf_counter() - start)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _environment_probe() -> dict:
    """What only a worker can tell: torch's version and the GPU, asked of torch only when the
    warm-up imported it (importing torch for a run without a torch model costs ~1 s of
    start-up; such a run reports torch's installed version, and no CUDA probe).

    Only builtin types: ``torch.__version__`` is a ``TorchVersion``, and unpickling one
    imports torch (a second of CPU in the process that reads the probe, and in a Dask worker
    that passes it on, while the job processes warm up)."""
    info = {"pid": os.getpid()}
    if "torch" not in sys.modules:
        from importlib import metadata

        try:
            info["torch"] = metadata.version("torch")
        except metadata.PackageNotFoundError:
            info["torch_error"] = "torch is not installed"
        return info
    try:
        import torch

        info["torch"] = str(torch.__version__)
        info["cuda_available"] = bool(torch.cuda.is_available())
        if info["cuda_available"]:
            info["gpu"] = str(torch.cuda.get_device_name(0))
    except Exception as exc:  # torch missing or broken: reported, not fatal
        info["torch_error"] = str(exc)
    return info


def _die_with_parent() -> None:
    """End this worker when its parent dies, even mid-job (a ``kill -9`` of the run): the
    kernel's parent-death signal on Linux (sent when the thread that started the worker
    ends: familybench starts workers from the thread that runs the executor), elsewhere a
    thread that looks once a second."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the call
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _worker_main(conn, threads: int, models: set[str]):
    _die_with_parent()
    # Thread pools size themselves at import: set the budget before anything loads.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["FAMILYBENCH_THREADS"] = str(threads)
    # The parent decides when to stop (Ctrl-C reaches the whole process group): a worker
    # ignores both signals and exits when its pipe to the parent closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    job_worker = JobWorker(threads)
    seconds = job_worker.warm_up(models)
    info = {**_environment_probe(), "cold_start": job_worker.cold}
    conn.send(("ready", seconds, info))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        # job_worker.cold: a plug-in's warm-up runs before its first job here, so it can grow
        conn.send(("done", job_worker.run(job), list(job_worker.cold)))
    # Nothing is left to flush: skip the interpreter's teardown (torch's alone takes ~1 s,
    # which the run's wall clock would otherwise count).
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _Worker:
    def __init__(self, ctx, threads: int, models: set[str]):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, threads, models), daemon=True)
        self.process.start()
        child.close()
        self.started = time.perf_counter()
        self.ready = False
        self.job: Job | None = None
        self.deadline = float("inf")
        self.job_started = 0.0
        self.rss_at_start = 0  # the worker's resident memory when the job was sent
        self.tree = ProcessTree(self.process.pid)
        self.memory_limit: int | None = None

    def kill(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


class ProcessExecutor(Executor):
    """Run jobs in ``n_workers`` reused processes, ``threads`` threads each.

    Parameters
    ----------
    n_workers : int
    threads : int, default=None
        Threads per job; ``None`` splits the CPUs evenly (at least 1).
    """

    def __init__(self, n_workers: int = 1, threads: int | None = None, memory_limit: int | None = None):
        self.n_workers = max(1, int(n_workers))
        self.threads = threads or max(1, cpu_count() // self.n_workers)
        self.memory_limit = memory_limit  # bytes a job may add; None: default_memory_limit(n_workers)
        self._ctx = mp.get_context("spawn")  # fork after torch/OpenMP start is unsafe
        self._workers: list[_Worker] = []
        self._models: set[str] = set()
        self._pending: deque[Job] = deque()  # submitted, not yet sent to a worker
        self._done: deque[Outcome] = deque()  # finished, not yet collected
        self._warm: list[float] = []
        self._cold: set[str] = set()

    def _note_cold(self, names) -> None:
        """Models whose warm-up failed or overran in any worker (the report warns of them)."""
        self._cold.update(names)
        self.worker_info = {**self.worker_info, "cold_start": sorted(self._cold)}

    def start(self, models, *, expected_jobs=None):
        self._models = set(models)
        count = self.n_workers if expected_jobs is None else max(1, min(self.n_workers, expected_jobs))
        self._workers = [_Worker(self._ctx, self.threads, self._models) for _ in range(count)]
        self._warm = []

    @property
    def slots(self) -> int:
        return len(self._workers) or self.n_workers

    @property
    def in_flight(self) -> int:
        return len(self._pending) + sum(w.job is not None for w in self._workers) + len(self._done)

    def submit(self, job: Job) -> None:
        if not self._workers:
            raise RuntimeError("submit() before start()")
        self._pending.append(job)
        self._dispatch()

    def next_outcome(self) -> Outcome:
        if not self.in_flight:
            raise RuntimeError("next_outcome() with no job submitted")
        while not self._done:
            self._poll()
        return self._done.popleft()

    def _dispatch(self) -> None:
        for worker in self._workers:
            if worker.ready and worker.job is None and self._pending:
                job = self._pending.popleft()
                worker.job, worker.job_started = job, time.perf_counter()
                worker.deadline = worker.job_started + job.timeout
                worker.memory_limit = job.memory_limit or self.memory_limit or default_memory_limit(self.slots)
                worker.rss_at_start = worker.tree.rss()
                worker.conn.send(job)

    def _poll(self) -> None:
        """Wait for the next worker event (a result, a crash, a deadline) and handle it."""
        now = time.perf_counter()
        deadlines = [w.deadline for w in self._workers if w.job] + [
            w.started + _WORKER_START_TIMEOUT for w in self._workers if not w.ready
        ]
        if any(w.job for w in self._workers):  # the memory supervisor looks every MEMORY_POLL seconds
            deadlines.append(now + MEMORY_POLL)
        ready = wait([w.conn for w in self._workers], timeout=max(0.0, min(deadlines, default=now + 1) - now))
        for index, worker in enumerate(list(self._workers)):
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._replace(index, crashed=True)
                    continue
                if message[0] == "ready":
                    worker.ready = True
                    # spawn + imports + the warm-up fits: the worker's one-time cost
                    self._warm.append(time.perf_counter() - worker.started)
                    self.warm_up_seconds = sum(self._warm)
                    self.worker_info = message[2]
                    self._note_cold(message[2].get("cold_start", ()))
                else:
                    worker.job, worker.deadline = None, float("inf")
                    self._done.append(message[1])
                    self._note_cold(message[2] if len(message) > 2 else ())
            elif worker.job is not None and time.perf_counter() >= worker.deadline:
                self._replace(index, crashed=False)
            elif worker.job is not None and worker.memory_limit:
                used = worker.tree.rss() - worker.rss_at_start
                if used > worker.memory_limit:
                    self._replace(index, crashed=False, oom=(used, worker.memory_limit))
            elif not worker.ready and time.perf_counter() - worker.started > _WORKER_START_TIMEOUT:
                raise RuntimeError(f"a worker did not start within {_WORKER_START_TIMEOUT:.0f} s")
        self._dispatch()

    def _replace(self, index: int, *, crashed: bool, oom: tuple[int, int] | None = None) -> None:
        worker = self._workers[index]
        job = worker.job
        if crashed:
            worker.process.join(timeout=5)
        worker.kill()
        code = worker.process.exitcode
        self._workers[index] = _Worker(self._ctx, self.threads, self._models)
        if job is None:
            if not worker.ready:
                raise RuntimeError(f"a worker process failed to start (exit code {code})")
            return
        seconds = time.perf_counter() - worker.job_started
        if oom is not None:
            used, limit = oom
            self._done.append(_failure(
                job, OOM, f"killed: used {gib(used)} of memory above its start, over the {gib(limit)} limit",
                self.threads, seconds))
        elif crashed:
            self._done.append(
                _failure(job, FAILED, f"worker process crashed ({exit_description(code)}) while running this job",
                         self.threads,
                         seconds)
            )
        else:
            self._done.append(
                _failure(job, TIMEOUT, f"stopped after the {job.timeout:g} s timeout", self.threads, seconds)
            )

    def close(self):
        # An idle worker reads the stop message and exits; a busy one (a run stopped by
        # Ctrl-C, or an error) cannot read it before its job ends: it is killed at once.
        for worker in self._workers:
            if worker.process.is_alive() and worker.job is None:
                try:
                    worker.conn.send(None)
                except (OSError, BrokenPipeError):
                    pass
        deadline = time.perf_counter() + 2.0  # one shared wait, not 2 s per worker
        for worker in self._workers:
            if worker.job is None:
                worker.process.join(timeout=max(0.0, deadline - time.perf_counter()))
            worker.kill()
        self._workers = []
        self._pending.clear()
        self._done.clear()


def make_executor(jobs: int = 1, executor: str | Executor | None = None) -> Executor:
    """An executor by name (``familybench._executors.EXECUTORS``; ``None``: ``"process"``)
    with ``jobs`` workers, or ``executor`` itself when it is one."""
    from .._executors import EXECUTORS

    if isinstance(executor, Executor):
        return executor
    name = "process" if executor is None else executor
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(map(repr, EXECUTORS))}")
    import importlib
    import inspect

    module, _, attr = EXECUTORS[name].partition(":")
    cls = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
    takes_workers = "n_workers" in inspect.signature(cls).parameters
    return cls(n_workers=jobs) if takes_workers else cls()
