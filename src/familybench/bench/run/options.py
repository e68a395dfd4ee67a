"""Run options: what a run selects and how it runs, as one object from the CLI or the API."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunOptions:
    """Everything ``familybench run`` (and :func:`familybench.run`) is asked for.

    The first group selects and overrides the suite (:func:`~familybench.bench.run.driver.resolve_suite`
    reads it); the second says how the jobs run (:func:`~familybench.bench.run.driver.execute`
    reads it).

    Parameters
    ----------
    suite : str, Path, Suite or None
        A suite file, a built-in suite's name or a parsed ``Suite``; ``None``: ``models``
        and ``datasets``/``data`` name registry entries with their defaults.
    models, datasets : list of str, optional
        Filter a suite's configs and datasets, or, without a suite, name them.
    data, target, task : str, optional
        Your own CSV/Parquet file, its target column and (optionally) its task.
    seeds : int or list of int, optional
        Overrides every seed setting (N: seeds 0..N-1).
    device : {"auto", "cpu", "cuda"}, optional
    timeout : float, optional
        Seconds per job, over every suite and model setting.
    fast : bool, default=False
        The suite's ``[fast]`` sizes.
    tune, tune_seconds : optional
        Set (or add) ``[tune]``'s ``trials`` and ``time_budget``.
    out : str or Path, optional
        The results directory (default ``reports/<suite name>``).
    jobs : int, default=1
        Jobs at once (worker processes, or a cap on Dask).
    executor : str or Executor, optional
        ``"process"`` (default), ``"serial"``, ``"dask"`` or an executor instance.
    fresh, retry_failed, strict : bool, default=False
        Start over; run failed jobs again; refuse rows of other versions.
    """

    # what to run
    suite: Any = None
    models: list[str] | None = None
    datasets: list[str] | None = None
    data: str | None = None
    target: str | None = None
    task: str | None = None
    seeds: int | list[int] | None = None
    device: str | None = None
    timeout: float | None = None
    fast: bool = False
    tune: int | None = None
    tune_seconds: float | None = None
    # how to run it
    out: str | Path | None = None
    jobs: int = 1
    executor: Any = None
    fresh: bool = False
    retry_failed: bool = False
    strict: bool = False

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
