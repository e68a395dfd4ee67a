"""The built-in sections of a report, in order: run, overview, suite extras, datasets, failures."""

from __future__ import annotations

import pandas as pd

from familybench.bench.results.members import has_members
from familybench.bench.results.metrics import HIGHER_IS_BETTER
from familybench.bench.results.record import Role, Status
from familybench.bench.results.select import NORMALISATION

from . import _pictures, _plots
from ._cost_section import cost_section
from ._format import (
    fmt_count,
    fmt_mean_std,
    fmt_number,
    fmt_seconds,
    html_text,
    is_missing,
    md_text,
    score_decimals,
    shorten,
)
from ._members_section import members_section
from ._metadata import metadata_section
from ._protocols_section import protocols_section
from ._statistics_section import context_members, context_statistics_section
from ._tables import (
    failures,
    full_size_rows,
    no_score_status,
    normalised_table,
    rank_table,
    summary_table,
    win_tie_loss,
)
from ._tuning import tuning_sections
from ._verdict_section import verdict_section
from .sections import Block, Section, extra_sections, make_section, paragraph, plural, table_block


def _arrow(metric: str) -> str:
    return "↑" if HIGHER_IS_BETTER.get(metric, True) else "↓"


# -- per dataset


def dataset_table(summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display strings and cell kinds of one dataset's table (rows already best first)."""
    main = summary["metric"].iloc[0]
    others = [c[5:-5] for c in summary.columns if c.startswith("test_") and c.endswith("_mean")
              and c[5:-5] != main and summary[c].notna().any()]
    rows, kinds = [], []
    decimals = {m: score_decimals(summary[f"test_{m}_mean"]) for m in [main, *others] if main}
    for _, row in summary.iterrows():
        text = {"rank": "" if is_missing(row["rank"]) else fmt_number(row["rank"], 1 if row["rank"] % 1 else 0),
                "config": row["config"], "family": row["family"] or "?"}
        kind = {"status": "fail" if row["n_ok"] != row["n_jobs"] and not row["skipped"] else ""}
        label = f"test {main} {_arrow(main)}" if main else "test score"
        if row["n_ok"] == 0:  # the worst status says why there is no score
            why = no_score_status(row)
            text[label], kind[label] = why.value, ("muted" if why is Status.SKIPPED else "fail")
        else:
            text[label], kind[label] = fmt_mean_std(row["mean"], row["std"], decimals[main]), row["mark"]
        if main:
            text[f"train {main}"] = fmt_number(row["train_mean"], decimals[main])
        for metric in others:
            text[f"test {metric} {_arrow(metric)}"] = fmt_mean_std(
                row[f"test_{metric}_mean"], row[f"test_{metric}_std"], decimals[metric])
        text.update({"fit s": fmt_seconds(row["fit_seconds"]), "predict s": fmt_seconds(row["predict_seconds"]),
                     "params": fmt_count(row["n_params"]), "status": row["status"]})
        if "n_trials" in row and not is_missing(row.get("n_trials")):
            text["trials"] = _trial_counts(row)
        rows.append(text)
        kinds.append(kind)
    frame = pd.DataFrame(rows)
    return frame, pd.DataFrame(kinds, index=frame.index)


def _trial_counts(row) -> str:
    """"30", or "30 (7 failed)": trials per seed behind the selected row (median over seeds)."""
    text = fmt_count(row["n_trials"])
    failed = row.get("n_trials_failed")
    return text + (f" ({fmt_count(failed)} failed)" if not is_missing(failed) and failed else "")


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("config", "family", "status", "model")]


def _dataset_facts(context, dataset: str) -> str:
    rows = context.results[(context.results["dataset"] == dataset) & (context.results["status"] == Status.OK)]
    task = context.tasks.get(dataset) or "unknown (no job got far enough to tell)"
    if rows.empty or is_missing(rows["n_train"].iloc[0]):
        return f"Task: {task}."
    first = rows.iloc[0]
    train = f"{fmt_count(first['n_train'])} training"
    if not is_missing(first.get("n_valid")) and first.get("test_from") != Role.REFIT:
        train = (f"{fmt_count(first['n_train'] + first['n_valid'])} training rows ({fmt_count(first['n_train'])} fit "
                 f"each trial, {fmt_count(first['n_valid'])} validate it)")
    return (f"Task: {task}; {train} and {fmt_count(first['n_test'])} test rows, "
            f"{plural(first['n_features'], 'feature')} (seed {int(first['seed'])}).")


