"""Report sections of the built-in ``lecture`` suite: one per claim of the lecture.

Each section has a table, a figure and one sentence computed from this run's numbers
(see ``_claims``). A claim whose configs were filtered out of the run says so instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from familybench.bench.results.record import Status

from .._format import fmt_count, fmt_number
from .._statistics import MIN_DATASETS_WILCOXON, compute_statistics
from .._statistics_section import fmt_p, statistics_scores
from ..sections import Section, make_section, paragraph, table_block
from . import _claims as claims
from . import _figures as figures
from . import _names as names
from ._names import CURVES, FRIEDMAN_DIMS, NONLINEAR_2D

#: The producers this report draws on (see familybench.artefacts); a suite naming this
#: report runs them unless it lists its own ``artefacts``.
ARTEFACTS = ("view", "grid", "first_layer")


def _fmt(value, digits=3) -> str:
    """A table cell: counts with thousands separators, other numbers with ``digits`` decimals."""
    return fmt_count(value) if isinstance(value, (int, np.integer)) else fmt_number(value, digits)


def _display(frame: pd.DataFrame, digits=3) -> pd.DataFrame:
    return frame.apply(lambda column: column.map(lambda v: _fmt(v, digits) if not isinstance(v, str) else v))


def _section(title: str, sentence: str, table: pd.DataFrame, figs, *, index=True, note: str = "") -> Section:
    """A claim: its sentence in bold, a note, the table, the figures."""
    blocks = [paragraph("{sentence}", sentence=sentence, strong=True, css_class="claim")]
    if note:
        blocks.append(paragraph("{note}", note=note))
    if not table.empty:
        numeric = [c for c in table.columns if c not in ("refused", "family", "config")]
        blocks.append(table_block(_display(table), numeric=numeric, index=index))
    return make_section(title, blocks, figures=figs)


def claim_linear(context) -> Section:
    scores = claims.score_matrix(context.results, names.FAMILIES, NONLINEAR_2D)
    sentence = claims.linear_gap_sentence(scores)
    fig = figures.regions_figure(context, list(scores.columns), [c for c in names.FAMILIES if c in scores.index])
    return _section("1. Linear models miss nonlinear patterns", sentence, scores.rename_axis("config"), [fig],
                    note="Test ROC AUC, mean over seeds, defaults of each family (untuned).")


def claim_polynomial(context) -> Section:
    table = claims.polynomial_table(context.results, FRIEDMAN_DIMS)
    sentence = claims.polynomial_sentence(table)
    shown = table.rename(columns={"formula": "C(d+k,k)−1", "features": "features made", "peak_mb": "peak MB"})
    if not shown.empty:
        shown["refused"] = shown["refused"].fillna("")
        shown = shown.assign(d=shown["d"].astype(int), degree=shown["degree"].astype(int))
    return _section("2. Polynomial features help, but their number explodes", sentence, shown,
                    [figures.polynomial_figure(table)], index=False,
                    note="friedman1 with d = 5, 10, 20 inputs (5 informative), one seed; Ridge on the expansion.")


def claim_collapse(context) -> Section:
    linear, identity, relu, sine = names.LINEAR, names.MLP_IDENTITY, names.MLP_RELU, names.SINE
    configs = [linear, identity, relu]
    scores = claims.score_matrix(context.results, configs, [sine, names.FRIEDMAN_D10])
    gap = math.nan
    _, lin = figures.first_job(context, linear, sine)
    _, ident = figures.first_job(context, identity, sine)
    if lin and ident and "values" in lin and "values" in ident:
        gap = float(np.max(np.abs(lin["values"] - ident["values"])))
    dataset = names.FRIEDMAN_D10 if names.FRIEDMAN_D10 in scores.columns else (
        scores.columns[0] if len(scores.columns) else None)
    get = lambda c: float(scores.loc[c, dataset]) if dataset and c in scores.index else math.nan  # noqa: E731
    sentence = claims.collapse_sentence(get(linear), get(identity), get(relu), gap)
    fig = figures.curves_figure(context, sine, configs, "lecture-collapse",
                                "Linear regression and the identity MLP draw the same line; ReLU bends it.")
    table = scores.rename_axis("config")
    table[f"max |Δ prediction| vs linear on {sine} grid"] = [0.0 if c == linear else gap if c == identity else math.nan
                                                            for c in table.index]
    return _section("3. Two linear layers collapse into one", sentence, table, [fig], note="Test R², mean over seeds.")


def claim_activations(context) -> Section:
    configs = names.grid_configs(context.configs, names.ACTIVATION_GRID)
    scores = claims.score_matrix(context.results, configs, [names.SPIRALS, names.SINE])
    scores.index = [claims.grid_value(c, "activation") for c in scores.index]
    fit = claims.ok_rows(context.results, configs).groupby("config")["fit_seconds"].median()
    fit.index = [claims.grid_value(c, "activation") for c in fit.index]
    table = scores.rename_axis("activation").assign(**{"fit s (median)": fit.reindex(scores.index)})
    return _section("4. The activation table", claims.activation_sentence(scores), table,
                    [figures.activations_figure(scores)],
                    note="MLP 32-32, lr 0.003, a fixed number of epochs without early stopping, for every activation.")


def claim_handmade(context) -> Section:
    results = context.results
    hand = results[(results["config"] == names.HANDMADE) & (results["status"] == Status.OK)]["test_accuracy"]
    trained = results[(results["config"] == names.TRAINED_WEDGE) & (results["status"] == Status.OK)].sort_values("seed")
    sentence = claims.handmade_sentence(float(hand.mean()) if len(hand) else math.nan, list(trained["test_accuracy"]))
    table = pd.DataFrame(
        [{"model": "hand-made (lecture weights)", "seed": "–", "test accuracy": float(hand.mean()) if len(hand) else math.nan,
          "epochs": "–"}]
        + [{"model": "trained MLP, 2 tanh units", "seed": str(int(r.seed)), "test accuracy": r.test_accuracy,
            "epochs": str(int(r.n_epochs)) if not math.isnan(r.n_epochs) else "–"} for r in trained.itertuples()]
    )
    lines = figures.handmade_lines(context)
    units = ", ".join(f"z{j + 1} = {figures.line_text(w, b)}" for j, (w, b) in enumerate(lines or ()))
    note = (f"{units}, sign activations, a = b1 + b2, class [a < 0]." if lines
            else "Sign activations, a = b1 + b2, class [a < 0] (the hand-made job's weights were not stored).")
    return _section("5. The hand-made network", sentence, table, [figures.wedge_figure(context, lines)], index=False,
                    note=note)


def _formula(context, config: str, dataset: str):
    """Σ (n_in+1)·n_out for an MLP config on an all-numeric dataset, else NaN."""
    models = {m["config"]: m for m in context.suite.get("models", [])}
    spec = models.get(config)
    if not spec or spec.get("model") != "mlp":
        return math.nan
    rows = context.results[(context.results["config"] == config) & (context.results["dataset"] == dataset)]
    d = rows["n_features"].dropna()
    if d.empty or dataset in real_tables(context):  # categoricals are one-hot encoded: d after preprocessing is unknown here
        return math.nan
    hidden = spec.get("params", {}).get("hidden_layer_sizes", [256, 256])
    if rows["task"].dropna().iloc[0] not in ("regression", "binary"):  # one output unit
        return math.nan
    extra = len(hidden) if spec.get("params", {}).get("activation") == "prelu" else 0  # PReLU's slopes
    return claims.mlp_formula(int(d.iloc[0]), hidden, 1) + extra


def claim_params(context) -> Section:
    rows = claims.ok_rows(context.results)
    counts = []
    for (config, dataset), group in rows.groupby(["config", "dataset"]):
        n = float(group["n_params"].median())
        counts.append({"config": config, "dataset": dataset, "family": group["family"].iloc[0], "n_params": n,
                       "formula": _formula(context, config, dataset)})
    counts = pd.DataFrame(counts)
    if counts.empty:
        return _section("6. A fully connected layer has (n+1)·m parameters", claims.params_sentence(counts), counts, [])
    per_config = counts.groupby(["config", "family"], as_index=False)["n_params"].median()
    checked = counts.dropna(subset=["formula"])
    table = per_config.set_index("config").join(
        checked.groupby("config").apply(lambda g: "yes" if (g["n_params"] == g["formula"]).all() else "NO",
                                        include_groups=False).rename("equals Σ(n_in+1)·n_out"))
    table = table.fillna({"equals Σ(n_in+1)·n_out": "–"}).sort_values("n_params")
    table["n_params"] = table["n_params"].astype(int)
    return _section("6. A fully connected layer has (n+1)·m parameters", claims.params_sentence(counts), table,
                    [figures.bars_figure(per_config, context.colors)],
                    note="Median count over the datasets a config ran on (d differs between datasets).")


def claim_approximation(context) -> Section:
    results = context.results
    width_rows = claims.ok_rows(results)[lambda r: r["config"].str.startswith(f"{names.WIDTH_GRID}[")]
    width_rows = width_rows.assign(width=[int(claims.grid_value(c, "hidden_layer_sizes").strip("[] ")) for c in width_rows["config"]])
    errors = width_rows.pivot_table(index="width", columns="dataset", values="test_rmse", aggfunc="mean")
    params = width_rows.groupby("width")["n_params"].median()
    epochs = width_rows.groupby("width")["n_epochs"].median()
    table = errors.assign(params=params, **{"epochs (median)": epochs}).rename_axis("width")
    lr_rows = claims.ok_rows(results)[lambda r: r["config"].str.startswith(f"{names.WIDTH_LR_GRID}[")]
    lr_rows = lr_rows.assign(lr=[claims.grid_value(c, "lr") for c in lr_rows["config"]])
    spread = lr_rows.groupby("lr")["test_r2"].agg(["min", "max"])
    sentence = claims.approximation_sentence(errors) + " " + claims.training_sentence(spread)
    width_configs = names.grid_configs(context.configs, names.WIDTH_GRID)
    figs = [
        figures.lines_figure(errors, "hidden units (log scale)", "test RMSE", "lecture-width",
                             "Test error against the width of one hidden layer",
                             "Mean over seeds. Parameters grow as 3·width + 1.", logx=True),
        figures.curves_figure(context, names.SINE, width_configs, "lecture-width-curves",
                              "One hidden layer of 1 … 256 units fitted to sine1d (seed 0).",
                              labels=[f"width {claims.grid_value(c, 'hidden_layer_sizes').strip('[] ')}" for c in width_configs]),
        figures.strip_figure(lr_rows, "lr", "test_r2", "lecture-lr", "Test R² per learning rate, each seed a dot",
                             "16 hidden units on sine1d: the spread is the sensitivity to seed and learning rate."),
    ]
    return _section("7. Universal approximation, and what it costs", sentence, table, figs,
                    note="Widths on sine1d, runge1d and abs1d (test RMSE, mean over seeds); then 16 units under four learning rates × seeds.")


def real_tables(context) -> list[str]:
    """The suite's real tables (registry kind "real", or a user's file), in the suite's order."""
    from ...datasets import get_dataset_spec

    tables = []
    for entry in context.suite.get("datasets", []):
        loader = entry.get("loader")
        try:
            real = loader == "file" or get_dataset_spec(loader).kind == "real"
        except Exception:  # a dataset this install no longer has: not a table we can vouch for
            real = False
        if real:
            tables.append(entry["name"])
    return tables


