"""Sections of a tuned run: budget curves, default against tuned, the chosen params.

Budget curves follow Grinsztajn et al. (2022): for each config × dataset × seed × fold,
walk the trials in an order (the default first, then the rest in ``shuffles`` random
orders for random search; trial order for TPE), keep the best trial on validation so far,
and read *its* normalised test score. Curves are averaged over datasets and seeds, drawn
as the median over orders with a 10–90 % band, against the number of trials (truncated to
the smallest trial count of any tuned group, so every point averages the same groups)
and against cumulative recorded fit seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from familybench._samplers import SAMPLERS
from familybench.bench.results.metrics import HIGHER_IS_BETTER, MAIN_METRIC
from familybench.bench.results.record import Role, Status
from familybench.bench.results.select import (
    GROUP,
    NORMALISATION,
    normalised_scores,
    select_best,
    validation_score,
)

from ._format import fmt_number, is_missing, mpl_text, shorten
from ._plots import log_axis
from ._style import plot_style
from .sections import Figure, Section, make_section, paragraph, table_block

_TIME_POINTS = 40


def _orders(n: int, shuffles: int, sampler: str, seed: int) -> list[np.ndarray]:
    if n <= 1 or SAMPLERS[sampler].sequential:
        return [np.arange(n)]
    rng = np.random.default_rng([seed, n])
    return [np.concatenate([[0], 1 + rng.permutation(n - 1)]) for _ in range(shuffles)]


def budget_curves(all_results: pd.DataFrame, settings: dict) -> dict[str, dict]:
    """Per config: ``trials`` (k, median, low, high) and ``seconds`` (t, median, low, high).

    Only full-size rows; each group's trial k is read as "best on validation among the
    first k trials of the order".
    """
    trials = all_results[(all_results["role"] == Role.TRIAL) & all_results["train_size"].isna()].copy()
    if trials.empty:
        return {}
    trials["_valid"] = validation_score(trials)
    trials["_norm"] = normalised_scores(trials, all_results)
    trials["_seconds"] = trials["fit_seconds"].where(trials["fit_seconds"].notna(), trials["job_seconds"]).fillna(0.0)
    shuffles, sampler = int(settings.get("shuffles", 15)), settings.get("sampler", "random")
    seed = int(settings.get("seed", 0))
    groups = {keys: g.sort_values("trial") for keys, g in trials.groupby(GROUP, dropna=False, sort=False)}
    tuned_sizes = [len(g) for g in groups.values() if len(g) > 1]
    horizon = min(tuned_sizes) if tuned_sizes else 1
    n_orders = 1 if SAMPLERS[sampler].sequential else shuffles
    curves: dict[str, dict] = {}
    by_config: dict[str, list] = {}
    for keys, group in groups.items():
        by_config.setdefault(str(keys[0]), []).append(group)
    for config, members in by_config.items():
        per_order = np.full((n_orders, len(members), horizon), np.nan)
        paths = []  # (order index, member, cumulative seconds, value after each trial)
        for m, group in enumerate(members):
            valid = group["_valid"].to_numpy(float)
            norm = group["_norm"].to_numpy(float)
            seconds = group["_seconds"].to_numpy(float)
            for o, order in enumerate(_orders(len(group), shuffles, sampler, seed)[:n_orders]):
                best, values = -np.inf, np.full(len(order), np.nan)
                current = np.nan
                for step, index in enumerate(order):
                    if not np.isnan(valid[index]) and valid[index] > best:
                        best, current = valid[index], norm[index]
                    values[step] = current
                filled = values[:horizon]
                per_order[o, m, : len(filled)] = filled
                if len(filled) < horizon:  # an untuned config: its one trial stands for every k
                    per_order[o, m, len(filled):] = filled[-1] if len(filled) else np.nan
                paths.append((o, m, np.cumsum(seconds[order]), values))
        with np.errstate(all="ignore"), _quiet():
            means = np.nanmean(per_order, axis=1)  # (orders, k): average over datasets × seeds
        curves[config] = {"trials": _bands(np.arange(1, horizon + 1), means),
                          "seconds": _time_bands(paths, n_orders, len(members))}
    return curves


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _bands(x: np.ndarray, values: np.ndarray) -> dict:
    with np.errstate(all="ignore"), _quiet():
        return {"x": x, "median": np.nanmedian(values, axis=0), "low": np.nanquantile(values, 0.1, axis=0),
                "high": np.nanquantile(values, 0.9, axis=0)}


def _time_bands(paths, n_orders: int, n_members: int) -> dict:
    ends = [p[2] for p in paths if len(p[2])]
    if not ends:
        return {"x": np.array([]), "median": np.array([]), "low": np.array([]), "high": np.array([])}
    # From the time every group has finished its first trial: earlier, the average would
    # be over a changing set of groups (the fast datasets only) and jump as others join.
    start = max(max(e[0] for e in ends), 1e-4)
    stop = max(max(e[-1] for e in ends), start * 1.01)
    grid = np.geomspace(start, stop, _TIME_POINTS)
    table = np.full((n_orders, n_members, len(grid)), np.nan)
    for o, m, cumulative, values in paths:
        steps = np.searchsorted(cumulative, grid, side="right") - 1  # last trial finished by t
        defined = steps >= 0
        table[o, m, defined] = values[steps[defined]]
    with np.errstate(all="ignore"), _quiet():
        means = np.nanmean(table, axis=1)
    return _bands(grid, means)


def budget_figure(context, curves: dict) -> Figure | None:
    import matplotlib.pyplot as plt

    if not curves:
        return None
    configs = [c for c in context.configs if c in curves]
    with plot_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for config in configs:
            color = context.family_color(context.config_family(config))
            for ax, key in ((left, "trials"), (right, "seconds")):
                band = curves[config][key]
                if not len(band["x"]):
                    continue
                ax.plot(band["x"], band["median"], color=color, label=mpl_text(config), linewidth=1.8)
                ax.fill_between(band["x"], band["low"], band["high"], color=color, alpha=0.15, linewidth=0)
        left.set_xlabel("trials (default first)")
        left.set_ylabel("normalised test score of the best-on-validation trial")
        right.set_xlabel("cumulative fit seconds")
        right.set_xscale("log")
        log_axis(right.xaxis)
        left.set_title("Against the number of trials", loc="left")
        right.set_title("Against fit time", loc="left")
        handles, labels = left.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False,
                   bbox_to_anchor=(0.5, 1.0))
        fig.tight_layout()
        return Figure.from_matplotlib(
            fig, "budget-curves",
            alt="Normalised test score of the best-on-validation trial against trials and against fit seconds.",
            caption="Median over trial orders (band: 10–90 %), averaged over datasets and seeds. "
                    + NORMALISATION[0].upper() + NORMALISATION[1:] + ".",
        )


def default_vs_tuned(context) -> pd.DataFrame:
    """Per config × dataset: default and tuned mean test score, and the seed-paired gain."""
    tuned = context.results[context.results["train_size"].isna() & (context.results["status"] == Status.OK)]
    default = select_best(context.all_results, trials=context.tune_settings.get("trials"),
                          time_budget=context.tune_settings.get("time_budget"), which="default")
    default = default[default["train_size"].isna() & (default["status"] == Status.OK)]
    rows = []
    for (config, dataset), mine in tuned.groupby(["config", "dataset"], sort=False):
        task = context.tasks.get(str(dataset))
        metric = _main(task)
        if not metric or mine["n_trials"].max() <= 1:
            continue
        base = default[(default["config"] == config) & (default["dataset"] == dataset)]
        paired = mine.merge(base, on=["seed", "fold"], suffixes=("", "_default"))
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        gain = sign * (paired[f"test_{metric}"] - paired[f"test_{metric}_default"])
        chosen = mine.sort_values(["seed", "fold"])
        first = chosen.iloc[0]
        point = first["search_params"]
        point = json.loads(point) if isinstance(point, str) else point
        rows.append({
            "config": config, "dataset": dataset, "metric": metric,
            "default": float(base[f"test_{metric}"].mean()) if len(base) else np.nan,
            "tuned": float(mine[f"test_{metric}"].mean()),
            "gain": float(gain.mean()) if len(gain) else np.nan,
            "gain_std": float(gain.std(ddof=1)) if len(gain) > 1 else np.nan,
            "n_pairs": len(gain),
            "trials": ", ".join(f"{int(t)}" for t in chosen["trial"]),
            "n_trials": int(mine["n_trials"].max()),
            "params": "default" if int(first["trial"]) == 0 or not point else
                      ", ".join(f"{k}={_short(v)}" for k, v in sorted(point.items())),
        })
    return pd.DataFrame(rows, columns=["config", "dataset", "metric", "default", "tuned", "gain", "gain_std",
                                       "n_pairs", "trials", "n_trials", "params"])


def _main(task):
    return MAIN_METRIC.get(task) if task else None


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _sentences(table: pd.DataFrame) -> list[str]:
    out = []
    for config, rows in table.groupby("config", sort=False):
        gains = rows["gain"].dropna()
        if gains.empty:
            continue
        spread = rows["gain_std"].fillna(0.0)
        better = int(((rows["gain"] > spread) & (rows["gain"] > 0)).sum())
        worse = int(((rows["gain"] < -spread) & (rows["gain"] < 0)).sum())
        n = len(gains)
        median = float(gains.median())
        if better and not worse:
            verdict = f"tuning raised {config}'s test score beyond the spread over seeds on {better} of {n} datasets"
        elif worse and not better:
            verdict = (f"tuning lowered {config}'s test score beyond the spread over seeds on {worse} of {n} "
                       "datasets: the validation-chosen trial did not carry over to the test rows")
        elif better and worse:
            verdict = f"tuning helped {config} on {better} and hurt it on {worse} of {n} datasets (beyond the spread)"
        else:
            verdict = f"tuning did not move {config}'s test score beyond the spread over seeds on any of {n} datasets"
        out.append(f"{verdict[0].upper()}{verdict[1:]} (median gain {median:+.3f}).")
    return out


def tuning_sections(context) -> list[Section]:
    settings = context.tune_settings
    curves = budget_curves(context.all_results, settings)
    sampler = settings.get("sampler", "random")
    order = "the default first, then " + (f"the trials in the order {sampler.upper()} asked them"
                                          if SAMPLERS[sampler].sequential
                                          else f"{settings.get('shuffles', 15)} random orders of the other trials")
    intro = paragraph("How much tuning buys, per config: the normalised test score of the trial that is best on "
                      "validation after k trials ({order}), averaged over datasets and seeds.", order=order)
    table = default_vs_tuned(context)
    if table.empty:
        # one trial per config (the defaults, scored on validation to choose between members):
        # no budget curve and no default-against-tuned table to draw, one sentence instead
        return [make_section("Tuning budget", [paragraph(
            "Every config ran one trial, its defaults (scored on validation rows, so that members can be chosen "
            "without test rows): there is no tuning budget to draw and no tuned config to compare with its "
            "default. Run with --tune N for N trials per config.")], level=3)]
    sections = [make_section("Tuning budget", [intro], figures=[budget_figure(context, curves)], level=3)]
    frame = pd.DataFrame({
        "config": table["config"], "dataset": table["dataset"], "metric": table["metric"],
        "default": table["default"].map(fmt_number), "tuned": table["tuned"].map(fmt_number),
        "gain": [("–" if is_missing(g) else f"{g:+.3f}") + ("" if is_missing(s) else f" ± {s:.3f}")
                 for g, s in zip(table["gain"], table["gain_std"], strict=True)],
        "chosen trial per seed": table["trials"] + " of " + table["n_trials"].astype(str),
        "chosen params (lowest seed)": table["params"].map(lambda p: shorten(p, 90)),
    })
    kinds = pd.DataFrame({"gain": ["best" if g > (s if not is_missing(s) else 0) and g > 0 else
                                   ("fail" if g < -(s if not is_missing(s) else 0) and g < 0 else "")
                                   for g, s in zip(table["gain"], table["gain_std"], strict=True)]},
                         index=frame.index)
    # the sentences name configs: user text, a value (escaped), never part of the template
    text = paragraph("Test score of trial 0 (the config's own params) and of the validation-chosen trial, mean "
                     "over seeds; the gain is seed-paired (± its standard deviation over seeds). {verdicts}",
                     verdicts=" ".join(_sentences(table)))
    sections.append(make_section("Default against tuned",
                                 [text, table_block(frame, kinds, numeric=["default", "tuned", "gain"])], level=3))
    return sections
