"""The lecture's pictures, drawn from the store (the ``view``, ``grid`` and ``first_layer``
artefacts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.bench.results.record import Status

from .._format import mpl_text
from .._style import CLASS_COLORS, plot_style
from ..sections import Figure
from . import _names as names


def _plt():
    import matplotlib.pyplot as plt

    return plt


def first_job(context, config: str, dataset: str) -> tuple[pd.Series | None, dict | None]:
    """The lowest-seed finished job of ``config`` on ``dataset`` and its grid predictions."""
    rows = context.results[
        (context.results["config"] == config) & (context.results["dataset"] == dataset)
        & (context.results["status"] == Status.OK) & context.results["train_size"].isna() & (context.results["fold"] == 0)
    ]
    if rows.empty:
        return None, None
    row = rows.sort_values("seed").iloc[0]
    return row, context.artefacts("grid").get(row["job_key"])


def _positive_probability(pred: dict) -> np.ndarray | None:
    if "proba" in pred and pred["proba"].shape[1] == 2:
        return pred["proba"][:, 1]
    if "labels" in pred:
        return pred["labels"]
    return None


def regions_figure(context, datasets, configs, name="lecture-regions") -> Figure | None:
    """Rows: datasets; columns: configs; shading P(class 1), the data on top."""
    plt = _plt()
    views = context.artefacts("view", "dataset")
    datasets = [d for d in datasets if d in views and "classes" in views[d]]
    if not datasets:
        return None
    with plot_style():
        fig, axes = plt.subplots(len(datasets), len(configs), figsize=(2.6 * len(configs), 2.6 * len(datasets)),
                                 squeeze=False)
        for r, dataset in enumerate(datasets):
            view = views[dataset]
            grid, side = view["grid"], int(round(np.sqrt(len(view["grid"]))))
            extent = (grid[:, 0].min(), grid[:, 0].max(), grid[:, 1].min(), grid[:, 1].max())
            for c, config in enumerate(configs):
                ax = axes[r, c]
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                row, pred = first_job(context, config, dataset)
                p = _positive_probability(pred) if pred else None
                if p is not None and side * side == len(p):
                    ax.imshow(p.reshape(side, side), origin="lower", extent=extent, cmap="RdBu_r", vmin=0, vmax=1,
                              alpha=0.55, aspect="auto")
                    ax.contour(grid[:, 0].reshape(side, side), grid[:, 1].reshape(side, side), p.reshape(side, side),
                               levels=[0.5], colors="black", linewidths=1)
                else:
                    ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes, color="#B00020")
                points, targets = view["points"][:400], view["point_targets"][:400].astype(int)
                ax.scatter(points[:, 0], points[:, 1], s=3, c=[CLASS_COLORS[t % 2] for t in targets], linewidths=0)
                if r == 0:
                    ax.set_title(mpl_text(config))
                if c == 0:
                    ax.set_ylabel(mpl_text(dataset))
        fig.tight_layout()
    return Figure.from_matplotlib(fig, name, "Decision regions of each family on each nonlinear 2-D dataset",
                                  "Seed 0. Shading: predicted probability of class 1; black line: P = 0.5.")


def polynomial_figure(table: pd.DataFrame, cap: int = 10_000) -> Figure | None:
    if table.empty:
        return None
    plt = _plt()
    with plot_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
        for d, group in table.groupby("d"):
            line = left.plot(group["degree"], group["formula"], marker="o", label=f"d = {d}")[0]
            refused = group[group["refused"].notna()]
            left.scatter(refused["degree"], refused["formula"], marker="x", s=80, color=line.get_color(), zorder=5)
            done = group[group["refused"].isna()]
            right.plot(done["degree"], done["test_r2"], marker="o", color=line.get_color(), label=f"d = {d}")
        left.axhline(cap, color="#B00020", linestyle="--", linewidth=1)
        left.text(table["degree"].min(), cap * 1.3, f"cap: max_features = {cap:,} (x = refused)", color="#B00020", fontsize=8)
        left.set_yscale("log")
        degrees = sorted(int(k) for k in table["degree"].unique())
        left.set_xticks(degrees)
        right.set_xticks(degrees)
        left.set_xlabel("degree k")
        left.set_ylabel("features C(d+k, k) − 1")
        left.legend()
        right.set_xlabel("degree k")
        right.set_ylabel("test R² (friedman1)")
        right.legend()
        fig.tight_layout()
    return Figure.from_matplotlib(fig, "lecture-poly", "Polynomial feature count and score against degree",
                                  "Left: features by degree and input dimension (log scale). Right: the score they buy.")


def curves_figure(context, dataset: str, configs, name: str, caption: str, labels=None) -> Figure | None:
    """Fitted curves of ``configs`` on a 1-D dataset, over the data and the true function."""
    view = context.artefacts("view", "dataset").get(dataset)
    if view is None or "classes" in view:
        return None
    plt = _plt()
    x = view["grid"][:, 0]
    with plot_style():
        fig, ax = plt.subplots(figsize=(9, 4))
        ax.scatter(view["points"][:, 0], view["point_targets"], s=5, color="#9A9A9A", alpha=0.4, linewidths=0, label="data")
        if "true_curve" in view:
            ax.plot(x, view["true_curve"], color="black", linestyle="--", linewidth=2, label="true function")
        cmap = plt.get_cmap("viridis")
        drawn = 0
        for i, config in enumerate(configs):
            _, pred = first_job(context, config, dataset)
            if pred is None or "values" not in pred:
                continue
            label = labels[i] if labels else config
            ax.plot(x, pred["values"], color=cmap(i / max(len(configs) - 1, 1)), linewidth=1.8, label=mpl_text(label))
            drawn += 1
        if not drawn:
            plt.close(fig)
            return None
        low, high = np.percentile(view["point_targets"], [0.5, 99.5])
        ax.set_ylim(low - 0.3 * (high - low), high + 0.3 * (high - low))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend(fontsize=8, ncols=2, loc="best")
        fig.tight_layout()
    return Figure.from_matplotlib(fig, name, f"Fitted curves on {dataset}", caption)


def activations_figure(scores: pd.DataFrame) -> Figure | None:
    import torch

    from ...models import ACTIVATION_MODULES  # the one list of the MLP's activations

    plt = _plt()
    x = torch.linspace(-4, 4, 400)
    with plot_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        cmap = plt.get_cmap("tab20")
        activations = list(ACTIVATION_MODULES)
        for i, name in enumerate(activations):
            with torch.no_grad():
                y = getattr(torch.nn, ACTIVATION_MODULES[name])()(x)
            left.plot(x.numpy(), y.numpy(), color=cmap(i / len(activations)), linewidth=1.6, label=name)
        left.set_ylim(-2.2, 4.2)
        left.set_title("the activations")
        left.legend(fontsize=7, ncols=2)
        if not scores.empty:
            order = scores.mean(axis=1).sort_values().index
            for j, dataset in enumerate(scores.columns):
                right.scatter(scores.loc[order, dataset], range(len(order)), label=mpl_text(dataset), s=40,
                              marker="os^"[j % 3])
            right.set_yticks(range(len(order)), [mpl_text(o) for o in order])
            right.set_xlabel("mean test score (spirals: ROC AUC, sine1d: R²)")
            right.set_title("what they buy, same network and epochs")
            right.legend()
        fig.tight_layout()
    return Figure.from_matplotlib(fig, "lecture-activations", "The activation functions and their scores",
                                  "Left: each activation on [−4, 4]. Right: mean test score over seeds.")


def _lines(layer: dict | None) -> tuple | None:
    """A ``first_layer`` artefact as ``((w1, w2), b)`` per hidden unit (the first two inputs)."""
    if layer is None or "weights" not in layer:
        return None
    return tuple(((float(w[0]), float(w[1])), float(b)) for w, b in zip(layer["weights"], layer["bias"], strict=True))


def handmade_lines(context) -> tuple | None:
    """The hand-made network's hidden units as lines, as its job stored them (the weights'
    one definition is the model, ``models/_lecture.py``)."""
    row, _ = first_job(context, names.HANDMADE, names.WEDGE)
    return _lines(context.artefacts("first_layer").get(row["job_key"])) if row is not None else None


def line_text(weights, bias: float) -> str:
    """``w1 x1 + w2 x2 + b`` as the lecture writes it: ``−2x1 + x2 + 5``."""
    terms = [(w, f"{'' if np.isclose(abs(w), 1) else f'{abs(w):g}'}x{i + 1}") for i, w in enumerate(weights) if w]
    if bias:
        terms.append((bias, f"{abs(bias):g}"))
    text = ""
    for k, (value, term) in enumerate(terms):
        sign = "−" if value < 0 else "+"
        text += (("−" if value < 0 else "") + term) if k == 0 else f" {sign} {term}"
    return text or "0"


def wedge_figure(context, lecture_lines=None) -> Figure | None:
    """The wedge data with each hidden unit's line: the hand-made network's, and the
    best-trained seed of the two-unit MLP's over its predicted probability."""
    view = context.artefacts("view", "dataset").get(names.WEDGE)
    if view is None:
        return None
    plt = _plt()
    rows = context.results[(context.results["config"] == names.TRAINED_WEDGE) & (context.results["status"] == Status.OK)]
    best = rows.loc[rows["test_accuracy"].idxmax()] if len(rows) else None
    pred = context.artefacts("grid").get(best["job_key"]) if best is not None else None
    trained = _lines(context.artefacts("first_layer").get(best["job_key"])) if best is not None else None
    grid = view["grid"]
    xs = np.linspace(grid[:, 0].min(), grid[:, 0].max(), 50)
    with plot_style():
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True)
        panels = [("the lecture's weights" if lecture_lines else "the lecture's weights (not stored)",
                   lecture_lines or (), None)]
        if trained is not None:
            panels.append((f"trained 2-unit MLP (seed {int(best['seed'])}, {best['test_accuracy']:.1%})", trained, pred))
        for ax, (title, lines, p) in zip(axes, panels, strict=False):
            ax.grid(False)
            if p is not None and "proba" in p:
                side = int(round(np.sqrt(len(grid))))
                ax.imshow(p["proba"][:, 1].reshape(side, side), origin="lower", cmap="RdBu_r", vmin=0, vmax=1,
                          alpha=0.4, aspect="auto",
                          extent=(grid[:, 0].min(), grid[:, 0].max(), grid[:, 1].min(), grid[:, 1].max()))
            targets = view["point_targets"].astype(int)
            ax.scatter(view["points"][:, 0], view["points"][:, 1], s=4, c=[CLASS_COLORS[t % 2] for t in targets], linewidths=0)
            for (w1, w2), b in lines:
                if abs(w2) > 1e-9:
                    ax.plot(xs, -(w1 * xs + b) / w2, color="black", linewidth=1.8)
                else:
                    ax.axvline(-b / w1, color="black", linewidth=1.8)
            ax.set_xlim(grid[:, 0].min(), grid[:, 0].max())
            ax.set_ylim(grid[:, 1].min(), grid[:, 1].max())
            ax.set_title(title)
            ax.set_xlabel("x1")
        axes[0].set_ylabel("x2")
        if len(panels) == 1:
            axes[1].axis("off")
        fig.tight_layout()
    return Figure.from_matplotlib(fig, "lecture-wedge", "The wedge data with each hidden neuron's line",
                                  "Black lines: where each hidden neuron's input is zero.")


