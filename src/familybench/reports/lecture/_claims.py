"""The lecture's claims as numbers: tables from the results, and one sentence each.

Every sentence is computed from this run's numbers and has more than one outcome; the
functions take plain values so a test can feed contrary results and watch the sentence
flip. Nothing here draws.
"""

from __future__ import annotations

import math
import re
from math import comb

import numpy as np
import pandas as pd

from familybench.bench.results.metrics import MAIN_METRIC
from familybench.bench.results.record import Status

LECTURE_EXAMPLE = {"n": 10**6, "m": 10**3}


def grid_value(config: str, name: str) -> str | None:
    """The value of ``name`` in a grid config label such as ``act[activation=relu]``."""
    match = re.search(rf"[\[,]{re.escape(name)}=([^,\]]+)", config)
    return match.group(1) if match else None


def ok_rows(results: pd.DataFrame, configs=None, datasets=None, *, full_size: bool = True) -> pd.DataFrame:
    rows = results[results["status"] == Status.OK]
    if full_size:
        rows = rows[rows["train_size"].isna()]
    if configs is not None:
        rows = rows[rows["config"].isin(list(configs))]
    if datasets is not None:
        rows = rows[rows["dataset"].isin(list(datasets))]
    return rows


def main_score(rows: pd.DataFrame) -> pd.Series:
    """Each row's test main metric (R², ROC AUC or accuracy by task)."""
    return pd.Series(
        [row[f"test_{MAIN_METRIC[row['task']]}"] for _, row in rows.iterrows()], index=rows.index, dtype=float
    )


def score_matrix(results: pd.DataFrame, configs, datasets) -> pd.DataFrame:
    """Mean test main metric over seeds: configs as rows, datasets as columns."""
    rows = ok_rows(results, configs, datasets)
    if rows.empty:
        return pd.DataFrame(dtype=float)
    rows = rows.assign(score=main_score(rows))
    table = rows.pivot_table(index="config", columns="dataset", values="score", aggfunc="mean")
    return table.reindex(index=[c for c in configs if c in table.index], columns=[d for d in datasets if d in table.columns])


# -- claim 1 -------------------------------------------------------------------------


def linear_gap_sentence(scores: pd.DataFrame, metric: str = "ROC AUC", margin: float = 0.05) -> str:
    """``scores``: rows linear + other families, columns nonlinear datasets."""
    if "linear" not in scores.index or scores.shape[0] < 2 or scores.empty:
        return "Not measured in this run (needs the linear model and another family on the 2-D datasets)."
    others = scores.drop(index="linear")
    gaps = (others.max() - scores.loc["linear"]).dropna()
    behind = gaps[gaps > margin]
    if behind.empty:
        return (
            f"The linear model stays within {margin} {metric} of the best family on every nonlinear dataset "
            f"here ({len(gaps)} of them): on these data a straight boundary was enough."
        )
    worst = behind.idxmax()
    best_config = others[worst].idxmax()
    return (
        f"The linear model trails the best family by more than {margin} {metric} on {len(behind)} of {len(gaps)} "
        f"nonlinear datasets; the widest gap is on {worst} ({scores.loc['linear', worst]:.3f} against "
        f"{best_config}'s {others[worst].max():.3f}): a straight boundary cannot follow these shapes."
    )


# -- claim 2 -------------------------------------------------------------------------


def polynomial_table(results: pd.DataFrame, dims: dict[str, int]) -> pd.DataFrame:
    """Degree × input dimension: formula count, measured features, time, memory, score."""
    rows = []
    poly = results[results["config"].str.startswith("poly_degree[") & results["dataset"].isin(list(dims))]
    for (config, dataset), group in poly.groupby(["config", "dataset"]):
        degree = int(grid_value(config, "degree"))
        d = dims[dataset]
        ok = group[group["status"] == Status.OK]
        rows.append({
            "d": d,
            "degree": degree,
            "formula": comb(d + degree, degree) - 1,
            "features": float(ok["n_params"].median() - 1) if len(ok) else math.nan,
            "fit_seconds": float(ok["fit_seconds"].median()) if len(ok) else math.nan,
            "peak_mb": float(ok["peak_rss_bytes"].median() / 1e6) if len(ok) else math.nan,
            "test_r2": float(ok["test_r2"].mean()) if len(ok) else math.nan,
            "refused": None if len(ok) else str(group["error"].dropna().iloc[0] if group["error"].notna().any() else group["status"].iloc[0]),
        })
    return pd.DataFrame(rows).sort_values(["d", "degree"], ignore_index=True) if rows else pd.DataFrame()


