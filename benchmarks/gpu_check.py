"""The GPU paths of the families that have one, checked and timed on a CUDA machine (issue 22).

Fits ``mlp``, ``realmlp``, ``tabm``, ``xgboost`` and ``catboost`` on the same rows on the
CPU and on CUDA (``device="cuda"``), checks that the two agree (correlation of the test
predictions >= 0.95: GPU kernels differ in floating-point order, so equality is not
expected) and prints synchronized fit and predict seconds (familybench's worker clock
synchronizes CUDA; here ``torch.cuda.synchronize`` brackets each call) and the speed-up.

    python benchmarks/gpu_check.py                 # 20,000 rows; needs a CUDA device
    python benchmarks/gpu_check.py --smoke         # 300 rows, tiny settings: CPU only without a GPU

Without a CUDA device it says so and measures the CPU side only (exit 0 in --smoke, exit 2
otherwise): the docs' performance page states the GPU figures are unmeasured until a run on
such a machine fills them in.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd


def _table(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(16)})
    X["c"] = pd.Categorical(rng.choice(list("abcdef"), n))
    y = np.sin(2 * X["x0"]) + X["x1"] ** 2 + X["x2"] * X["x3"] + (X["c"] == "a") + rng.normal(0, 0.1, n)
    return X, y.to_numpy()


def _settings(smoke: bool) -> dict[str, dict]:
    if smoke:
        return {"mlp": {"max_epochs": 2, "hidden_layer_sizes": (32,)}, "realmlp": {"n_epochs": 2},
                "tabm": {"n_epochs": 2, "d_block": 32, "tabm_k": 4}, "xgboost": {"n_estimators": 20},
                "catboost": {"n_estimators": 20}}
    return {"mlp": {"max_epochs": 20}, "realmlp": {"n_epochs": 64}, "tabm": {"n_epochs": 32},
            "xgboost": {"n_estimators": 500}, "catboost": {"n_estimators": 500}}


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def _sync():
    if _cuda():
        import torch

        torch.cuda.synchronize()


def _timed(model, X, y, X_test):
    _sync()
    start = time.perf_counter()
    model.fit(X, y)
    _sync()
    fit = time.perf_counter() - start
    start = time.perf_counter()
    predictions = np.asarray(model.predict(X_test), float).ravel()
    _sync()
    return fit, time.perf_counter() - start, predictions


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true", help="300 rows, tiny settings")
    args = parser.parse_args(argv)
    if args.smoke:  # one thread: a smoke run shares the machine with the tests
        import os

        os.environ["FAMILYBENCH_THREADS"] = "1"
    from familybench.models import get_model

    rows = 300 if args.smoke else args.rows
    X, y = _table(rows + rows // 4)
    X_train, y_train, X_test = X.iloc[:rows], y[:rows], X.iloc[rows:]
    cuda = _cuda()
    devices = ["cpu", "cuda"] if cuda else ["cpu"]
    print(f"== GPU check: {rows} training rows, {len(X_test)} test rows; CUDA: {'yes' if cuda else 'no'} ==")
    print(f"{'model':<10}{'device':<7}{'fit s':>9}{'predict s':>11}{'speed-up':>10}  agreement")
    bad = []
    for name, params in _settings(args.smoke).items():
        results = {}
        for device in devices:
            model = get_model(name, task="regression", **params, device=device, random_state=0)
            _timed(model, X_train.head(64), y_train[:64], X_test.head(8))  # warm-up: imports, CUDA context
            results[device] = _timed(get_model(name, task="regression", **params, device=device, random_state=0),
                                     X_train, y_train, X_test)
        for device, (fit, predict, _) in results.items():
            speedup, agreement = "", ""
            if device == "cuda":
                speedup = f"{results['cpu'][0] / fit:.2f}x"
                r = float(np.corrcoef(results["cpu"][2], results["cuda"][2])[0, 1])
                agreement = f"r = {r:.4f}"
                if not r >= 0.95:
                    bad.append(name)
            print(f"{name:<10}{device:<7}{fit:>9.3f}{predict:>11.3f}{speedup:>10}  {agreement}")
    if not cuda:
        print("no CUDA device: the GPU figures are unmeasured (run this on a machine with one)")
        return 0 if args.smoke else 2
    if bad:
        print(f"error: CPU and GPU predictions disagree for {', '.join(bad)}", file=sys.stderr)
        return 1
    print("every GPU path agrees with its CPU path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
