"""An executor wrapper that measures dispatch overhead: submit-to-outcome latency minus
each job's own seconds (benchmarks/speed_dask.py)."""

from __future__ import annotations

import time

from familybench.bench.executor import Executor


class Timed(Executor):
    """Wraps an executor; records submit-to-outcome latency minus each job's own seconds."""

    def __init__(self, inner: Executor):
        self.inner = inner
        self.submitted: dict[str, float] = {}
        self.overheads: list[float] = []
        self.first: set[str] = set()
        self.count = 0

    threads = property(lambda self: self.inner.threads)
    warm_up_seconds = property(lambda self: self.inner.warm_up_seconds)
    worker_info = property(lambda self: self.inner.worker_info)
    slots = property(lambda self: self.inner.slots)
    in_flight = property(lambda self: self.inner.in_flight)

    def start(self, models, *, expected_jobs=None):
        self.inner.start(models, expected_jobs=expected_jobs)

    def submit(self, job):
        self.count += 1
        if self.count <= self.inner.slots:
            self.first.add(job.key)  # waits for its worker's warm-up: not a steady job
        self.submitted[job.key] = time.perf_counter()
        self.inner.submit(job)

    def next_outcome(self):
        outcome = self.inner.next_outcome()
        latency = time.perf_counter() - self.submitted.pop(outcome.job.key)
        if outcome.job.key not in self.first:
            self.overheads.append(latency - outcome.record["job_seconds"])
        return outcome

    def close(self):
        self.inner.close()

