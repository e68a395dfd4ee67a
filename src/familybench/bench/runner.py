"""The main job: suite → jobs → executor → store → report.

Each stage is a small function whose output feeds the next; hooks see the events.
"""

from __future__ import annotations

import math
import sqlite3
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from .._devices import DEVICES
from .._errors import FamilybenchError
from .._tasks import TASKS
from . import environment
from .executor import Executor, InProcessExecutor, make_executor
from .jobs import Job, expand
from .progress import Hook, ProgressBar
from .store import ResultStore, RunLock, StoreError, load_results
from .suite import DataSource, ModelConfig, Suite, apply_fast, load_suite, select
from .tuning import FixedJobs, JobSource, tune_settings_from


def resolve_suite(
    suite: str | Path | Suite | None = None,
    *,
    models: list[str] | None = None,
    datasets: list[str] | None = None,
    data: str | None = None,
    target: str | None = None,
    task: str | None = None,
    seeds: int | list[int] | None = None,
    device: str | None = None,
    timeout: float | None = None,
    fast: bool = False,
    tune: int | None = None,
    tune_seconds: float | None = None,
) -> Suite:
    """The suite a run will execute, with command-line selections and overrides applied.

    Without ``suite``, ``models``/``datasets`` name registry entries with their defaults;
    with one, they filter its names. ``data``/``target`` add (or, with a suite, replace
    the datasets by) the user's own file. ``tune``/``tune_seconds`` set (or add) the
    ``[tune]`` table's ``trials``/``time_budget``.
    """
    if suite is None:
        if not models or not (datasets or data):
            raise FamilybenchError("give a suite (SUITE.toml or --suite NAME), or --models and --datasets/--data")
        from .suite import parse_suite

        table = {"models": list(models), "datasets": _file_table(data, target, task) if data else list(datasets)}
        resolved = parse_suite(table, source="<command line>", default_name="run")
    else:
        resolved = suite if isinstance(suite, Suite) else load_suite(suite)
        if fast:
            resolved = apply_fast(resolved)
        resolved = select(resolved, models=models, datasets=None if data else datasets)
        if data:
            from .suite import parse_suite

            files = parse_suite({"models": ["linear"], "datasets": _file_table(data, target, task)}, source="--data")
            resolved = replace(resolved, datasets=files.datasets)
    if fast and suite is None:
        resolved = apply_fast(resolved)
    if seeds is not None:
        resolved = replace(
            resolved,
            seeds=tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds),
            models=tuple(replace(m, seeds=None) for m in resolved.models),  # --seeds wins everywhere
        )
        if not resolved.seeds:
            raise FamilybenchError("--seeds: expected at least one seed")
    if device is not None:
        if device not in DEVICES:
            raise FamilybenchError(f"--device: {device!r} is not one of {', '.join(DEVICES)}")
        resolved = replace(resolved, device=device)
    if timeout is not None:
        if not math.isfinite(timeout) or timeout <= 0:
            raise FamilybenchError(f"--timeout: must be a positive, finite number, got {timeout}")
        resolved = replace(
            resolved, timeout=float(timeout), models=tuple(replace(m, timeout=None) for m in resolved.models)
        )
    if tune is not None and (isinstance(tune, bool) or int(tune) != tune or tune < 1):
        raise FamilybenchError(f"--tune: expected a positive number of trials, got {tune}")
    if tune_seconds is not None and not (math.isfinite(tune_seconds) and tune_seconds > 0):
        raise FamilybenchError(f"--tune-seconds: must be a positive, finite number, got {tune_seconds}")
    return tune_settings_from(resolved, tune, tune_seconds)


def _file_table(data: str, target: str | None, task: str | None) -> dict:
    if not target:
        raise FamilybenchError(f"--data {data}: --target COLUMN is required")
    if task is not None and task not in TASKS:
        raise FamilybenchError(f"--task: {task!r} is not one of {', '.join(TASKS)}")
    name = Path(data).stem
    entry = {"path": str(Path(data).resolve()), "target": target}
    if task:
        entry["task"] = task
    return {name: entry}


def default_out(suite: Suite) -> Path:
    return Path("reports") / suite.name


def pending_jobs(jobs: list[Job], store: ResultStore, retry_failed: bool) -> list[Job]:
    """Jobs not yet finished in the store (``retry_failed`` also re-runs failures)."""
    done = store.finished_keys()
    if retry_failed:
        done -= store.failed_keys()
    return [job for job in jobs if job.key not in done]


