"""The client's reading of a Dask cluster's workers for one run (the Dask executor's).

Task slots per host and threads per job on each host (``max(1, cores // slots)`` there,
or a fixed count), re-read as workers join or leave, with a warning once per host whose
slots x threads exceed its cores. Imported only when a :class:`~.dask_executor.DaskExecutor`
starts.
"""

from __future__ import annotations

from familybench._errors import FamilybenchError
from familybench.bench.execute.dask.cluster import threads_per_host


class WorkerView:
    """The workers a run may use, as last read from the scheduler.

    Parameters
    ----------
    restrict : list of str, default=None
        Use only these worker addresses.
    threads : int, default=None
        Threads per job everywhere; ``None``: ``max(1, cores // task slots)`` of each host.

    Attributes
    ----------
    client : distributed.Client
        Set once the run has one.
    info : dict
        The scheduler's last identity (``services``, ``workers``).
    slots, slots_by_host, threads_by_host, cores_by_host
        Task slots in all and per host, threads per job and cores per host.
    """

    def __init__(self, *, restrict: list[str] | None = None, threads: int | None = None):
        self.restrict = list(restrict) if restrict else None
        self.override = threads
        self.client = None
        self.info: dict = {}
        self.slots = 0
        self.slots_by_host: dict[str, int] = {}
        self.threads_by_host: dict[str, int] = {}
        self.cores_by_host: dict[str, int] = {}
        self._cores: dict[str, int] = {}  # worker address -> its CPU count, asked once
        self._warned: set = set()
        self._known: set[str] = set()

    @property
    def threads(self) -> int:
        """The fewest threads per job on any host."""
        return min(self.threads_by_host.values(), default=self.override or 1)

    def assume(self, host: str, slots: int, threads: int) -> None:
        """What a local cluster's workers are given at their start, before any is read."""
        self.slots, self.slots_by_host, self.threads_by_host = slots, {host: slots}, {host: threads}

    def workers(self) -> dict[str, dict]:
        """The scheduler's information on each usable worker now; ``FamilybenchError`` when
        there is none (or a worker asked for is missing)."""
        self.info = self.client.scheduler_info(n_workers=-1)
        workers = self.info["workers"]
        if self.restrict is not None:
            missing = [a for a in self.restrict if a not in workers]
            if missing:
                raise FamilybenchError(f"workers not in the cluster: {', '.join(missing)}")
            workers = {a: w for a, w in workers.items() if a in self.restrict}
        if not workers:
            raise FamilybenchError(f"the Dask cluster at {self.client.scheduler.address} has no workers")
        return workers

    def changed(self) -> dict[str, dict] | None:
        """The workers now, when they differ from the last :meth:`read`; ``None`` otherwise
        (and when there is none at the moment: queued jobs wait for one)."""
        try:
            workers = self.workers()
        except FamilybenchError:
            return None
        return None if set(workers) == self._known else workers

    def read(self, workers: dict[str, dict]) -> list[str]:
        """Task slots and threads per job from ``workers``; returns the addresses not seen
        before (their CPU counts are asked once)."""
        from familybench.bench.execute.dask.worker import host_cores

        new = [a for a in workers if a not in self._cores]
        if new:  # a worker that does not answer is asked again at the next read
            counts = self.client.run(host_cores, workers=new, on_error="ignore")
            self._cores.update({a: c for a, c in counts.items() if isinstance(c, int)})
        present = {a: w for a, w in workers.items() if isinstance(self._cores.get(a), int)}
        slots_by_host: dict[str, int] = {}
        for info in present.values():
            slots_by_host[info["host"]] = slots_by_host.get(info["host"], 0) + info["nthreads"]
        self.slots_by_host = slots_by_host
        self.slots = sum(slots_by_host.values())
        self.threads_by_host, self.cores_by_host = threads_per_host(
            present, {a: self._cores[a] for a in present}, slots_by_host, self.override,
            warned=self._warned,
        )
        self._known = set(present)
        return [a for a in new if a in present]