def polynomial_sentence(table: pd.DataFrame) -> str:
    if table.empty:
        return "Not measured in this run (needs the poly_degree configs)."
    done = table[table["refused"].isna()]
    d = int(done["d"].max()) if len(done) else int(table["d"].max())
    at_d = done[done["d"] == d].sort_values("degree")
    parts = []
    if len(at_d) >= 2:
        first, last = at_d.iloc[0], at_d.iloc[-1]
        growth = last["features"] / max(first["features"], 1)
        time_growth = last["fit_seconds"] / max(first["fit_seconds"], 1e-9)
        best = at_d.loc[at_d["test_r2"].idxmax()]
        gain = last["test_r2"] - first["test_r2"]
        parts.append(
            f"With d = {d} inputs, going from degree {int(first['degree'])} to {int(last['degree'])} multiplied the "
            f"features by {growth:,.0f}× ({int(first['features']):,} → {int(last['features']):,}) and fit time by "
            f"{time_growth:,.1f}×, while test R² moved {gain:+.3f}"
        )
        if int(best["degree"]) < int(last["degree"]):
            parts[-1] += f": the best degree was {int(best['degree'])}, beyond it more features cost more and bought less."
        else:
            parts[-1] += f": the highest degree was still the best ({best['test_r2']:.3f})."
    refused = table[table["refused"].notna()].sort_values(["d", "degree"])
    if len(refused):
        first = refused.iloc[0]
        parts.append(
            f"The cap refused degree {int(first['degree'])} at d = {int(first['d'])} "
            f"({int(first['formula']):,} features) before allocating anything."
        )
    else:
        parts.append("No expansion in this run reached the feature cap.")
    return " ".join(parts)


# -- claim 3 -------------------------------------------------------------------------


def collapse_sentence(linear: float, identity: float, relu: float, max_gap: float, tol: float = 0.02) -> str:
    """R² of linear regression, the identity MLP and the ReLU MLP on one dataset."""
    if any(math.isnan(v) for v in (linear, identity)):
        return "Not measured in this run (needs linear and mlp_identity on the same dataset)."
    if abs(identity - linear) <= tol:
        first = (
            f"Without a nonlinearity the two-hidden-layer MLP scores R² {identity:.3f} against linear "
            f"regression's {linear:.3f} (largest prediction gap {max_gap:.3g}): its layers collapse into one linear map."
        )
    else:
        first = (
            f"The identity MLP scores R² {identity:.3f}, not linear regression's {linear:.3f}: it has not "
            f"converged to the least-squares solution here, though it can represent nothing more."
        )
    if math.isnan(relu):
        return first
    if relu > max(identity, linear) + tol:
        return first + f" Adding ReLU changes that: R² {relu:.3f}."
    return first + f" Adding ReLU did not help on this dataset (R² {relu:.3f})."


# -- claim 4 -------------------------------------------------------------------------


def activation_sentence(scores: pd.DataFrame) -> str:
    """``scores``: activations as rows, datasets as columns (mean test score)."""
    if scores.empty or scores.shape[0] < 2:
        return "Not measured in this run (needs the act[activation=...] configs)."
    parts = []
    for dataset in scores.columns:
        column = scores[dataset].dropna()
        parts.append(f"on {dataset} {column.idxmax()} is best ({column.max():.3f}) and {column.idxmin()} worst ({column.min():.3f})")
    text = "Same architecture, same epochs: " + "; ".join(parts) + "."
    if "identity" in scores.index:
        last = [d for d in scores.columns if scores[d].dropna().idxmin() == "identity"]
        if len(last) == scores.shape[1]:
            text += " The identity (no nonlinearity) is last everywhere: the nonlinearity is what gives the power."
        elif last:
            text += f" The identity is last on {', '.join(last)} only."
        else:
            text += " The identity is nowhere last: on these data the choice of nonlinearity mattered less than expected."
    return text


# -- claim 5 -------------------------------------------------------------------------


def handmade_sentence(handmade: float, trained: list[float], target: float = 0.98) -> str:
    parts = []
    if math.isnan(handmade):
        parts.append("The hand-made network was not run.")
    elif handmade == 1.0:
        parts.append("The hand-made network with the lecture's weights classifies noise-free wedge perfectly (100%).")
    else:
        parts.append(f"The hand-made network scores {handmade:.1%} on wedge, not 100%: the data are not the noise-free wedge.")
    if trained:
        hits = sum(a >= target for a in trained)
        best = max(trained)
        verdict = "reaches" if best >= target else "does not reach"
        parts.append(
            f"Trained from scratch, a 2-unit MLP {verdict} {target:.0%} at best ({best:.1%}); "
            f"{hits} of {len(trained)} seeds got there."
        )
    return " ".join(parts)


