"""The Dask executor's cost: the quick suite on a local Dask cluster vs the process executor.

    python benchmarks/speed_dask.py [--fast-suite] [--repeats 5] [--quick] [--smoke]

Five variants in rotation, each through ``execute(suite, out, fresh=True)``:

- ``process 2``: ``--jobs 2`` (two worker processes, 1 thread each on 2 cores);
- ``dask 2``: ``--executor dask --jobs 2`` (a LocalCluster of 2 workers; each job in a child
  process of its worker, 1 thread each);
- ``dask 1``: ``--executor dask --jobs 1`` (1 worker, all cores per job);
- ``process 1``: ``--jobs 1`` (1 worker process, all cores per job): the speed-up the
  process executor gets from a second worker on this machine and suite, the reference for
  Dask's (a job with the only slot gets every core's threads, so neither reaches 2x);
- ``dask 1 x1``: ``--executor dask --jobs 1`` at 1 thread per job: a second worker's
  speed-up with the thread count per job held equal (the task slots' scaling alone).

Each run's wall time (``execute``'s, as stored) includes starting the workers (and, for
Dask, the cluster) and their warm-up, as a user waits for them; a local Dask cluster shuts
down in the background after the run (while the CLI writes its report), which is not in
the wall: the script waits for it before the next variant starts.

Only light modules are imported at this script's top level: a Dask worker process (started
by spawn, as the nannies start them) runs the main script's top level again, and with
familybench's runner and pandas imported there each worker would spend ~0.2 s of CPU that
the workers of ``familybench run`` (a light console script) do not.

Reported: median walls, the ratios dask 2 / process 2 (target <= 1.15x) and dask 1 / dask 2
(the speed-up of a second Dask worker, target >= 1.6x; beside it process 1 / process 2 and
dask 1 x1 / dask 2), each with the per-round paired ratios (and their median) and a
bootstrap 95% interval of the ratio of medians, and the dispatch overhead per job: the time from ``submit`` to the outcome in the client
minus the job's own ``job_seconds`` (the scheduler, the task, pickling, the child's pipe and
the result's way back), median and 2.5-97.5 percentiles over steady jobs (a worker's first
job, which waits for its warm-up, is left out), for both executors.

Each run is also split in two: the ``start`` (the executor starting its workers, cluster and
job processes, and their warm-up, to the first job starting in a job process) and the
``jobs phase`` (from there to the last outcome; a worker ready later than the first waits
inside it, which counts against more workers). Printed from them: the jobs phase's speed-up
from a second worker; the ceiling of the wall speed-up, the wall a second worker would give
if it halved dask 1's jobs phase exactly, with dask 2's own start; and the jobs-phase
speed-up the 1.6x wall target needs. A start that two workers cannot share (every job
process imports and warms its libraries on one core) bounds the wall ratio below 2x on a
short suite.

``--smoke`` (a check that the script runs, not a measurement): the five variants once each
on the quick suite's linear config, 2 datasets x 2 seeds (4 jobs per run).
"""

from __future__ import annotations

import random
import tempfile

import speed_common as sc

WALL_TARGET = 1.15
SCALING_TARGET = 1.6


def measure(suite, executor: str, jobs: int, threads: int | None = None) -> dict:
    from timed_executor import Timed

    from familybench.bench.execute.base import make_executor
    from familybench.bench.results.store import ResultStore
    from familybench.bench.run.driver import execute

    if threads is None:
        inner = make_executor(jobs, executor)
    else:  # a fixed thread count per job (only the Dask variant takes one here)
        from familybench.bench.execute.dask.executor import DaskExecutor

        inner = DaskExecutor(n_workers=jobs, threads=threads)
    timed = Timed(inner)
    with tempfile.TemporaryDirectory() as out:
        _, records = execute(suite, out, jobs=jobs, executor=timed, fresh=True)
        with ResultStore(out) as store:
            run = store.runs()[-1]
    if hasattr(timed.inner, "wait_closed"):  # its cluster shuts down while a user's report is
        timed.inner.wait_closed()  # written; here, before the next variant starts
    return {
        "jobs": len(records),
        "failed": sum(r["status"] != "ok" for r in records),
        "wall": run["wall_seconds"],
        "warm_up_sum": run["meta"].get("worker_warm_up_seconds") or 0.0,
        "start": timed.start_seconds,
        "jobs_phase": timed.jobs_seconds,
        "job_sum": sum(r["job_seconds"] for r in records),
        "overhead_ms": 1000 * sc.median([{"v": v} for v in timed.overheads], "v"),
        "_overheads": timed.overheads,
    }


