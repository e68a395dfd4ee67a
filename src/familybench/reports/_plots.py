"""Overview figures: score per config and dataset, size, rescaled scores, learning curves.

Every function takes the :class:`ReportContext` and returns a :class:`Figure` (or None
when there is nothing to draw). Colours come from the family; names pass through
``mpl_text`` (a ``$`` in a name would otherwise start mathtext).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from familybench.bench.results.metrics import MAIN_METRIC
from familybench.bench.results.record import Status

from ._format import fmt_number, is_missing, mpl_text, shorten
from ._style import plot_style
from .sections import Figure

_LABEL_CHARS = 28


def _label(text) -> str:
    return mpl_text(shorten(text, _LABEL_CHARS))


def panel_grid(n_panels: int, ncols: int = 3):
    ncols = max(1, min(ncols, n_panels))
    return ncols, math.ceil(n_panels / ncols)


def log_axis(axis):
    """Plain tick labels (0.01, 0.1, 1) on a log axis; 2 and 5 multiples when it spans a decade or less."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    def plain(value, _):
        return f"{value:,.0f}" if value >= 1 else f"{value:.6f}".rstrip("0")

    low, high = axis.get_view_interval()
    axis.set_major_formatter(FuncFormatter(plain))
    if high / max(low, 1e-12) < 12:
        axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        axis.set_minor_formatter(FuncFormatter(plain))
    else:  # unlabelled minor ticks are invisible in this style, and cost time to lay out
        axis.set_minor_locator(NullLocator())


def _family_legend(fig, context, families, *, y: float = 1.0):
    from matplotlib.lines import Line2D

    families = [f for f in dict.fromkeys(families)]
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=8, color=context.family_color(f),
               label=_label(f or "?"))
        for f in families
    ]
    fig.legend(handles=handles, title="family", loc="lower center", bbox_to_anchor=(0.5, y),
               ncol=min(len(handles), 6), frameon=False)


def scores_figure(context) -> Figure | None:
    """Test score of each config on each dataset: every seed as a dot, mean ± std as a bar."""
    import matplotlib.pyplot as plt

    summary = context.summary
    datasets = [d for d in context.datasets if summary.loc[summary["dataset"] == d, "metric"].astype(bool).any()]
    if not datasets:
        return None
    ok = context.results[context.results["status"] == Status.OK]
    ncols, nrows = panel_grid(len(datasets))
    n_configs = max(1, max(len(summary[summary["dataset"] == d]) for d in datasets))
    height = 0.32 * n_configs + 1.3
    with plot_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, height * nrows), squeeze=False)
        for ax, dataset in zip(axes.flat, datasets, strict=False):
            rows = summary[summary["dataset"] == dataset]
            configs = [c for c in context.configs if c in set(rows["config"])]
            metric = rows["metric"].iloc[0]
            for position, config in enumerate(configs):
                row = rows[rows["config"] == config].iloc[0]
                color = context.family_color(row["family"])
                y = len(configs) - 1 - position
                if row["n_ok"] == 0:
                    status = Status.SKIPPED if row["skipped"] else Status.FAILED
                    ax.text(0.02, y, status.value, transform=ax.get_yaxis_transform(), va="center", fontsize=9,
                            color="#B2182B" if status is Status.FAILED else "#777777", fontstyle="italic")
                    continue
                seeds = ok[(ok["dataset"] == dataset) & (ok["config"] == config)][f"test_{metric}"].dropna()
                jitter = np.linspace(-0.12, 0.12, len(seeds)) if len(seeds) > 1 else np.zeros(len(seeds))
                ax.scatter(seeds, y + jitter, s=14, color=color, alpha=0.45, linewidths=0, zorder=2)
                xerr = None if is_missing(row["std"]) else row["std"]
                ax.errorbar(row["mean"], y, xerr=xerr, fmt="D", color=color, markersize=7, capsize=4,
                            elinewidth=1.8, markeredgecolor="black", markeredgewidth=0.6, zorder=3)
            ax.set_yticks(range(len(configs)), [_label(c) for c in reversed(configs)])
            ax.set_ylim(-0.6, len(configs) - 0.4)
            ax.set_xlabel(f"test {metric}")
            ax.set_title(_label(dataset), loc="left")
            ax.xaxis.set_major_locator(plt.MaxNLocator(5))
        for ax in list(axes.flat)[len(datasets):]:
            ax.set_visible(False)
        fig.tight_layout()
        _family_legend(fig, context, [context.config_family(c) for c in context.configs], y=1.0)
        return Figure.from_matplotlib(
            fig, "scores",
            alt="Test score of every config on every dataset; dots are seeds, diamonds the mean with ± one std.",
            caption="Test score per config and dataset. Dots: single seeds; diamond and bar: mean ± std "
            "over seeds.",
        )


_OFFSETS = ((6, 4), (6, -12), (-6, 4), (-6, -12), (6, 14), (6, -22), (-6, 14), (-6, -22), (0, 24), (0, -30))