# -- claim 6 -------------------------------------------------------------------------


def mlp_formula(d: int, hidden, n_out: int = 1) -> int:
    """Σ (n_in + 1) · n_out over the linear layers of a d → hidden → n_out MLP."""
    sizes = [d, *hidden, n_out]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))


def params_sentence(counts: pd.DataFrame) -> str:
    """``counts``: config, n_params, formula (NaN where no formula applies)."""
    n, m = LECTURE_EXAMPLE["n"], LECTURE_EXAMPLE["m"]
    example = f"The lecture's layer with n = 10⁶ inputs and m = 10³ outputs has (n+1)·m = {(n + 1) * m:,} parameters."
    if counts.empty:
        return example
    checked = counts.dropna(subset=["formula"])
    mismatched = checked[checked["n_params"] != checked["formula"]]
    largest = counts.loc[counts["n_params"].idxmax()]
    text = f"The largest model here, {largest['config']}, learns {int(largest['n_params']):,} parameters. "
    if checked.empty:
        text += "No MLP count could be checked against the formula in this run. "
    elif mismatched.empty:
        text += f"All {len(checked)} MLP counts checked equal Σ (n_in+1)·n_out. "
    else:
        text += f"{len(mismatched)} MLP count(s) differ from Σ (n_in+1)·n_out: {', '.join(mismatched['config'])}. "
    return text + example


# -- claim 7 -------------------------------------------------------------------------


def approximation_sentence(errors: pd.DataFrame) -> str:
    """``errors``: widths as rows (ints), datasets as columns (test RMSE)."""
    if errors.empty or errors.shape[0] < 2:
        return "Not measured in this run (needs the width[hidden_layer_sizes=...] configs)."
    parts = []
    for dataset in errors.columns:
        column = errors[dataset].dropna().sort_index()
        if len(column) < 2:
            continue
        first, last = column.iloc[0], column.iloc[-1]
        monotone = bool(np.all(np.diff(column.to_numpy()) <= 1e-9))
        trend = "fell" if last < first else "did not fall"
        shape = "steadily" if monotone else "though not at every step"
        parts.append(f"{dataset}: RMSE {trend} from {first:.3f} at width {column.index[0]} to {last:.3f} at {column.index[-1]} ({shape})")
    return "One hidden layer, growing width — " + "; ".join(parts) + "."


def training_sentence(spread: pd.DataFrame, threshold: float = 0.1) -> str:
    """``spread``: rows per learning rate with columns min, max (test R² over seeds)."""
    if spread.empty:
        return "Not measured in this run (needs the width_lr configs)."
    overall = spread["max"].max() - spread["min"].min()
    best_lr = spread["max"].idxmax()
    worst_seed = (spread["max"] - spread["min"]).idxmax()
    if overall > threshold:
        return (
            f"The same 16-unit network's test R² ranged from {spread['min'].min():.3f} to {spread['max'].max():.3f} "
            f"across learning rates and seeds (best lr {best_lr}; seeds alone moved it by up to "
            f"{(spread['max'] - spread['min']).max():.3f} at lr {worst_seed}): it is hard to train."
        )
    return (
        f"Across learning rates and seeds the test R² stayed within {overall:.3f} ({spread['min'].min():.3f} to "
        f"{spread['max'].max():.3f}): on this task training was not fragile."
    )


# -- claim 8 -------------------------------------------------------------------------


def tabular_sentence(scores: pd.DataFrame, families: dict[str, str]) -> str:
    """``scores``: family configs as rows, real datasets as columns."""
    scores = scores.dropna(axis=1, how="all")
    if scores.empty:
        return "Not measured in this run (needs the families on the real tables)."
    winners = scores.idxmax()
    boosting = [d for d, c in winners.items() if families.get(c) == "boosting"]
    n = scores.shape[1]
    if len(boosting) == n:
        return f"Gradient boosting is best on all {n} real tables."
    if boosting:
        others = ", ".join(f"{winners[d]} on {d}" for d in scores.columns if d not in boosting)
        return f"Gradient boosting is best on {len(boosting)} of {n} real tables ({others} elsewhere)."
    return f"Gradient boosting is best on none of the {n} real tables here: " + ", ".join(
        f"{winners[d]} wins {d}" for d in scores.columns
    ) + "."


