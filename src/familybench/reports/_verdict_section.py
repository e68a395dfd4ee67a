"""The verdict: the report's first block, what a user can act on, every sentence from the run.

Four lines: the best family and the best single config on quality (Elo with its interval
across datasets, or the mean score over repeated splits of one dataset) and whether each
lead is significant; the best config within a cost (the user's limits, or by default within
10× the fastest fit); and what a portfolio ensemble of every family adds. Significance
comes from the same tests as the statistics section (Wilcoxon–Holm between families from 8
datasets, Friedman + Nemenyi between configs from 5); with one dataset, from Nadeau and
Bengio's corrected resampled t-test over the paired splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.bench.results.members import has_members
from familybench.bench.results.metrics import MAIN_METRIC
from familybench.bench.results.record import Status
from familybench.bench.results.select import normalised_scores
from familybench.bench.results.tradeoff import elo, model_points, with_costs

from ._cost_section import anchor_of
from ._format import fmt_number, html_text, md_text
from ._protocols_section import gain_phrase, protocol_rows, score_reference
from ._statistics import ALPHA, MIN_DATASETS_FRIEDMAN, MIN_DATASETS_WILCOXON, corrected_ttest
from ._statistics_section import context_members, context_statistics, fmt_p
from ._tables import full_size_rows
from .sections import Block, Section, make_section, plural

TITLE = "Verdict"
DEFAULT_FIT_FACTOR = 10.0


def _rows(context, level: str) -> pd.DataFrame:
    """The report's full-size, finished rows with ``normalised``; at ``level="family"`` the
    member chosen on validation stands for its family (``config`` = the family)."""
    if level == "family":
        rows = context_members(context).rows
    else:
        rows = full_size_rows(context.results)
    rows = rows[rows["status"] != Status.SKIPPED.value]
    return rows.assign(normalised=context.normalised.reindex(rows.index).to_numpy())


def _main_metric(rows: pd.DataFrame) -> str:
    return MAIN_METRIC[rows["task"].dropna().iloc[0]]


def _ranking(context, rows: pd.DataFrame) -> pd.DataFrame:
    """Units best first: ``unit``, ``quality`` (Elo across datasets, or the mean test score
    of one dataset), ``low``/``high`` (Elo interval), ``n``; computed once per set of units."""
    key = ("ranking", tuple(sorted(rows["config"].astype(str).unique())), len(rows))
    if key not in context._derived:
        context._derived[key] = _compute_ranking(context, rows)
    return context._derived[key]


def _compute_ranking(context, rows: pd.DataFrame) -> pd.DataFrame:
    if rows["dataset"].nunique() >= 2 and rows["config"].nunique() < 2:  # one unit: no battles to rate
        means = rows.groupby(rows["config"].astype(str))["normalised"].agg(["mean", "count"])
        return pd.DataFrame({"unit": means.index, "quality": means["mean"].to_numpy(), "low": np.nan,
                             "high": np.nan, "n": rows["dataset"].nunique(), "kind": "normalised"})
    if rows["dataset"].nunique() >= 2:
        units = list(dict.fromkeys(rows["config"].astype(str)))
        rated = elo(rows.assign(config=rows["config"].astype(str)), by="config",
                    anchor=anchor_of(context, units) if rows["config"].isin(context.configs).all() else None)
        return pd.DataFrame({"unit": rated["config"], "quality": rated["elo"], "low": rated["elo_low"],
                             "high": rated["elo_high"], "n": rated["n_datasets"], "kind": "elo"})
    metric = _main_metric(rows)
    score = pd.to_numeric(rows[f"test_{metric}"], errors="coerce").where(rows["status"] == Status.OK.value)
    means = score.groupby(rows["config"].astype(str)).agg(["mean", "count"]).sort_values("mean", ascending=False)
    return pd.DataFrame({"unit": means.index, "quality": means["mean"].to_numpy(), "low": np.nan, "high": np.nan,
                         "n": means["count"].to_numpy(), "kind": "score"})


def _quality_text(rows: pd.DataFrame, ranking: pd.DataFrame, i: int, *, interval: bool = True) -> str:
    r = ranking.iloc[i]
    if r["kind"] == "normalised":
        return f"mean normalised score {r['quality']:.3f}"
    if r["kind"] == "elo":
        if not interval or pd.isna(r["low"]):
            interval = ""
        elif r["low"] == r["high"] == r["quality"]:  # the anchor: fixed at 1000 in every resample
            interval = " (the anchor)"
        else:
            interval = f" (95 % interval {r['low']:.0f}–{r['high']:.0f})"
        return f"Elo {r['quality']:.0f}{interval}"
    return f"test {_main_metric(rows)} {r['quality']:.4f}"


def _split_test(rows: pd.DataFrame, first: str, second: str) -> str:
    """One dataset: the corrected resampled t-test over the splits both ran."""
    metric = _main_metric(rows)
    scores = rows.assign(score=pd.to_numeric(rows[f"test_{metric}"], errors="coerce")).pivot_table(
        index=["seed", "fold"], columns="config", values="score", aggfunc="mean")
    pairs = scores.reindex(columns=[first, second]).dropna()
    if len(pairs) < 3:
        return (f"with {len(pairs)} split{'s' if len(pairs) != 1 else ''} nothing can be judged significant "
                "(more seeds or folds give the paired test its splits)")
    n_train = pd.to_numeric(rows["n_train"], errors="coerce") + pd.to_numeric(
        rows.get("n_valid", 0), errors="coerce").fillna(0)
    ratio = float((pd.to_numeric(rows["n_test"], errors="coerce") / n_train).median())
    _, p = corrected_ttest(pairs[first] - pairs[second], ratio)
    verdict = "significant" if p < ALPHA else "not significant"
    return (f"the lead is {verdict} (corrected resampled t-test over {len(pairs)} paired splits, "
            f"p = {fmt_p(p)})")


def _family_significance(context, rows, first: str, second: str) -> str:
    n = rows["dataset"].nunique()
    if n < 2:
        return _split_test(rows, first, second)
    stats = context_statistics(context)
    pairs = stats.pairs if stats is not None else pd.DataFrame()
    if not pairs.empty:
        match = pairs[((pairs["family_a"] == first) & (pairs["family_b"] == second))
                      | ((pairs["family_a"] == second) & (pairs["family_b"] == first))]
        if len(match):
            p = float(match["p_holm"].iloc[0])
            verdict = "significant" if p < ALPHA else "not significant"
            return f"the lead is {verdict} (Wilcoxon signed-rank over datasets, Holm-corrected p = {fmt_p(p)})"
    return (f"with {n} datasets (fewer than {MIN_DATASETS_WILCOXON}) there are too few to test whether the lead "
            "is significant")


def _config_significance(context, rows, first: str, second: str) -> str:
    n = rows["dataset"].nunique()
    if n < 2:
        return _split_test(rows, first, second)
    stats = context_statistics(context)
    if stats is None or stats.nemenyi is None or first not in stats.nemenyi.index or second not in stats.nemenyi:
        return (f"with {n} datasets (fewer than {MIN_DATASETS_FRIEDMAN}, or too few configs) there are too few to "
                "test whether the lead is significant")
    if not stats.friedman_p < ALPHA:
        return f"no significant difference among the configs (Friedman p = {fmt_p(stats.friedman_p)})"
    p = float(stats.nemenyi.loc[first, second])
    verdict = "significant" if p < ALPHA else "not significant"
    return f"the lead is {verdict} (Nemenyi p = {fmt_p(p)})"


def best_line(context, level: str) -> tuple[str, str] | None:
    rows = _rows(context, level)
    if rows.empty or rows["config"].nunique() < 1 or rows["task"].dropna().empty:
        return None
    ranking = _ranking(context, rows)
    if ranking.empty or not np.isfinite(ranking["quality"].iloc[0]):
        return None
    label = "Best family" if level == "family" else "Best config"
    first = ranking["unit"].iloc[0]
    family_name = context.config_family(first) if level == "config" else None
    family = f" ({family_name or '?'})" if level == "config" and family_name != first else ""
    text = f"{first}{family} — {_quality_text(rows, ranking, 0)}"
    if rows["dataset"].nunique() >= 2:
        text += f" over {plural(int(ranking['n'].iloc[0]), 'dataset')}"
    else:
        text += f", mean over {plural(int(ranking['n'].iloc[0]), 'split')}"
    if len(ranking) < 2:
        return label, text + "; nothing to compare it with."
    second = ranking["unit"].iloc[1]
    if not np.isfinite(ranking["quality"].iloc[1]):
        return label, f"{text}; the others have no score to compare with ({', '.join(ranking['unit'].iloc[1:])})."
    significance = (_family_significance if level == "family" else _config_significance)(context, rows, first, second)
    return label, f"{text}, ahead of {second} ({_quality_text(rows, ranking, 1, interval=False)}); {significance}."


def _limits(context, points: pd.DataFrame) -> tuple[pd.Series, str]:
    """Which configs stay within the cost limits, and the limits in words."""
    fit_limit = context.cost_limits.get("max_fit_seconds_per_1k")
    predict_limit = context.cost_limits.get("max_predict_ms_per_row")
    fit, predict = points["fit_seconds_per_1k"], points["predict_seconds_per_1k"]
    if fit_limit is None and predict_limit is None:
        fastest = fit.idxmin()
        fit_limit = DEFAULT_FIT_FACTOR * fit[fastest]
        words = (f"within {DEFAULT_FIT_FACTOR:.0f}× the fastest fit ({points.loc[fastest, 'config']}: "
                 f"{fmt_number(fit[fastest], 3)} s per 1,000 training rows)")
        return fit <= fit_limit, words
    inside = pd.Series(True, index=points.index)
    parts = []
    if fit_limit is not None:
        inside &= fit <= fit_limit
        parts.append(f"fit ≤ {fmt_number(fit_limit, 4)} s per 1,000 training rows")
    if predict_limit is not None:  # seconds per 1,000 rows = milliseconds per row
        inside &= predict <= predict_limit
        parts.append(f"predict ≤ {fmt_number(predict_limit, 4)} ms per row")
    return inside, "within " + " and ".join(parts)


def cost_line(context) -> tuple[str, str] | None:
    rows = _rows(context, "config")
    rows = with_costs(rows[rows["status"] == Status.OK.value])
    if rows.empty or rows["fit_seconds_per_1k"].notna().sum() == 0:
        return None
    ranking = _ranking(context, _rows(context, "config")).set_index("unit")
    points = model_points(rows, "fit_seconds_per_1k", "normalised", by="config")
    points["predict_seconds_per_1k"] = model_points(rows, "predict_seconds_per_1k", "normalised",
                                                    by="config")["predict_seconds_per_1k"].to_numpy()
    points = points[points["fit_seconds_per_1k"].notna()].set_index(points["config"].astype(str))
    points["quality"] = ranking["quality"].reindex(points.index)
    inside, words = _limits(context, points)
    best_overall = points["quality"].idxmax()
    label = "Best within cost"
    if not inside.any():
        cheapest = points["fit_seconds_per_1k"].idxmin()
        return label, (f"no config stays {words}; the cheapest to fit is {cheapest} "
                       f"({fmt_number(points.loc[cheapest, 'fit_seconds_per_1k'], 3)} s per 1,000 training rows).")
    best = points.loc[inside, "quality"].idxmax()
    quality = _quality_text(rows, ranking.reset_index(), list(ranking.index).index(best))
    text = (f"{words}: {best} — {quality}, fit {fmt_number(points.loc[best, 'fit_seconds_per_1k'], 3)} s per "
            f"1,000 training rows, predict {fmt_number(points.loc[best, 'predict_seconds_per_1k'], 4)} ms per row")
    if best == best_overall:
        return label, text + "; it is also the best overall."
    times = points.loc[best_overall, "fit_seconds_per_1k"] / points["fit_seconds_per_1k"].min()
    return label, (text + f"; {best_overall}, the best overall, fits in "
                   f"{fmt_number(points.loc[best_overall, 'fit_seconds_per_1k'], 3)} s per 1,000 training rows "
                   f"({times:,.0f}× the fastest).")


def portfolio_line(context) -> tuple[str, str]:
    label = "Portfolio"
    if context.all_results["family"].dropna().nunique() < 2:
        return label, "only one family ran: nothing to combine."
    portfolio = context.ensembles("portfolio") if context.tuned else pd.DataFrame()
    if portfolio.empty:
        if not context.tuned:
            why = ("this run has no validation predictions to weight an ensemble on (untuned runs fit on all "
                   "training rows); a run with [tune], or familybench run --data FILE --target Y alone, keeps them")
        else:
            why = "this run kept no trial predictions (predictions = false, or a store from before they were kept)"
        return label, f"not computed: {why}."
    # the Protocols section's scale (trials and every ensemble) where that section is shown,
    # else the tables' (every stored row; an ensemble beyond the best single model scores above 1)
    reference = score_reference(context) if not protocol_rows(context).empty else context.all_results
    ensemble = full_size_rows(portfolio)
    ensemble_score = float(normalised_scores(ensemble, reference).mean())
    rows = full_size_rows(context.results)
    rows = rows[rows["status"] == Status.OK.value]
    scores = normalised_scores(rows, reference).groupby(rows["config"].astype(str)).mean()
    ranking = _ranking(context, _rows(context, "config"))
    best = next((u for u in ranking["unit"] if u in scores.index), scores.idxmax())  # the best config above
    best_score = float(scores[best])
    change = ensemble_score - best_score
    how = gain_phrase(
        change, gain=f"{change:+.3f} over {best}, the best config, alone ({best_score:.3f})",
        same=f"the same as {best}, the best config, alone ({best_score:.3f}): combining families adds nothing here",
        loss=f"{-change:.3f} below {best}, the best config, alone ({best_score:.3f}): its validation-chosen "
             "weights did not carry over")
    fit = pd.to_numeric(ensemble["fit_seconds"], errors="coerce").median()
    best_fit = pd.to_numeric(rows.loc[rows["config"] == best, "fit_seconds"], errors="coerce").median()
    ratio = fit / best_fit if best_fit > 0 and np.isfinite(fit) else float("nan")
    cost = f", at {ratio:,.1f}× its fit time" if ratio < 10 else f", at {ratio:,.0f}× its fit time" if ratio >= 10 else ""
    return label, (f"an ensemble of every family's trials (weights chosen on validation predictions) scores "
                   f"{ensemble_score:.3f} in mean normalised score, {how}{cost}.")


def _list(items: list[tuple[str, str]]) -> Block:
    md = "\n".join(f"- **{md_text(label)}:** {md_text(text)}" for label, text in items)
    html = "<ul class=verdict>" + "".join(
        f"<li><strong>{html_text(label)}:</strong> {html_text(text)}</li>" for label, text in items) + "</ul>"
    return md, html


def verdict_section(context) -> Section | None:
    """The report's opening block (None when nothing finished)."""
    items = []
    if has_members(full_size_rows(context.results)):  # else the best config names its family
        items.append(best_line(context, "family"))
    items += [best_line(context, "config"), cost_line(context), portfolio_line(context)]
    items = [i for i in items if i is not None]
    if not items:
        return None
    searched = context.tuned and (context.tune_settings.get("trials") or 0) > 1
    protocol = f" under the {context.protocol} protocol" if searched else ""
    intro = (f"What this run says{protocol}, computed from its results: quality, significance, cost and what "
             "combining families adds. The sections below hold the numbers behind each line.")
    return make_section(TITLE, [(md_text(intro), f"<p>{html_text(intro)}</p>"), _list(items)])