def bootstrap_ratio(a: list[float], b: list[float], rounds: int = 4000) -> tuple[float, float]:
    """95% bootstrap interval of median(a) / median(b), resampling the runs of each."""
    rng = random.Random(0)
    ratios = sorted(
        sc.median([{"v": rng.choice(a)} for _ in a], "v")
        / sc.median([{"v": rng.choice(b)} for _ in b], "v")
        for _ in range(rounds)
    )
    return ratios[int(0.025 * rounds)], ratios[int(0.975 * rounds) - 1]


def percentile(values: list[float], q: float) -> float:
    if not values:  # no steady job (every job was its worker's first)
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv=None):
    from speed_overhead import add_suite_args, quick_suite

    p = sc.parser(__doc__)
    add_suite_args(p)
    args = p.parse_args(argv)
    n = sc.repeats(args)
    suite, label = quick_suite(args)
    sc.header(
        "Dask executor",
        args,
        n,
        f"{label}; process 2 = --jobs 2, dask 2 = --executor dask --jobs 2, dask 1 = --jobs 1",
    )
    variants = {
        "process 2": lambda: measure(suite, "process", 2),
        "dask 2": lambda: measure(suite, "dask", 2),
        "dask 1": lambda: measure(suite, "dask", 1),
        "process 1": lambda: measure(suite, "process", 1),
        "dask 1 x1": lambda: measure(suite, "dask", 1, threads=1),
    }
    samples = sc.rotate(variants, n)
    print()
    keys = ["jobs", "failed", "wall", "start", "jobs_phase", "job_sum", "warm_up_sum", "overhead_ms"]
    sc.table(
        [[name] + [sc.median(s, k) for k in keys] for name, s in samples.items()],
        ["mode", "jobs", "failed", "wall s", "start s", "jobs phase s", "job s (sum)", "warm-up s (sum)",
         "dispatch ms/job (median)"],
    )
    walls = {name: [r["wall"] for r in s] for name, s in samples.items()}
    med = {name: sc.median(s, "wall") for name, s in samples.items()}
    cost = med["dask 2"] / med["process 2"]
    scaling = med["dask 1"] / med["dask 2"]
    reference = med["process 1"] / med["process 2"]
    equal = med["dask 1 x1"] / med["dask 2"]
    for what, num, den, value in (
        ("wall dask 2 / process 2", "dask 2", "process 2", cost),
        ("speed-up dask 1 / dask 2", "dask 1", "dask 2", scaling),
        ("speed-up process 1 / process 2 (reference)", "process 1", "process 2", reference),
        ("speed-up dask 1 x1 / dask 2 (1 thread per job in both)", "dask 1 x1", "dask 2", equal),
    ):
        low, high = bootstrap_ratio(walls[num], walls[den])
        paired = sorted(a / b for a, b in zip(walls[num], walls[den], strict=True))
        print(
            f"{what}: {value:.3f}x (bootstrap 95% interval {low:.3f}-{high:.3f}); per-round paired "
            "ratios: " + ", ".join(f"{r:.2f}" for r in paired)
            + f" (median {sc.median([{'v': r} for r in paired], 'v'):.3f}x)"
        )
    phase = {name: [r["jobs_phase"] for r in s] for name, s in samples.items()}
    phase_scaling = sc.median(samples["dask 1"], "jobs_phase") / sc.median(samples["dask 2"], "jobs_phase")
    low, high = bootstrap_ratio(phase["dask 1"], phase["dask 2"])
    print(
        f"jobs phase (first job start -> last outcome) dask 1 / dask 2: {phase_scaling:.3f}x (bootstrap "
        f"95% interval {low:.3f}-{high:.3f}); process 1 / process 2: "
        f"{sc.median(samples['process 1'], 'jobs_phase') / sc.median(samples['process 2'], 'jobs_phase'):.3f}x"
    )
    # The most a second worker could give here, per round: dask 2's own start (and the rest
    # of its wall outside the jobs phase), and exactly half of dask 1's jobs phase.
    one, two = samples["dask 1"], samples["dask 2"]
    ceilings = sorted(
        a["wall"] / (b["wall"] - b["jobs_phase"] + a["jobs_phase"] / 2) for a, b in zip(one, two, strict=True)
    )
    ceiling = sc.median([{"v": c} for c in ceilings], "v")
    print(
        f"ceiling of the wall speed-up dask 1 / dask 2 at a perfect 2x jobs phase, with the start measured "
        f"({sc.median(one, 'start'):.2f} s / {sc.median(two, 'start'):.2f} s): {ceiling:.3f}x (per round "
        + ", ".join(f"{c:.2f}" for c in ceilings) + ")"
    )
    room = sc.median(one, "wall") / SCALING_TARGET - (sc.median(two, "wall") - sc.median(two, "jobs_phase"))
    needed = sc.median(one, "jobs_phase") / room if room > 0 else float("inf")
    print(f"jobs-phase speed-up a {SCALING_TARGET}x wall speed-up needs, with that start: "
          + (f"{needed:.3f}x" if room > 0 else "none is enough (the start alone is too long)"))
    print("\ndispatch overhead per steady job (submit -> outcome in the client - job_seconds):")
    rows = {}
    for name, s in samples.items():
        values = [v for r in s for v in r["_overheads"]]
        rows[name] = [name, len(values), 1000 * sc.median([{"v": v} for v in values], "v"),
                      1000 * percentile(values, 0.025), 1000 * percentile(values, 0.975)]
    sc.table(list(rows.values()), ["mode", "jobs", "median ms", "2.5% ms", "97.5% ms"])
    h = sc.Headlines("dask", args)
    h.add(f"--executor dask --jobs 2 vs process --jobs 2 wall, {label}", cost, "x",
          f"<= {WALL_TARGET}x", cost <= WALL_TARGET)
    h.add(f"Dask 2 workers vs 1 wall speed-up, {label}", scaling, "x", f">= {SCALING_TARGET}x",
          scaling >= SCALING_TARGET)
    h.add(f"process executor 1 vs 2 workers wall speed-up, {label} (reference)", reference, "x")
    h.add(f"Dask 2 workers vs 1 wall speed-up at 1 thread per job in both, {label}", equal, "x")
    h.add(f"Dask 2 workers vs 1 speed-up of the jobs phase (first job start to last outcome; the start "
          f"excluded, as speed_tuning's 1.6x target excludes warm-up), {label}", phase_scaling, "x",
          f">= {SCALING_TARGET}x", phase_scaling >= SCALING_TARGET)
    h.add(f"ceiling of the Dask 2 vs 1 wall speed-up at a perfect 2x jobs phase, {label}", ceiling, "x")
    h.add(f"jobs-phase speed-up a {SCALING_TARGET}x wall speed-up needs, {label}", needed, "x")
    h.add("Dask dispatch overhead per job (median, 2 workers)", rows["dask 2"][2], " ms")
    h.add("process dispatch overhead per job (median, 2 workers)", rows["process 2"][2], " ms")
    h.finish()


if __name__ == "__main__":
    main()