def _significance(context, tables: list[str]) -> str:
    """What the Wilcoxon–Holm tests across the tables allow about boosting's lead."""
    scores = statistics_scores(context)
    scores = scores[scores["dataset"].isin(tables) & scores["config"].isin(names.FAMILIES)]
    if scores["dataset"].nunique() < MIN_DATASETS_WILCOXON:
        return (f"With {scores['dataset'].nunique()} tables (fewer than {MIN_DATASETS_WILCOXON}) there are too few "
                "to test whether the lead is significant.")
    stats = compute_statistics(scores.assign(representative=True))
    pairs = stats.pairs[(stats.pairs["family_a"] == "boosting") | (stats.pairs["family_b"] == "boosting")]
    if pairs.empty:
        return "Boosting could not be compared with another family on every table."
    ahead = [f"{r.family_b if r.family_a == 'boosting' else r.family_a} (p = {fmt_p(r.p_holm)})"
             for r in pairs.itertuples() if r.significant and r.ahead == "boosting"]
    behind = [f"{r.family_b if r.family_a == 'boosting' else r.family_a} (p = {fmt_p(r.p_holm)})"
              for r in pairs.itertuples() if r.significant and r.ahead != "boosting"]
    level = [f"{r.family_b if r.family_a == 'boosting' else r.family_a} (p = {fmt_p(r.p_holm)})"
             for r in pairs.itertuples() if not r.significant]
    parts = []
    if ahead:
        parts.append(f"its lead over {', '.join(ahead)} is significant after Holm correction")
    if level:
        parts.append(f"the difference from {', '.join(level)} is not")
    if behind:
        parts.append(f"{', '.join(behind)} is significantly ahead of it")
    n = stats.n_family_datasets
    left_out = stats.dropped[stats.dropped["level"] == "family"] if len(stats.dropped) else stats.dropped
    out = "".join(f" The {r.name} family is left out: {r.reason}." for r in left_out.itertuples())
    return (f"Across {n} tables (Wilcoxon signed-rank on normalised scores, Holm-corrected): "
            + "; ".join(parts) + "." + out)


