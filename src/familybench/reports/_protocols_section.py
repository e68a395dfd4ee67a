"""The "Protocols" section: each config by default, tuned, and tuned + ensembled, side by side.

TabArena reports every model three ways because the ranking changes with the protocol.
Shown for a tuned run whose trials kept their predictions: ``default`` is each group's
trial 0, ``tuned`` the trial chosen on validation (``select_best``), ``ensembled`` the
post-hoc ensemble of the config's trials (``bench.results.ensemble``, greedy selection on
validation predictions). Scores are normalised per dataset against every row of the three
protocols, so the columns share one scale; ranks are per dataset within a protocol.
"""

from __future__ import annotations

import pandas as pd

from familybench.bench.results.members import has_members, select_members
from familybench.bench.results.record import Protocol, Status
from familybench.bench.results.select import normalised_scores, select_best

from ._statistics import MIN_DATASETS_WILCOXON
from ._statistics_section import fmt_p
from ._tables import full_size_rows
from .sections import Section, make_section, paragraph, table_block

TITLE = "Protocols: default, tuned, tuned + ensembled"
ORDER = (Protocol.DEFAULT.value, Protocol.TUNED.value, Protocol.ENSEMBLED.value)
LABELS = {Protocol.DEFAULT.value: "default", Protocol.TUNED.value: "tuned",
          Protocol.ENSEMBLED.value: "tuned + ensembled"}


def protocol_rows(context) -> pd.DataFrame:
    """The full-size rows of the three protocols, with a ``protocol`` and a ``normalised`` column
    (empty when the run keeps no trial predictions). Normalised over every trial and every
    post-hoc ensemble (config, family and portfolio), so all of the section's numbers share one
    scale. Computed once per report (this section, the cost section and the verdict read it)."""
    if "protocol_rows" not in context._derived:
        context._derived["protocol_rows"] = _protocol_rows(context)
    return context._derived["protocol_rows"]


def _protocol_rows(context) -> pd.DataFrame:
    if not context.tuned or (context.tune_settings.get("trials") or 0) < 2:
        return pd.DataFrame()  # one trial: its defaults, its tuned trial and their ensemble are one model
    ensembled = context.ensembles("config")
    if ensembled.empty:
        return pd.DataFrame()
    tune = context.tune_settings
    default = select_best(context.all_results, which="default", trials=tune.get("trials"),
                          time_budget=tune.get("time_budget"))
    parts = [default.assign(protocol=Protocol.DEFAULT.value), context.chosen.assign(protocol=Protocol.TUNED.value),
             ensembled.assign(protocol=Protocol.ENSEMBLED.value)]
    rows = pd.concat([full_size_rows(p) for p in parts], ignore_index=True)
    rows = rows[rows["status"] == Status.OK.value]
    return rows.assign(normalised=normalised_scores(rows, score_reference(context)))


def score_reference(context) -> pd.DataFrame:
    """Every row a protocol score is normalised against: the trials and all ensembles (the
    verdict's portfolio line uses the same scale); built once per report."""
    if "score_reference" not in context._derived:
        context._derived["score_reference"] = _score_reference(context)
    return context._derived["score_reference"]


def _score_reference(context) -> pd.DataFrame:
    return pd.concat([context.all_results, *(context.ensembles(scope) for scope in ("config", "family", "portfolio"))],
                     ignore_index=True)


def family_rows(context, rows: pd.DataFrame) -> pd.DataFrame:
    """Each family under the three protocols, chosen without test rows: ``default`` and
    ``tuned``, its member best on validation (``select_members``) among the configs' rows of
    that protocol; ``ensembled``, the family ensemble over all its members' trials. Plus the
    ``portfolio`` ensemble over every family (protocol ``ensembled``)."""
    parts = []
    for protocol in (Protocol.DEFAULT.value, Protocol.TUNED.value):
        chosen = select_members(rows[rows["protocol"] == protocol].drop(columns="normalised"),
                                order=context.configs).rows
        parts.append(chosen.assign(protocol=protocol))
    for scope in ("family", "portfolio"):
        ensembles = context.ensembles(scope)
        if not ensembles.empty:
            ensembles = ensembles.assign(config=ensembles["family"], protocol=Protocol.ENSEMBLED.value)
            parts.append(full_size_rows(ensembles))
    families = pd.concat(parts, ignore_index=True)
    families = families[families["status"] == Status.OK.value]
    return families.assign(normalised=normalised_scores(families, score_reference(context)))


