"""MLP training throughput: familybench's `mlp` vs a plain torch loop, a DataLoader loop, skorch, scikit-learn.

Same data (make_friedman1, 50,000 x 20, noise 1, inputs and target standardized), same
network (20-256-256-1, ReLU), Adam lr 1e-3, batch 256, 10 epochs, float32, all threads of
this machine. Each variant runs --repeats times in rotation (A B C A B C ...) after one
warm-up each; the table shows the median samples/second, the achieved GFLOP/s against the
float32 matmul GFLOP/s measured in the same run, the final training MSE (same standardized
target for all) and the ratio to the plain loop.

A second table (skip with --no-explore) asks what lifts the share of the matmul peak: the
plain loop with Adam's three implementations (for-loop, foreach, fused) at batch 256, then
the fused one at larger batches, each with the R^2 on 10,000 held-out rows after the same
epochs, so a faster setting that hurts the score shows as such.

    python benchmarks/mlp_throughput.py [--rows 50000] [--epochs 10] [--repeats 5] [--no-explore] [--smoke]

``--smoke`` (a check that the script runs, not a measurement): 2,000 rows, 1 epoch, 1 run
of each variant and of each explored setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import make_friedman1
from torch import nn

from familybench.bench.results.provenance import cpu_model
from familybench.models import get_model


def plain_loop(X, y, *, epochs, batch, hidden, seed=0, impl=None, holdout=None):
    """The reference: tensors in memory, batches sliced from a random permutation.

    ``impl``: Adam's implementation ("forloop", "foreach", "fused"; None = torch's default).
    With ``holdout=(X, y)`` returns the held-out R^2 instead of the final training loss.
    """
    torch.manual_seed(seed)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    layers, width = [], Xt.shape[1]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    net = nn.Sequential(*layers, nn.Linear(width, 1))
    flags = {"forloop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}.get(impl, {})
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, **flags)
    loss_fn = nn.MSELoss()
    n = len(Xt)
    for _ in range(epochs):
        perm = torch.randperm(n)
        total = 0.0
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            loss = loss_fn(net(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
    if holdout is not None:
        with torch.inference_mode():
            pred = net(torch.as_tensor(holdout[0], dtype=torch.float32)).numpy().ravel()
        return 1 - np.mean((holdout[1] - pred) ** 2) / np.var(holdout[1])
    return total / n


def dataloader_loop(X, y, *, epochs, batch, hidden, seed=0):
    """The textbook loop: a DataLoader over a TensorDataset with shuffling (per-sample indexing)."""
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    dataset = TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1))
    loader = DataLoader(dataset, batch_size=batch, shuffle=True)
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    net = nn.Sequential(*layers, nn.Linear(width, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
    return total / len(X)


def skorch_net(X, y, *, epochs, batch, hidden, seed=0):
    from skorch import NeuralNetRegressor

    torch.manual_seed(seed)
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    net = NeuralNetRegressor(
        nn.Sequential(*layers, nn.Linear(width, 1)), max_epochs=epochs, batch_size=batch, lr=1e-3,
        optimizer=torch.optim.Adam, train_split=None, verbose=0, iterator_train__shuffle=True,
    ).fit(X.astype(np.float32), y.astype(np.float32).reshape(-1, 1))
    return net.history[-1, "train_loss"]


def familybench_mlp(X, y, *, epochs, batch, hidden, seed=0):
    model = get_model(
        "mlp", hidden_layer_sizes=hidden, batch_size=batch, max_epochs=epochs,
        early_stopping=False, random_state=seed, device="cpu",
    ).fit(X, y)
    return model.loss_curve_[-1]


def sklearn_mlp(X, y, *, epochs, batch, hidden, seed=0):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget is the point here

    model = MLPRegressor(
        hidden_layer_sizes=hidden, batch_size=batch, max_iter=epochs, learning_rate_init=1e-3,
        alpha=0.0, tol=0.0, n_iter_no_change=10**9, random_state=seed, shuffle=True,
    ).fit(X.astype(np.float32), y.astype(np.float32))
    return 2 * model.loss_curve_[-1]  # scikit-learn reports half the MSE


def matmul_gflops(repeats=5):
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 2048**3 / statistics.median(times) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-explore", action="store_true", help="skip the what-lifts-the-peak table")
    parser.add_argument("--smoke", action="store_true",
                        help="check that the script runs: 2,000 rows, 1 epoch, 1 run (not a measurement)")
    args = parser.parse_args(argv)
    if args.smoke:  # the same code on tiny sizes; explicit --rows/--epochs/--repeats are overridden
        args.rows, args.epochs, args.repeats = 2000, 1, 1
    hidden = (256, 256)
    X, y = make_friedman1(n_samples=args.rows + 10_000, n_features=20, noise=1.0, random_state=0)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    y = ((y - y.mean()) / y.std()).astype(np.float32)
    X, y, X_hold, y_hold = X[: args.rows], y[: args.rows], X[args.rows :], y[args.rows :]
    variants = {
        "plain torch loop": plain_loop,
        "familybench mlp": familybench_mlp,
        "DataLoader loop": dataloader_loop,
        "sklearn MLPRegressor": sklearn_mlp,
    }
    try:
        import skorch  # noqa: F401

        variants["skorch"] = skorch_net
    except ImportError:
        print("(skorch not installed: pip install 'familybench[speed]' to include it)")
    kwargs = {"epochs": args.epochs, "batch": args.batch, "hidden": hidden}
    for fn in variants.values():  # warm-up: first optimizer, allocator, BLAS pools
        fn(X[:2048], y[:2048], epochs=1, batch=args.batch, hidden=hidden)
    times = {name: [] for name in variants}
    losses = {}
    for _ in range(args.repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            losses[name] = fn(X, y, **kwargs)
            times[name].append(time.perf_counter() - start)
    peak = matmul_gflops(1 if args.smoke else 5)
    print(f"machine: {cpu_model() or 'unknown CPU'}, load avg {os.getloadavg()[0]:.2f}")
    # forward + backward ~ 3x the forward matmul FLOPs
    flops_per_sample = 3 * 2 * (20 * 256 + 256 * 256 + 256)
    samples = args.rows * args.epochs
    base = samples / statistics.median(times["plain torch loop"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; rows={args.rows} epochs={args.epochs} "
          f"batch={args.batch} layers=20-256-256-1; medians of {args.repeats} runs in rotation")
    print(f"float32 matmul 2048^3: {peak:.0f} GFLOP/s")
    print(f"{'variant':<22} {'samples/s':>10} {'vs plain':>9} {'GFLOP/s':>8} {'% peak':>7} {'final MSE':>10}")
    for name in variants:
        rate = samples / statistics.median(times[name])
        gflops = rate * flops_per_sample / 1e9
        print(f"{name:<22} {rate:>10,.0f} {rate / base:>8.2f}x {gflops:>8.1f} {100 * gflops / peak:>6.1f}% "
              f"{losses[name]:>10.3f}")
    rate = {name: samples / statistics.median(t) for name, t in times.items()}
    fb = rate["familybench mlp"]
    print(f"targets: mlp/plain = {fb / rate['plain torch loop']:.2f} (>= 0.9), "
          f"mlp/sklearn = {fb / rate['sklearn MLPRegressor']:.2f} (>= 0.9)"
          + (f", mlp/skorch = {fb / rate['skorch']:.2f} (>= 2)" if "skorch" in rate else ""))
    if not args.no_explore:
        explore(X, y, (X_hold, y_hold), args, hidden, flops_per_sample, peak)


def explore(X, y, holdout, args, hidden, flops_per_sample, peak):
    """What lifts the share of the matmul peak: optimizer implementation, then batch size."""
    settings = [("forloop", 256), ("foreach", 256), ("fused", 256), ("fused", 1024), ("fused", 4096)]
    repeats = 1 if args.smoke else max(3, args.repeats - 2)
    times = {s: [] for s in settings}
    r2 = {}
    for _ in range(repeats):
        for impl, batch in settings:
            start = time.perf_counter()
            r2[impl, batch] = plain_loop(X, y, epochs=args.epochs, batch=batch, hidden=hidden, impl=impl,
                                         holdout=holdout)
            times[impl, batch].append(time.perf_counter() - start)
    samples = len(X) * args.epochs
    print(f"\nwhat lifts the share of the matmul peak (plain loop, Adam lr 1e-3, {args.epochs} epochs; "
          f"medians of {repeats} runs in rotation; R^2 on {len(holdout[0]):,} held-out rows):")
    print(f"{'Adam impl':<9} {'batch':>6} {'samples/s':>10} {'vs first':>9} {'GFLOP/s':>8} {'% peak':>7} "
          f"{'held-out R2':>11}")
    first = samples / statistics.median(times[settings[0]])
    for impl, batch in settings:
        rate = samples / statistics.median(times[impl, batch])
        gflops = rate * flops_per_sample / 1e9
        print(f"{impl:<9} {batch:>6} {rate:>10,.0f} {rate / first:>8.2f}x {gflops:>8.1f} {100 * gflops / peak:>6.1f}% "
              f"{r2[impl, batch]:>11.4f}")


if __name__ == "__main__":
    main()