def claim_tabular(context) -> Section:
    tables = real_tables(context)
    scores = claims.score_matrix(context.results, names.FAMILIES, tables)
    families = {c: context.config_family(c) for c in scores.index}
    rows = context.results[(context.results["status"] == Status.OK) & context.results["config"].isin(list(CURVES))
                           & context.results["train_size"].notna()]
    curves = pd.DataFrame()
    if len(rows):
        rows = rows.assign(score=claims.main_score(rows), family=rows["config"].map(CURVES))
        curves = rows.pivot_table(index="train_size", columns="family", values="score", aggfunc="mean")
        curves.index = curves.index.astype(int)
    sentence = " ".join([claims.tabular_sentence(scores, families), _significance(context, tables),
                         claims.learning_curve_sentence(curves)])
    table = scores.rename_axis("config")
    fig = figures.lines_figure(curves, "training rows (log scale)", "test R² (diamonds)", "lecture-curves",
                               "Learning curves on diamonds", "Mean over seeds; the test set is the same for every size.",
                               logx=True)
    return _section("8. Boosting is strong on tabular data", sentence, table, [fig],
                    note="Test main metric (R² for regression, ROC AUC for binary, accuracy for multiclass tables), "
                         "untuned defaults; the tables are the suite's real datasets (the tabular collection at 3,000 "
                         "rows, breast_cancer, and diamonds subsampled to keep the study within its time budget).")