def execute(
    suite: Suite,
    out: str | Path,
    *,
    jobs: int = 1,
    executor: str | Executor | None = None,
    fresh: bool = False,
    retry_failed: bool = False,
    hooks: list[Hook] | None = None,
    strict: bool = False,
) -> tuple[str, list[dict]]:
    """Run the suite's unfinished jobs, writing each result to ``out`` as it finishes.

    A tuned suite (``[tune]``) runs its trials through the :class:`~.tuning.Tuner`, which
    hands out jobs as earlier ones finish; an untuned one runs its fixed job list. Both go
    through the executor's job-at-a-time interface. Resuming into rows made by other
    versions warns (``strict``: refuses before running anything). Returns the run id and
    the records written in this run.
    """
    hooks = list(hooks or [])
    out = Path(out)
    all_jobs = expand(suite)
    if not all_jobs:
        raise FamilybenchError(f"{suite.source}: the selection leaves no jobs to run")
    records: list[dict] = []
    pool = make_executor(jobs, executor)  # the executor instance (``executor`` may be its name)
    if not isinstance(pool, InProcessExecutor):
        from .jobs import plugin_registrations

        plugin_registrations(suite, strict=True)  # a model from __main__: refused before any job
    with RunLock(out), ResultStore(out, fresh=fresh) as store:
        _check_versions(store, strict)
        _check_tasks(store, suite)
        with pool:
            # Workers spawn, import and warm up while this process prepares and records the
            # run (a tuner imports every family's search space, the environment probe runs
            # git, the store writes the run and its plan).
            start = time.perf_counter()  # the run's wall clock counts starting its executor
            started = False
            if suite.tune is not None:
                from .tuning import Tuner

                pool.start({m.model for m in suite.models}, expected_jobs=len(all_jobs))
                started = True
                source = Tuner(suite, store.records_by_key(), retry_failed=retry_failed)
                already_done = source.already_done
            else:
                source = FixedJobs(pending_jobs(all_jobs, store, retry_failed))
                already_done = len(all_jobs) - source.total
            source.start()
            if source.total and not started:
                pool.start(source.models, expected_jobs=source.total)
                started = True
            run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
            started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            meta = environment.collect(models=[m.model for m in suite.models])
            meta.update(n_jobs_total=source.total + already_done, n_jobs_run=source.total, parallel_jobs=jobs)
            store.start_run(run_id, started_at, suite.to_dict(), meta)
            store.write_plan(run_id, [(j.config, j.dataset.name, j.seed, j.fold, j.train_size) for j in all_jobs])
            for hook in hooks:
                hook.on_run_start(source.total, already_done, suite.name, str(out), bound=source.bound)
            finished = False
            dataset_artefacts: set[tuple[str, str]] = set()  # (dataset, name) stored in this run
            try:
                for record, outcome in _drive(source, pool, run_id, started=started):
                    try:
                        store.write(record, outcome.artefacts)
                        fresh_ones = {name: arrays for name, arrays in outcome.dataset_artefacts.items()
                                      if (record["dataset"], name) not in dataset_artefacts}
                        if fresh_ones:  # the first of each in this run (every worker sends its own)
                            store.write_dataset_artefacts(record["dataset"], fresh_ones)
                            dataset_artefacts.update((record["dataset"], name) for name in fresh_ones)
                    except (sqlite3.Error, OSError) as exc:  # disk full, file gone, directory read-only
                        raise StoreError(f"{out}: cannot write the result of {record['config']} on "
                                         f"{record['dataset']} ({exc}); the {len(records)} results written "
                                         "before are kept, re-run to resume") from None
                    records.append(record)
                    for hook in hooks:
                        hook.on_job_end(record)
                finished = True
            finally:
                wall = time.perf_counter() - start
                meta.update(
                    threads_per_job=pool.threads,
                    parallel_jobs=pool.slots if source.total else jobs,  # a cluster's task slots, not --jobs
                    worker_warm_up_seconds=getattr(pool, "warm_up_seconds", None),
                    worker=getattr(pool, "worker_info", {}),
                    device=suite.device,
                    interrupted=not finished,
                    n_jobs_run=len(records),
                )
                try:
                    store.finish_run(run_id, datetime.now(timezone.utc).isoformat(timespec="seconds"), wall, meta)
                except (sqlite3.Error, OSError):
                    pass  # the results are committed one by one; only the run's end time is lost
                for hook in hooks:
                    hook.on_run_end(records, wall)
    return run_id, records


