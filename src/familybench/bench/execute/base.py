"""The executor protocol: where jobs run.

``Executor`` is the interface every executor implements (``start``, ``submit`` up to
``slots``, ``next_outcome``, ``close``); ``failure`` turns a job that did not finish into its
record; ``make_executor`` builds one by name (``familybench._executors.EXECUTORS``). The
executors themselves: ``inprocess.InProcessExecutor`` (serial, in this process),
``process.ProcessExecutor`` (reused, pre-warmed worker processes) and
``dask.executor.DaskExecutor``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from familybench.bench.execute.worker import Outcome, job_record
from familybench.bench.plan.jobs import Job


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



def failure(job: Job, status: str, message: str, threads: int, seconds: float) -> Outcome:
    record = job_record(job, status=status, error=message, threads=threads, job_seconds=seconds)
    try:
        from familybench.models import get_spec

        record["family"] = get_spec(job.model).family
    except Exception:
        pass
    return Outcome(job, record)



def make_executor(jobs: int = 1, executor: str | Executor | None = None) -> Executor:
    """An executor by name (``familybench._executors.EXECUTORS``; ``None``: ``"process"``)
    with ``jobs`` workers, or ``executor`` itself when it is one."""
    from familybench._executors import EXECUTORS

    if isinstance(executor, Executor):
        return executor
    name = "process" if executor is None else executor
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(map(repr, EXECUTORS))}")
    import importlib
    import inspect

    module, _, attr = EXECUTORS[name].partition(":")
    cls = getattr(importlib.import_module(f"familybench.bench.execute.{module}"), attr)
    takes_workers = "n_workers" in inspect.signature(cls).parameters
    return cls(n_workers=jobs) if takes_workers else cls()
