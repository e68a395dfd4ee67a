"""The ``familybench`` command: run, list, report, export.

Exit codes: 0 when the run completed (failed jobs are recorded and shown; ``--strict``
makes any failure exit 1), 2 for bad input, with a one-line message and no traceback, 3
when the cluster went away mid-run (finished results are kept; re-run to resume), 70 for
an internal error (a bug: the traceback is saved to a file the message names), 130/143
when interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import sys

from ._devices import DEVICES
from ._executors import EXECUTORS
from ._tasks import TASKS


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _positive(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number, got {text}")
    return value


def _cost_limits(parser) -> None:
    parser.add_argument("--max-fit-seconds-per-1k", type=_positive, metavar="S",
                        help="the verdict's best within cost: fit seconds per 1,000 training rows at most "
                        "(default: within 10x the fastest fit)")
    parser.add_argument("--max-predict-ms-per-row", type=_positive, metavar="MS",
                        help="the verdict's best within cost: predict milliseconds per row at most")


def _limits(args) -> dict:
    return {"max_fit_seconds_per_1k": args.max_fit_seconds_per_1k,
            "max_predict_ms_per_row": args.max_predict_ms_per_row}


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="familybench", description="Benchmark and compare model families.")
    parser.add_argument("--version", action="version", version=f"familybench {__version__}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run a suite (resumes unfinished work in --out)")
    run.add_argument("suite_file", nargs="?", metavar="SUITE.toml", help="a suite file")
    run.add_argument("--suite", help="a built-in suite (see `familybench list suites`)")
    run.add_argument("--models", type=_csv, help="comma-separated model names (filter a suite's configs)")
    run.add_argument("--datasets", type=_csv, help="comma-separated dataset names")
    run.add_argument("--data", metavar="PATH", help="your own CSV or Parquet file")
    run.add_argument("--target", metavar="COL", help="target column of --data")
    run.add_argument("--task", choices=TASKS, help="task of --data (else inferred)")
    run.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    run.add_argument("--jobs", type=int, help="parallel worker processes (threads split between them); "
                     "with --scheduler: jobs in flight (default: the workers' task slots)")
    run.add_argument("--device", choices=DEVICES)
    run.add_argument("--timeout", type=float, metavar="SECONDS", help="per-job time limit")
    run.add_argument("--fast", action="store_true", help="the suite's smaller sizes")
    run.add_argument("--tune", type=int, metavar="N",
                     help="tune every config: N trials per dataset x seed (sets or adds [tune] trials)")
    run.add_argument("--tune-seconds", type=float, metavar="S",
                     help="tuning budget: seconds of fit time per config x dataset x seed (adds [tune])")
    run.add_argument("--out", metavar="DIR", help="output directory (default reports/<suite name>)")
    run.add_argument("--fresh", action="store_true", help="discard earlier results in --out")
    run.add_argument("--retry-failed", action="store_true", help="run failed, timed-out and out-of-memory jobs again")
    run.add_argument("--strict", action="store_true", help="exit 1 if any job failed, timed out or ran out of memory; exit 2 before running when resuming into rows of other versions")
    run.add_argument("--executor", choices=tuple(EXECUTORS),
                     help="where jobs run: worker processes (default), this process, or a local Dask cluster")
    run.add_argument("--serial", action="store_true", help="run in this process (same as --executor serial)")
    run.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask scheduler's workers")
    run.add_argument("--check", action="store_true",
                     help="validate the suite and its data, print what would run, and run nothing")
    _cost_limits(run)

    lst = sub.add_parser("list", help="list models, datasets or suites")
    lst.add_argument("what", choices=("models", "datasets", "suites"))

    report = sub.add_parser("report", help="write DIR/report.md (and .html) from DIR/results.sqlite")
    report.add_argument("directory")
    report.add_argument("--out", metavar="OUT", help="write the report to OUT instead (DIR is only read)")
    report.add_argument("--protocol", choices=("default", "tuned", "ensembled"),
                        help="tuned runs: rank and test the defaults, the chosen trials (default) or the post-hoc ensembles")
    _cost_limits(report)

    compare = sub.add_parser(
        "compare", help="compare two result directories; exit 1 on a regression",
        description="Compare BASELINE and CURRENT result directories, or with --interleave run a "
        "suite on --baseline-ref and the working tree alternately and compare those.",
    )
    compare.add_argument("dirs", nargs="*", metavar="DIR_OR_SUITE",
                         help="BASELINE CURRENT, or with --interleave an optional SUITE")
    compare.add_argument("--markdown", metavar="FILE", help="also write a pull-request comment here")
    compare.add_argument("--protocol", choices=("default", "tuned", "ensembled"),
                         help="tuned runs: compare their defaults, chosen trials (the default) or post-hoc ensembles")
    compare.add_argument("--interleaved", action="store_true",
                         help="the two runs were interleaved in one job (tighter time threshold)")
    compare.add_argument("--interleave", action="store_true",
                         help="run the suite on --baseline-ref and the working tree, alternating jobs")
    compare.add_argument("--baseline-ref", metavar="REF", help="git ref of the baseline (with --interleave)")
    compare.add_argument("--suite", help="built-in suite for --interleave (default quick)")
    compare.add_argument("--fast", action="store_true", help="the suite's smaller sizes (with --interleave)")
    compare.add_argument("--out", metavar="DIR", help="where --interleave writes baseline/ and current/")

    history = sub.add_parser("history", help="performance across commits: add a run, draw the trends, check")
    steps = history.add_subparsers(dest="history_command")
    add = steps.add_parser("add", help="add a run's selected rows to the history, keyed by commit and machine")
    add.add_argument("run_dir", metavar="RUN_DIR")
    add.add_argument("--commit", metavar="SHA", help="the commit the run measured (default: the run's own)")
    add.add_argument("--date", metavar="ISO", help="its commit date (default: from git, else the run's start)")
    add.add_argument("--machine", metavar="NAME",
                     help="the machine key (default: a digest of the run's hardware); one name per runner")
    add.add_argument("--history", metavar="DIR", help="the history directory (default reports/history)")
    site = steps.add_parser("report", help="write the trends as static pages (SITE/index.html)")
    site.add_argument("--history", metavar="DIR", help="the history directory (default reports/history)")
    site.add_argument("--out", metavar="SITE", help="where (default HISTORY/site)")
    check = steps.add_parser("check", help="exit 1 when a series' latest level is a regression")
    check.add_argument("--history", metavar="DIR", help="the history directory (default reports/history)")

    export = sub.add_parser("export", help="export results to CSV or Parquet, or the chosen params as a suite")
    export.add_argument("directory")
    export.add_argument("path", help="output file ending in .csv or .parquet (or .toml with --best-params)")
    export.add_argument("--selected", action="store_true",
                        help="only the validation-chosen row per config x dataset x seed x fold x train size")
    export.add_argument("--best-params", action="store_true",
                        help="write a suite (.toml) whose configs carry the chosen params, per dataset")
    return parser


def _cmd_run(args) -> int:
    from familybench.bench.results.record import BAD_STATUSES
    from familybench.bench.results.store import load_results
    from familybench.bench.run.driver import default_out, execute, resolve_suite
    from familybench.bench.run.hooks import ProgressBar

    options = _run_options(args)
    resolved = resolve_suite(options)
    out = options.out or default_out(resolved)
    if args.check:
        return _check(resolved, out)
    if args.data and not (args.suite_file or args.suite):
        _say_estimate(resolved, out, options)
    execute(resolved, out, options, hooks=[ProgressBar()])
    from familybench.bench.results.select import select_best

    from .reports import summary_table, write_report

    path = write_report(out, cost_limits=_limits(args))
    results = load_results(out)
    _print_summary(summary_table(select_best(results)))
    print(f"\nreport: {path.with_suffix('.html')} (and {path.name}, figures in {path.parent / 'figures'})")
    bad = results["status"].isin(BAD_STATUSES)
    if bad.any():
        what = "jobs" if results["role"].isna().all() else "jobs (trials included)"
        print(f"{int(bad.sum())} of {len(results)} {what} failed, timed out or ran out of memory (see the report)", file=sys.stderr)
        if args.strict:
            return 1
    return 0


def _say_estimate(resolved, out, options) -> None:
    """Before a `--data` run: its jobs and how long they should take here (pilot fits)."""
    from pathlib import Path

    from familybench._threads import cpu_count
    from familybench.bench.plan.jobs import expand
    from familybench.bench.run.estimate import estimate

    jobs = expand(resolved)
    if (Path(out) / "results.sqlite").exists() and not options.fresh:
        from familybench.bench.results.record import Status
        from familybench.bench.results.store import load_results

        done = int((load_results(out)["status"] == Status.OK).sum())
        jobs = jobs[min(done, len(jobs)):]  # a resumed run: roughly what is left
        if not jobs:
            return
    splits = f"{len(resolved.seeds)} seed(s) × {_folds(resolved)} fold(s)"
    print(f"familybench: {len(resolved.models)} models on {', '.join(d.name for d in resolved.datasets)} over "
          f"{splits}; measuring how long that takes here...", file=sys.stderr, flush=True)
    slots = options.jobs or 1
    result = estimate(resolved, jobs, slots, max(1, cpu_count() // slots))
    print(f"familybench: {result.text()}", file=sys.stderr, flush=True)


def _folds(suite) -> int:
    return suite.split["kfold"] if isinstance(suite.split, dict) else 1


def _run_options(args):
    """The command line as :class:`RunOptions` (one object for resolve_suite and execute)."""
    from familybench.bench.run.options import RunOptions

    if args.suite_file and args.suite:
        raise _BadInput("give a suite file or --suite NAME, not both")
    if args.jobs is not None and args.jobs < 1:
        raise _BadInput(f"--jobs must be >= 1, got {args.jobs}")
    return RunOptions(
        suite=args.suite_file or args.suite, models=args.models, datasets=args.datasets, data=args.data,
        target=args.target, task=args.task, seeds=args.seeds, device=args.device, timeout=args.timeout,
        fast=args.fast, tune=args.tune, tune_seconds=args.tune_seconds, out=args.out, jobs=args.jobs or 1,
        executor=_executor(args), fresh=args.fresh, retry_failed=args.retry_failed, strict=args.strict,
    )


def _check(suite, out) -> int:
    """``run --check``: the suite parsed (its files read) and its jobs listed; nothing runs."""
    from familybench.bench.plan.jobs import expand

    jobs = expand(suite)
    if not jobs:
        raise _BadInput(f"{suite.source}: the selection leaves no jobs to run")
    seeds = sorted({j.seed for j in jobs})
    what = _count(len(jobs), "job")
    if suite.tune is not None:
        what = f"{len(jobs)} tuning groups x up to {suite.tune.trials} trials"
    print(f"familybench: {suite.name}: ok — {what} ({_count(len(suite.models), 'config')}, "
          f"{_count(len(suite.datasets), 'dataset')}, {_count(len(seeds), 'seed')}) -> {out}; nothing was run (--check)")
    return 0


def _executor(args):
    """The executor ``--executor``, ``--serial`` and ``--scheduler`` ask for (``None``: the default)."""
    executor = args.executor
    if args.serial:
        if executor not in (None, "serial"):
            raise _BadInput(f"--serial conflicts with --executor {executor}")
        executor = "serial"
    if args.scheduler:
        if executor not in (None, "dask"):
            raise _BadInput(f"--scheduler runs on Dask; it conflicts with --executor {executor}")
        from familybench.bench.execute.dask.executor import DaskExecutor

        return DaskExecutor(scheduler=args.scheduler, max_in_flight=args.jobs)
    return executor


def _print_summary(table) -> None:
    import pandas as pd

    if table.empty:
        return
    view = table.assign(
        score=[
            ("–" if pd.isna(m) else f"{m:.4f}") + ("" if pd.isna(s) else f" ± {s:.4f}")
            for m, s in zip(table["mean"], table["std"], strict=False)
        ],
        fit_s=table["fit_seconds"].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}"),
    )[["dataset", "metric", "config", "score", "fit_s", "status"]]
    print()
    print(_left_aligned(view, max_width=60))


def _cmd_list(args) -> int:
    import pandas as pd

    if args.what == "models":
        from .models import list_models

        table = list_models()
    elif args.what == "datasets":
        from .datasets import list_datasets

        table = list_datasets()
    else:
        from familybench.bench.suite.spec import builtin_suites

        table = pd.DataFrame(list(builtin_suites().items()), columns=["name", "description"])
    print(_left_aligned(table))
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _left_aligned(table, max_width: int = 100) -> str:
    """A plain text table, every column left-aligned (names are easier to scan)."""
    def cell(value) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[str(c) for c in table.columns]] + [[cell(v) for v in row] for row in table.itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _cmd_report(args) -> int:
    from .reports import write_report

    print(write_report(args.directory, out=args.out, protocol=args.protocol, cost_limits=_limits(args)))
    return 0


def _cmd_history(args) -> int:
    from pathlib import Path

    from familybench.bench.history.store import DEFAULT_DIR, HistoryStore, load_history

    if args.history_command is None:
        raise _BadInput("history: give a step: add RUN_DIR, report or check")
    directory = Path(args.history) if args.history else DEFAULT_DIR
    if args.history_command == "add":
        with HistoryStore(directory) as store:
            added = store.add(args.run_dir, commit=args.commit, date=args.date, machine=args.machine)
        print(f"{directory}: {added.text()}")
        return 0
    if args.history_command == "report":
        from familybench.bench.history.site import write_site

        print(write_site(load_history(directory), Path(args.out) if args.out else directory / "site"))
        return 0
    if args.history_command == "check":
        from familybench.bench.history.detect import analyse, describe

        points = load_history(directory)
        _, regressions = analyse(points)
        if regressions.empty:
            n = points["commit_sha"].nunique()
            print(f"{directory}: no open regression ({n} commit{'s' if n != 1 else ''})")
            return 0
        for _, row in regressions.iterrows():
            print(f"regression: {describe(row)}")
        return 1
    raise _BadInput(f"history: unknown step {args.history_command!r}")


def _cmd_compare(args) -> int:
    from familybench.bench.compare.read import compare_runs

    if args.interleave:
        from familybench.bench.compare.interleave import run_interleaved

        if not args.baseline_ref:
            raise _BadInput("--interleave needs --baseline-ref REF")
        if len(args.dirs) > 1:
            raise _BadInput("--interleave takes at most one SUITE")
        suite = args.dirs[0] if args.dirs else (args.suite or "quick")
        baseline, current = run_interleaved(args.baseline_ref, suite, fast=args.fast, out=args.out)
        interleaved = True
    else:
        if len(args.dirs) != 2:
            raise _BadInput("compare needs BASELINE and CURRENT directories")
        baseline, current = args.dirs
        interleaved = args.interleaved
    comparison = compare_runs(baseline, current, interleaved=interleaved, protocol=args.protocol)
    print(comparison.terminal(), end="")
    if args.markdown:
        from pathlib import Path

        Path(args.markdown).write_text(comparison.markdown(), encoding="utf-8")
    return 1 if comparison.regressions else 0


def _cmd_export(args) -> int:
    from familybench.bench.results.store import export_results

    if args.best_params:
        from familybench.bench.results.export import export_best_params

        if args.selected:
            raise _BadInput("--best-params and --selected are different exports; give one")
        print(export_best_params(args.directory, args.path))
        return 0
    print(export_results(args.directory, args.path, selected=args.selected))
    return 0


class _BadInput(Exception):
    pass


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"familybench: warning: {str(message).strip().splitlines()[0]}", file=sys.stderr)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the same clean stop as Ctrl-C (exit 143 instead of 130)."""


