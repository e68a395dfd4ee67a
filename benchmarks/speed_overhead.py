"""Harness overhead: the share of a run's wall time that is not model work.

    python benchmarks/speed_overhead.py [--fast-suite] [--repeats 5] [--quick] [--smoke] [--profile]

Two workloads run through the Python API (``execute(suite, out, jobs=1, fresh=True)``, one
pre-warmed worker with 2 threads), in rotation A B A B ...:

- ``quick``: the built-in quick suite (72 jobs, about a minute per run on 2 cores;
  ``--fast-suite`` uses its ``[fast]`` sizes, 24 jobs);
- ``tiny``: a grid of 30 tiny jobs (linear, LightGBM with 10 trees, a 1-epoch MLP on
  200-row moons and sine1d, 5 seeds), where fixed per-job costs dominate.

Per run, from the store (runs table ``wall_seconds``, meta ``worker_warm_up_seconds``) and
the records (``fit_seconds_samples``, ``predict_seconds``, ``score_seconds``, ``job_seconds``):

    overhead = (wall - sum(fit + predict + score) - warm-up) / wall

and where the rest goes (each as a share of wall):
    in-worker = sum(job_seconds) - sum(fit + predict + score)   (data, split, probe model,
                grid predictions, dataset view, RSS sampler: harness work inside the job clock)
    start     = first job start - run start - warm-up           (spawn + imports before warm-up)
    dispatch  = gaps between one job's end and the next one's end, minus that job's seconds
                (pickling the job and outcome, the SQLite commit, progress hooks)
    tail      = wall - last job end                              (closing the worker)
``--profile`` also runs the tiny grid once in this process under cProfile and prints where
the in-worker harness time goes. ``--smoke`` (a check that the script runs, not a
measurement): both workloads with the linear family only (4 and 2 jobs), one round.
"""

from __future__ import annotations

import json
import tempfile
import time

import speed_common as sc

from familybench.bench.results.store import ResultStore
from familybench.bench.run.driver import RunOptions, execute, resolve_suite
from familybench.bench.run.hooks import Hook
from familybench.bench.suite.spec import parse_suite

TARGET = 0.05


TINY_MODELS = {
    "linear": {"model": "linear"},
    "lightgbm": {"model": "lightgbm", "params": {"n_estimators": 10}},
    "mlp": {"model": "mlp", "params": {"hidden_layer_sizes": [16], "max_epochs": 1}},
}


def tiny_suite(seeds: int = 5, models=tuple(TINY_MODELS)):
    return parse_suite({
        "seeds": seeds,
        "datasets": {"moons": {"n_samples": 200}, "sine1d": {"n_samples": 200}},
        "models": {name: TINY_MODELS[name] for name in models},
    }, source="<tiny grid>", default_name="tiny")


class Stamps(Hook):
    """The run's start and each job's end, on this process's clock. Takes ``**kwargs`` as
    :class:`Hook` does, so the details a later version sends cannot break it."""

    def on_run_start(self, **kwargs):
        self.start, self.ends = time.perf_counter(), []

    def on_job_end(self, record, **kwargs):
        self.ends.append((time.perf_counter(), record["job_seconds"]))


def timed_run(suite, jobs: int):
    """Run ``suite`` fresh in a temporary directory: (stored run row, records, job-end stamps)."""
    with tempfile.TemporaryDirectory() as out:
        stamps = Stamps()
        _, records = execute(suite, out, jobs=jobs, fresh=True, hooks=[stamps])
        with ResultStore(out) as store:
            return store.runs()[-1], records, stamps


def add_suite_args(p) -> None:
    p.add_argument("--fast-suite", action="store_true",
                   help="the quick suite's --fast sizes (24 jobs) instead of the full suite")


def quick_suite(args):
    """The quick suite (``--fast-suite``: its fast sizes; ``--quick``: 3 small datasets;
    ``--smoke``: linear on 2 of them, 2 seeds) and its label."""
    if getattr(args, "smoke", False):
        # 2 x 2 jobs: with --jobs 2 (speed_parallel, speed_dask) each worker runs a job after its first
        options = RunOptions(suite="quick", fast=True, models=["linear"], datasets=["moons", "sine1d"], seeds=2)
        return resolve_suite(options), "quick (smoke: linear, 2 datasets x 2 seeds)"
    if args.quick:
        return resolve_suite(RunOptions(suite="quick", fast=True, datasets=["moons", "sine1d", "friedman1"])), "quick (3 datasets)"
    return resolve_suite(RunOptions(suite="quick", fast=args.fast_suite)), "quick" + (" --fast" if args.fast_suite else "")


