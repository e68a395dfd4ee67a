"""The numbers of a report, as pandas DataFrames (rendering lives in ``_render``).

Conventions stated in the report itself:

- A config's score on a dataset is the mean over its successful seeds (and folds) at the
  full training size; ``std`` is the sample standard deviation over the same runs.
- The best config on a dataset is marked ``best`` only when its lead over every other
  config exceeds the spread (the larger of the two standard deviations); configs within
  that spread of the top are marked ``tied``. With no spread to judge (one seed), the top
  config is marked ``top``.
- Ranks are per dataset (1 = best, ties share the mean rank); a config that failed on a
  dataset ranks last there; a config skipped there (task not supported) is not ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.bench.results.metrics import HIGHER_IS_BETTER, MAIN_METRIC, METRICS
from familybench.bench.results.record import BAD_STATUSES, Status

from ._format import is_missing

#: The summary's count of jobs per status: ``n_ok``, ``n_failed``, ``n_timeout``, ...
STATUS_COUNTS: dict[Status, str] = {status: f"n_{status.value}" for status in Status}
#: Of the statuses that leave no score, the ones that say why before a plain failure.
_NO_SCORE_REASONS = (Status.TIMEOUT, Status.OOM)


def dataset_tasks(results: pd.DataFrame) -> dict[str, str | None]:
    """Task of each dataset, from any of its rows that recorded one (a timeout records none)."""
    tasks: dict[str, str | None] = {}
    for dataset, group in results.groupby("dataset", sort=False):
        known = group["task"].dropna()
        tasks[str(dataset)] = str(known.iloc[0]) if len(known) else None
    return tasks


def full_size_rows(results: pd.DataFrame) -> pd.DataFrame:
    """Each dataset's rows at the full training size (the largest cap when no run used all rows)."""
    parts = []
    for _, group in results.groupby("dataset", sort=False):
        full = group[group["train_size"].isna()]
        parts.append(full if len(full) else group[group["train_size"] == group["train_size"].max()])
    return pd.concat(parts) if parts else results.iloc[:0]


def status_counts(statuses: pd.Series) -> dict[str, int]:
    """Jobs per status, in :class:`~familybench.bench.results.record.Status` order, then any
    other stored status by name."""
    counts = statuses.value_counts()
    order = [s.value for s in Status]
    return {str(s): int(counts[s]) for s in order + sorted(set(counts.index) - set(order)) if s in counts}


def status_text(counts: dict[str, int]) -> str:
    """The display of :func:`status_counts`: ``ok 2 · failed 1``. For reading only: code
    decides from the ``n_<status>`` columns (:data:`STATUS_COUNTS`), never from this text."""
    return " · ".join(f"{status} {n}" for status, n in counts.items())


def no_score_status(row) -> Status:
    """Why a summary row without a successful job has no score: skipped (every job), timed
    out or out of memory (any job), otherwise failed."""
    if row["skipped"]:
        return Status.SKIPPED
    return next((s for s in _NO_SCORE_REASONS if row[STATUS_COUNTS[s]]), Status.FAILED)


def _first(series: pd.Series):
    known = series.dropna()
    return known.iloc[0] if len(known) else None


