"""How long a run will take on this machine, said before it starts.

Each config is fitted twice on a sample of one dataset's training rows (``PILOT_ROWS``,
fewer when the table is smaller), with the threads a job gets; a straight line through the
two times (a fixed cost plus a cost per row: imports and set-up weigh on small fits)
is read off at the rows a job fits, times the fits per job (inner folds, repeats), plus
predicting the test rows. Jobs are spread over the parallel slots. Rough by nature (early
stopping, caches and the other jobs on the machine change it), and said to be.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from familybench._threads import thread_limits
from familybench.bench.plan.jobs import Job

PILOT_ROWS = (200, 400)
#: a pilot fit past this many seconds is not repeated on more rows: the run is long anyway
PILOT_LIMIT = 30.0


@dataclass
class Estimate:
    """Seconds of the pending jobs, in all and per config, and how it was measured."""

    seconds: float
    jobs: int
    slots: int
    per_config: dict[str, float] = field(default_factory=dict)  # seconds per job, mean over datasets
    pilot_seconds: float = 0.0
    failed: dict[str, str] = field(default_factory=dict)  # config -> why its pilot failed

    def text(self) -> str:
        per = ", ".join(f"{c} {_duration(s)}" for c, s in sorted(self.per_config.items(), key=lambda i: -i[1]))
        line = (f"{self.jobs} jobs, about {_duration(self.seconds)} on this machine with {self.slots} at once "
                f"(per job: {per}; from pilot fits on {PILOT_ROWS[0]} and {PILOT_ROWS[1]} rows, which took "
                f"{_duration(self.pilot_seconds)})")
        if self.failed:
            line += "; not estimated: " + ", ".join(f"{c} ({why})" for c, why in self.failed.items())
        return line


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _fit_rows(worker, job: Job) -> tuple[np.ndarray, np.ndarray, int]:
    """The rows the job's first model is fitted on, its test rows and how many models it fits."""
    from familybench.datasets import make_inner_splits, make_splits

    data = worker.dataset(job.dataset)
    split = make_splits(data, seed=job.seed, split=job.split, test_size=job.test_size,
                        train_size=job.train_size)[job.fold]
    if job.validation is None:
        return split.train, split.test, job.repeats
    inner = make_inner_splits(data.y.to_numpy(), data.task, split.train, seed=job.seed, fold=job.fold,
                              validation=job.validation, label=data.name)
    return inner[0].train, split.test, (len(inner) if len(inner) > 1 else job.repeats)


def _pilot(worker, job: Job, rows: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """Seconds to fit the job's model on ``rows`` and to predict one test row."""
    from familybench.models import get_model

    data = worker.dataset(job.dataset)
    params = dict(job.params)
    probe = get_model(job.model, task=data.task, **params)
    if "random_state" in probe.get_params(deep=False) and "random_state" not in params:
        params["random_state"] = 0
    model = get_model(job.model, task=data.task, **params)
    with thread_limits(worker.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(data.X.iloc[rows], data.y.iloc[rows].to_numpy())
        fit = time.perf_counter() - start
        sample = test[: min(len(test), 1000)]
        start = time.perf_counter()
        model.predict(data.X.iloc[sample])
        predict = (time.perf_counter() - start) / max(1, len(sample))
    return fit, predict


def estimate(suite, jobs: list[Job], slots: int, threads: int) -> Estimate:
    """Estimate the seconds ``jobs`` (the suite's, :func:`~familybench.bench.plan.jobs.expand`)
    take with ``slots`` at once, ``threads`` each (see the module docstring). Under
    ``[tune]`` each job stands for its trials, fitted on the inner-train rows (plus a refit
    on all of them when ``refit``). Runs in this process; a config whose pilot fails is
    left out and named (its jobs will fail on their own, with their message)."""
    from dataclasses import replace

    from familybench.bench.execute.worker import JobWorker

    tune = suite.tune
    if tune is not None:
        jobs = [replace(job, validation=dict(tune.validation)) if job.validation is None else job for job in jobs]
    trials = (tune.trials + (2 if tune.refit else 0)) if tune is not None else 1
    started = time.perf_counter()
    worker = JobWorker(threads)
    worker.warm_up({job.model for job in jobs})
    rng = np.random.default_rng(0)
    per_job: dict[tuple[str, str], float] = {}
    failed: dict[str, str] = {}
    for job in jobs:
        key = (job.config, job.dataset.name)
        if key in per_job or job.config in failed:
            continue
        try:
            with warnings.catch_warnings():  # the run itself says what the data warrants, once
                warnings.simplefilter("ignore")
                fit_rows, test, fits = _fit_rows(worker, job)
            sizes = sorted({min(n, len(fit_rows)) for n in PILOT_ROWS})
            times = []
            for n in sizes:
                fit, predict = _pilot(worker, job, rng.choice(fit_rows, size=n, replace=False), test)
                times.append((n, fit))
                if fit > PILOT_LIMIT:
                    break
        except Exception as exc:  # noqa: BLE001 - a model that cannot fit is the job's to report
            failed[job.config] = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else type(exc).__name__
            continue
        if len(times) == 2:
            (n1, t1), (n2, t2) = times
            slope = max(0.0, (t2 - t1) / (n2 - n1))
            seconds = max(t2, t1 + slope * (len(fit_rows) - n1))
        else:
            n1, t1 = times[0]
            seconds = t1 * len(fit_rows) / n1
        per_job[key] = fits * (seconds + predict * len(test))
    total = 0.0
    for job in jobs:
        seconds = per_job.get((job.config, job.dataset.name))
        if seconds is not None:
            total += seconds * trials
    longest = max(per_job.values(), default=0.0)
    per_config: dict[str, list[float]] = {}
    for (config, _), seconds in per_job.items():
        per_config.setdefault(config, []).append(seconds)
    return Estimate(seconds=max(total / max(1, slots), longest), jobs=len(jobs) * trials, slots=slots,
                    per_config={c: float(np.mean(v)) for c, v in per_config.items()},
                    pilot_seconds=time.perf_counter() - started, failed=failed)
