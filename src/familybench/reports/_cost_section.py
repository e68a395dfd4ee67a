"""The "Quality against cost" section: Elo and Pareto fronts over fit time, predict time and size.

TabArena draws each model's Elo against its median train and inference seconds per 1,000
rows, with a line from default to tuned to tuned + ensembled. Here, per dataset and across
datasets, the models (configs; for a tuned run whose trials kept their predictions, each
config under each protocol) are points coloured by family; the Pareto front is a step
line; hovering a point in ``report.html`` shows its numbers (inline SVG ``<title>``s).
Numbers come from :mod:`familybench.bench.results.tradeoff`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.bench.results.metrics import MAIN_METRIC
from familybench.bench.results.record import Protocol, Status
from familybench.bench.results.tradeoff import COSTS, elo, front_mask, model_points, with_costs

from ._format import fmt_count, fmt_number, mpl_text, shorten
from ._metadata import device_text, machine_text
from ._plots import log_axis, panel_grid, place_labels
from ._protocols_section import LABELS, ORDER, protocol_rows
from ._style import plot_style
from ._tables import full_size_rows
from .sections import Figure, make_section, paragraph, table_block

TITLE = "Quality against cost"
MARKERS = {Protocol.DEFAULT.value: "o", Protocol.TUNED.value: "s", Protocol.ENSEMBLED.value: "D"}
SHORT = {"fit_seconds_per_1k": "fit", "predict_seconds_per_1k": "predict",
         "n_params": "size"}


def cost_rows(context) -> pd.DataFrame:
    """The full-size rows drawn, with costs, ``normalised``, ``protocol`` and ``model`` (the
    config, or "config (protocol)" when several protocols are drawn)."""
    rows = protocol_rows(context)
    if rows.empty:
        rows = full_size_rows(context.results)
        rows = rows[rows["status"] == Status.OK.value]
        rows = rows.assign(normalised=context.normalised.reindex(rows.index),
                           protocol=context.protocol if context.tuned else Protocol.DEFAULT.value)
    rows = with_costs(rows)
    several = rows["protocol"].nunique() > 1
    rows["model"] = [f"{c} ({LABELS[p]})" if several else str(c)
                     for c, p in zip(rows["config"], rows["protocol"], strict=True)]
    return rows.reset_index(drop=True)


def anchor_of(context, models: list[str]) -> str | None:
    """The model rated 1000: the first linear config (the lecture's baseline; under its
    defaults when protocols are drawn), else none (the ratings average 1000)."""
    for config in context.configs:
        if context.config_family(config) == "linear":
            for name in (config, f"{config} ({LABELS[Protocol.DEFAULT.value]})"):
                if name in models:
                    return name
    return None


def model_table(context, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per model: family, config, protocol, Elo and interval (from 2 datasets), mean
    normalised score, and each cost (median over its rows); ``on_front`` names the costs on
    whose front it is."""
    keys = ["model", "config", "protocol"]
    table = model_points(rows, "fit_seconds_per_1k", "normalised", by=keys)
    for cost in ("predict_seconds_per_1k", "n_params"):
        table[cost] = model_points(rows, cost, "normalised", by=keys)[cost].to_numpy()
    if rows["dataset"].nunique() >= 2 and table["model"].nunique() >= 2:
        models = list(table["model"])
        rated = elo(rows, by="model", anchor=anchor_of(context, models)).set_index("model")
        table = table.join(rated[["elo", "elo_low", "elo_high", "win_rate"]], on="model")
    per_dataset = rows.groupby(["model", "dataset"])["normalised"].mean().unstack("dataset")
    ranks = per_dataset.rank(ascending=False, na_option="bottom").mean(axis=1)  # no score: last there
    table["mean_rank"] = table["model"].map(ranks)
    quality = "elo" if "elo" in table else "normalised"
    fronts = {cost: front_mask(table[cost].to_numpy(float), table[quality].to_numpy(float)) for cost in COSTS}
    table["on_front"] = [", ".join(SHORT[c] for c in COSTS if fronts[c][i]) for i in range(len(table))]
    return table.sort_values(quality, ascending=False, ignore_index=True)