def lines_figure(frame: pd.DataFrame, x: str, ylabel: str, name: str, alt: str, caption: str,
                 logx: bool = False, logy: bool = False) -> Figure | None:
    """One line per column of ``frame`` (index on the x axis)."""
    if frame.empty:
        return None
    plt = _plt()
    with plot_style():
        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        for column in frame.columns:
            series = frame[column].dropna()
            ax.plot(series.index, series.to_numpy(), marker="o", label=mpl_text(column))
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
        fig.tight_layout()
    return Figure.from_matplotlib(fig, name, alt, caption)


def strip_figure(frame: pd.DataFrame, x: str, y: str, name: str, alt: str, caption: str) -> Figure | None:
    """Every seed as a dot, per value of ``x`` (categorical)."""
    if frame.empty:
        return None
    plt = _plt()
    with plot_style():
        fig, ax = plt.subplots(figsize=(7, 3.6))
        labels = [str(v) for v in sorted(frame[x].unique(), key=float)]
        for i, label in enumerate(labels):
            values = frame.loc[frame[x].astype(str) == label, y].to_numpy(float)
            ax.scatter(np.full(len(values), i) + np.linspace(-0.12, 0.12, len(values)), values, s=30)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        fig.tight_layout()
    return Figure.from_matplotlib(fig, name, alt, caption)


