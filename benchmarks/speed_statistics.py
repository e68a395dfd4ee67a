"""What the statistics across datasets add to writing the report of a 1,000-job run.

    python benchmarks/speed_statistics.py [--repeats 5] [--quick] [--smoke] [--json FILE]

Writes a results store of 1,000 synthetic ok jobs (25 datasets x 8 configs in 4 families x
5 seeds; scores drawn so that the families differ, as the statistics would meet them),
loads its report context once, and times in rotation:

- ``statistics``: the "Statistics across datasets" section alone (normalised scores per
  dataset, Friedman + Nemenyi + critical-difference figure, Wilcoxon-Holm between families,
  BCa bootstrap CIs with 9,999 resamples, statistics.csv rows);
- ``report``: the whole ``write_report`` (which includes the statistics).

Target: the statistics add <= 2 s. ``--smoke`` (a check that the script runs, not a
measurement): 5 datasets x 8 configs x 2 seeds, one round.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import speed_common as sc

TARGET = 2.0
FAMILIES = {"lin_a": "linear", "lin_b": "linear", "poly_a": "polynomial", "poly_b": "polynomial",
            "gbm_a": "boosting", "gbm_b": "boosting", "mlp_a": "mlp", "mlp_b": "mlp"}
STRENGTH = {"linear": 0.55, "polynomial": 0.65, "boosting": 0.8, "mlp": 0.72}


def build(directory: Path, n_datasets: int = 25, n_seeds: int = 5) -> int:
    from familybench.bench.results.record import empty_record
    from familybench.bench.results.store import ResultStore

    rng = np.random.default_rng(0)
    n = 0
    with ResultStore(directory, fresh=True) as store:
        store.start_run("synthetic", "2026-12-01T00:00:00+00:00", {"name": "synthetic", "models": [
            {"config": c, "model": c} for c in FAMILIES], "datasets": []}, {})
        for d in range(n_datasets):
            offset = rng.normal(0, 0.05)
            for config, family in FAMILIES.items():
                for seed in range(n_seeds):
                    score = STRENGTH[family] + offset + rng.normal(0, 0.04)
                    store.write(empty_record(
                        job_key=f"{d}-{config}-{seed}", config=config, model=config, family=family,
                        dataset=f"table{d:02d}", task="regression", seed=seed, fold=0, status="ok",
                        test_r2=score, train_r2=score + 0.05, test_rmse=1 - score, test_mae=1 - score,
                        fit_seconds=0.1, predict_seconds=0.01, n_params=100, n_train=800, n_test=200,
                        n_features=10))
                    n += 1
    return n


def main(argv=None):
    p = sc.parser(__doc__)
    args = p.parse_args(argv)
    n = sc.repeats(args)
    directory = Path(tempfile.mkdtemp(prefix="fb-stats-"))
    try:
        measure(args, n, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def measure(args, n: int, directory: Path) -> None:
    if args.smoke:
        jobs = build(directory, n_datasets=5, n_seeds=2)
    else:
        jobs = build(directory, n_datasets=10 if args.quick else 25)
    sc.header("statistics across datasets", args, n, f"{jobs} synthetic jobs")
    from familybench.reports import write_report
    from familybench.reports._context import load_context
    from familybench.reports._statistics_section import (
        context_statistics_section as statistics_section_of,
    )

    context = load_context(directory)
    statistics_section_of(context)  # imports (scipy, statsmodels, scikit-posthocs, autorank) outside the clock
    write_report(directory)

    def statistics():
        fresh = load_context(directory)
        start = time.perf_counter()
        statistics_section_of(fresh)
        return time.perf_counter() - start

    samples = sc.rotate({"statistics": statistics, "report": lambda: write_report(directory) and None}, n)
    stats_s, report_s = sc.median(samples["statistics"], "seconds"), sc.median(samples["report"], "seconds")
    print(f"statistics section: {stats_s:.2f} s of a {report_s:.2f} s report ({stats_s / report_s:.0%})")
    h = sc.Headlines("statistics", args)
    h.add(f"statistics added to a {jobs:,}-job report", stats_s, " s", f"<= {TARGET:g} s", stats_s <= TARGET)
    h.add(f"whole report, {jobs:,} jobs", report_s, " s")
    h.finish()


if __name__ == "__main__":
    main()