def _tooltip(row, dataset: str | None = None, score: str | None = None) -> str:
    lines = [f"{row['model']}", f"family: {row['family']}"]
    if dataset is not None:
        lines.insert(0, f"dataset: {dataset}")
    if score is not None:
        lines.append(score)
    if "elo" in row and pd.notna(row.get("elo")):
        interval = ("the anchor" if row["elo_low"] == row["elo_high"]
                    else f"95 % interval {row['elo_low']:.0f}–{row['elo_high']:.0f}")
        lines.append(f"Elo {row['elo']:.0f} ({interval})")
    if pd.notna(row.get("normalised")):
        lines.append(f"mean normalised score {row['normalised']:.3f}")
    lines.append(f"fit {fmt_number(row['fit_seconds_per_1k'], 3)} s per 1,000 training rows")
    lines.append(f"predict {fmt_number(row['predict_seconds_per_1k'], 4)} s per 1,000 rows")
    if pd.notna(row.get("n_params")):
        lines.append(f"{fmt_count(row['n_params'])} learned parameters")
    return "\n".join(lines)


def _clip_low(ax, y: np.ndarray) -> None:
    """Keep a score far below the rest (an R² of −4 beside 0.6–0.9) from flattening the
    panel: points more than ten times the upper half's range below the median fall off the
    axis, which says how many (their numbers are in the tables and the hover texts)."""
    median, top = float(np.median(y)), float(np.max(y))
    floor = median - 10 * max(top - median, 1e-9)
    below = int((y < floor).sum())
    if below:
        low = float(y[y >= floor].min())
        pad = 0.14 * max(top - low, 1e-9)
        ax.set_ylim(low - pad, top + pad)
        ax.annotate(f"{below} below ↓", (0.01, 0.02), xycoords="axes fraction", fontsize=7, color="#B2182B")


def _draw_panel(ax, context, points: pd.DataFrame, cost: str, quality: str, tips: dict, prefix: str,
                *, label: bool, dataset: str | None = None, score_text=None, clip_low: bool = False):
    """One panel: protocol lines, the front as a step line, one point per model with a gid."""
    usable = points[np.isfinite(points[cost].astype(float)) & np.isfinite(points[quality].astype(float))
                    & (points[cost].astype(float) > 0)].reset_index(drop=True)
    if usable.empty:
        ax.set_visible(False)
        return
    x, y = usable[cost].to_numpy(float), usable[quality].to_numpy(float)
    for _, group in usable.groupby("config", sort=False):  # default -> tuned -> ensembled
        if len(group) > 1:
            group = group.sort_values("protocol", key=lambda p: p.map(ORDER.index))
            ax.plot(group[cost], group[quality], color=context.family_color(group["family"].iloc[0]),
                    linewidth=1.1, alpha=0.6, zorder=2)
    front = front_mask(x, y)
    order = np.argsort(x[front])
    ax.step(x[front][order], y[front][order], where="post", color="#333333", linewidth=1.1, linestyle="--",
            zorder=1)
    shapes = usable["protocol"].nunique() > 1  # one protocol: plain dots
    for i, row in usable.iterrows():
        gid = f"{prefix}-{i}"
        marker = MARKERS.get(row["protocol"], "o") if shapes else "o"
        ax.scatter(x[i], y[i], s=85 if front[i] else 45, marker=marker, zorder=3,
                   color=context.family_color(row["family"]), edgecolors="black" if front[i] else "white",
                   linewidths=1.3 if front[i] else 0.6, gid=gid)
        tips[gid] = _tooltip(row, dataset, score_text(row) if score_text else None)
    ax.set_xscale("log")
    ax.margins(x=0.2, y=0.14)
    log_axis(ax.xaxis)
    if clip_low:
        _clip_low(ax, y)
    if label:  # the front's models (all of them when few), one label per spot
        spots: dict[tuple[float, float], list[str]] = {}
        for i in range(len(usable)):
            if front[i] or len(usable) <= 6:
                spots.setdefault((x[i], y[i]), []).append(str(usable["model"][i]))
        names = [_joined(models) for models in spots.values()]
        xs, ys = np.array([p[0] for p in spots]), np.array([p[1] for p in spots])
        return ax, xs, ys, [mpl_text(shorten(n, 30)) for n in names]
    return None