def protocol_table(rows: pd.DataFrame, unranked: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per config: mean normalised score and mean rank (per dataset, within the protocol) under
    each protocol; configs in their order under the last protocol present. Configs in
    ``unranked`` (the portfolio) get a score but no rank and come last."""
    per_dataset = rows.groupby(["protocol", "config", "dataset"])["normalised"].mean().reset_index()
    ranked = ~per_dataset["config"].isin(unranked)
    per_dataset.loc[ranked, "rank"] = (per_dataset[ranked].groupby(["protocol", "dataset"])["normalised"]
                                       .rank(ascending=False))
    score = per_dataset.pivot_table(index="config", columns="protocol", values="normalised", aggfunc="mean")
    rank = per_dataset.pivot_table(index="config", columns="protocol", values="rank", aggfunc="mean")
    present = [p for p in ORDER if p in score.columns]
    table = pd.DataFrame(index=score.index)
    families = rows.drop_duplicates("config").set_index("config")["family"]
    table["family"] = families.reindex(table.index)
    for protocol in present:
        table[f"score, {LABELS[protocol]}"] = score[protocol]
    for protocol in present:
        table[f"rank, {LABELS[protocol]}"] = rank[protocol]
    return table.sort_values(f"rank, {LABELS[present[-1]]}", na_position="last")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def moves_sentence(table: pd.DataFrame, noun: str = "configs") -> str:
    """How the order of configs (or families) changes from the defaults to tuning to ensembling."""
    ranks = [c for c in table.columns if c.startswith("rank, ")]
    table = table.dropna(subset=ranks)
    if len(ranks) < 2 or table.empty:
        return ""
    places = {c: table[c].rank(method="min").astype(int) for c in ranks}
    if all((places[c] == places[ranks[0]]).all() for c in ranks[1:]):
        return f"The {noun} keep their order under all {len(ranks)} protocols."
    parts = []
    for before, after in zip(ranks, ranks[1:], strict=False):
        moved = [f"{config} moves from {_ordinal(places[before][config])} to {_ordinal(places[after][config])}"
                 for config in table.index if places[before][config] != places[after][config]]
        step = after.removeprefix("rank, ")
        parts.append(f"From {before.removeprefix('rank, ')} to {step}, " + ("; ".join(moved) if moved else
                                                                          f"the order of the {noun} stays the same"))
    return ". ".join(parts) + "."


def lead_sentence(rows: pd.DataFrame, protocol: str) -> str:
    """Whether the leader under ``protocol`` is significantly ahead of the runner-up
    (Wilcoxon signed-rank over datasets, two-sided)."""
    from scipy.stats import wilcoxon

    scores = rows[rows["protocol"] == protocol].pivot_table(index="dataset", columns="config", values="normalised",
                                                            aggfunc="mean").dropna()
    if scores.shape[1] < 2:
        return ""
    order = scores.mean().sort_values(ascending=False).index
    first, second = order[0], order[1]
    label = LABELS[protocol]
    if len(scores) < MIN_DATASETS_WILCOXON:
        return (f"{label.capitalize()}, {first} leads {second} by {scores[first].mean() - scores[second].mean():+.3f} "
                f"in mean normalised score; with {len(scores)} datasets (fewer than {MIN_DATASETS_WILCOXON}) "
                "there are too few to test whether the lead is significant.")
    differences = scores[first] - scores[second]
    p = float(wilcoxon(differences[differences != 0]).pvalue) if (differences != 0).sum() else 1.0
    verdict = "significant" if p < 0.05 else "not significant"
    return (f"{label.capitalize()}, {first} leads {second} by {differences.mean():+.3f} in mean normalised score "
            f"over {len(scores)} datasets; the lead is {verdict} (Wilcoxon signed-rank, p = {fmt_p(p)}).")


def gain_phrase(change: float, *, gain: str, same: str, loss: str) -> str:
    """The phrase for an ensemble's change in mean normalised score: a gain, the same (within
    0.0005, below the three decimals shown) or a loss."""
    if change > 0.0005:
        return gain
    return same if change >= -0.0005 else loss


def portfolio_sentence(families: pd.DataFrame, results: pd.DataFrame) -> str:
    """What combining families adds: the portfolio ensemble against the best family ensemble,
    and where its weight went (mean over datasets, seeds and folds)."""
    import json

    ensembled = families[families["protocol"] == Protocol.ENSEMBLED.value]
    portfolio = ensembled[ensembled["config"] == "portfolio"]
    alone = ensembled[ensembled["config"] != "portfolio"]
    if portfolio.empty or alone["config"].nunique() < 2:
        return ""
    scores = alone.groupby("config")["normalised"].mean()
    best, best_score = scores.idxmax(), scores.max()
    score = portfolio["normalised"].mean()
    family_of = results.drop_duplicates("job_key").set_index("job_key")["family"]
    shares: dict[str, float] = {}
    for members in portfolio["ensemble_members"]:
        for key, weight in json.loads(members).items():
            family = str(family_of.get(key, "?"))
            shares[family] = shares.get(family, 0.0) + weight / len(portfolio)
    weights = ", ".join(f"{family} {share:.0%}" for family, share in
                        sorted(shares.items(), key=lambda item: -item[1]) if share >= 0.005)
    change = score - best_score
    how = gain_phrase(
        change, gain=f"adds {change:+.3f} over the best family ensemble ({best}, {best_score:.2f})",
        same=f"matches the best family ensemble ({best}, {best_score:.2f}): combining families adds nothing here",
        loss=f"falls {-change:.3f} short of the best family ensemble ({best}, {best_score:.2f}): weights chosen "
             "on the validation rows did not carry over to the test rows")
    return (f"A portfolio ensemble over every family's trials reaches a mean normalised score of {score:.2f}: it "
            f"{how}. Its weight goes to {weights}.")


def _shown(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    numeric = [c for c in table.columns if c != "family"]
    shown = table.copy()
    for column in numeric:
        shown[column] = shown[column].map(lambda v: "–" if pd.isna(v) else f"{v:.2f}")
    return shown, numeric


def protocols_section(context, *, level: int = 3) -> Section | None:
    rows = protocol_rows(context)
    if rows.empty:
        return None
    table = protocol_table(rows)
    validation = context.tune_settings.get("validation") or {}
    blocks = [paragraph(
        "Each config three ways, as TabArena reports models: its defaults (trial 0), tuned (the trial best on "
        "validation) and tuned + ensembled (a greedy ensemble of its trials, weights chosen on validation "
        "predictions; never on test rows). Scores are normalised per dataset over the three protocols' rows; "
        "ranks are per dataset within a protocol, 1 = best.")]
    sentences = " ".join(s for s in (moves_sentence(table), lead_sentence(rows, ORDER[-1])) if s)
    if sentences:
        blocks.append(paragraph("{sentences}", sentences=sentences, strong=True))
    shown, numeric = _shown(table)
    blocks.append(table_block(shown.rename_axis("config").reset_index(), numeric=numeric, index=False))
    families = family_rows(context, rows)
    if has_members(context.chosen) and not families.empty:
        family_table = protocol_table(families, unranked=("portfolio",)).drop(columns="family")
        blocks.append(paragraph(
            "Each family three ways, still without test rows: default and tuned, its member with the best "
            "validation score among its configs' defaults or tuned trials; tuned + ensembled, one greedy "
            "ensemble over every trial of every member. The portfolio row ensembles every family's trials "
            "(a ceiling a user reaches by combining families; not ranked)."))
        sentence = moves_sentence(family_table, noun="families")
        if sentence:
            blocks.append(paragraph("{sentence}", sentence=sentence, strong=True))
        shown, numeric = _shown(family_table)
        blocks.append(table_block(shown.rename_axis("family").reset_index(), numeric=numeric, index=False))
    portfolio = portfolio_sentence(families, context.all_results) if not families.empty else ""
    if portfolio:
        blocks.append(paragraph("{sentence}", sentence=portfolio, strong=True))
    if "holdout" in validation:
        blocks.append(paragraph(
            "Trials were chosen and ensembled on one holdout of the training rows ({share}). TabArena finds "
            "single-holdout selection biased (it underestimates every model and favours those that already "
            "ensemble); [tune] validation = {{ kfold = 8 }} bags 8 inner folds instead.",
            share=f"{validation['holdout']:.0%}"))
    return make_section(TITLE, blocks, level=level)