def summary_table(results: pd.DataFrame, *, metrics: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per dataset × config: mean ± std over seeds of each test metric, times, size.

    Parameters
    ----------
    results : pandas.DataFrame
        As returned by :func:`familybench.load_results`.
    metrics : list of str, optional
        Extra metrics to keep besides each task's main metric (default: all of the task's).

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, task, config, family, model, metric, mean, std``, the jobs per
        status ``n_ok, n_failed, n_timeout, n_oom, n_skipped`` (:data:`STATUS_COUNTS`),
        ``n_jobs, status`` (those counts as display text, ``ok 2 · failed 1``), ``error,
        skipped, fit_seconds, predict_seconds, n_params, train_mean, mark, rank`` and
        ``test_<metric>_mean`` / ``test_<metric>_std`` for each reported metric. Rows are
        sorted by dataset, then best config first (failures last).
    """
    tasks = dataset_tasks(results)
    rows = []
    for (dataset, config), group in full_size_rows(results).groupby(["dataset", "config"], sort=True):
        task = tasks.get(str(dataset))
        main = MAIN_METRIC.get(task, "") if task else ""
        ok = group[group["status"] == Status.OK]
        failed = group[group["status"].isin(BAD_STATUSES)]
        counts = status_counts(group["status"])
        row = {
            "dataset": dataset,
            "task": task,
            "config": config,
            "family": _first(group["family"]),
            "model": _first(group["model"]),
            "metric": main,
            **{column: counts.get(status.value, 0) for status, column in STATUS_COUNTS.items()},
            "n_jobs": len(group),
            "status": status_text(counts),
            "error": failed["error"].mode().iloc[0] if failed["error"].notna().any() else None,
            "skipped": bool(len(group) and counts.get(Status.SKIPPED.value, 0) == len(group)),
            "fit_seconds": float(ok["fit_seconds"].median()) if len(ok) else np.nan,
            "predict_seconds": float(ok["predict_seconds"].median()) if len(ok) else np.nan,
            "n_params": float(ok["n_params"].median()) if ok["n_params"].notna().any() else np.nan,
        }
        for metric in METRICS.get(task, ()) if task else ():
            if metric != main and metrics and metric not in metrics:
                continue
            values = ok[f"test_{metric}"].dropna().to_numpy(dtype=float)
            row[f"test_{metric}_mean"] = float(values.mean()) if len(values) else np.nan
            row[f"test_{metric}_std"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
        if main:
            row["mean"], row["std"] = row[f"test_{main}_mean"], row[f"test_{main}_std"]
            train = ok[f"train_{main}"].dropna()
            row["train_mean"] = float(train.mean()) if len(train) else np.nan
            valid = ok[f"valid_{main}"].dropna() if f"valid_{main}" in ok else pd.Series(dtype=float)
            # the validation score that chose this config's trials (tuned runs only)
            row["valid_mean"] = float(valid.mean()) if len(valid) else np.nan
        if "n_trials" in group and group["n_trials"].notna().any():
            row["n_trials"] = float(group["n_trials"].median())
            row["n_trials_failed"] = float(group["n_trials_failed"].sum())
            row["tuning_seconds"] = float(group["tuning_seconds"].median())
        rows.append(row)
    base = ["dataset", "task", "config", "family", "model", "metric", "mean", "std", *STATUS_COUNTS.values(),
            "n_jobs", "status", "error", "skipped", "fit_seconds", "predict_seconds", "n_params", "train_mean",
            "valid_mean"]
    table = pd.DataFrame(rows)
    table = table.reindex(columns=base + sorted(set(table.columns) - set(base)))
    if table.empty:
        return table.assign(mark=pd.Series(dtype=object), rank=pd.Series(dtype=float))
    table["goodness"] = [
        np.nan if not metric else (m if HIGHER_IS_BETTER[metric] else -m)
        for metric, m in zip(table["metric"], table["mean"].astype(float), strict=True)
    ]
    parts = [_mark_and_rank(group) for _, group in table.groupby("dataset", sort=True)]
    table = pd.concat(parts, ignore_index=True)
    return table.drop(columns="goodness")


def _mark_and_rank(group: pd.DataFrame) -> pd.DataFrame:
    group = group.sort_values(["goodness", "config"], ascending=[False, True], na_position="last").copy()
    group["mark"] = ""
    scored = group[group["goodness"].notna()]
    if len(scored) >= 2:
        # The tied group is a prefix of the ranking: a noisy config far down the table is
        # not "tied for best" just because its own spread is wide.
        top, tied, unknown = scored.iloc[0], [scored.index[0]], False
        for index, other in scored.iloc[1:].iterrows():
            stds = [s for s in (top["std"], other["std"]) if not is_missing(s)]
            if not stds:
                unknown = True
                break
            if top["goodness"] - other["goodness"] > max(stds):
                break
            tied.append(index)
        if len(tied) > 1:
            group.loc[tied, "mark"] = "tied"
        else:
            group.loc[tied[0], "mark"] = "top" if unknown else "best"
    # Failed configs rank last (a failure must not look better than a poor score);
    # skipped ones (the model does not do this task) are not ranked at all.
    rankable = ~group["skipped"].astype(bool)
    goodness = group["goodness"].where(group["goodness"].notna(), -np.inf)
    group["rank"] = goodness[rankable].rank(ascending=False, method="average")
    if group["metric"].eq("").all():
        group["rank"] = np.nan
    return group


def rank_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean rank of each config across datasets; how often it was best, top (one seed), tied, failed."""
    rows = []
    for config, group in summary.groupby("config", sort=False):
        ranked = group[group["rank"].notna()]
        rows.append(
            {
                "config": config,
                "family": _first(group["family"]),
                "mean_rank": float(ranked["rank"].mean()) if len(ranked) else np.nan,
                "n_datasets": len(ranked),
                "n_best": int(group["mark"].eq("best").sum()),
                "n_top": int(group["mark"].eq("top").sum()),
                "n_tied": int(group["mark"].eq("tied").sum()),
                # Counted everywhere, also where no task (so no rank) is known: all its jobs timed out.
                "n_failed": int(((group["n_ok"] == 0) & ~group["skipped"].astype(bool)).sum()),
            }
        )
    columns = ["config", "family", "mean_rank", "n_datasets", "n_best", "n_top", "n_tied", "n_failed"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["mean_rank", "config"], na_position="last", ignore_index=True)


