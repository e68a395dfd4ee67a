"""The lecture's pictures: decision regions over 2-D data, fitted curves over a 1-D truth.

Drawn from the artefacts the workers stored — ``view`` (grid, sample of points, classes or
true curve) and each drawn job's ``grid`` predictions (fold 0, full training size) — so a report
needs no data and no model. One seed is shown: the lowest with predictions (seed 0 in a
default run).
"""

from __future__ import annotations

import textwrap

import numpy as np

from familybench.bench.results.record import Status

from ._format import is_missing, mpl_text, shorten, slug
from ._style import CLASS_COLORS, plot_style
from .sections import Figure

_MAX_POINTS = 800
_LINESTYLES = ("-", "--", "-.", ":")


def _seed_jobs(context, dataset: str) -> tuple[int | None, dict[str, dict]]:
    """The seed drawn and config → (record row, predictions) for that seed's fold-0 full-size job."""
    rows = context.results[(context.results["dataset"] == dataset) & context.results["train_size"].isna()]
    rows = rows[rows["fold"].fillna(0) == 0]
    with_predictions = rows[rows["job_key"].isin(list(context.artefacts("grid")))]
    if with_predictions.empty:
        return None, {}
    seed = int(with_predictions["seed"].min())
    picked = {}
    for _, row in rows[rows["seed"] == seed].iterrows():
        picked[str(row["config"])] = {"row": row, "pred": context.artefacts("grid").get(row["job_key"])}
    return seed, picked


def _style_panel(ax, context, config: str, family, score_text: str):
    color = context.family_color(family)
    for spine in ax.spines.values():
        spine.set_edgecolor(color)
        spine.set_linewidth(2.5)
    ax.set_title(f"{mpl_text(shorten(config, 30))}\n{mpl_text(shorten(family or '?', 20))} · {score_text}",
                 fontsize=10, color="#222222", loc="left")


def _score_text(context, dataset: str, config: str) -> str:
    rows = context.summary[(context.summary["dataset"] == dataset) & (context.summary["config"] == config)]
    if rows.empty or is_missing(rows["mean"].iloc[0]):
        return "no score"
    return f"{rows['metric'].iloc[0]} {rows['mean'].iloc[0]:.3f}"


