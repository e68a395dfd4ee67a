"""An executor wrapper that measures dispatch overhead (submit-to-outcome latency minus each
job's own seconds) and the run's two phases: the start (``start`` to the first job starting)
and the jobs (first job starting to the last outcome) (benchmarks/speed_dask.py)."""

from __future__ import annotations

import time

from familybench.bench.execute.base import Executor


class Timed(Executor):
    """Wraps an executor; records submit-to-outcome latency minus each job's own seconds."""

    def __init__(self, inner: Executor):
        self.inner = inner
        self.submitted: dict[str, float] = {}
        self.overheads: list[float] = []
        self.first: set[str] = set()
        self.count = 0
        self.started: float | None = None
        self.outcome_times: list[float] = []
        self.first_job_start: float | None = None  # the earliest job start seen

    threads = property(lambda self: self.inner.threads)
    warm_up_seconds = property(lambda self: self.inner.warm_up_seconds)
    worker_info = property(lambda self: self.inner.worker_info)
    slots = property(lambda self: self.inner.slots)
    in_flight = property(lambda self: self.inner.in_flight)

    def start(self, models, *, expected_jobs=None):
        self.started = time.perf_counter()
        self.inner.start(models, expected_jobs=expected_jobs)

    def submit(self, job):
        self.count += 1
        if self.count <= self.inner.slots:
            self.first.add(job.key)  # waits for its worker's warm-up: not a steady job
        self.submitted[job.key] = time.perf_counter()
        self.inner.submit(job)

    def next_outcome(self):
        outcome = self.inner.next_outcome()
        now = time.perf_counter()
        self.outcome_times.append(now)
        began = now - outcome.record["job_seconds"]  # when this job started in its process
        if self.first_job_start is None or began < self.first_job_start:
            self.first_job_start = began
        latency = now - self.submitted.pop(outcome.job.key)
        if outcome.job.key not in self.first:
            self.overheads.append(latency - outcome.record["job_seconds"])
        return outcome

    @property
    def start_seconds(self) -> float:
        """From ``start`` (workers, cluster, job processes starting and warming up) to the
        first job starting."""
        return self.first_job_start - self.started

    @property
    def jobs_seconds(self) -> float:
        """From the first job starting to the last outcome: every job, start excluded. A
        worker that is ready later than the first one counts its wait here (conservative
        for more workers)."""
        return self.outcome_times[-1] - self.first_job_start

    def close(self):
        self.inner.close()
