"""The ``familybench`` command: run, list, report, export.

Exit codes: 0 when the run completed (failed jobs are recorded and shown; ``--strict``
makes any failure exit 1), 2 for bad input, with a one-line message and no traceback, 3
when the cluster went away mid-run (finished results are kept; re-run to resume).
"""

from __future__ import annotations

import argparse
import sys


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="familybench", description="Benchmark and compare model families.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a suite (resumes unfinished work in --out)")
    run.add_argument("suite_file", nargs="?", metavar="SUITE.toml", help="a suite file")
    run.add_argument("--suite", help="a built-in suite (see `familybench list suites`)")
    run.add_argument("--models", type=_csv, help="comma-separated model names (filter a suite's configs)")
    run.add_argument("--datasets", type=_csv, help="comma-separated dataset names")
    run.add_argument("--data", metavar="PATH", help="your own CSV or Parquet file")
    run.add_argument("--target", metavar="COL", help="target column of --data")
    run.add_argument("--task", choices=("regression", "binary", "multiclass"), help="task of --data (else inferred)")
    run.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    run.add_argument("--jobs", type=int, help="parallel worker processes (threads split between them); "
                     "with --scheduler: jobs in flight (default: the workers' task slots)")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"))
    run.add_argument("--timeout", type=float, metavar="SECONDS", help="per-job time limit")
    run.add_argument("--fast", action="store_true", help="the suite's smaller sizes")
    run.add_argument("--out", metavar="DIR", help="output directory (default reports/<suite name>)")
    run.add_argument("--fresh", action="store_true", help="discard earlier results in --out")
    run.add_argument("--retry-failed", action="store_true", help="run failed/timed-out jobs again")
    run.add_argument("--strict", action="store_true", help="exit 1 if any job failed or timed out")
    run.add_argument("--executor", choices=("process", "serial", "dask"),
                     help="where jobs run: worker processes (default), this process, or a local Dask cluster")
    run.add_argument("--serial", action="store_true", help="run in this process (same as --executor serial)")
    run.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask scheduler's workers")

    lst = sub.add_parser("list", help="list models, datasets or suites")
    lst.add_argument("what", choices=("models", "datasets", "suites"))

    report = sub.add_parser("report", help="write DIR/report.md (and .html) from DIR/results.sqlite")
    report.add_argument("directory")

    compare = sub.add_parser(
        "compare", help="compare two result directories; exit 1 on a regression",
        description="Compare BASELINE and CURRENT result directories, or with --interleave run a "
        "suite on --baseline-ref and the working tree alternately and compare those.",
    )
    compare.add_argument("dirs", nargs="*", metavar="DIR_OR_SUITE",
                         help="BASELINE CURRENT, or with --interleave an optional SUITE")
    compare.add_argument("--markdown", metavar="FILE", help="also write a pull-request comment here")
    compare.add_argument("--interleaved", action="store_true",
                         help="the two runs were interleaved in one job (tighter time threshold)")
    compare.add_argument("--interleave", action="store_true",
                         help="run the suite on --baseline-ref and the working tree, alternating jobs")
    compare.add_argument("--baseline-ref", metavar="REF", help="git ref of the baseline (with --interleave)")
    compare.add_argument("--suite", help="built-in suite for --interleave (default quick)")
    compare.add_argument("--fast", action="store_true", help="the suite's smaller sizes (with --interleave)")
    compare.add_argument("--out", metavar="DIR", help="where --interleave writes baseline/ and current/")

    export = sub.add_parser("export", help="export results to CSV or Parquet")
    export.add_argument("directory")
    export.add_argument("path", help="output file ending in .csv or .parquet")
    return parser


def _cmd_run(args) -> int:
    from .bench.progress import ProgressBar
    from .bench.runner import default_out, execute, resolve_suite
    from .bench.store import load_results

    if args.suite_file and args.suite:
        raise _BadInput("give a suite file or --suite NAME, not both")
    suite = args.suite_file or args.suite
    resolved = resolve_suite(
        suite, models=args.models, datasets=args.datasets, data=args.data, target=args.target,
        task=args.task, seeds=args.seeds, device=args.device, timeout=args.timeout, fast=args.fast,
    )
    if args.jobs is not None and args.jobs < 1:
        raise _BadInput(f"--jobs must be >= 1, got {args.jobs}")
    out = args.out or default_out(resolved)
    execute(
        resolved, out, jobs=args.jobs or 1, executor=_executor(args),
        fresh=args.fresh, retry_failed=args.retry_failed, hooks=[ProgressBar()],
    )
    from .reports import summary_table, write_report

    path = write_report(out)
    results = load_results(out)
    _print_summary(summary_table(results))
    print(f"\nreport: {path}")
    bad = results["status"].isin(["failed", "timeout"])
    if bad.any():
        print(f"{int(bad.sum())} of {len(results)} jobs failed or timed out (see the report)", file=sys.stderr)
        if args.strict:
            return 1
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
        from .bench.dask_executor import DaskExecutor

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
    with pd.option_context("display.max_rows", 200, "display.width", 160, "display.max_colwidth", 40):
        print()
        print(view.to_string(index=False))


def _cmd_list(args) -> int:
    import pandas as pd

    if args.what == "models":
        from .models import list_models

        table = list_models()
    elif args.what == "datasets":
        from .datasets import list_datasets

        table = list_datasets()
    else:
        from .bench.suite import builtin_suites

        table = pd.DataFrame(list(builtin_suites().items()), columns=["name", "description"])
    with pd.option_context("display.max_rows", 500, "display.width", 200, "display.max_colwidth", 80):
        print(table.to_string(index=False))
    return 0


def _cmd_report(args) -> int:
    from .reports import write_report

    print(write_report(args.directory))
    return 0


def _cmd_compare(args) -> int:
    from .bench.compare import compare_runs

    if args.interleave:
        from .bench.interleave import run_interleaved

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
    comparison = compare_runs(baseline, current, interleaved=interleaved)
    text = comparison.markdown()
    print(text)
    if args.markdown:
        from pathlib import Path

        Path(args.markdown).write_text(text, encoding="utf-8")
    return 1 if comparison.regressions else 0


def _cmd_export(args) -> int:
    from .bench.store import export_results

    print(export_results(args.directory, args.path))
    return 0


class _BadInput(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ._errors import ExecutorLost, FamilybenchError

    handlers = {
        "run": _cmd_run, "list": _cmd_list, "report": _cmd_report, "export": _cmd_export, "compare": _cmd_compare,
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
    except KeyboardInterrupt:
        print("\nfamilybench: interrupted; finished jobs are saved, run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
