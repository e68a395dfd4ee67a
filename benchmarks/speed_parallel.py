"""Parallel throughput: the quick suite with ``--jobs 2`` (1 thread per job) vs ``--jobs 1`` (2 threads).

    python benchmarks/speed_parallel.py [--fast-suite] [--repeats 5] [--quick] [--smoke]

Runs the built-in quick suite (72 jobs; its ``[fast]`` sizes, 24 jobs, with ``--fast-suite``)
through ``execute(suite, out, jobs=N, fresh=True)`` alternately with N=1 and N=2, and
reports the median wall time of each, their ratio (speed-up = wall(1) / wall(2)) and the
ratio of steady throughput, jobs / (wall - time to the first job's start), which leaves
out worker start and warm-up (the workers warm up concurrently, so the ``worker_warm_up_seconds``
stored for N=2 is the sum over both and is shown as such). Also printed: the sum of fit
seconds per mode, i.e. how much slower each job is with 1 thread and a busy neighbour,
and the per-family split of that, which says which family limits the speed-up.
``--smoke`` (a check that the script runs, not a measurement): the quick suite's linear
config, 2 datasets x 2 seeds (4 jobs), one round.
"""

from __future__ import annotations

import json
from collections import defaultdict

import speed_common as sc
from speed_overhead import add_suite_args, quick_suite, timed_run

TARGET = 1.3


def measure(suite, jobs: int) -> dict:
    run, records, stamps = timed_run(suite, jobs)
    wall = run["wall_seconds"]
    first_start = min(end - seconds for end, seconds in stamps.ends) - stamps.start
    fit_by_family = defaultdict(float)
    for r in records:
        fit_by_family[r["family"]] += sum(json.loads(r["fit_seconds_samples"] or "[]"))
    return {
        "jobs": len(records), "failed": sum(r["status"] != "ok" for r in records), "wall": wall,
        "warm_up_sum": run["meta"].get("worker_warm_up_seconds") or 0.0, "first_start": first_start,
        "jobs_per_s": len(records) / (wall - first_start), "fit": sum(fit_by_family.values()),
        "job": sum(r["job_seconds"] for r in records),
        **{f"fit_{k}": v for k, v in fit_by_family.items()},
    }


def main(argv=None):
    p = sc.parser(__doc__)
    add_suite_args(p)
    args = p.parse_args(argv)
    n = sc.repeats(args)
    suite, label = quick_suite(args)
    sc.header("parallel throughput", args, n, f"{label}; A = --jobs 1 (2 threads), B = --jobs 2 (1 thread each)")
    samples = sc.rotate({"jobs 1": lambda: measure(suite, 1), "jobs 2": lambda: measure(suite, 2)}, n)
    print()
    keys = ["jobs", "wall", "first_start", "warm_up_sum", "jobs_per_s", "fit", "job"]
    sc.table([[name] + [sc.median(s, k) for k in keys] for name, s in samples.items()],
             ["mode", "jobs", "wall s", "1st start s", "warm-up s (sum)", "jobs/s steady", "sum fit s", "sum job s"])
    one, two = samples["jobs 1"], samples["jobs 2"]
    speedup = sc.median(one, "wall") / sc.median(two, "wall")
    steady = sc.median(two, "jobs_per_s") / sc.median(one, "jobs_per_s")
    # Paired per round (same moment of machine load) as a check on the ratio of medians.
    paired = sorted(a["wall"] / b["wall"] for a, b in zip(one, two, strict=True))
    print(f"speed-up (wall jobs1 / wall jobs2): {speedup:.2f}x; per-round paired ratios: "
          + ", ".join(f"{r:.2f}" for r in paired))
    print(f"steady throughput ratio (jobs/s excluding start-up and warm-up): {steady:.2f}x")
    families = sorted({k[4:] for s in one for k in s if k.startswith("fit_")})
    rows = []
    for fam in families:
        a, b = sc.median(one, f"fit_{fam}"), sc.median(two, f"fit_{fam}")
        rows.append([fam, a, b, b / a if a else float("nan")])
    print("\nper-family sum of fit seconds (1 thread + a neighbour / 2 threads; > 2 means jobs 2 loses):")
    sc.table(rows, ["family", "jobs 1 fit s", "jobs 2 fit s", "ratio"])
    h = sc.Headlines("parallel", args)
    h.add(f"--jobs 2 vs --jobs 1 wall speed-up, {label}", speedup, "x", f">= {TARGET}x", speedup >= TARGET)
    h.add("--jobs 2 vs --jobs 1 steady jobs/s ratio", steady, "x")
    h.finish()


if __name__ == "__main__":
    main()
