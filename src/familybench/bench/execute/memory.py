"""Memory of job processes, polled cheaply; light enough for a Dask worker to import
(no numpy or pandas: a worker only watches its job processes)."""

from __future__ import annotations

import time

MEMORY_POLL = 0.05
"""Seconds between resident-memory checks of a busy job process."""


def default_memory_limit(concurrent_jobs: int) -> int:
    """0.8 × the machine's RAM shared by the jobs that run at once (bytes per job)."""
    import psutil

    return int(0.8 * psutil.virtual_memory().total / max(1, concurrent_jobs))


class ProcessTree:
    """The resident memory of a process and its descendants, cheap to poll.

    Listing descendants scans every process (~0.7 ms); reading one's RSS costs ~0.01 ms.
    So the list is refreshed at most every ``rescan`` seconds, and a poll in between reads
    the known processes only: a job's own child processes count within a second.
    """

    def __init__(self, pid: int, rescan: float = 1.0):
        import psutil

        self._psutil = psutil
        self._root = psutil.Process(pid)
        self._rescan = rescan
        self._children: list = []
        self._scanned = -float("inf")

    def rss(self) -> int:
        psutil = self._psutil
        now = time.monotonic()
        try:
            if now - self._scanned >= self._rescan:
                self._children = self._root.children(recursive=True)
                self._scanned = now
            total = self._root.memory_info().rss
        except psutil.Error:
            return 0
        for child in self._children:
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"
