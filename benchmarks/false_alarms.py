"""False-alarm rate of `familybench compare` on identical code, for both modes.

Grid: linear, lightgbm (50 trees) and mlp (32 hidden, 20 epochs) on sine1d and moons
(500 rows each), 3 seeds = 18 jobs per run.

- apart: N+1 separate runs one after another (fresh worker processes each), consecutive
  pairs compared with the default thresholds (time +30%, p < 0.01; quality 0.01 and 2 SE);
- interleaved: N interleaved runs of HEAD against the working tree (identical code, when
  the tree is clean), compared with the interleaved threshold (+10%).

    python benchmarks/false_alarms.py [--pairs 20] [--mode apart|interleaved|both] [--smoke]

Prints, per mode, how many of the N comparisons flagged anything (a false alarm, since the
code is the same) and the spread of the fit-time ratios seen.

``--smoke`` (a check that the script runs, not a measurement): one comparison per mode on
a 2-job grid (linear on sine1d and moons at 100 rows, 1 seed); the interleaved one installs
HEAD and the working tree as a real run does.

``--history`` (with the apart mode): the N+1 separate runs of identical code also become
flat performance histories — ``--histories`` random orders of the runs, each run a "commit"
— and ``familybench history`` step detection (bench/history/detect.py) looks for open
regressions in every series (config × dataset × fit / predict time / quality). Prints how
many histories raised any alarm: a false alarm, since nothing changed.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID = """
seeds = 3
datasets = { sine1d = { n_samples = 500 }, moons = { n_samples = 500 } }
[models.linear]
[models.lightgbm]
params = { n_estimators = 50 }
[models.mlp]
params = { hidden_layer_sizes = [32], max_epochs = 20 }
"""
SMOKE_GRID = """
seeds = 1
datasets = { sine1d = { n_samples = 100 }, moons = { n_samples = 100 } }
[models.linear]
"""


def _summarise(mode: str, comparisons) -> None:
    alarms = [c for c in comparisons if c.regressions]
    print(f"{mode:<12} {len(alarms)}/{len(comparisons)} comparisons flagged "
          f"({100 * len(alarms) / max(len(comparisons), 1):.0f}%) on identical code")
    print("    seed-averaged fit-time ratio current/baseline per config x dataset, over all comparisons:")
    for config in sorted({r.config for c in comparisons for r in c.rows}):
        ratios = sorted(r.fit.ratio for c in comparisons for r in c.rows if r.config == config)
        logs = sorted(abs(math.log(x)) for x in ratios)
        p90 = logs[min(len(logs) - 1, int(0.9 * len(logs)))]
        print(f"    {config:<10} median |change| {100 * math.expm1(statistics.median(logs)):5.1f}%, "
              f"90th percentile {100 * math.expm1(p90):6.1f}%, range x{ratios[0]:.2f} .. x{ratios[-1]:.2f}")
    for c in alarms:
        print(f"    {c.verdict()}")


def _flat_histories(dirs: list[Path], histories: int, tmp: Path) -> None:
    """Each history: the runs in a random order as commits c00, c01, ...; count the ones with an alarm."""
    import random

    from familybench.bench.history.detect import analyse, describe
    from familybench.bench.history.store import HistoryStore

    start = time.perf_counter()
    rng = random.Random(0)
    alarmed, series = [], 0
    for h in range(histories):
        order = dirs[:]
        rng.shuffle(order)
        with HistoryStore(tmp / f"history{h}") as store:
            for i, run in enumerate(order):
                store.add(run, commit=f"c{i:02d}", date=f"2026-01-01T00:{i:02d}:00", machine="this machine")
            points = store.points()
        _, regressions = analyse(points)
        series += points.groupby(["config", "dataset"]).ngroups * 3
        if not regressions.empty:
            alarmed.append(describe(regressions.iloc[0]))
    rate = 100 * len(alarmed) / max(histories, 1)
    print(f"history      {len(alarmed)}/{histories} flat histories of {len(dirs)} commits raised an alarm "
          f"({rate:.0f}%; {series // max(histories, 1)} series each) on identical code")
    for line in alarmed:
        print(f"    {line}")
    print(f"    ({time.perf_counter() - start:.0f} s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=None, help="comparisons per mode (default 20; 1 with --smoke)")
    parser.add_argument("--mode", choices=("apart", "interleaved", "both"), default="both")
    parser.add_argument("--history", action="store_true",
                        help="also build flat histories from the apart runs and count step-detection alarms")
    parser.add_argument("--histories", type=int, default=None,
                        help="flat histories (random orders of the apart runs; default 20, 2 with --smoke)")
    parser.add_argument("--smoke", action="store_true",
                        help="check that the script runs: 1 comparison per mode on a 2-job grid (not a measurement)")
    args = parser.parse_args(argv)
    if args.pairs is None:
        args.pairs = 1 if args.smoke else 20
    # a history needs a few commits: the smoke run's apart mode makes 4 runs when --history asks
    apart_pairs = max(args.pairs, 3) if args.history else args.pairs
    if args.histories is None:
        args.histories = 2 if args.smoke else 20
    if args.history and args.mode == "interleaved":
        parser.error("--history builds its histories from the apart runs: use --mode apart or both")
    from familybench.bench.compare.interleave import run_interleaved
    from familybench.bench.compare.read import compare_runs
    from familybench.bench.execute.process import ProcessExecutor
    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import load_suite

    with tempfile.TemporaryDirectory(prefix="familybench-fa-") as tmp:
        tmp = Path(tmp)
        suite_path = tmp / "grid.toml"
        suite_path.write_text(SMOKE_GRID if args.smoke else GRID)
        suite = load_suite(suite_path)
        if args.mode in ("apart", "both"):
            start = time.perf_counter()
            dirs = []
            for i in range(apart_pairs + 1):
                execute(suite, tmp / f"apart{i}", executor=ProcessExecutor(1))
                dirs.append(tmp / f"apart{i}")
            comparisons = [compare_runs(a, b) for a, b in itertools.pairwise(dirs)]
            _summarise("apart", comparisons)
            print(f"    ({time.perf_counter() - start:.0f} s)")
            if args.history:
                _flat_histories(dirs, args.histories, tmp)
        if args.mode in ("interleaved", "both"):
            start = time.perf_counter()
            comparisons = []
            for i in range(args.pairs):
                base, cur = run_interleaved("HEAD", str(suite_path), out=tmp / f"ab{i}", repo=ROOT)
                comparisons.append(compare_runs(base, cur, interleaved=True))
            _summarise("interleaved", comparisons)
            print(f"    ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
