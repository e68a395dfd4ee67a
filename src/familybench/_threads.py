"""Thread budgets for BLAS, OpenMP and torch.

On a small machine, two jobs that each start one thread per core slow each other down
4-10x (measured on 2 cores). Every job therefore runs inside :func:`thread_limits`, which
caps all three thread pools at once and restores them afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_BUDGET_ENV = "FAMILYBENCH_THREADS"


def cpu_count() -> int:
    """CPUs this process may run on (respects affinity masks, unlike ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def thread_budget(n_jobs: int | None = None) -> int:
    """Threads a model may use: ``n_jobs`` if given, else the job's budget, else all CPUs.

    Negative values count back from the CPU count like joblib (-1 = all CPUs).
    """
    if n_jobs is None:
        env = os.environ.get(_BUDGET_ENV)
        if env:
            return max(1, int(env))
        return cpu_count()
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs=0 is not a thread count; use a positive number or -1")
    if n_jobs < 0:
        return max(1, cpu_count() + 1 + n_jobs)
    return n_jobs


_CONTROLLER: list = [None, -1]  # a ThreadpoolController, and len(sys.modules) when it was made


def _controller():
    """A cached threadpoolctl controller, rebuilt when new modules (so new libraries) have loaded.

    Building one scans the process's shared libraries (~2.6 ms); every job enters the limits.
    """
    if _CONTROLLER[0] is None or _CONTROLLER[1] != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        _CONTROLLER[0] = ThreadpoolController()
        _CONTROLLER[1] = len(sys.modules)
    return _CONTROLLER[0]


@contextmanager
def thread_limits(n_threads: int) -> Iterator[None]:
    """Cap BLAS, OpenMP and (if imported) torch thread pools to ``n_threads``.

    The environment variable ``FAMILYBENCH_THREADS`` is set for the duration so that
    models built inside (LightGBM, the MLP) pick the same budget.
    """
    n_threads = max(1, int(n_threads))
    previous_env = os.environ.get(_BUDGET_ENV)
    os.environ[_BUDGET_ENV] = str(n_threads)
    torch = sys.modules.get("torch")
    previous_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n_threads)
    try:
        with _controller().limit(limits=n_threads):
            yield
    finally:
        if torch is not None and previous_torch is not None:
            torch.set_num_threads(previous_torch)
        if previous_env is None:
            os.environ.pop(_BUDGET_ENV, None)
        else:
            os.environ[_BUDGET_ENV] = previous_env
