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

from familybench._devices import DEVICES
from familybench._errors import FamilybenchError
from familybench._tasks import TASKS
from familybench.bench.execute.base import Executor, make_executor
from familybench.bench.execute.inprocess import InProcessExecutor
from familybench.bench.plan.jobs import Job, expand, plugin_registrations
from familybench.bench.plan.tuning import FixedJobs, JobSource, Tuner, tune_settings_from
from familybench.bench.results import provenance as environment
from familybench.bench.results.store import ResultStore, RunLock, StoreError, load_results
from familybench.bench.run.hooks import Hook, ProgressBar, notify
from familybench.bench.run.options import RunOptions
from familybench.bench.suite.spec import Suite, apply_fast, load_suite, parse_suite, select


def resolve_suite(options: RunOptions) -> Suite:
    """The suite a run will execute, with the options' selections and overrides applied.

    Without ``options.suite``, ``models``/``datasets`` name registry entries with their
    defaults; with one, they filter its names. ``data``/``target`` add (or, with a suite,
    replace the datasets by) the user's own file. ``tune``/``tune_seconds`` set (or add) the
    ``[tune]`` table's ``trials``/``time_budget``.
    """
    o = options
    suite, models, datasets, data, target, task = o.suite, o.models, o.datasets, o.data, o.target, o.task
    seeds, device, timeout, fast, tune, tune_seconds = o.seeds, o.device, o.timeout, o.fast, o.tune, o.tune_seconds
    if suite is None and data:
        # a user's own table: the `choose` protocol (repeated splits, validation scores, the
        # best members of every family unless --models names others)
        resolved = parse_suite(choose_table(data, target, task, models), source=f"--data {data}",
                               default_name="choose")
    elif suite is None:
        if not models or not datasets:
            raise FamilybenchError("give a suite (SUITE.toml or --suite NAME), --data FILE --target COLUMN, "
                                   "or --models and --datasets")
        resolved = parse_suite({"models": list(models), "datasets": list(datasets)}, source="<command line>",
                               default_name="run")
    else:
        resolved = suite if isinstance(suite, Suite) else load_suite(suite)
        if fast:
            resolved = apply_fast(resolved)
        resolved = select(resolved, models=models, datasets=None if data else datasets)
        if data:
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


def choose_table(data: str, target: str | None, task: str | None, models=None) -> dict:
    """The suite table of ``familybench run --data FILE --target Y``: the built-in ``choose``
    suite (every family's best members, 5-fold cross-validation over 2 seeds, a validation
    split per job) on the file; ``models`` replaces its configs."""
    import re
    from importlib import resources

    import tomllib

    text = resources.files("familybench.bench.suite.builtin").joinpath("choose.toml").read_text("utf-8")
    table = tomllib.loads(text)
    files = _file_table(data, target, task)
    stem = next(iter(files))
    table["datasets"] = files
    table["name"] = "choose-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "data")
    table["description"] = (f"Choosing a model family for {stem} (familybench run --data): "
                            + ("the models asked for" if models else "every family's best members at their "
                               "defaults") + ", 5-fold cross-validation repeated over 2 seeds, each model scored on "
                            "a validation split of its training rows")
    if not models:  # every family's best members that this installation can run
        missing = {name: _missing_distributions(entry.get("model", name))
                   for name, entry in table["models"].items()}
        missing = {name: dists for name, dists in missing.items() if dists}
        if missing:
            import warnings

            warnings.warn(f"--data: leaving out {', '.join(missing)} (not installed: "
                          f"{', '.join(sorted({d for ds in missing.values() for d in ds}))}; "
                          "pip install 'familybench[catboost,nets]' to run every family's best members)",
                          stacklevel=2)
            models = [name for name in table["models"] if name not in missing]
    if models:
        table["models"] = list(models)
        fast = table.setdefault("fast", {})
        fast["models"] = {k: v for k, v in fast.get("models", {}).items() if k in models}
    return table


def _missing_distributions(model: str) -> list[str]:
    """The distributions a built-in model's family needs that are not installed."""
    from importlib.metadata import PackageNotFoundError, version

    from familybench.models import get_spec

    missing = []
    for dist in get_spec(model).versions:
        try:
            version(dist)
        except PackageNotFoundError:
            missing.append(dist)
    return missing


def default_out(suite: Suite) -> Path:
    return Path("reports") / suite.name


def pending_jobs(jobs: list[Job], store: ResultStore, retry_failed: bool) -> list[Job]:
    """Jobs not yet finished in the store (``retry_failed`` also re-runs failures)."""
    done = store.finished_keys()
    if retry_failed:
        done -= store.failed_keys()
    return [job for job in jobs if job.key not in done]


