"""Scaling: fit time against training rows (1k -> 100k) per family, with the fitted log-log slope.

    python benchmarks/speed_scaling.py [--sizes 1000,3000,10000,30000,100000] [--repeats 5] [--quick] [--smoke]

Data: ``load_dataset("friedman1", n_samples=N)`` (10 features, regression), loaded once per
N. Families, through ``get_model``: ``linear``; ``poly`` (degree 2); ``lightgbm`` (its
defaults: 100 trees, 31 leaves); ``mlp`` (hidden (64, 64), ``max_epochs=5``,
``early_stopping=False``, so exactly 5 epochs at every N). Every fit runs inside
``thread_limits(2)``, after one warm-up fit per family on the smallest N; the order is
rotated (round r: every N, every family) so load drift hits all cells alike. The table
gives the median fit seconds per cell, rows per second at the largest N and the slope of
``np.polyfit(log N, log t, 1)``: 1 is linear in rows; below 1 means fixed costs still
dominate at the small sizes (compare the 1k time with the slope). ``--smoke`` (a check that
the script runs, not a measurement): N = 200, 400, one round, one thread.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import speed_common as sc

from familybench._threads import thread_limits
from familybench.datasets import load_dataset
from familybench.models import get_model

FAMILIES = {
    "linear": {},
    "poly": {"degree": 2},
    "lightgbm": {"random_state": 0},
    "mlp": {"hidden_layer_sizes": (64, 64), "max_epochs": 5, "early_stopping": False, "random_state": 0},
}


def _k(rows: int) -> str:
    """1000 -> "1k"; below a thousand, the count itself (``--smoke``'s sizes)."""
    return f"{rows // 1000}k" if rows >= 1000 else str(rows)


def fit_seconds(name: str, X, y) -> float:
    model = get_model(name, task="regression", **FAMILIES[name])
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    p = sc.parser(__doc__)
    p.add_argument("--sizes", default=None, help="comma-separated row counts")
    p.add_argument("--threads", type=int, default=None, help="threads per fit (default 2; 1 with --smoke)")
    args = p.parse_args(argv)
    if args.threads is None:  # one thread in a smoke run: OpenMP on a busy machine can stall for seconds
        args.threads = 1 if args.smoke else 2
    n = sc.repeats(args)
    default = "200,400" if args.smoke else "1000,3000,10000" if args.quick else "1000,3000,10000,30000,100000"
    sizes = [int(s) for s in (args.sizes or default).split(",")]
    sc.header("fit-time scaling", args, n, f"friedman1, N = {sizes}, thread_limits({args.threads})")
    data = {size: load_dataset("friedman1", n_samples=size) for size in sizes}
    assert all(d.n_rows == size for size, d in data.items()), {s: d.n_rows for s, d in data.items()}
    data = {size: (d.X, d.y.to_numpy()) for size, d in data.items()}
    times = {(f, s): [] for f in FAMILIES for s in sizes}
    with thread_limits(args.threads):
        for f in FAMILIES:  # warm-up: imports, first torch optimizer, OpenMP pools
            fit_seconds(f, *data[sizes[0]])
        for r in range(n):
            start = time.perf_counter()
            for size in sizes:
                for f in FAMILIES:
                    times[f, size].append(fit_seconds(f, *data[size]))
            print(f"  round {r + 1}/{n}: {time.perf_counter() - start:.1f} s", flush=True)
    print()
    rows, slopes = [], {}
    for f in FAMILIES:
        med = [statistics.median(times[f, s]) for s in sizes]
        slope = float(np.polyfit(np.log(sizes), np.log(med), 1)[0]) if len(sizes) > 1 else float("nan")
        # the slope over the two largest sizes, where fixed costs matter least
        tail = float(np.log(med[-1] / med[-2]) / np.log(sizes[-1] / sizes[-2])) if len(sizes) > 1 else float("nan")
        spread = max(max(times[f, s]) / min(times[f, s]) for s in sizes)
        slopes[f] = slope
        rows.append([f, *med, sizes[-1] / med[-1], slope, tail, spread])
    sc.table(rows, ["family", *[f"{_k(s)} s" for s in sizes], "rows/s @max", "slope", "slope top 2", "max/min"])
    print("(slope: log-log fit over all sizes; 'slope top 2': between the two largest; max/min: worst spread "
          "of a cell's runs, > 1.5 means the machine was busy)")
    h = sc.Headlines("scaling", args)
    for f, slope in slopes.items():
        h.add(f"{f} fit time log-log slope ({_k(sizes[0])}-{_k(sizes[-1])} rows)", slope, "")
        h.add(f"{f} fit seconds at {_k(sizes[-1])} rows", statistics.median(times[f, sizes[-1]]), " s")
    h.finish()


if __name__ == "__main__":
    main()
