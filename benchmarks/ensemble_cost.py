"""What post-hoc ensembling costs against the run it follows (issue 23): target <= 5 % of the
run's wall time.

Runs a tuned suite (by default the built-in ``tabular`` suite ``--fast`` with 30 trials per
config), then times the ensembling stage on its directory: reading the rows and the kept
predictions once, then ``ensemble_rows`` for each scope (config, family, portfolio), with
the peak memory of each step (tracemalloc: Python and NumPy allocations). Prints the run's
wall seconds, each step's seconds, their sum as a share of the run, and the verdict.

    python benchmarks/ensemble_cost.py                                  # tabular --fast, 30 trials
    python benchmarks/ensemble_cost.py --datasets concrete,voteincome   # a subset of its tables
    python benchmarks/ensemble_cost.py --from reports/tabular           # an existing tuned run
    python benchmarks/ensemble_cost.py --smoke                          # tiny: checks the script runs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

TARGET = 0.05
SCOPES = ("config", "family", "portfolio")


def _run(args, out: Path) -> float:
    """Run the tuned suite into ``out``; its wall seconds."""
    from familybench.bench.run.driver import run

    if args.smoke:
        from familybench.bench.suite.spec import parse_suite

        suite = parse_suite({"seeds": 1, "tune": {"trials": 4, "validation": 0.25},
                             "datasets": {"moons": {"n_samples": 200}, "friedman1": {"n_samples": 200}},
                             "models": {"gbm": {"model": "lightgbm", "params": {"n_estimators": 10}}, "poly": {}}})
        options = {"executor": "serial"}
    else:
        suite, options = args.suite, {"fast": True, "tune": args.trials, "jobs": args.jobs}
        if args.datasets:
            options["datasets"] = args.datasets.split(",")
    start = time.perf_counter()
    run(suite, out=out, progress=False, report=False, **options)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="tabular")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--datasets", help="comma-separated subset of the suite's datasets")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--from", dest="source", help="a tuned run's directory: measure on it, run nothing")
    parser.add_argument("--run-seconds", type=float, help="with --from: that run's wall seconds (default: its record)")
    parser.add_argument("--smoke", action="store_true", help="a tiny tuned run: checks the script runs")
    args = parser.parse_args(argv)

    import familybench

    with tempfile.TemporaryDirectory() as tmp:
        if args.source:
            out = Path(args.source)
            from familybench.bench.results.store import ResultStore

            with ResultStore(out, create=False) as store:
                runs = store.runs()
            run_seconds = args.run_seconds or sum(float(r.get("wall_seconds") or 0) for r in runs)
        else:
            out = Path(tmp) / "run"
            run_seconds = _run(args, out)
        rows = familybench.load_results(out)
        n_trials = int((rows["role"] == "trial").sum()) if "role" in rows else 0
        print(f"== ensemble cost: {n_trials} trials in {out.name}; the run took {run_seconds:.1f} s ==")
        print(f"{'step':<11}{'count':>10}{'seconds':>10}{'peak MiB':>10}")  # read: jobs with predictions
        from familybench.bench.results.ensemble import ensemble_rows

        def steps():
            results, kept = familybench.load_results(out), familybench.load_predictions(out)
            yield "read", len(kept)
            for scope in SCOPES:
                yield scope, len(ensemble_rows(results, kept, scope=scope))

        # timed untraced (tracemalloc slows every NumPy allocation), then again for the memory
        seconds, start = [], time.perf_counter()
        for _ in steps():
            seconds.append(time.perf_counter() - start)
            start = time.perf_counter()
        tracemalloc.start()
        rows = []
        for name, count in steps():
            rows.append((name, count, tracemalloc.get_traced_memory()[1] / 2**20))
            tracemalloc.reset_peak()
        tracemalloc.stop()
        for (name, count, peak), took in zip(rows, seconds, strict=True):
            print(f"{name:<11}{count:>10}{took:>10.2f}{peak:>10.1f}")
        total = sum(seconds)
        if run_seconds <= 0:
            print("error: the run's wall time is unknown (give --run-seconds)", file=sys.stderr)
            return 2
        share = total / run_seconds
        verdict = "PASS" if share <= TARGET else "MISS"
        print(f"  {verdict}  ensembling, all scopes = {total:.2f} s = {share:.1%} of the run's wall time  "
              f"(target <= {TARGET:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
