"""``ProcessExecutor``: jobs in reused, pre-warmed worker processes.

Each worker is pinned to ``cores // n_workers`` threads; a job past its timeout is killed
with its worker (recorded as ``timeout``), one past its memory limit too (``oom``), a
crashed worker becomes a ``failed`` record, and a replacement worker is started.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import wait

from familybench._errors import exit_description
from familybench._threads import cpu_count
from familybench.bench.execute.base import Executor, failure
from familybench.bench.execute.memory import MEMORY_POLL, ProcessTree, default_memory_limit, gib
from familybench.bench.execute.worker import JobWorker, Outcome, environment_probe
from familybench.bench.plan.jobs import Job
from familybench.bench.results.record import FAILED, OOM, TIMEOUT

_WORKER_START_TIMEOUT = 300.0


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
    info = {**environment_probe(), "cold_start": job_worker.cold}
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
            self._done.append(failure(
                job, OOM, f"killed: used {gib(used)} of memory above its start, over the {gib(limit)} limit",
                self.threads, seconds))
        elif crashed:
            self._done.append(
                failure(job, FAILED, f"worker process crashed ({exit_description(code)}) while running this job",
                         self.threads,
                         seconds)
            )
        else:
            self._done.append(
                failure(job, TIMEOUT, f"stopped after the {job.timeout:g} s timeout", self.threads, seconds)
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