def _failure_list(bad: pd.DataFrame) -> Block:
    items = []
    for r in bad.itertuples():
        where = f"seed{'s' if ',' in r.seeds else ''} {r.seeds}"
        where += "" if r.train_sizes == "full" else f", training rows {r.train_sizes}"
        items.append((r.config, f"{r.status} ({where})", shorten(r.error)))
    md = "Failed jobs:\n\n" + "\n".join(
        f"- **{md_text(config)}** — {md_text(what)}: {md_text(error)}" for config, what, error in items)
    html = "<p>Failed jobs:</p><ul class=failures>" + "".join(
        f"<li><strong>{html_text(config)}</strong> — {html_text(what)}: "
        f'<span class="fail">{html_text(error)}</span></li>' for config, what, error in items) + "</ul>"
    return md, html


def dataset_section(context, dataset: str) -> Section:
    summary = context.summary[context.summary["dataset"] == dataset].reset_index(drop=True)
    paragraphs = [paragraph("{facts}", facts=_dataset_facts(context, dataset))]
    if not summary.empty:
        frame, kinds = dataset_table(summary)
        paragraphs.append(table_block(frame, kinds, numeric=_numeric_columns(frame)))
    sizes = context.results.loc[context.results["dataset"] == dataset, "train_size"]
    if sizes.notna().any():
        shown = "the full training size" if sizes.isna().any() else f"training size {int(sizes.max())}"
        capped = ", ".join(str(int(v)) for v in sorted(sizes.dropna().unique()))
        paragraphs.append(paragraph("The table shows {shown}; results with training rows capped at {capped} are "
                                    "in the learning curves.", shown=shown, capped=capped))
    bad = failures(context.results[context.results["dataset"] == dataset])
    if len(bad):
        paragraphs.append(_failure_list(bad))
    figures = [
        _pictures.decision_regions_figure(context, dataset),
        _pictures.fitted_curves_figure(context, dataset),
    ]
    return make_section(f"Dataset: {dataset}", paragraphs, figures=figures)


# -- across datasets


def _rank_section(context) -> Section:
    ranks = rank_table(context.summary)
    frame = pd.DataFrame({
        "config": ranks["config"], "family": ranks["family"].fillna("?"),
        "mean rank": ranks["mean_rank"].map(lambda v: fmt_number(v, 2)),
        "datasets": ranks["n_datasets"].astype(str),
        "best": ranks["n_best"].astype(str), "top, 1 seed": ranks["n_top"].astype(str),
        "tied for best": ranks["n_tied"].astype(str), "failed on": ranks["n_failed"].astype(str),
    })
    if not ranks["n_top"].any():
        frame = frame.drop(columns="top, 1 seed")
    kinds = pd.DataFrame({"failed on": ["fail" if n else "" for n in ranks["n_failed"]]}, index=frame.index)
    intro = paragraph("Rank 1 is the best config on a dataset (ties share the mean rank); a config that failed on "
                      "a dataset ranks last there. \"best\" counts datasets it won beyond the spread over seeds.")
    return make_section("Mean rank", [intro, table_block(frame, kinds, numeric=list(frame.columns[2:]))], level=3)


def _normalised_section(context) -> Section:
    scores = normalised_table(context.results, context.normalised)
    intro = paragraph("Each config's score on a dataset, rescaled: {rule}. 1 is the best score seen on the "
                      "dataset, 0 the reference level or below. Cells are means over seeds and folds; the last "
                      "column is the mean over datasets.", rule=NORMALISATION)
    if scores.empty or scores.drop(columns="mean").isna().all().all():
        return make_section("Normalised score", [paragraph("Needs configs with different scores on a dataset: "
                                                           "nothing to rescale here.")], level=3)
    order = [c for c in context.configs if c in scores.index]
    columns = [d for d in context.datasets if d in scores.columns] + ["mean"]
    table = scores.reindex(index=order, columns=columns)
    frame = table.map(lambda v: fmt_number(v, 2))
    frame.insert(0, "config", table.index)
    frame = frame.reset_index(drop=True)
    return make_section("Normalised score", [intro, table_block(frame, numeric=list(frame.columns[1:]))],
                        figures=[_plots.normalised_figure(scores, context)], level=3)