def claim_modern(context) -> Section:
    rows = claims.ok_rows(context.results)
    plain = rows[rows["config"].str.startswith(f"{names.PLAIN_LR_GRID}[")]
    plain = plain.assign(lr=[float(claims.grid_value(c, "lr")) for c in plain["config"]], score=claims.main_score(plain))
    modern = rows[rows["config"] == names.REALMLP]
    modern = modern.assign(score=claims.main_score(modern))
    table = claims.modern_mlp_table(plain, modern)
    sentence = claims.modern_mlp_sentence(table, n_lrs=plain["lr"].nunique(), n_seeds=plain["seed"].nunique())
    plain = plain.sort_values(["lr", "seed"])
    both = pd.concat([plain.assign(model=[f"mlp lr={lr:g}" for lr in plain["lr"]]),
                      modern.assign(model="RealMLP (defaults)")])
    metrics = {d: claims.MAIN_METRIC[both.loc[both["dataset"] == d, "task"].iloc[0]] for d in table.index}
    figs = [figures.modern_figure(both, list(table.index), metrics)]
    table["plain best lr"] = table["plain best lr"].map(lambda lr: f"{lr:g}")
    return _section("9. Hard to train? A modern MLP at its defaults", sentence, table, figs,
                    note="The plain mlp (two hidden layers of 64, Adam) under four learning rates, and RealMLP-TD "
                         "(Holzmüller et al. 2024, through pytabkit) with its defaults, on the same real tables and "
                         "seeds; test main metric (R², ROC AUC or accuracy), fit seconds per fit (median).")


CLAIMS = (claim_linear, claim_polynomial, claim_collapse, claim_activations, claim_handmade, claim_params,
          claim_approximation, claim_tabular, claim_modern)


def sections(context) -> list[Section]:
    """The lecture study's sections, one per claim, in the lecture's order."""
    intro = make_section("The lecture's claims, measured", [paragraph(
        "Each section below takes one claim of the lecture and shows what this run measured. "
        "The sentence in bold is computed from the numbers, not written in advance.")])
    out = [intro]
    for claim in CLAIMS:
        try:
            out.append(claim(context))
        except Exception as exc:  # one claim's bug must not hide the others
            title = f"{CLAIMS.index(claim) + 1}. {claim.__name__.removeprefix('claim_')} (failed)"
            message = f"{type(exc).__name__}: {exc}"
            out.append(make_section(title, [paragraph("This claim could not be computed: {message}",
                                                      message=message, css_class="fail")]))
    return out
