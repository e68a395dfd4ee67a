"""The "Statistics across datasets" report section: tables, CD diagram, sentences from numbers.

Every claim in the section is computed from a :class:`~._statistics.Statistics`: a lead is
called significant only when the test says so, and a test that was not run is said to be
missing, never taken as "no difference".
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from familybench.bench.results.members import FamilyRows, has_members, select_members
from familybench.bench.results.record import Status

from ._format import fmt_count, fmt_number, is_missing, mpl_text, score_decimals, shorten
from ._statistics import (
    ALPHA,
    CI_ALL_EQUAL,
    MAX_MISSING,
    N_RESAMPLES,
    Statistics,
    compute_statistics,
    statistics_csv,
)
from ._style import NEUTRAL, family_colors, plot_style
from ._tables import family_representatives, full_size_rows, normalised_table
from .sections import Figure, Section, make_section, paragraph, plural, table_block

TITLE = "Statistics across datasets"
#: The file the section gives with its text (:func:`statistics_csv`), next to ``report.md``.
CSV_NAME = "statistics.csv"
UNIT = "per dataset: mean over seeds and folds of the selected rows, normalised score"
_MAX_LISTED = 12


def fmt_p(p) -> str:
    """A p-value to three significant digits (``0.00412``, ``0.410``, ``1.23e-05``), or ``–``."""
    return "–" if is_missing(p) else f"{float(p):#.3g}"


def _names(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _with_p(pairs: list[tuple[str, float]]) -> str:
    return _names([f"{name} (p = {fmt_p(p)})" for name, p in pairs])


# -- figure


def _labels(names) -> dict[str, str]:
    """Short, mathtext-safe and still distinct figure labels."""
    labels, used = {}, set()
    for name in names:
        label = mpl_text(shorten(name, 28))
        n = 1
        while label in used:
            n += 1
            label = mpl_text(shorten(name, 24)) + f" #{n}"
        used.add(label)
        labels[name] = label
    return labels


def cd_figure(stats: Statistics, colors: Mapping[str, str] | None = None) -> Figure | None:
    """Critical-difference diagram of the configs' mean ranks (Nemenyi), coloured by family.

    Parameters
    ----------
    stats : Statistics
        From :func:`~._statistics.compute_statistics`.
    colors : mapping of str to str, optional
        Family → colour; by default :func:`~._style.family_colors`.

    Returns
    -------
    Figure or None
        None when the Friedman test was not run (too few datasets or configs) or is
        undefined (every config tied on every dataset).
    """
    if stats.nemenyi is None or is_missing(stats.friedman_p):  # not run, or every config tied
        return None
    import matplotlib.pyplot as plt
    import scikit_posthocs
    from matplotlib.lines import Line2D
    from matplotlib.transforms import offset_copy

    table = stats.configs
    families = [f or "?" for f in table["family"]]
    colors = dict(colors) if colors is not None else family_colors(families)
    palette = {f: colors.get(f, NEUTRAL) for f in families}
    labels = _labels(table["config"])
    ranks = pd.Series(table["mean_rank"].to_numpy(), index=[labels[c] for c in table["config"]])
    p_values = stats.nemenyi.rename(index=labels, columns=labels)
    with plot_style():
        fig, ax = plt.subplots(figsize=(8.0, 1.6 + 0.3 * ((len(ranks) + 1) // 2)))
        scikit_posthocs.critical_difference_diagram(
            ranks,
            p_values,
            ax=ax,
            alpha=ALPHA,
            hue=dict(zip(ranks.index, families, strict=True)),
            color_palette=palette,
            label_fmt_left="{label} ({rank:.2f})",
            label_fmt_right="({rank:.2f}) {label}",
            label_props={"fontsize": 9},
            crossbar_props={"color": "#222222"},
            text_h_margin=0.02 * (float(ranks.max() - ranks.min()) + 1),
        )
        ax.grid(False)
        if stats.cd is not None:  # above the rank axis, clear of its tick labels
            above = offset_copy(ax.transData, fig=fig, y=26, units="points")
            start = float(ranks.min())
            ax.plot(
                [start, start + stats.cd],
                [0, 0],
                transform=above,
                color="#222222",
                linewidth=1.5,
                marker="|",
                markersize=8,
                clip_on=False,
            )
            ax.text(
                start + stats.cd / 2,
                0,
                f"CD = {stats.cd:.2f}",
                transform=offset_copy(ax.transData, fig=fig, y=30, units="points"),
                ha="center",
                va="bottom",
                fontsize=9,
            )
            ax.set_xlim(right=max(ax.get_xlim()[1], start + stats.cd))
        title = f"Mean rank over {stats.n_datasets} datasets (1 = best); bars: not separated"
        ax.set_title(title + " by Nemenyi", loc="left", pad=46)
        handles = [
            Line2D(
                [], [], marker="o", linestyle="", markersize=7, color=palette[f], label=mpl_text(f)
            )
            for f in dict.fromkeys(families)
        ]
        fig.legend(
            handles=handles,
            title="family",
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(len(handles), 6),
            frameon=False,
        )
        caption = (
            f"Critical-difference diagram: mean rank of each config over {stats.n_datasets} "
            f"datasets. Configs joined by a bar are not separated by the Nemenyi test at {ALPHA}; "
            "the CD segment is the critical difference in mean rank."
        )
        if not stats.friedman_p < ALPHA:
            caption += (
                f" The Friedman test is not significant (p = {fmt_p(stats.friedman_p)}): "
                "read no order into it."
            )
        alt = (
            f"Critical-difference diagram of {len(ranks)} configs' mean ranks; bars join configs "
            "the Nemenyi test does not separate."
        )
        return Figure.from_matplotlib(fig, "critical-difference", alt=alt, caption=caption)


# -- paragraphs


def _unit_paragraph(stats: Statistics):
    text = (
        "One value per dataset and config ({unit}; higher is better); ranks are per dataset, "
        "1 = best, ties share the mean rank. The config statistics use {configs} and {datasets}"
    )
    if len(stats.families) >= 2 and stats.family_by_members:
        text += (
            "; the families are compared through their members: per dataset, seed and fold the member "
            "chosen without test scores (on validation, or the suite's first member of the family when "
            "untuned), its normalised scores averaged per dataset, over {family_datasets}"
        )
    elif len(stats.families) >= 2:
        text += (
            "; the families are compared through the config that represents each family on each "
            "dataset (chosen without test scores: on validation, or the suite's first config of the "
            "family when untuned), over {family_datasets}"
        )
    text += "."
    return paragraph(
        text,
        unit=UNIT,
        configs=plural(len(stats.configs), "config"),
        datasets=plural(stats.n_datasets, "dataset"),
        family_datasets=plural(stats.n_family_datasets, "dataset"),
    )


def _dropped_paragraph(stats: Statistics):
    if stats.dropped.empty:
        return None
    where = {"dataset (families)": "from the family comparison, dataset"}
    items = [
        f"{where.get(r.level, r.level)} {r.name}: {r.reason}" for r in stats.dropped.itertuples()
    ]
    more = len(items) - _MAX_LISTED
    listed = "; ".join(items[:_MAX_LISTED]) + (
        f"; and {more} more (all in statistics.csv)" if more > 0 else ""
    )
    return paragraph(
        "Missing-scores rule: a config (or family) with no score on more than {share} of the "
        "datasets is left out, then every dataset where a kept one has no score. "
        "Left out: {listed}.",
        share=f"{100 * MAX_MISSING:.0f} %",
        listed=listed,
    )


def _config_paragraphs(stats: Statistics) -> list:
    table = stats.configs
    if len(table) < 2 or stats.n_datasets == 0:
        return []
    paragraphs = []
    first = table["mean_rank"].iloc[0]
    leaders = list(table.loc[table["mean_rank"] == first, "config"])
    rank = fmt_number(first, 2)
    if len(leaders) == 1:
        paragraphs.append(
            paragraph(
                "{best} has the best mean rank ({rank}) of {n}.",
                best=leaders[0],
                rank=rank,
                n=plural(len(table), "config"),
            )
        )
    else:
        paragraphs.append(
            paragraph(
                "{best} share the best mean rank ({rank}) of {n}.",
                best=_names(leaders),
                rank=rank,
                n=plural(len(table), "config"),
            )
        )
    if stats.nemenyi is not None:
        paragraphs.append(_friedman_sentence(stats, leaders[0]))
    paragraphs.append(
        table_block(
            *_config_frame(stats), numeric=["mean rank", "mean score", f"Nemenyi p vs {leaders[0]}"]
        )
    )
    if table["ci_low"].notna().any() or (table["ci_note"] == CI_ALL_EQUAL).any():
        paragraphs.append(
            paragraph(
                "95 % CI: BCa bootstrap over datasets of the mean normalised score ({n} resamples, "
                "seed {seed}). Overlapping intervals are not a test; the paired tests are.",
                n=fmt_count(N_RESAMPLES),
                seed=stats.seed,
            )
        )
    return paragraphs


def _friedman_sentence(stats: Statistics, best: str):
    chi2, p = fmt_number(stats.friedman_statistic, 2), fmt_p(stats.friedman_p)
    if is_missing(stats.friedman_p):
        return paragraph("Every config ties on every dataset, so the Friedman test is undefined.")
    if stats.friedman_p >= ALPHA:
        return paragraph(
            "The Friedman test does not show that the configs differ (chi-square = {chi2}, "
            "p = {p}): the rank order may be noise.",
            chi2=chi2,
            p=p,
        )
    row = stats.nemenyi.loc[best].drop(best)
    close = [c for c in row.index if not row[c] < ALPHA]
    text = (
        "The Friedman test says the configs do not all perform alike (chi-square = {chi2}, "
        "p = {p}). By the Nemenyi post-hoc test (critical difference {cd} in mean rank) {best} "
    )
    if not close:
        text += "is ahead of every other config."
    elif len(close) == len(row):
        text += "is not separated from {close}."
    else:
        text += "is ahead of {n_ahead} and not separated from {close}."
    text += " Nemenyi is conservative: the paired family tests below can separate what it does not."
    return paragraph(
        text,
        chi2=chi2,
        p=p,
        cd=fmt_number(stats.cd, 2),
        best=best,
        close=_names(close),
        n_ahead=plural(len(row) - len(close), "config"),
    )


def _fmt_ci(row, decimals: int) -> str:
    if row.ci_note == CI_ALL_EQUAL:
        return CI_ALL_EQUAL
    if is_missing(row.ci_low):
        return "–"
    return f"{fmt_number(row.ci_low, decimals)} to {fmt_number(row.ci_high, decimals)}"


def _config_frame(stats: Statistics) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = stats.configs
    decimals = score_decimals(pd.concat([table["mean_score"], table["ci_low"], table["ci_high"]]))
    ci = [_fmt_ci(r, decimals) for r in table.itertuples()]
    frame = pd.DataFrame(
        {
            "config": table["config"],
            "family": table["family"].fillna("?"),
            "mean rank": table["mean_rank"].map(lambda v: fmt_number(v, 2)),
            "mean score": table["mean_score"].map(lambda v: fmt_number(v, decimals)),
            "95 % CI": ci,
        }
    )
    if stats.nemenyi is not None:
        best = table["config"].iloc[0]
        frame[f"Nemenyi p vs {best}"] = [
            "–" if c == best else fmt_p(stats.nemenyi.loc[best, c]) for c in table["config"]
        ]
    if frame["95 % CI"].eq("–").all():
        frame = frame.drop(columns="95 % CI")
    kinds = pd.DataFrame(
        {"95 % CI": ["muted" if text == CI_ALL_EQUAL else "" for text in ci]}, index=frame.index
    )
    return frame, kinds


def _verdict(row) -> str:
    if row.ahead is None:
        return "tied on every dataset"
    return f"significant: {row.ahead} ahead" if row.significant else "not significant"


def _family_paragraphs(stats: Statistics) -> list:
    pairs, families = stats.pairs, stats.families
    if pairs.empty:
        return []
    top = families["family"].iloc[0]
    lead, behind, level = [], [], []
    for r in pairs[(pairs["family_a"] == top) | (pairs["family_b"] == top)].itertuples():
        other = r.family_b if r.family_a == top else r.family_a
        (lead if r.significant and r.ahead == top else behind if r.significant else level).append(
            (other, r.p_holm)
        )
    tied = list(families.loc[families["mean_rank"] == families["mean_rank"].iloc[0], "family"])[1:]
    text = "{top} ranks first among the families (mean rank {rank} over {n}" + (
        ", tied with {tied})" if tied else ")"
    )
    if lead and not level and not behind:
        text += "; its lead over every other family is significant after Holm correction: {lead}"
    elif lead:
        text += "; its lead over {lead} is significant after Holm correction" + (
            ", but not over {level}" if level else ""
        )
    elif level and pairs["significant"].any():
        text += ", but its lead over no family is significant after Holm correction: {level}"
    if behind:
        text += "; yet {behind} {is_} significantly ahead of it in the paired test"
    text += "."
    others = pairs[pairs["significant"] & (pairs["family_a"] != top) & (pairs["family_b"] != top)]
    smallest = pairs.loc[pairs["p_holm"].idxmin()]
    if not pairs["significant"].any():
        text += (
            " No family's lead is significant after Holm correction (smallest adjusted "
            "p = {p_min}, {a} vs {b})."
        )
    elif len(others):
        text += " Also significant after Holm correction: {others}."
    over = [
        (r.ahead, r.family_b if r.ahead == r.family_a else r.family_a, fmt_p(r.p_holm))
        for r in others.itertuples()
    ]
    values = {
        "top": top,
        "rank": fmt_number(families["mean_rank"].iloc[0], 2),
        "n": plural(stats.n_family_datasets, "dataset"),
        "lead": _with_p(lead),
        "level": _with_p(level),
        "behind": _with_p(behind),
        "is_": "is" if len(behind) == 1 else "are",
        "others": _names([f"{ahead} over {behind} (p = {p})" for ahead, behind, p in over]),
        "tied": _names(tied),
        "p_min": fmt_p(smallest["p_holm"]),
        "a": smallest["family_a"],
        "b": smallest["family_b"],
    }
    sentence = paragraph(text, **values)
    method = paragraph(
        "Each pair of families is compared with the Wilcoxon signed-rank test on the paired "
        "per-dataset scores (two-sided, zero differences dropped), {holm}. Wins–ties–losses count "
        "datasets by score difference, from the first family's side; a pair's verdict is "
        "significant only when its Holm-adjusted p is below {alpha}.",
        alpha=ALPHA,
        holm=(
            f"Holm-corrected over all {len(pairs)} pairs"
            if len(pairs) > 1
            else "a single pair, which Holm's correction leaves as it is"
        ),
    )
    ranks = pd.DataFrame(
        {
            "family": families["family"],
            "mean rank": families["mean_rank"].map(lambda v: fmt_number(v, 2)),
            "mean score": families["mean_score"].map(
                lambda v: fmt_number(v, score_decimals(families["mean_score"]))
            ),
        }
    )
    frame = pd.DataFrame(
        {
            "family": pairs["family_a"],
            "vs": pairs["family_b"],
            "wins–ties–losses": [
                f"{w}–{t}–{lo}" for w, t, lo in pairs[["wins", "ties", "losses"]].to_numpy()
            ],
            "p": pairs["p_value"].map(fmt_p),
            "p (Holm)": pairs["p_holm"].map(fmt_p),
            "verdict": [_verdict(r) for r in pairs.itertuples()],
        }
    )
    return [
        sentence,
        table_block(ranks, numeric=["mean rank", "mean score"]),
        method,
        table_block(frame, numeric=["wins–ties–losses", "p", "p (Holm)"]),
    ]


def statistics_section(
    stats: Statistics,
    *,
    colors: Mapping[str, str] | None = None,
    title: str = TITLE,
    level: int = 2,
) -> Section:
    """The statistics across datasets as a report :class:`Section`.

    Parameters
    ----------
    stats : Statistics
        From :func:`~._statistics.compute_statistics`.
    colors : mapping of str to str, optional
        Family → colour for the CD diagram (the report's ``context.colors``); by default
        :func:`~._style.family_colors`.
    title : str, default="Statistics across datasets"
        Section heading.
    level : int, default=2
        Heading level.

    Returns
    -------
    Section
        Sentences computed from the numbers, the config and family tables, the
        critical-difference diagram when the Friedman test was run, and every number as
        ``statistics.csv`` in its ``files`` (:func:`~._statistics.statistics_csv`).
    """
    paragraphs = [_unit_paragraph(stats), _dropped_paragraph(stats)]
    paragraphs += [paragraph("{note}", note=note) for note in stats.notes]
    paragraphs += _config_paragraphs(stats) + _family_paragraphs(stats)
    return make_section(
        title,
        paragraphs,
        figures=[cd_figure(stats, colors)],
        level=level,
        files={CSV_NAME: statistics_csv(stats).to_csv(index=False)},
    )


def statistics_scores(context) -> pd.DataFrame:
    """The statistics' unit: per dataset × config, the mean normalised score over seeds and
    folds of the selected full-size rows, with the family and whether the config represents
    its family on that dataset (chosen without test scores)."""
    scores = normalised_table(context.results, context.normalised).drop(columns="mean", errors="ignore")
    picks = family_representatives(context.summary, context.configs)
    rows = []
    for config in scores.index:
        family = str(context.config_family(config) or "?")
        for dataset in scores.columns:
            ran = context.summary[(context.summary["config"] == config) & (context.summary["dataset"] == dataset)]
            if ran.empty or bool(ran["skipped"].all()):
                continue  # the model does not do this task: not a missing score
            rows.append({"dataset": str(dataset), "config": str(config), "family": family,
                         "score": scores.loc[config, dataset],
                         "representative": picks.get((str(dataset), family)) == config})
    return pd.DataFrame(rows, columns=["dataset", "config", "family", "score", "representative"])


def context_members(context) -> FamilyRows:
    """Per family × dataset × seed × fold, the member chosen on validation (full-size rows;
    without validation scores, the suite's first member of the family)."""
    return select_members(full_size_rows(context.results), order=context.configs)


def family_scores(context, members: FamilyRows | None = None) -> pd.DataFrame:
    """Per dataset × family, the mean normalised score of the members chosen per seed and
    fold (a family that does not do a dataset's task has no row there)."""
    members = members if members is not None else context_members(context)
    rows = members.rows[members.rows["status"] != Status.SKIPPED]
    if rows.empty:
        return pd.DataFrame(columns=["dataset", "family", "score"])
    scored = rows.assign(score=context.normalised.reindex(rows.index).to_numpy(),
                         dataset=rows["dataset"].astype(str), family=rows["family"].astype(str))
    return scored.groupby(["dataset", "family"], sort=True)["score"].mean().reset_index()


def context_statistics_section(context, *, title: str = TITLE, level: int = 2) -> Section | None:
    """The report's statistics across datasets (Friedman, critical differences,
    Wilcoxon–Holm, bootstrap CIs) from its :func:`statistics_scores`, with
    ``statistics.csv`` in the section's ``files``; None with fewer than two datasets."""
    stats = context_statistics(context)
    if stats is None:
        return None
    return statistics_section(stats, colors=context.colors, title=title, level=level)


def context_statistics(context) -> Statistics | None:
    """:func:`compute_statistics` of the report's rows, computed once per report; None with
    fewer than two datasets."""
    if "statistics" not in context._derived:
        scores = statistics_scores(context)
        stats = None
        if not scores.empty and scores["dataset"].nunique() >= 2:
            # families with several members compete through the member chosen per seed on validation
            by_family = family_scores(context) if has_members(full_size_rows(context.results)) else None
            stats = compute_statistics(scores, family_scores=by_family)
        context._derived["statistics"] = stats
    return context._derived["statistics"]