def normalised_table(results: pd.DataFrame, normalised: pd.Series) -> pd.DataFrame:
    """Mean normalised score (``bench.select.normalised_scores``) per config × dataset.

    Parameters
    ----------
    results : pandas.DataFrame
        Selected rows (one per config × dataset × seed × fold × train size).
    normalised : pandas.Series
        Their normalised scores, aligned with ``results``.

    Returns
    -------
    pandas.DataFrame
        Index: config; columns: datasets, then ``mean`` over the datasets present.
    """
    full = full_size_rows(results)
    frame = full.assign(_norm=normalised.reindex(full.index))
    table = frame.pivot_table(index="config", columns="dataset", values="_norm", aggfunc="mean")
    if not table.empty:
        table["mean"] = table.mean(axis=1, skipna=True)
    return table


def family_representatives(summary: pd.DataFrame, order: list[str] | None = None) -> dict[tuple[str, str], str]:
    """(dataset, family) → the config that represents the family there, chosen without test scores.

    The config with the best mean validation score (tuned runs); without validation
    scores, the family's first config in ``order`` (the suite's), which is fixed before
    any score is seen.
    """
    rank = {c: i for i, c in enumerate(order or [])}
    picks: dict[tuple[str, str], str] = {}
    for (dataset, family), group in summary.groupby([summary["dataset"], summary["family"].fillna("?")], sort=False):
        metric = group["metric"].iloc[0]
        valid = group["valid_mean"].astype(float) if "valid_mean" in group else pd.Series(np.nan, index=group.index)
        if metric and valid.notna().any():
            oriented = valid if HIGHER_IS_BETTER[metric] else -valid
            pick = group.loc[oriented.idxmax(), "config"]
        else:
            pick = min(group["config"], key=lambda c: (rank.get(c, len(rank)), str(c)))
        picks[(str(dataset), str(family))] = str(pick)
    return picks


def win_tie_loss(summary: pd.DataFrame, order: list[str] | None = None) -> pd.DataFrame:
    """Families against each other: per dataset, each family's representative config decides.

    The representative is chosen without test scores (:func:`family_representatives`).
    A family wins a dataset against another when its representative's lead exceeds the
    larger of the two spreads over seeds, ties within it, and loses otherwise. A family
    that ran but failed everywhere on a dataset loses it. Returns a square DataFrame of
    ``(wins, ties, losses)`` tuples from the row family's side (None on the diagonal and
    where the two never met).
    """
    picks = family_representatives(summary, order)
    best: dict[str, dict[str, tuple[float, float]]] = {}
    for dataset, group in summary[~summary["skipped"].astype(bool)].groupby("dataset", sort=False):
        if not group["metric"].iloc[0]:
            continue
        higher = HIGHER_IS_BETTER[group["metric"].iloc[0]]
        for family, fam in group.groupby(group["family"].fillna("?"), sort=False):
            chosen = fam[fam["config"] == picks.get((str(dataset), str(family)))]
            good = chosen["mean"].astype(float) * (1 if higher else -1)
            if good.notna().any():
                pick = good.idxmax()
                best.setdefault(str(dataset), {})[str(family)] = (float(good[pick]), float(chosen.loc[pick, "std"]))
            else:
                best.setdefault(str(dataset), {})[str(family)] = (-np.inf, np.nan)
    families = sorted({f for per in best.values() for f in per})
    counts = {a: {b: [0, 0, 0] for b in families} for a in families}
    met = {a: dict.fromkeys(families, False) for a in families}
    for per in best.values():
        for a, (score_a, std_a) in per.items():
            for b, (score_b, std_b) in per.items():
                if a == b:
                    continue
                met[a][b] = True
                stds = [s for s in (std_a, std_b) if not is_missing(s)]
                spread = max(stds) if stds else 0.0
                if np.isinf(score_a) and np.isinf(score_b):
                    counts[a][b][1] += 1
                elif score_a - score_b > spread:
                    counts[a][b][0] += 1
                elif score_b - score_a > spread:
                    counts[a][b][2] += 1
                else:
                    counts[a][b][1] += 1
    return pd.DataFrame(
        {b: [tuple(counts[a][b]) if met[a][b] else None for a in families] for b in families}, index=families
    )


def failures(results: pd.DataFrame) -> pd.DataFrame:
    """Every failed or timed-out job, grouped by dataset, config, status and message."""
    bad = results[results["status"].isin(BAD_STATUSES)]
    rows = []
    for (dataset, config, status, error), group in bad.groupby(
        ["dataset", "config", "status", bad["error"].fillna("(no message)")], sort=True
    ):
        seeds = sorted({int(s) for s in group["seed"].dropna()})
        sizes = sorted({int(s) for s in group["train_size"].dropna()})
        rows.append(
            {
                "dataset": dataset, "config": config, "status": status, "error": error,
                "seeds": ", ".join(map(str, seeds)) or "–",
                "train_sizes": ", ".join(map(str, sizes)) if sizes else "full",
                "n_jobs": len(group),
            }
        )
    return pd.DataFrame(rows, columns=["dataset", "config", "status", "error", "seeds", "train_sizes", "n_jobs"])