def bars_figure(counts: pd.DataFrame, colors: dict) -> Figure | None:
    if counts.empty:
        return None
    plt = _plt()
    counts = counts.sort_values("n_params")
    with plot_style():
        fig, ax = plt.subplots(figsize=(8, 0.28 * len(counts) + 1.2))
        ax.barh([mpl_text(c) for c in counts["config"]], counts["n_params"],
                color=[colors.get(str(f), "#7F7F7F") for f in counts["family"]])
        ax.set_xscale("log")
        ax.set_xlabel("learned parameters (log scale)")
        fig.tight_layout()
    return Figure.from_matplotlib(fig, "lecture-params", "Learned parameters per config",
                                  "Median over datasets where a config ran on several; colour = family.")


def modern_figure(frame: pd.DataFrame, datasets, metrics: dict) -> Figure | None:
    """One panel per table: the plain MLP's scores per learning rate and RealMLP's, each seed a dot.

    ``frame``: rows with dataset, model (the x label, in the order to draw) and score.
    """
    if frame.empty or not len(datasets):
        return None
    plt = _plt()
    with plot_style():
        fig, axes = plt.subplots(1, len(datasets), figsize=(3.4 * len(datasets) + 0.6, 3.6), squeeze=False)
        for ax, dataset in zip(axes[0], datasets, strict=True):
            rows = frame[frame["dataset"] == dataset]
            labels = list(dict.fromkeys(rows["model"]))
            for i, label in enumerate(labels):
                values = rows.loc[rows["model"] == label, "score"].to_numpy(float)
                colour = "C1" if label.startswith("RealMLP") else "C0"
                ax.scatter(np.full(len(values), i) + np.linspace(-0.12, 0.12, len(values)), values, s=28, color=colour)
            ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
            ax.set_title(dataset)
            ax.set_ylabel(f"test {metrics[dataset]}")
        fig.tight_layout()
    return Figure.from_matplotlib(
        fig, "lecture-modern", "Test score per learning rate of the plain MLP, and RealMLP at its defaults",
        "Each dot a seed; blue: the plain MLP under each learning rate, orange: RealMLP-TD with its defaults.")
