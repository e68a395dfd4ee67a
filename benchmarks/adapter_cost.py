"""What familybench's adapters cost: each new member fitted through familybench and through
its library directly, on the same rows and threads, in one run (issue 22).

For ``catboost``, ``realmlp`` and ``tabm``: a table without missing values (numbers and one
categorical column), one thread, the same seed. Each round fits the familybench estimator
and the library's own estimator in rotation (A B A B ...); the script prints the median fit
seconds of each, their ratio (target: familybench <= 1.05x the direct call) and whether the
predictions are identical (they must be: same seed, same rows, same library call).

    python benchmarks/adapter_cost.py              # 2,000 rows, 5 rounds
    python benchmarks/adapter_cost.py --smoke      # 200 rows, 1 round, tiny networks
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["FAMILYBENCH_THREADS"] = "1"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

TARGET = 1.05


def _table(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    X["c"] = pd.Categorical(rng.choice(["a", "b", "c", "d"], n))
    y = np.sin(2 * X["x0"]) + X["x1"] ** 2 + X["x2"] * X["x3"] + (X["c"] == "a") + rng.normal(0, 0.1, n)
    return X, y.to_numpy()


def _cases(smoke: bool):
    """name -> (familybench estimator, direct estimator, how the direct one sees the table)."""
    import catboost
    import pytabkit

    from familybench.models import CatBoostRegressor, RealMLPRegressor, TabMRegressor

    trees = 20 if smoke else 300
    cat = {"iterations": trees, "depth": 6, "l2_leaf_reg": 3.0, "random_seed": 0, "thread_count": 1,
           "verbose": False, "allow_writing_files": False}

    def catboost_frame(X):  # positional names, the categorical column as strings: what the adapter passes
        frame = X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
        return frame.assign(**{frame.columns[-1]: X.iloc[:, -1].astype(str).to_numpy()})

    realmlp = {"n_epochs": 4, "hidden_width": 16, "n_hidden_layers": 1} if smoke else {"n_epochs": 64}
    tabm = {"n_epochs": 4, "d_block": 16, "n_blocks": 1, "tabm_k": 4} if smoke else {"n_epochs": 8}
    nets = {"random_state": 0, "n_threads": 1, "device": "cpu", "verbosity": 0}
    rect = {"hidden_sizes": "rectangular"} if smoke else {}
    yield ("catboost", lambda: CatBoostRegressor(n_estimators=trees, random_state=0, n_jobs=1),
           lambda: catboost.CatBoostRegressor(**cat, cat_features=[8]), catboost_frame)
    yield ("realmlp", lambda: RealMLPRegressor(**realmlp, random_state=0, n_jobs=1, device="cpu"),
           lambda: pytabkit.RealMLP_TD_Regressor(**realmlp, **rect, **nets), lambda X: X)
    yield ("tabm", lambda: TabMRegressor(**tabm, random_state=0, n_jobs=1, device="cpu"),
           lambda: pytabkit.TabM_D_Regressor(**tabm, **nets), lambda X: X)


def _timed_fit(make, X, y):
    model = make()
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start, model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round: checks the script runs")
    args = parser.parse_args(argv)
    rows, repeats = (200, 1) if args.smoke else (args.rows, args.repeats)
    X, y = _table(rows)
    print(f"== adapter cost: {rows} rows x {X.shape[1]} columns, 1 thread, {repeats} rounds in rotation ==")
    print(f"{'member':<10}{'familybench s':>15}{'direct s':>10}{'ratio':>8}  predictions")
    worst = 0.0
    for name, ours, direct, view in _cases(args.smoke):
        _timed_fit(ours, X, y)  # warm both paths (imports, first torch optimizer) outside the clock
        _timed_fit(direct, view(X), y)
        a, b = [], []
        for _ in range(repeats):
            seconds, model_a = _timed_fit(ours, X, y)
            a.append(seconds)
            seconds, model_b = _timed_fit(direct, view(X), y)
            b.append(seconds)
        same = np.array_equal(np.asarray(model_a.predict(X), float), np.asarray(model_b.predict(view(X)), float).ravel())
        ratio = statistics.median(a) / statistics.median(b)
        worst = max(worst, ratio)
        print(f"{name:<10}{statistics.median(a):>15.3f}{statistics.median(b):>10.3f}{ratio:>7.2f}x  "
              f"{'identical' if same else 'DIFFER'}")
        if not same:
            print(f"error: {name}: familybench's predictions differ from the direct call's", file=sys.stderr)
            return 1
    verdict = "PASS" if worst <= TARGET else "MISS"
    print(f"  {verdict}  adapter fit time, worst member = {worst:.2f}x the direct call  (target <= {TARGET}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