def _check_tasks(store: ResultStore, suite: Suite) -> None:
    """Refuse a dataset whose stored rows have another task than this run gives it (a file's
    target read as binary before, as regression now): one name, one task, or the report and
    the statistics would mix them."""
    stored = store.dataset_tasks()
    for source in suite.datasets:
        other = stored.get(source.name, set()) - {source.known_task}
        if source.known_task is not None and other:
            raise FamilybenchError(
                f"{store.directory}: dataset {source.name!r} is stored here as {', '.join(sorted(other))}, and this "
                f"run treats it as {source.known_task}: one name, one task — use --fresh, another --out, or the "
                "same --task as before")


def _check_versions(store: ResultStore, strict: bool) -> None:
    """Finished rows from other familybench or library versions: a warning, or with
    ``strict`` an error, before anything runs (``--fresh`` starts over)."""
    import warnings

    here = environment.provenance()
    current = (here["familybench_version"], here["libs_digest"], here["source_commit"])
    counts = store.provenance_counts()
    other = {k: n for k, n in counts.items() if k[:2] != current[:2] or (k[2] != current[2] and k[2] is not None)}
    if not other:
        return
    described = "; ".join(
        f"{n} rows from familybench {v or '?'} (libraries {d or 'unknown'}, source {str(c or 'unknown')[:20]})"
        for (v, d, c), n in sorted(other.items(), key=lambda kv: -kv[1])
    )
    message = (f"{store.directory}: resuming into results made by other versions ({described}); this run is "
               f"familybench {current[0]} (libraries {current[1]}, source {current[2][:20]}). Use --fresh to start over")
    if strict:
        raise FamilybenchError(message + "; --strict refuses to mix them")
    warnings.warn(message, UserWarning, stacklevel=3)


def _drive(source: JobSource, executor: Executor, run_id: str, *, started: bool = False):
    """Feed the executor (``started``: already) from the started source, at most ``slots``
    jobs in flight; yield each result."""
    job = source.next_job()
    if job is None:
        return
    if not started:
        executor.start(source.models, expected_jobs=source.total)
    executor.submit(job)
    while executor.in_flight:
        while executor.in_flight < executor.slots and (job := source.next_job()) is not None:
            executor.submit(job)
        outcome = executor.next_outcome()
        record = {**outcome.record, "run_id": run_id}
        source.tell(record)
        yield record, outcome
        # a tell can free work (the refit after a group's last trial) when nothing is in flight
        if not executor.in_flight and (job := source.next_job()) is not None:
            executor.submit(job)


def run(
    suite: str | Path | Suite | None = None,
    *,
    models: list[str] | None = None,
    datasets: list[str] | None = None,
    data: str | None = None,
    target: str | None = None,
    task: str | None = None,
    seeds: int | list[int] | None = None,
    jobs: int = 1,
    device: str | None = None,
    timeout: float | None = None,
    fast: bool = False,
    tune: int | None = None,
    tune_seconds: float | None = None,
    out: str | Path | None = None,
    fresh: bool = False,
    retry_failed: bool = False,
    executor: str | Executor | None = None,
    progress: bool = True,
    report: bool = True,
):
    """Run a benchmark suite and return all results in ``out`` as a DataFrame.

    Mirrors ``familybench run``: finished jobs already in ``out`` are not run again
    (``fresh=True`` starts over). Failed jobs are recorded with their message, never raised.
    ``tune=N`` tunes every config with N trials (see the suite's ``[tune]`` table); the
    returned frame has every row, trials included: ``familybench.select_best`` picks one per
    config × dataset × seed × fold × train size.
    """
    resolved = resolve_suite(
        suite, models=models, datasets=datasets, data=data, target=target, task=task,
        seeds=seeds, device=device, timeout=timeout, fast=fast, tune=tune, tune_seconds=tune_seconds,
    )
    out = Path(out) if out is not None else default_out(resolved)
    hooks = [ProgressBar()] if progress else []
    execute(resolved, out, jobs=jobs, executor=executor, fresh=fresh, retry_failed=retry_failed, hooks=hooks)
    if report:
        from ..reports import write_report

        write_report(out)
    return load_results(out)


__all__ = ["DataSource", "ModelConfig", "Suite", "execute", "pending_jobs", "resolve_suite", "run"]
