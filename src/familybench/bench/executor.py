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
import time
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import wait

from .._threads import cpu_count
from .jobs import Job
from .record import empty_record
from .worker import JobRunner, Outcome

_WORKER_START_TIMEOUT = 300.0


class Executor:
    """Runs jobs and yields an :class:`Outcome` per job, in completion order."""

    threads: int = 1
    warm_up_seconds: float = 0.0
    worker_info: dict = {}

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release workers; safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _failure(job: Job, status: str, message: str, threads: int, seconds: float) -> Outcome:
    record = empty_record(
        job_key=job.key, config=job.config, model=job.model, dataset=job.dataset.name,
        seed=job.seed, fold=job.fold, train_size=job.train_size, status=status, error=message,
        threads=threads, job_seconds=seconds,
    )
    import json

    record["params"] = json.dumps(job.params, sort_keys=True, default=str)
    try:
        from ..models import get_spec

        record["family"] = get_spec(job.model).family
    except Exception:
        pass
    return Outcome(job, record)


class _JobTimeout(Exception):
    pass


class InProcessExecutor(Executor):
    """Run jobs serially in this process (handy for debugging and the Python API)."""

    def __init__(self, threads: int | None = None):
        self.threads = threads or cpu_count()
        self._runner = JobRunner(self.threads)

    def run(self, jobs):
        jobs = list(jobs)
        self.warm_up_seconds = self._runner.warm_up({j.model for j in jobs})
        self.worker_info = _environment_probe()
        for job in jobs:
            yield self._run_one(job)

    def _run_one(self, job: Job) -> Outcome:
        can_alarm = hasattr(signal, "setitimer") and _in_main_thread()
        if not can_alarm:
            return self._runner.run(job)

        def on_alarm(signum, frame):
            raise _JobTimeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, job.timeout)
        start = time.perf_counter()
        try:
            return self._runner.run(job)
        except _JobTimeout:
            return _failure(job, "timeout", f"stopped after the {job.timeout:g} s timeout", self.threads,
                            time.perf_counter() - start)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _environment_probe() -> dict:
    """What only a worker (which imports torch) can tell: versions and the GPU."""
    info = {"pid": os.getpid()}
    try:
        import torch

        info["torch"] = torch.__version__
        info["cuda_available"] = torch.cuda.is_available()
        if info["cuda_available"]:
            info["gpu"] = torch.cuda.get_device_name(0)
    except Exception as exc:  # torch missing or broken: reported, not fatal
        info["torch_error"] = str(exc)
    return info


def _worker_main(conn, threads: int, models: set[str]):
    # Thread pools size themselves at import: set the budget before anything loads.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["FAMILYBENCH_THREADS"] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    runner = JobRunner(threads)
    seconds = runner.warm_up(models)
    info = _environment_probe()
    conn.send(("ready", seconds, info))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        conn.send(("done", runner.run(job)))
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

    def __init__(self, n_workers: int = 1, threads: int | None = None):
        self.n_workers = max(1, int(n_workers))
        self.threads = threads or max(1, cpu_count() // self.n_workers)
        self._ctx = mp.get_context("spawn")  # fork after torch/OpenMP start is unsafe
        self._workers: list[_Worker] = []

    def run(self, jobs):
        pending = deque(jobs)
        if not pending:
            return
        models = {j.model for j in pending}
        self._workers = [_Worker(self._ctx, self.threads, models) for _ in range(min(self.n_workers, len(pending)))]
        warm = []
        try:
            while pending or any(w.job for w in self._workers):
                for worker in self._workers:
                    if worker.ready and worker.job is None and pending:
                        job = pending.popleft()
                        worker.job, worker.job_started = job, time.perf_counter()
                        worker.deadline = worker.job_started + job.timeout
                        worker.conn.send(job)
                now = time.perf_counter()
                deadlines = [w.deadline for w in self._workers if w.job] + [
                    w.started + _WORKER_START_TIMEOUT for w in self._workers if not w.ready
                ]
                ready = wait([w.conn for w in self._workers], timeout=max(0.0, min(deadlines, default=now + 1) - now))
                for index, worker in enumerate(list(self._workers)):
                    if worker.conn in ready:
                        try:
                            message = worker.conn.recv()
                        except (EOFError, OSError):
                            yield from self._replace(index, models, crashed=True)
                            continue
                        if message[0] == "ready":
                            worker.ready = True
                            # spawn + imports + the warm-up fits: the worker's one-time cost
                            warm.append(time.perf_counter() - worker.started)
                            self.worker_info = message[2]
                        else:
                            outcome = message[1]
                            worker.job, worker.deadline = None, float("inf")
                            yield outcome
                    elif worker.job is not None and time.perf_counter() >= worker.deadline:
                        yield from self._replace(index, models, crashed=False)
                    elif not worker.ready and time.perf_counter() - worker.started > _WORKER_START_TIMEOUT:
                        raise RuntimeError(f"a worker did not start within {_WORKER_START_TIMEOUT:.0f} s")
        finally:
            self.warm_up_seconds = sum(warm)
            self.close()

    def _replace(self, index: int, models, *, crashed: bool):
        worker = self._workers[index]
        job = worker.job
        if crashed:
            worker.process.join(timeout=5)
        worker.kill()
        code = worker.process.exitcode
        self._workers[index] = _Worker(self._ctx, self.threads, models)
        if job is None:
            if not worker.ready:
                raise RuntimeError(f"a worker process failed to start (exit code {code})")
            return
        seconds = time.perf_counter() - worker.job_started
        if crashed:
            how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
            yield _failure(job, "failed", f"worker process crashed ({how}) while running this job", self.threads, seconds)
        else:
            yield _failure(job, "timeout", f"stopped after the {job.timeout:g} s timeout", self.threads, seconds)

    def close(self):
        for worker in self._workers:
            if worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except (OSError, BrokenPipeError):
                    pass
        for worker in self._workers:
            worker.process.join(timeout=2)
            worker.kill()
        self._workers = []


def make_executor(jobs: int = 1, executor: str | Executor | None = None) -> Executor:
    """``"process"`` (default) with ``jobs`` workers, or ``"serial"`` in this process."""
    if isinstance(executor, Executor):
        return executor
    if executor in (None, "process"):
        return ProcessExecutor(n_workers=jobs)
    if executor == "serial":
        return InProcessExecutor()
    raise ValueError(f"unknown executor {executor!r}; expected 'process' or 'serial'")