def _joined(models: list[str]) -> str:
    """"catboost (default)", "catboost (tuned)" at one spot -> "catboost (default, tuned)"."""
    if len(models) == 1:
        return models[0]
    stems = {m.split(" (")[0] for m in models}
    if len(stems) == 1 and all(" (" in m for m in models):
        return f"{stems.pop()} ({', '.join(m.split(' (', 1)[1].rstrip(')') for m in models)})"
    return " / ".join(models)


def _legend(fig, context, points: pd.DataFrame, y: float):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, color=context.family_color(f),
                      label=mpl_text(str(f))) for f in dict.fromkeys(points["family"])]
    protocols = [p for p in ORDER if p in set(points["protocol"])]
    if len(protocols) > 1:
        handles += [Line2D([], [], marker=MARKERS[p], linestyle="", markersize=7, color="#777777",
                           label=LABELS[p]) for p in protocols]
    handles.append(Line2D([], [], color="#333333", linestyle="--", label="Pareto front"))
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, y), ncol=min(len(handles), 7),
               frameon=False)


def aggregate_figure(context, table: pd.DataFrame, note: str = "") -> Figure | None:
    """Across datasets: Elo (or mean normalised score) against each cost, log x axes."""
    import matplotlib.pyplot as plt

    quality = "elo" if "elo" in table else "normalised"
    tips: dict[str, str] = {}
    with plot_style():
        fig, axes = plt.subplots(1, 3, figsize=(14.5, 4.4), squeeze=False)
        labels = []
        for k, (ax, cost) in enumerate(zip(axes.flat, COSTS, strict=True)):
            placed = _draw_panel(ax, context, table, cost, quality, tips, f"agg{k}", label=True)
            ax.set_xlabel(f"{COSTS[cost]} (median, log scale)")
            ax.set_ylabel("Elo" if quality == "elo" else "mean normalised score")
            if placed:
                labels.append(placed)
        fig.tight_layout()
        for args in labels:
            place_labels(*args)
        _legend(fig, context, table, y=1.0)
        what = "Elo across datasets" if quality == "elo" else "mean normalised score"
        return Figure.from_matplotlib(
            fig, "quality-vs-cost", tooltips=tips,
            alt=f"{what.capitalize()} of each model against its median fit time per 1,000 training rows, "
                "predict time per 1,000 rows and parameter count, log x axes; Pareto-optimal models ringed.",
            caption=f"{what.capitalize()} against cost (log axes). Ringed points joined by the dashed step line "
                    "form the Pareto front: no other model is both cheaper and better. Lines join one config's "
                    "protocols. Hover a point in report.html for its numbers. " + note)


def dataset_figure(context, rows: pd.DataFrame, note: str = "") -> Figure | None:
    """Per dataset: mean test score against median fit time per 1,000 training rows."""
    import matplotlib.pyplot as plt

    datasets = [d for d in context.datasets if (rows["dataset"] == d).any()]
    if not datasets:
        return None
    tips: dict[str, str] = {}
    ncols, nrows = panel_grid(len(datasets))
    with plot_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
        labels = []
        for k, (ax, dataset) in enumerate(zip(axes.flat, datasets, strict=False)):
            part = rows[rows["dataset"] == dataset]
            metric = MAIN_METRIC[part["task"].dropna().iloc[0]]
            part = part.assign(score=pd.to_numeric(part[f"test_{metric}"], errors="coerce"))
            keys = ["model", "config", "protocol"]
            points = model_points(part, "fit_seconds_per_1k", "score", by=keys)
            for cost in ("predict_seconds_per_1k", "n_params"):
                points[cost] = model_points(part, cost, "score", by=keys)[cost].to_numpy()
            points["normalised"] = part.groupby(keys, dropna=False, sort=False)["normalised"].mean().to_numpy()
            spread = part.groupby("model")["score"].std()

            def score_text(row, metric=metric, spread=spread):
                sd = spread.get(row["model"])
                return f"test {metric} {row['score']:.4f}" + (f" ± {sd:.4f}" if pd.notna(sd) else "")

            placed = _draw_panel(ax, context, points, "fit_seconds_per_1k", "score", tips, f"ds{k}", label=True,
                                 dataset=dataset, score_text=score_text, clip_low=True)
            ax.set_xlabel("fit s per 1,000 training rows (log)")
            ax.set_ylabel(f"test {metric}")
            ax.set_title(mpl_text(shorten(dataset, 24)), loc="left")
            if placed:
                labels.append(placed)
        for ax in list(axes.flat)[len(datasets):]:
            ax.set_visible(False)
        fig.tight_layout()
        for args in labels:
            place_labels(*args)
        _legend(fig, context, rows.drop_duplicates("model"), y=1.0)
        return Figure.from_matplotlib(
            fig, "score-vs-fit-time", tooltips=tips,
            alt="Mean test score against median fit time per 1,000 training rows, per dataset, log time axis; "
                "Pareto-optimal models ringed.",
            caption="Per dataset: score against fit time per 1,000 training rows (log axis), the Pareto front "
                    "dashed. Hover a point in report.html for its numbers. " + note)


