"""``InProcessExecutor``: jobs one after another in this process (debugging, the Python API).

No isolation; a timeout is enforced only between Python bytecodes, via SIGALRM.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import deque

from familybench._threads import cpu_count
from familybench.bench.execute.base import Executor, failure
from familybench.bench.execute.worker import JobWorker, Outcome, environment_probe
from familybench.bench.plan.jobs import Job
from familybench.bench.results.record import TIMEOUT


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
        self.worker_info = {**environment_probe(), "cold_start": self._job_worker.cold}

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
            return failure(job, TIMEOUT, f"stopped after the {job.timeout:g} s timeout", self.threads,
                            time.perf_counter() - start)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)



def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