def learning_curve_sentence(curves: pd.DataFrame) -> str:
    """``curves``: train sizes as rows, families as columns (mean test score)."""
    if curves.empty or curves.shape[0] < 2:
        return "Not measured in this run (needs the curve configs)."
    small, large = curves.index.min(), curves.index.max()
    gains = (curves.loc[large] - curves.loc[small]).dropna()
    return (
        f"With {small:,} training rows the best family is {curves.loc[small].idxmax()} "
        f"({curves.loc[small].max():.3f}); with {large:,} it is {curves.loc[large].idxmax()} "
        f"({curves.loc[large].max():.3f}). {gains.idxmax()} gains the most from more data "
        f"({gains.max():+.3f}), {gains.idxmin()} the least ({gains.min():+.3f})."
    )


# -- claim 9 -------------------------------------------------------------------------


def modern_mlp_table(plain: pd.DataFrame, modern: pd.DataFrame) -> pd.DataFrame:
    """Per table, the plain MLP over learning rates x seeds against RealMLP at its defaults.

    ``plain``: rows with columns dataset, lr, seed, score, fit_seconds; ``modern``: rows with
    columns dataset, seed, score, fit_seconds (test main metric, higher is better).
    """
    columns = ["plain worst", "plain best lr", "plain at best lr", "plain range", "RealMLP", "RealMLP range",
               "RealMLP − plain best", "fit s (plain)", "fit s (RealMLP)"]
    tables = [d for d in dict.fromkeys(plain["dataset"]) if d in set(modern["dataset"])] if len(plain) and len(modern) else []
    rows = {}
    for dataset in tables:
        p, m = plain[plain["dataset"] == dataset], modern[modern["dataset"] == dataset]
        by_lr = p.groupby("lr")["score"].mean()
        best = by_lr.idxmax()
        rows[dataset] = [p["score"].min(), best, by_lr.max(), p["score"].max() - p["score"].min(), m["score"].mean(),
                         m["score"].max() - m["score"].min(), m["score"].mean() - by_lr.max(),
                         p["fit_seconds"].median(), m["fit_seconds"].median()]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("dataset")


def modern_mlp_sentence(table: pd.DataFrame, n_lrs: int, n_seeds: int, tie: float = 0.005) -> str:
    """The modern counterpoint to "hard to train", from :func:`modern_mlp_table`.

    The plain MLP's best learning rate is picked on the test rows (an upper bound for it); a
    difference within ``tie`` of the main metric counts as a tie.
    """
    if table.empty:
        return "Not measured in this run (needs the mlp_lr and realmlp configs; RealMLP needs familybench[nets])."
    n = len(table)
    diff = table["RealMLP − plain best"]
    ahead, behind = diff[diff > tie], diff[diff < -tie]
    cost = (table["fit s (RealMLP)"] / table["fit s (plain)"]).median()
    opening = (f"On {n} real table{'s' if n > 1 else ''}, the plain MLP's test score moved by up to "
               f"{table['plain range'].max():.3f} across {n_lrs} learning rates × {n_seeds} seed{'s' if n_seeds > 1 else ''}, "
               f"RealMLP's at its defaults by at most {table['RealMLP range'].max():.3f} across seeds. ")

    def listed(part):
        return ", ".join(f"{d} {v:+.3f}" for d, v in part.items())

    if len(ahead) == n:
        verdict = (f"RealMLP, untuned, beat even the plain MLP's best learning rate (picked on the test rows, which "
                   f"flatters it) on all {n} ({listed(ahead)}): with modern defaults the MLP was not hard to train")
    elif len(behind) == n:
        verdict = (f"RealMLP at its defaults stayed below the plain MLP's best learning rate on all {n} "
                   f"({listed(behind)}): here the modern defaults are no counterpoint, though they need no search")
    else:
        level = n - len(ahead) - len(behind)
        parts = ([f"above on {len(ahead)} ({listed(ahead)})"] if len(ahead) else []) + \
                ([f"below on {len(behind)} ({listed(behind)})"] if len(behind) else []) + \
                ([f"level (within {tie}) on {level}"] if level else [])
        verdict = ("Against the plain MLP's best learning rate (picked on the test rows, which flatters it), "
                   "RealMLP at its defaults was " + ", ".join(parts))
    return opening + verdict + f"; each RealMLP fit took {cost:.1f}× the plain MLP's time (median)."