def _model_block(table: pd.DataFrame):
    quality = "elo" if "elo" in table else "normalised"
    shown = table.copy()
    frame = pd.DataFrame({
        "model": shown["model"], "family": shown["family"].fillna("?"),
        **({"Elo": shown["elo"].map(lambda v: f"{v:.0f}"),
            "95 % interval": ["anchor" if lo == hi else f"{lo:.0f}–{hi:.0f}"
                              for lo, hi in zip(shown["elo_low"], shown["elo_high"], strict=True)],
            "win rate": shown["win_rate"].map(lambda v: f"{v:.0%}")}
           if quality == "elo" else {}),
        "mean rank": shown["mean_rank"].map(lambda v: fmt_number(v, 2)),
        "normalised": shown["normalised"].map(lambda v: fmt_number(v, 3)),
        "fit s / 1k rows": shown["fit_seconds_per_1k"].map(lambda v: fmt_number(v, 3)),
        "predict s / 1k rows": shown["predict_seconds_per_1k"].map(lambda v: fmt_number(v, 4)),
        "params": shown["n_params"].map(fmt_count),
        "on the front of": shown["on_front"],
    })
    return table_block(frame.reset_index(drop=True), numeric=[c for c in frame.columns
                                                              if c not in ("model", "family", "on the front of")])


def timing_note(context, rows: pd.DataFrame) -> str:
    devices = sorted({str(d) for d in rows.get("device", pd.Series(dtype=object)).dropna()})
    text = f"Times were measured on {machine_text(context.meta)}; {device_text(context.suite, context.meta)}"
    if devices:
        text += f"; jobs ran on {', '.join(devices)}"
    return text + ". They compare models within this run, not across machines."


def cost_section(context, *, level: int = 3) -> tuple[object | None, pd.DataFrame]:
    """The section and the model table it shows (the verdict reads the same table)."""
    rows = cost_rows(context)
    if rows.empty or rows["fit_seconds_per_1k"].notna().sum() == 0:
        return None, pd.DataFrame()
    table = model_table(context, rows)
    n_datasets = rows["dataset"].nunique()
    anchor = anchor_of(context, list(table["model"]))
    intro = ("Each model's quality against what it costs: fit seconds per 1,000 training rows, predict seconds per "
             "1,000 rows and learned parameters (medians over its jobs). ")
    if "elo" in table:
        intro += ("Across datasets quality is Elo, as TabArena computes it: per dataset every pair of models plays "
                  "one battle won by the better mean score; a Bradley–Terry fit puts the outcomes on the 400-point "
                  "scale, " + (f"{anchor} rated 1000" if anchor else "the ratings averaging 1000")
                  + f"; the interval is the 2.5–97.5 % range over {100} bootstrap resamples of the "
                  f"{n_datasets} datasets.")
    else:
        intro += ("With one dataset, quality is the mean normalised score over the splits (Elo needs at least two "
                  "datasets).")
    note = timing_note(context, rows)
    blocks = [paragraph("{intro}", intro=intro), paragraph("{note}", note=note)]
    blocks.append(paragraph(
        "Every model, best first: win rate is the share of its battles won (ties count half), mean rank is per "
        "dataset by mean normalised score (1 = best), costs are medians; the last column names the costs on "
        "whose Pareto front it is (no other model is both cheaper and better there)."))
    blocks.append(_model_block(table))
    figures = [f for f in (aggregate_figure(context, table, note),
                           dataset_figure(context, rows, note) if n_datasets >= 2 else None) if f is not None]
    return make_section(TITLE, blocks, figures=figures, level=level), table