def execute(suite: Suite, out: str | Path, options: RunOptions | None = None, *,
            hooks: list[Hook] | None = None, **overrides) -> tuple[str, list[dict]]:
    """Run the suite's unfinished jobs, writing each result to ``out`` as it finishes.

    ``options`` (:class:`RunOptions`; ``overrides`` replace its fields, e.g.
    ``executor="serial"``) says how: ``jobs``, ``executor``, ``fresh``, ``retry_failed``,
    ``strict``. A tuned suite (``[tune]``) runs its trials through the
    :class:`~familybench.bench.plan.tuning.Tuner`, which hands out jobs as earlier ones
    finish; an untuned one runs its fixed job list. Both go through the executor's
    job-at-a-time interface. Resuming into rows made by other versions warns (``strict``:
    refuses before running anything). Returns the run id and the records written in this run.
    """
    options = replace(options or RunOptions(), **overrides)
    hooks = list(hooks or [])
    out = Path(out)
    all_jobs = expand(suite)
    if not all_jobs:
        raise FamilybenchError(f"{suite.source}: the selection leaves no jobs to run")
    pool = make_executor(options.jobs, options.executor)  # the executor instance (``executor`` may be its name)
    if not isinstance(pool, InProcessExecutor):
        plugin_registrations(suite, strict=True)  # a model from __main__: refused before any job
    with RunLock(out), ResultStore(out, fresh=options.fresh) as store:
        _check_versions(store, options.strict)
        _check_tasks(store, suite)
        with pool:
            # Workers spawn, import and warm up while this process prepares and records the
            # run (a tuner imports every family's search space, the environment probe runs
            # git, the store writes the run and its plan).
            start = time.perf_counter()  # the run's wall clock counts starting its executor
            source, already_done = _job_source(suite, all_jobs, store, pool, options.retry_failed)
            run_id, meta = _record_start(store, suite, all_jobs, source, already_done, options.jobs)
            notify(hooks, "on_run_start", total=source.total, already_done=already_done, suite_name=suite.name,
                   out=str(out), bound=source.bound)
            records: list[dict] = []
            dataset_artefacts: set[tuple[str, str]] = set()  # (dataset, name) stored in this run
            finished = False
            try:
                for record, outcome in _drive(source, pool, run_id):
                    _store_outcome(store, record, outcome, dataset_artefacts, records)
                    records.append(record)
                    notify(hooks, "on_job_end", record=record)
                finished = True
            finally:
                wall = time.perf_counter() - start
                _record_end(store, run_id, meta, pool, suite, source, records, wall, options.jobs, finished)
                notify(hooks, "on_run_end", records=records, wall_seconds=wall)
    return run_id, records


def _job_source(suite: Suite, all_jobs: list[Job], store: ResultStore, pool: Executor,
                retry_failed: bool) -> tuple[JobSource, int]:
    """The run's job source and how many of its jobs were already done; the one place the
    executor starts (before a tuner is built, which imports every family's search space:
    the workers warm up meanwhile), and only when there is something to run."""
    if suite.tune is not None:
        pool.start({m.model for m in suite.models}, expected_jobs=len(all_jobs))
        source = Tuner(suite, store.records_by_key(), retry_failed=retry_failed)
        already_done = source.already_done
    else:
        source = FixedJobs(pending_jobs(all_jobs, store, retry_failed))
        already_done = len(all_jobs) - source.total
        if source.total:
            pool.start(source.models, expected_jobs=source.total)
    source.start()
    return source, already_done


def _record_start(store: ResultStore, suite: Suite, all_jobs: list[Job], source: JobSource,
                  already_done: int, jobs: int) -> tuple[str, dict]:
    """Write the run (its id, suite, environment) and its plan to the store."""
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = environment.collect(models=[m.model for m in suite.models])
    meta.update(n_jobs_total=source.total + already_done, n_jobs_run=source.total, parallel_jobs=jobs)
    store.start_run(run_id, started_at, suite.to_dict(), meta)
    store.write_plan(run_id, [(j.config, j.dataset.name, j.seed, j.fold, j.train_size) for j in all_jobs])
    return run_id, meta


def _store_outcome(store: ResultStore, record: dict, outcome, stored: set[tuple[str, str]],
                   written: list[dict]) -> None:
    """One job's record and artefacts, committed; a dataset's artefacts once per run (every
    worker sends its own; ``stored`` holds those written)."""
    try:
        store.write(record, outcome.artefacts)
        fresh_ones = {name: arrays for name, arrays in outcome.dataset_artefacts.items()
                      if (record["dataset"], name) not in stored}
        if fresh_ones:
            store.write_dataset_artefacts(record["dataset"], fresh_ones)
            stored.update((record["dataset"], name) for name in fresh_ones)
    except (sqlite3.Error, OSError) as exc:  # disk full, file gone, directory read-only
        raise StoreError(f"{store.directory}: cannot write the result of {record['config']} on "
                         f"{record['dataset']} ({exc}); the {len(written)} results written "
                         "before are kept, re-run to resume") from None


def _record_end(store: ResultStore, run_id: str, meta: dict, pool: Executor, suite: Suite, source: JobSource,
                records: list[dict], wall: float, jobs: int, finished: bool) -> None:
    """The run's end: wall time, the executor's threads and warm-up, interrupted or not."""
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


def _drive(source: JobSource, executor: Executor, run_id: str):
    """Feed the started executor from the started source, at most ``slots`` jobs in flight;
    yield each result."""
    job = source.next_job()
    if job is None:
        return
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


def run(suite: str | Path | Suite | None = None, *, progress: bool = True, report: bool = True, **options):
    """Run a benchmark suite and return all results in ``out`` as a DataFrame.

    Mirrors ``familybench run``; ``options`` are :class:`RunOptions` fields (``models``,
    ``datasets``, ``data``, ``target``, ``seeds``, ``jobs``, ``tune``, ``out``, ``fresh``,
    ``executor``, ...). Finished jobs already in ``out`` are not run again (``fresh=True``
    starts over). Failed jobs are recorded with their message, never raised. ``tune=N``
    tunes every config with N trials (see the suite's ``[tune]`` table); the returned frame
    has every row, trials included: ``familybench.select_best`` picks one per config ×
    dataset × seed × fold × train size.
    """
    unknown = set(options) - set(RunOptions.names())
    if unknown:
        raise TypeError(f"run() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    opts = RunOptions(suite=suite, **options)
    resolved = resolve_suite(opts)
    out = Path(opts.out) if opts.out is not None else default_out(resolved)
    execute(resolved, out, opts, hooks=[ProgressBar()] if progress else [])
    if report:
        from familybench.reports import write_report

        write_report(out)
    return load_results(out)


__all__ = ["RunOptions", "execute", "pending_jobs", "resolve_suite", "run"]