def _failed_panel(ax, row):
    message = shorten(f"{row['status']}: {row['error'] or ''}", 160)
    ax.text(0.5, 0.5, textwrap.fill(mpl_text(message), 34), ha="center", va="center", fontsize=8,
            color="#B2182B", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def decision_regions_figure(context, dataset: str) -> Figure | None:
    """One panel per config: predicted class (or P(class 1)) over the grid, with the data."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap, to_rgb
    from matplotlib.patches import Patch

    view = context.artefacts("view", "dataset").get(dataset)
    if view is None or "classes" not in view or view["grid"].shape[1] != 2:
        return None
    seed, jobs = _seed_jobs(context, dataset)
    configs = [c for c in context.configs if c in jobs and jobs[c]["row"]["status"] != Status.SKIPPED]
    if not configs:
        return None
    grid, classes = view["grid"], [str(c) for c in view["classes"]]
    side = int(round(np.sqrt(len(grid))))
    if side * side != len(grid):
        return None
    extent = (grid[:, 0].min(), grid[:, 0].max(), grid[:, 1].min(), grid[:, 1].max())
    points, targets = view["points"][:_MAX_POINTS], view["point_targets"][:_MAX_POINTS].astype(int)
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(classes))]
    ncols = min(4, len(configs))
    nrows = int(np.ceil(len(configs) / ncols))
    with plot_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 3.5 * nrows), squeeze=False)
        for ax, config in zip(axes.flat, configs, strict=False):
            ax.grid(False)
            job = jobs[config]
            family = job["row"]["family"]
            pred = job["pred"]
            if pred is None:
                _failed_panel(ax, job["row"])
                _style_panel(ax, context, config, family, "no prediction")
                continue
            if "proba" in pred and len(classes) == 2:
                # P(class 1): how sure the model is, not just which side it picks.
                image = pred["proba"][:, 1].reshape(side, side)
                cmap = ListedColormap(np.linspace(to_rgb(colors[0]), to_rgb(colors[1]), 256))
                ax.imshow(image, extent=extent, origin="lower", cmap=cmap, vmin=0, vmax=1, alpha=0.45,
                          aspect="auto", interpolation="bilinear")
                ax.contour(image, levels=[0.5], extent=extent, origin="lower", colors="black", linewidths=1.2)
            else:
                proba = pred.get("proba")
                labels = np.argmax(proba, axis=1) if proba is not None else pred["labels"].astype(int)
                confidence = proba.max(axis=1) if proba is not None else np.ones(len(labels))
                rgba = np.zeros((len(labels), 4))
                rgba[:, :3] = np.asarray([to_rgb(colors[k % len(colors)]) for k in labels])
                rgba[:, 3] = 0.15 + 0.4 * (confidence - confidence.min()) / max(np.ptp(confidence), 1e-9)
                ax.imshow(rgba.reshape(side, side, 4), extent=extent, origin="lower", aspect="auto")
            ax.scatter(points[:, 0], points[:, 1], c=[colors[t % len(colors)] for t in targets], s=9,
                       edgecolors="white", linewidths=0.3, alpha=0.9)
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
            ax.set_xticks([])
            ax.set_yticks([])
            _style_panel(ax, context, config, family, _score_text(context, dataset, config))
        for ax in list(axes.flat)[len(configs):]:
            ax.set_visible(False)
        fig.tight_layout()
        handles = [Patch(color=colors[i], label=mpl_text(shorten(c, 20))) for i, c in enumerate(classes[:8])]
        fig.legend(handles=handles, title="class", loc="lower center", bbox_to_anchor=(0.5, 1.0),
                   ncol=len(handles), frameon=False)
        columns = ", ".join(str(c) for c in view["columns"])
        return Figure.from_matplotlib(
            fig, f"regions-{slug(dataset)}",
            alt=f"Decision regions of each config on {dataset} (inputs {columns}), seed {seed}, "
            "with the data points.",
            caption=f"Decision regions, seed {seed}: shading is the predicted class"
            + (" (its depth the predicted probability; black line P = 0.5)" if len(classes) == 2 else "")
            + f"; dots are up to {_MAX_POINTS} data points; frame colour = family; score = mean over seeds.",
        )


def fitted_curves_figure(context, dataset: str) -> Figure | None:
    """Every config's fitted curve over the data and, where known, the true function."""
    import matplotlib.pyplot as plt

    view = context.artefacts("view", "dataset").get(dataset)
    if view is None or "classes" in view or view["grid"].shape[1] != 1:
        return None
    seed, jobs = _seed_jobs(context, dataset)
    configs = [c for c in context.configs if c in jobs and jobs[c]["pred"] is not None]
    missing = [c for c in context.configs if c in jobs and jobs[c]["pred"] is None
               and jobs[c]["row"]["status"] != Status.SKIPPED]
    if not configs:
        return None
    x = view["grid"][:, 0]
    points, targets = view["points"][:, 0], view["point_targets"]
    low, high = np.percentile(targets, [0.5, 99.5])
    pad = 0.25 * (high - low or 1.0)
    with plot_style():
        fig, ax = plt.subplots(figsize=(9, 4.6))
        ax.scatter(points, targets, s=7, color="#9A9A9A", alpha=0.45, linewidths=0, label="data", zorder=1)
        if "true_curve" in view:
            ax.plot(x, view["true_curve"], color="black", linewidth=2.2, linestyle=(0, (4, 2)),
                    label="true function", zorder=4)
        used: dict[str, int] = {}
        for config in configs:
            family = jobs[config]["row"]["family"]
            style = _LINESTYLES[used.get(str(family), 0) % len(_LINESTYLES)]
            used[str(family)] = used.get(str(family), 0) + 1
            label = f"{shorten(config, 24)} ({_score_text(context, dataset, config)})"
            ax.plot(x, jobs[config]["pred"]["values"], color=context.family_color(family), linewidth=2,
                    linestyle=style, label=mpl_text(label), zorder=3)
        # Clip to the data: one wild extrapolation should not flatten every other curve.
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(x.min(), x.max())
        ax.set_xlabel(mpl_text(str(view["columns"][0])))
        ax.set_ylabel("target")
        ax.set_title(f"{mpl_text(shorten(dataset, 40))}: fitted curves, seed {seed}", loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if missing:
            ax.text(1.01, 0.0, textwrap.fill(mpl_text("no curve (failed): " + ", ".join(missing)), 30),
                    transform=ax.transAxes, fontsize=8, color="#B2182B", va="bottom")
        fig.tight_layout()
        return Figure.from_matplotlib(
            fig, f"curves-{slug(dataset)}",
            alt=f"Fitted curves of each config on {dataset}, seed {seed}, over the data"
            + (" and the true function." if "true_curve" in view else "."),
            caption=f"Fitted curves, seed {seed}; colour = family, dashed black = the true function "
            "(where known), grey dots = data; the y axis is clipped to the data's range.",
        )