def _on_sigterm(signum, frame):
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading
    import warnings

    warnings.showwarning = _show_warning  # one line per warning, no source path
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `familybench`: the help, not an argparse error
        parser.print_help()
        return 0
    from ._errors import ExecutorLost, FamilybenchError

    handlers = {
        "run": _cmd_run, "list": _cmd_list, "report": _cmd_report, "export": _cmd_export, "compare": _cmd_compare,
        "history": _cmd_history,
    }
    try:
        return handlers[args.command](args)
    except ExecutorLost as exc:  # the cluster went away: results so far are kept
        print(f"familybench: error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 3
    except (FamilybenchError, _BadInput, FileNotFoundError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"familybench: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        # Finished results are committed one by one; jobs in flight are neither ok nor
        # failed, so the same command runs them again.
        print("\nfamilybench: interrupted; finished jobs are saved, run the same command to resume", file=sys.stderr)
        return 143 if isinstance(exc, _Terminated) else 130
    except Exception as exc:  # a bug, not bad input: say so, keep the traceback, exit 70 (EX_SOFTWARE)
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    import tempfile
    import traceback
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / f"familybench-internal-error-{__import__('os').getpid()}.txt"
    try:
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = f"details in {path}"
    except OSError:
        where = "traceback not saved"
    text = str(exc).strip().splitlines()
    print(f"familybench: internal error: {type(exc).__name__}: {text[0] if text else ''} ({where}); "
          "please report it", file=sys.stderr)
    return 70


if __name__ == "__main__":
    sys.exit(main())