def measure(suite, jobs: int = 1) -> dict:
    """One run of ``suite``; returns its wall time and the components of the overhead."""
    run, records, stamps = timed_run(suite, jobs)
    wall, warm = run["wall_seconds"], run["meta"].get("worker_warm_up_seconds") or 0.0
    fit = sum(sum(json.loads(r["fit_seconds_samples"] or "[]")) for r in records)
    predict = sum(r["predict_seconds"] or 0.0 for r in records if r["predict_seconds"] == r["predict_seconds"])
    score = sum(r["score_seconds"] or 0.0 for r in records if r["score_seconds"] == r["score_seconds"])
    job = sum(r["job_seconds"] for r in records)
    model = fit + predict + score
    ends = stamps.ends
    first_start = ends[0][0] - ends[0][1] - stamps.start
    gaps = sum(max(0.0, ends[i][0] - ends[i - 1][0] - ends[i][1]) for i in range(1, len(ends)))
    return {
        "jobs": len(records), "failed": sum(r["status"] != "ok" for r in records),
        "wall": wall, "warm_up": warm, "model": model, "fit": fit, "predict": predict, "score": score,
        "overhead": (wall - model - warm) / wall,
        "in_worker": (job - model) / wall,
        "start": (first_start - warm) / wall,
        "dispatch": gaps / wall,
        "tail": (stamps.start + wall - ends[-1][0]) / wall if jobs == 1 else float("nan"),
        "jobs_per_s": len(records) / max(1e-9, wall - first_start),
    }


def profile_tiny(suite, top: int = 15) -> None:
    """Run ``suite`` in this process (serial executor) under cProfile; print harness hot spots."""
    import cProfile
    import pstats

    from familybench.bench.execute.inprocess import InProcessExecutor
    from familybench.bench.plan.jobs import expand

    runner = InProcessExecutor(threads=2)
    jobs = expand(suite)
    list(runner.run(jobs[:1]))  # warm-up outside the profile
    prof = cProfile.Profile()
    prof.enable()
    outcomes = list(runner.run(jobs))
    prof.disable()
    total_job = sum(o.record["job_seconds"] for o in outcomes)
    fit = sum(sum(json.loads(o.record["fit_seconds_samples"] or "[]")) for o in outcomes)
    print(f"\nprofile of the tiny grid in-process ({len(jobs)} jobs): sum(job_seconds) = {total_job:.2f} s, "
          f"sum(fit) = {fit:.2f} s; cumulative time of harness functions (cProfile slows them ~2x):")
    stats = pstats.Stats(prof)
    wanted = ("worker.py", "_dataset_view", "plot_grid", "make_splits", "get_model", "metrics.py",
              "_PeakMemory", "load_dataset", "predict", "psutil", "_synchronize", "warm_up")
    rows = []
    for (file, line, fn), (_, nc, _, ct, _) in stats.stats.items():
        label = f"{file.split('site-packages/')[-1].split('src/')[-1]}:{line}({fn})"
        if any(w in label for w in wanted):
            rows.append([label[-70:], nc, ct, ct / max(nc, 1) * 1000])
    rows.sort(key=lambda r: -r[2])
    sc.table(rows[:top], ["function", "calls", "cum s", "ms/call"])


def main(argv=None):
    p = sc.parser(__doc__)
    add_suite_args(p)
    p.add_argument("--profile", action="store_true", help="cProfile the tiny grid in-process")
    args = p.parse_args(argv)
    n = sc.repeats(args)
    quick, label = quick_suite(args)
    tiny = tiny_suite(seeds=1, models=["linear"]) if args.smoke else tiny_suite(seeds=2 if args.quick else 5)
    sc.header("harness overhead", args, n, f"A = {label}, B = tiny grid; jobs=1 (one worker, 2 threads)")
    samples = sc.rotate({"quick": lambda: measure(quick), "tiny": lambda: measure(tiny)}, n)
    keys = ["jobs", "wall", "warm_up", "model", "overhead", "in_worker", "start", "dispatch", "tail"]
    print()
    sc.table([[name] + [sc.median(s, k) for k in keys] for name, s in samples.items()],
             ["workload"] + ["jobs", "wall s", "warm-up s", "model s", "overhead", "in-worker",
                             "start", "dispatch", "tail"])
    print("(shares of wall; overhead = in-worker + start + dispatch + tail, each a median separately)")
    per_job = {name: sc.median([{"v": r["overhead"] * r["wall"] / r["jobs"]} for r in s], "v")
               for name, s in samples.items()}
    print("harness seconds per job: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in per_job.items()))
    h = sc.Headlines("overhead", args)
    q = sc.median(samples["quick"], "overhead")
    h.add(f"harness overhead, {label}", 100 * q, "%", f"<= {100 * TARGET:.0f}%", q <= TARGET)
    t = sc.median(samples["tiny"], "overhead")
    h.add(f"harness overhead, tiny grid ({sc.median(samples['tiny'], 'jobs'):.0f} jobs)", 100 * t, "%")
    h.add("harness per tiny job", per_job["tiny"] * 1000, " ms")
    h.add("worker warm-up (quick)", sc.median(samples["quick"], "warm_up"), " s")
    if args.profile:
        profile_tiny(tiny)
    h.finish()


if __name__ == "__main__":
    main()
