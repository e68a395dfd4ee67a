"""MLP training throughput: familybench's `mlp` vs a plain torch loop, a DataLoader loop, skorch, scikit-learn.

Same data (make_friedman1, 50,000 x 20, noise 1), same network (20-256-256-1, ReLU), Adam
lr 1e-3, batch 256, 10 epochs, float32, all threads of this machine. Each variant runs
--repeats times in rotation (A B C A B C ...) after one warm-up each; the table shows the
median samples/second, the final training MSE (on standardized targets for familybench, raw
for the others, so compare within a row, not across) and the ratio to the plain loop.

    python benchmarks/mlp_throughput.py [--rows 50000] [--epochs 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import make_friedman1
from torch import nn

from familybench.models import get_model


def plain_loop(X, y, *, epochs, batch, hidden, seed=0):
    """The reference: tensors in memory, batches sliced from a random permutation."""
    torch.manual_seed(seed)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    layers, width = [], Xt.shape[1]
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    net = nn.Sequential(*layers, nn.Linear(width, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
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
    from sklearn.neural_network import MLPRegressor

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
    args = parser.parse_args(argv)
    hidden = (256, 256)
    X, y = make_friedman1(n_samples=args.rows, n_features=20, noise=1.0, random_state=0)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
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
    peak = matmul_gflops()
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


if __name__ == "__main__":
    main()