def _wtl_section(context) -> Section:
    rows = full_size_rows(context.results)
    if has_members(rows):
        # several members in a family: per dataset, seed and fold the member chosen on
        # validation stands for it, as in the statistics (a family's cell: those rows)
        members = context_members(context)
        matrix = win_tie_loss(summary_table(members.rows), None)
        how = ("Each family is represented, per dataset, seed and fold, by its member with the best validation "
               "score (never a test score); its mean and spread over seeds are those members' test scores.")
    else:
        matrix = win_tie_loss(context.summary, context.configs)
        how = ("Per dataset each family is represented by one config chosen without test scores: "
               + ("the one with the best validation score." if context.tuned else "its first config in the suite."))
    if len(matrix) < 2:
        return make_section("Families: win / tie / loss", [paragraph("Only one family ran: nothing to compare.")],
                            level=3)
    frame = matrix.map(lambda v: "—" if v is None else f"{v[0]}–{v[1]}–{v[2]}")
    frame.index.name = "family"
    intro = paragraph("Each cell reads wins–ties–losses of the row family against the column family, over the "
                      "datasets both ran on. {how} A win needs a lead beyond the larger spread over seeds (with "
                      "one seed, any lead counts).", how=how)
    return make_section("Families: win / tie / loss",
                        [intro, table_block(frame, index=True, numeric=list(frame.columns))], level=3)


def overview_sections(context) -> list[Section]:
    one_seed = context.results["seed"].nunique() < 2
    seed_note = " With one seed there is no spread: the top config is marked “top”, never “best”."
    tuned_note = {
        "tuned": " Each config is represented by its tuning trial chosen on validation rows (never on test rows) "
                 "for each dataset and seed.",
        "default": " Each config is represented by its defaults (trial 0) for each dataset and seed, not by its "
                   "tuned trial.",
        "ensembled": " Each config is represented by its post-hoc ensemble of trials (weights chosen on validation "
                     "predictions, never on test rows) for each dataset and seed.",
    }[context.protocol] if context.tuned else ""
    intro = paragraph(
        "Scores are test-set scores at the full training size: mean ± standard deviation over {n}." + tuned_note
        + " The "
        "main metric is r2 for regression, ROC AUC for binary and accuracy for multiclass classification. A "
        "config is marked best on a dataset only when its lead over the runner-up exceeds the spread over "
        "seeds; otherwise the leaders are marked tied."
        + (seed_note if one_seed else ""),
        n=plural(context.results["seed"].nunique(), "seed"),
    )
    sections = [make_section("Overview", [intro], figures=[_plots.scores_figure(context)])]
    sections += [_rank_section(context), _normalised_section(context), _wtl_section(context)]
    statistics = context_statistics_section(context, level=3)
    if statistics is not None:
        sections.append(statistics)
    members = members_section(context)
    if members is not None:
        sections.append(members)
    if context.tuned:
        sections += tuning_sections(context)
        protocols = protocols_section(context)
        if protocols is not None:
            sections.append(protocols)
    costs, _ = cost_section(context)
    if costs is not None:
        sections.append(costs)
    params = _plots.params_figure(context)
    if params is not None:
        sections.append(make_section("Model size", [], figures=[params], level=3))
    curves = _plots.learning_curve_figure(context)
    if curves is not None:
        sections.append(make_section("Learning curves", [], figures=[curves], level=3))
    return sections


def failures_section(context) -> Section | None:
    bad = failures(context.results)
    if bad.empty:
        return None
    frame = bad.rename(columns={"error": "message", "n_jobs": "jobs"})
    kinds = pd.DataFrame({"status": "fail", "message": "error"}, index=frame.index)
    intro = paragraph("{n} failed, timed out or ran out of memory. Their configs appear in the tables as failed and "
                      "rank last on those datasets.", n=plural(bad["n_jobs"].sum(), "job"))
    return make_section("Failures", [intro, table_block(frame.astype(str), kinds, numeric=["jobs"])])


def build_sections(context) -> list[Section]:
    """All sections of the report, in reading order."""
    sections = [metadata_section(context)]
    if not context.results.empty:
        verdict = verdict_section(context)
        if verdict is not None:
            sections.insert(0, verdict)
    if context.results.empty:
        return sections + [make_section("No results", [paragraph("This directory has no finished jobs yet.")])]
    sections += overview_sections(context)
    module, plugins = _report_module(context)
    sections += extra_sections(module, context, plugins)
    sections += [dataset_section(context, d) for d in context.datasets]
    failed = failures_section(context)
    return sections + ([failed] if failed is not None else [])


def _report_module(context) -> tuple[str | None, tuple[str, ...]]:
    """The latest run's report module and that run's plug-ins (a report module may be one)."""
    for run in reversed(context.runs):
        if run["suite"].get("report"):
            return str(run["suite"]["report"]), tuple(run["suite"].get("plugins") or ())
    return None, ()
