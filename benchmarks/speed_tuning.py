"""Tuning speed: familybench's tuner against a hand-written loop doing the same trials.

    python benchmarks/speed_tuning.py [--quick] [--smoke] [--repeats N] [--trials 20] [--json FILE]

Tunes ``lightgbm`` and ``mlp`` (their built-in search spaces, random search, validation
20 % of the training rows; mlp at most 30 epochs) on three small datasets (moons and
friedman1 at 400 rows, breast_cancer's 569), one seed, and times, in rotation:

- ``familybench --jobs 1``: the suite through the process executor, one worker with all
  threads; wall clock minus the worker's warm-up (spawn, imports, warm-up fits), which is
  reported apart;
- ``hand loop``: the same trials, in this process with the same threads: the params
  familybench stored, the same inner split, plain ``fit``/``predict``/``score`` calls
  producing the same train, validation and test metrics, then the chosen trial of each
  drawn group fitted again to predict the plot grid (familybench's plot job);
- ``familybench --jobs 2``: two workers, one thread each.

Targets: familybench / loop ≤ 1.10 at ``--jobs 1``; ``--jobs 2`` ≥ 1.6× faster than
``--jobs 1``. Also prints trials per second and the largest metric difference between
familybench and the loop (0 for LightGBM: same fits).

``--smoke`` (a check that the script runs, not a measurement): 2 trials of each model on
moons at 200 rows, LightGBM at most 50 trees, mlp at most 2 epochs, one round.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import speed_common as sc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

DATASETS = {"moons": {"n_samples": 400}, "friedman1": {"n_samples": 400}, "breast_cancer": {}}
MODELS = {"lightgbm": {}, "mlp": {"params": {"max_epochs": 30}}}
SMOKE_DATASETS = {"moons": {"n_samples": 200}}
SMOKE_MODELS = {"lightgbm": {"params": {"n_estimators": 50}}, "mlp": {"params": {"max_epochs": 2}}}


def make_suite(trials: int, datasets=DATASETS, models=MODELS):
    from familybench.bench.suite.spec import parse_suite

    return parse_suite({
        "name": "tuning-speed", "seeds": 1, "tune": {"trials": trials}, "datasets": datasets, "models": models,
    })


def run_familybench(suite, jobs: int, scratch: Path) -> dict:
    from familybench.bench.execute.process import ProcessExecutor
    from familybench.bench.run.driver import execute

    out = Path(tempfile.mkdtemp(prefix="fb-tune-", dir=scratch))
    executor = ProcessExecutor(n_workers=jobs)
    start = time.perf_counter()
    _, records = execute(suite, out, executor=executor)
    wall = time.perf_counter() - start
    warm = max(executor._warm, default=0.0)  # workers warm up in parallel: the slowest one counts
    return {"seconds": wall - warm, "wall": wall, "warm_up": warm, "jobs": len(records), "out": str(out)}


def hand_loop(trials_frame, threads: int, datasets=DATASETS) -> dict:
    """The same trials with plain calls: split, inner split, fit, predict, score."""
    from threadpoolctl import threadpool_limits

    from familybench.bench.results.metrics import score
    from familybench.datasets import load_dataset, make_inner_splits, make_splits
    from familybench.models import get_model
    from familybench.reports._artefacts import plot_grid

    os.environ["FAMILYBENCH_THREADS"] = str(threads)
    cache = {}
    metrics = []
    groups: dict = {}
    start = time.perf_counter()
    with threadpool_limits(threads):
        import torch

        torch.set_num_threads(threads)
        for row in trials_frame.itertuples():
            if row.dataset not in cache:
                data = load_dataset(row.dataset, **datasets[row.dataset])
                [split] = make_splits(data, seed=int(row.seed))
                [inner] = make_inner_splits(data.y.to_numpy(), data.task, split.train, seed=int(row.seed),
                                            validation={"holdout": 0.2})
                cache[row.dataset] = (data, split, inner)
            data, split, inner = cache[row.dataset]
            params = dict(row.params)
            model = get_model(row.model, task=data.task, random_state=int(row.seed), **params)
            model.fit(data.X.iloc[inner.train], data.y.iloc[inner.train].to_numpy())
            out = {}
            for side, rows in (("train", inner.train), ("valid", inner.test), ("test", split.test)):
                X = data.X.iloc[rows]
                proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
                pred = model.classes_[np.argmax(proba, axis=1)] if proba is not None else model.predict(X)
                for name, value in score(data.task, data.y.iloc[rows].to_numpy(), pred, proba,
                                         getattr(model, "classes_", None)).items():
                    out[f"{side}_{name}"] = value
            metrics.append(out)
            groups.setdefault((row.dataset, row.model), []).append((out, row, model))
        # familybench's extra job per drawn group: the chosen trial again, predicting the
        # plot grid (same work here, so the two sides do the same fits)
        for (dataset, _), trials in groups.items():
            data = cache[dataset][0]
            grid = plot_grid(data)  # what the "grid" artefact predicts
            if grid is None:
                continue
            metric = "valid_r2" if data.task == "regression" else ("valid_roc_auc" if data.task == "binary"
                                                                    else "valid_accuracy")
            _, row, _ = max(trials, key=lambda t: (t[0][metric], -t[1].trial))
            _, split, inner = cache[dataset]
            model = get_model(row.model, task=data.task, random_state=int(row.seed), **dict(row.params))
            model.fit(data.X.iloc[inner.train], data.y.iloc[inner.train].to_numpy())
            (model.predict_proba if hasattr(model, "predict_proba") else model.predict)(grid)
    return {"seconds": time.perf_counter() - start, "metrics": metrics}


def main(argv=None) -> None:
    p = sc.parser(__doc__, repeats=3)
    p.add_argument("--trials", type=int, default=20)
    args = p.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="fb-tune-"))  # every run's results; removed at the end
    try:
        measure(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(args, scratch: Path) -> None:
    n = sc.repeats(args)
    trials = 2 if args.smoke else 4 if args.quick else args.trials
    datasets, models = (SMOKE_DATASETS, SMOKE_MODELS) if args.smoke else (DATASETS, MODELS)
    suite = make_suite(trials, datasets, models)
    sc.header("tuning: familybench vs a hand-written loop", args, n,
              f"{trials} trials x {', '.join(models)} x {len(datasets)} datasets (random search, built-in spaces)")
    import familybench

    first = run_familybench(suite, 1, scratch)  # also warms this process's caches
    results = familybench.load_results(first["out"])
    trials_frame = results[results["role"] == "trial"].sort_values(["dataset", "config", "trial"])
    threads = int(results["threads"].iloc[0])
    hand_loop(trials_frame.head(4), threads, datasets)  # warm the loop's imports outside the clock
    samples = sc.rotate({
        "familybench --jobs 1": lambda: run_familybench(suite, 1, scratch),
        "hand loop": lambda: hand_loop(trials_frame, threads, datasets),
        "familybench --jobs 2": lambda: run_familybench(suite, 2, scratch),
    }, n)
    fb1, loop, fb2 = (sc.median(samples[k], "seconds") for k in ("familybench --jobs 1", "hand loop",
                                                                  "familybench --jobs 2"))
    warm = sc.median(samples["familybench --jobs 1"], "warm_up")
    n_trials = len(trials_frame)
    last = samples["hand loop"][-1]["metrics"]
    diffs = {}
    for (_, row), theirs in zip(trials_frame.iterrows(), last, strict=True):
        for name, value in theirs.items():
            if np.isfinite(value) and np.isfinite(row[name]):
                diffs.setdefault(row["model"], []).append(abs(value - row[name]))
    sc.table([[k, sc.median(v, "seconds"), n_trials / sc.median(v, "seconds")] for k, v in samples.items()],
             ["variant", "seconds (warm-up excluded)", "trials/s"])
    print(f"worker warm-up (apart, --jobs 1): {warm:.2f} s")
    for model, values in diffs.items():
        print(f"largest metric difference familybench vs loop, {model}: {max(values):.2g}")
    h = sc.Headlines("tuning", args)
    h.add("tuning wall, familybench --jobs 1 / hand loop", fb1 / loop, "x", "<= 1.10", fb1 / loop <= 1.10)
    h.add("tuning speed-up --jobs 2 vs --jobs 1", fb1 / fb2, "x", ">= 1.6", fb1 / fb2 >= 1.6)
    h.add("trials per second, familybench --jobs 1", n_trials / fb1, "")
    h.add("trials per second, familybench --jobs 2", n_trials / fb2, "")
    h.add("worker warm-up (apart)", warm, " s")
    h.finish()


if __name__ == "__main__":
    main()
