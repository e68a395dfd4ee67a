"""Report generation time for a 100-job run.

    python benchmarks/speed_report.py [--repeats 5] [--quick] [--smoke] [--keep DIR]

Builds one results directory of 100 jobs: 5 datasets (moons, spirals, sine1d, friedman1,
breast_cancer; 300 rows each) x 5 configs (linear, poly degree 2, LightGBM 20 trees,
HistGradientBoosting 20 iterations, MLP 16 hidden units 5 epochs) x 4 seeds, run serially
in this process (``executor="serial"``). Then, in rotation:

- ``write_report``: ``familybench.reports.write_report(dir)`` (Markdown, figures, HTML) in
  this process, after one untimed call that pays the imports;
- ``markdown only``: ``write_report(dir, html=False)``;
- ``cli``: ``familybench report DIR`` in a fresh process (imports included: what a user waits).

Finally one ``write_report`` under cProfile lists where the time goes. Target: <= 10 s.
``--smoke`` (a check that the script runs, not a measurement): a 10-job run (moons and
sine1d at 100 rows, the 5 configs, 1 seed), one round.
"""

from __future__ import annotations

import cProfile
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import speed_common as sc

from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite

TARGET = 10.0
BIN = Path(sys.executable).parent


DATASETS = ("moons", "spirals", "sine1d", "friedman1", "breast_cancer")


def hundred_jobs(quick: bool = False, smoke: bool = False):
    rows = {"n_samples": 100 if smoke else 300}
    names = ("moons", "sine1d") if smoke else DATASETS
    return parse_suite({
        "seeds": 1 if smoke else 2 if quick else 4,
        "datasets": {name: dict(rows) for name in names},
        "models": {
            "linear": {"model": "linear"},
            "poly": {"model": "poly", "params": {"degree": 2}},
            "lightgbm": {"model": "lightgbm", "params": {"n_estimators": 20}},
            "hist_gbm": {"model": "hist_gbm", "params": {"max_iter": 20}},
            "mlp": {"model": "mlp", "params": {"hidden_layer_sizes": [16], "max_epochs": 5}},
        },
    }, source="<100-job grid>", default_name="report100")


def profile(directory: str, top: int = 15) -> None:
    from familybench.reports import write_report

    prof = cProfile.Profile()
    prof.enable()
    write_report(directory)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.stats.items())
    rows = []
    for (file, line, fn), (_, nc, tt, ct, _) in stats.stats.items():
        short = file.split("site-packages/")[-1].split("src/")[-1]
        if short.startswith(("familybench/reports", "matplotlib/figure", "matplotlib/backends", "seaborn/",
                             "pandas/io/formats", "familybench/bench/store")) or fn in ("savefig", "read_sql"):
            rows.append([f"{short}:{line}({fn})"[-72:], nc, ct, tt])
    rows.sort(key=lambda r: -r[2])
    print(f"\ncProfile of one write_report (profiled total {total:.2f} s; cumulative seconds, top {top}):")
    sc.table(rows[:top], ["function", "calls", "cum s", "self s"])
    by_lib: dict[str, float] = {}
    for (file, _, _), (_, _, tt, _, _) in stats.stats.items():
        short = file.split("site-packages/")[-1].split("src/")[-1]
        if short.startswith(("~", "<")):
            lib = "builtins"
        elif short.startswith("/"):
            lib = "python stdlib"
        else:
            lib = short.split("/")[0]
        by_lib[lib] = by_lib.get(lib, 0.0) + tt
    print("self time by package:")
    sc.table([[k, v, v / total] for k, v in sorted(by_lib.items(), key=lambda kv: -kv[1])[:8]],
             ["package", "self s", "share"])


def main(argv=None):
    p = sc.parser(__doc__)
    p.add_argument("--keep", metavar="DIR",
                   help="build (or reuse) the 100-job run here and keep it, instead of a temporary directory")
    args = p.parse_args(argv)
    n = sc.repeats(args)
    sc.header("report generation", args, n, "A = write_report, B = write_report(html=False), C = familybench report")
    directory = args.keep or tempfile.mkdtemp(prefix="familybench-report100-")
    try:
        measure(args, n, directory)
    finally:
        if not args.keep:  # a temporary run: --keep DIR keeps one
            shutil.rmtree(directory, ignore_errors=True)


def measure(args, n: int, directory: str) -> None:
    start = time.perf_counter()
    if not (Path(directory) / "results.sqlite").is_file():
        _, records = execute(hundred_jobs(args.quick, args.smoke), directory, executor="serial", fresh=True)
        print(f"built {len(records)} jobs in {time.perf_counter() - start:.1f} s -> {directory} "
              f"({sum(r['status'] != 'ok' for r in records)} not ok)")
    from familybench.bench.results.store import load_results
    from familybench.reports import write_report

    n_jobs = len(load_results(directory))
    start = time.perf_counter()
    write_report(directory)
    first = time.perf_counter() - start
    print(f"first write_report in this process (imports included): {first:.2f} s")
    cli = [str(BIN / "familybench"), "report", directory]
    samples = sc.rotate({
        "write_report": lambda: write_report(directory) and None,
        "markdown only": lambda: write_report(directory, html=False) and None,
        "cli": lambda: subprocess.run(cli, check=True, capture_output=True) and None,
    }, n)
    full = sc.median(samples["write_report"], "seconds")
    md = sc.median(samples["markdown only"], "seconds")
    cold = sc.median(samples["cli"], "seconds")
    print()
    sc.table([
        ["write_report (md + figures + html)", full, 1.0],
        ["write_report(html=False)", md, md / full],
        ["familybench report DIR (fresh process)", cold, cold / full],
    ], ["variant", "seconds", "x write_report"])
    print(f"html adds {full - md:.2f} s; a fresh process adds {cold - full:.2f} s (interpreter + imports)")
    profile(directory)
    h = sc.Headlines("report", args)
    h.add(f"write_report, {n_jobs}-job run", full, " s", f"<= {TARGET:g} s", full <= TARGET)
    h.add(f"familybench report (fresh process), {n_jobs}-job run", cold, " s", f"<= {TARGET:g} s", cold <= TARGET)
    h.finish()


if __name__ == "__main__":
    main()