def place_labels(ax, xs, ys, labels, fontsize: int = 8):
    """Label points next to them, trying a few offsets until a label overlaps no other label.

    A tiny greedy version of what adjustText does; enough for the handful of configs a
    panel holds (near-equal points, like two configs with the same time and score, would
    otherwise print their names on top of each other).
    """
    renderer = ax.figure.canvas.get_renderer()
    ax.get_xlim(), ax.get_ylim()  # settle autoscaling before reading data → pixel positions
    placed = []
    points = ax.transData.transform(np.column_stack([xs, ys])) if len(xs) else np.empty((0, 2))
    for (x, y), label in zip(zip(xs, ys, strict=True), labels, strict=True):
        for dx, dy in _OFFSETS:
            text = ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                               color="#222222", ha="left" if dx >= 0 else "right", va="center")
            box = text.get_window_extent(renderer).expanded(1.05, 1.15)
            hits_label = any(box.overlaps(other) for other in placed)
            hits_point = any(box.contains(px, py) for px, py in points)
            if not hits_label and not hits_point:
                placed.append(box)
                break
            text.remove()
        else:  # every spot taken: the first one, overlap and all, beats no label
            dx, dy = _OFFSETS[0]
            ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                        color="#222222", va="center")


def params_figure(context) -> Figure | None:
    """Parameter count of each config (log axis): median over datasets, whiskers min–max."""
    import matplotlib.pyplot as plt

    sizes = context.summary[context.summary["n_params"] > 0]
    if sizes.empty:
        return None
    configs = [c for c in context.configs if (sizes["config"] == c).any()]
    with plot_style():
        fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(configs) + 1.2))
        for position, config in enumerate(configs):
            values = sizes.loc[sizes["config"] == config, "n_params"].to_numpy(float)
            median, low, high = np.median(values), values.min(), values.max()
            y = len(configs) - 1 - position
            ax.barh(y, median, color=context.family_color(context.config_family(config)), height=0.6)
            if high > low:
                ax.errorbar(median, y, xerr=[[median - low], [high - median]], color="#333333", capsize=3,
                            linewidth=1)
            ax.text(high * 1.15, y, f"{median:,.0f}", va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_yticks(range(len(configs)), [_label(c) for c in reversed(configs)])
        ax.set_xlabel("learned parameters (log scale)")
        ax.set_xlim(0.8, ax.get_xlim()[1] * 4)  # from 1 parameter; room for the value labels
        log_axis(ax.xaxis)
        ax.set_title("Model size", loc="left")
        fig.tight_layout()
        return Figure.from_matplotlib(
            fig, "parameter-count",
            alt="Number of learned parameters per config on a log axis.",
            caption="Learned parameters per config: bar = median over datasets, whiskers = smallest and largest.",
        )


def normalised_figure(scores: pd.DataFrame, context) -> Figure | None:
    """Heatmap of the rescaled scores (colours clipped to [-1, 1]; numbers exact)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if scores.empty or scores.shape[1] < 2:
        return None
    table = scores.drop(columns="mean").reindex([c for c in context.configs if c in scores.index])
    table = table[[d for d in context.datasets if d in table.columns]]
    annotations = table.map(lambda v: "" if is_missing(v) else fmt_number(v, 2))
    with plot_style():
        fig, ax = plt.subplots(figsize=(1.0 * table.shape[1] + 2.8, 0.45 * table.shape[0] + 1.6))
        with warnings.catch_warnings():  # seaborn 0.13 calls a matplotlib API marked for deprecation
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            sns.heatmap(table.astype(float), ax=ax, cmap="viridis", vmin=0, vmax=1, annot=annotations,
                        fmt="", linewidths=0.5, linecolor="white",
                        cbar_kws={"label": "normalised score", "shrink": 0.8})
        long_names = max(len(str(c)) for c in table.columns) > 9
        ax.set_xticklabels([_label(c) for c in table.columns], rotation=30 if long_names else 0,
                           ha="right" if long_names else "center", rotation_mode="anchor")
        ax.set_yticklabels([_label(c) for c in table.index], rotation=0)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title("Normalised score (best seen = 1, reference level = 0)", loc="left")
        fig.tight_layout()
        return Figure.from_matplotlib(
            fig, "normalised-scores",
            alt="Heatmap of normalised scores, configs by datasets.",
            caption="Normalised score per dataset (mean over seeds); 0 is the 10 % quantile (classification) or "
                    "the median (regression) of all scores on the dataset.",
        )


def learning_curve_figure(context) -> Figure | None:
    """Mean test score against training-set size, when the suite capped training sizes."""
    import matplotlib.pyplot as plt

    results = context.results[context.results["status"] == Status.OK].copy()
    if results["train_size"].nunique(dropna=False) < 2:
        return None
    results["rows"] = results["n_train"]
    datasets = [d for d in context.datasets if context.tasks.get(d)]
    ncols, nrows = panel_grid(len(datasets))
    with plot_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), squeeze=False)
        for ax, dataset in zip(axes.flat, datasets, strict=False):
            metric = MAIN_METRIC[context.tasks[dataset]]
            rows = results[results["dataset"] == dataset]
            for config in context.configs:
                curve = rows[rows["config"] == config].groupby("rows")[f"test_{metric}"].mean()
                if len(curve):
                    ax.plot(curve.index, curve.to_numpy(), marker="o",
                            color=context.family_color(context.config_family(config)), label=_label(config))
            ax.set_xscale("log")
            log_axis(ax.xaxis)
            ax.set_xlabel("training rows (log scale)")
            ax.set_ylabel(f"test {metric}")
            ax.set_title(_label(dataset), loc="left")
            ax.legend(fontsize=7, frameon=False)
        for ax in list(axes.flat)[len(datasets):]:
            ax.set_visible(False)
        fig.tight_layout()
        return Figure.from_matplotlib(
            fig, "learning-curves", alt="Mean test score against the number of training rows, per dataset.",
            caption="Learning curves: mean test score over seeds at each training-set size.",
        )
