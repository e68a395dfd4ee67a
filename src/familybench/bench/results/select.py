"""Selection: from all stored rows to one row per config × dataset × seed × fold × train size.

A pure stage between the store and everything that draws conclusions (report, CLI
summary, compare, statistics): ``select_best(load_results(DIR))``.

For a tuned group the chosen trial is the best on the task's main *validation* metric
(NaN skipped; ties go to the lowest trial index, so the default wins a tie), among the
first ``trials`` trial indices, and within ``time_budget``: the prefix of trials in index
order whose summed recorded fit time stays within it (trial 0 always counts). Its test
metrics come from the refit row when the run refit on all training rows. Untuned rows
pass through unchanged, so downstream code has one path.

:func:`normalised_scores` is the one normalisation of a score across configs:
Grinsztajn et al. (2022)'s ``(s - q) / (max - q)`` per dataset, q = the 10 % quantile
(classification) or the median (regression) of all ok rows on that dataset (trials
included), max over the same rows, clipped at 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from familybench.bench.results.metrics import HIGHER_IS_BETTER, MAIN_METRIC
from familybench.bench.results.record import BAD_STATUSES, FAILED, SKIPPED, Role, Status

GROUP = ["config", "dataset", "seed", "fold", "train_size"]
SELECTION_COLUMNS = ["n_trials", "n_trials_failed", "n_trials_skipped", "tuning_seconds", "stop_reason",
                     "refit_seconds", "test_from", "plot_key"]
NORMALISATION = (
    "normalised score = (s − q) / (max − q) per dataset (Grinsztajn et al. 2022), where q is the "
    "10 % quantile (classification) or the median (regression) and max the best of the main test "
    "metric over all ok rows on that dataset, trials included; clipped at 0"
)


def _seconds(frame: pd.DataFrame) -> pd.Series:
    """Recorded fit time per trial; failed or timed-out trials count the time they ran."""
    return frame["fit_seconds"].where(frame["fit_seconds"].notna(), frame["job_seconds"]).fillna(0.0)


def validation_score(frame: pd.DataFrame) -> pd.Series:
    """The main validation metric per row, oriented so that larger is better (NaN if none)."""
    out = pd.Series(np.nan, index=frame.index, dtype=float)
    for task, rows in frame.groupby(frame["task"].fillna(""), sort=False):
        metric = MAIN_METRIC.get(task)
        if metric is None or f"valid_{metric}" not in rows:
            continue
        values = pd.to_numeric(rows[f"valid_{metric}"], errors="coerce")
        out.loc[rows.index] = values if HIGHER_IS_BETTER[metric] else -values
    return out.where(frame["status"] == Status.OK)


def _window(group: pd.DataFrame, trials: int | None, budget: float | None) -> tuple[pd.DataFrame, str]:
    """The trials that count, in index order, and why the window ends there."""
    ordered = group.sort_values("trial")
    target = trials if trials is not None else _max_int(ordered["tune_trials"])
    if target is not None:
        ordered = ordered[ordered["trial"] < target]
    reason = "trials"
    if budget is not None and budget > 0 and len(ordered):
        within = (_seconds(ordered).cumsum() <= budget).to_numpy(copy=True)
        within[0] = True  # the default always counts
        if not within.all():
            ordered, reason = ordered[np.cumprod(within).astype(bool)], "time_budget"
        elif target is not None and len(ordered) < target and _seconds(ordered).sum() >= budget:
            reason = "time_budget"
    if target is not None and reason == "trials" and len(ordered) < target and len(ordered) < _expected(group):
        reason = "incomplete"  # interrupted: fewer trials stored than asked for
    return ordered, reason


def _expected(group: pd.DataFrame) -> int:
    value = _max_int(group["tune_trials"])
    return value if value is not None else len(group)


def _max_int(series: pd.Series) -> int | None:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return int(values.max()) if len(values) else None


def _budget(group: pd.DataFrame, time_budget: float | None) -> float | None:
    if time_budget is not None:
        return float(time_budget)
    values = pd.to_numeric(group["tune_time_budget"], errors="coerce").dropna()
    return float(values.max()) if len(values) else None


def _best_index(window: pd.DataFrame):
    scores = validation_score(window)
    if scores.notna().sum() == 0:
        return None
    best = scores.max()
    # ties go to the lowest trial index: the default wins a tie
    return window.loc[scores[scores == best].index].sort_values("trial").index[0]


def choose_trial(records: list[dict], *, trials: int | None = None, time_budget: float | None = None):
    """The chosen trial among one group's records (dicts), or ``None`` when none is ok."""
    if not records:
        return None
    frame = pd.DataFrame(records)
    for column in ("fit_seconds", "job_seconds", "tune_trials", "tune_time_budget"):
        if column not in frame:
            frame[column] = np.nan
    trial_rows = frame[frame["role"].fillna(Role.TRIAL.value) == Role.TRIAL.value]
    window, _ = _window(trial_rows, trials, _budget(trial_rows, time_budget))
    index = _best_index(window)
    return None if index is None else records[int(index)]


def select_best(results: pd.DataFrame, *, trials: int | None = None, time_budget: float | None = None,
                which: str = "best") -> pd.DataFrame:
    """One row per config × dataset × seed × fold × train size: the validation-chosen trial.

    Parameters
    ----------
    results : pandas.DataFrame
        Every stored row (:func:`familybench.load_results`).
    trials : int, optional
        Count only the first ``trials`` trial indices (default: the rows' ``tune_trials``).
    time_budget : float, optional
        Seconds of recorded fit time per group (default: the rows' ``tune_time_budget``).
    which : {"best", "default"}, default="best"
        ``"default"`` returns each group's trial 0 instead (the untuned reference).

    Returns
    -------
    pandas.DataFrame
        The chosen rows with the columns of ``results`` plus ``n_trials``,
        ``n_trials_failed``, ``n_trials_skipped``, ``tuning_seconds``, ``stop_reason``
        (trials | time_budget | incomplete), ``refit_seconds``, ``test_from`` (trial |
        refit) and ``plot_key`` (the job whose grid predictions show the chosen params).
        A group with no ok trial gives one ``failed`` (or ``skipped``) row. Untuned rows
        pass through with these columns empty.
    """
    if which not in ("best", "default"):
        raise ValueError(f"which must be 'best' or 'default', got {which!r}")
    roles = results["role"] if "role" in results else pd.Series(None, index=results.index, dtype=object)
    untuned = results[roles.isna()].copy()
    for column in SELECTION_COLUMNS:
        untuned[column] = np.nan if column not in ("stop_reason", "test_from", "plot_key") else None
    trial_rows = results[roles == Role.TRIAL.value]
    if trial_rows.empty:
        return untuned.reset_index(drop=True)
    followups = results[roles.isin([Role.REFIT.value, Role.PLOT.value])]
    follow = {}
    for keys, rows in followups.groupby([*GROUP, "trial", "role"], dropna=False, sort=False):
        follow[tuple(_key(v) for v in keys)] = rows.iloc[0]
    chosen_rows = []
    for keys, group in trial_rows.groupby(GROUP, dropna=False, sort=False):
        window, reason = _window(group, trials, _budget(group, time_budget))
        index = _best_index(window) if which == "best" else (
            window.index[0] if len(window) and window["trial"].iloc[0] == 0 and window["status"].iloc[0] == Status.OK
            else None)
        failed = int(window["status"].isin(BAD_STATUSES).sum())
        skipped = int((window["status"] == SKIPPED).sum())
        if index is None:
            row = (window.iloc[0] if len(window) else group.iloc[0]).copy()
            errors = window.loc[window["status"] != Status.OK, "error"].dropna()
            common = errors.mode().iloc[0] if len(errors) else "no trial finished"
            row["status"] = SKIPPED if skipped == len(window) and len(window) else FAILED
            row["error"] = f"{len(window) - int((window['status'] == Status.OK).sum())} of {len(window)} trials " \
                           f"{row['status']}: {common}"
        else:
            row = window.loc[index].copy()
        row["n_trials"] = len(window)
        row["n_trials_failed"] = failed
        row["n_trials_skipped"] = skipped
        row["tuning_seconds"] = float(_seconds(window).sum())
        row["stop_reason"] = reason
        row["test_from"], row["refit_seconds"], row["plot_key"] = "trial", np.nan, None
        if index is not None:
            trial = int(row["trial"])
            refit = follow.get((*(_key(v) for v in keys), trial, Role.REFIT.value))
            plot = follow.get((*(_key(v) for v in keys), trial, Role.PLOT.value))
            if refit is not None and refit["status"] == Status.OK:
                for column in results.columns:
                    if column.startswith(("test_", "train_")) or column in ("predict_seconds", "n_params", "n_train",
                                                                             "predict_rows_per_second", "n_epochs"):
                        row[column] = refit[column]
                row["test_from"], row["refit_seconds"] = "refit", refit["fit_seconds"]
                row["plot_key"] = refit["job_key"]
            elif plot is not None and plot["status"] == Status.OK:
                row["plot_key"] = plot["job_key"]
            elif len(group) == 1 and _key(row.get("tune_trials")) == 1:
                row["plot_key"] = row["job_key"]  # one trial: it made the artefacts itself (no plot job)
        chosen_rows.append(row)
    selected = pd.DataFrame(chosen_rows)
    out = pd.concat([untuned, selected], ignore_index=True) if len(untuned) else selected.reset_index(drop=True)
    return out.sort_values(["dataset", "config", "seed", "fold", "train_size"], na_position="first",
                           ignore_index=True)


def _key(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def is_tuned(results: pd.DataFrame) -> bool:
    """True when the rows hold tuning trials."""
    return "role" in results and bool((results["role"] == Role.TRIAL.value).any())


def normalised_scores(rows: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Each row's main test metric normalised per dataset (see the module docstring).

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows to normalise (e.g. ``select_best`` output); need ``dataset``, ``task``,
        ``status`` and the ``test_<main metric>`` columns.
    reference : pandas.DataFrame
        The rows that define q and max per dataset: every ok row stored (trials included).

    Returns
    -------
    pandas.Series
        Aligned with ``rows``; NaN where a row has no score or a dataset has no spread.
    """
    out = pd.Series(np.nan, index=rows.index, dtype=float)
    ok = reference[reference["status"] == Status.OK]
    for dataset, ref in ok.groupby("dataset", sort=False):
        tasks = ref["task"].dropna()
        if tasks.empty:
            continue
        task = tasks.iloc[0]
        metric = MAIN_METRIC[task]
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        values = sign * pd.to_numeric(ref[f"test_{metric}"], errors="coerce").dropna()
        if values.empty:
            continue
        q = float(values.quantile(0.1)) if task != "regression" else float(values.median())
        top = float(values.max())
        mine = rows[(rows["dataset"] == dataset) & (rows["status"] == Status.OK)]
        if top <= q or mine.empty:
            continue
        scores = sign * pd.to_numeric(mine[f"test_{metric}"], errors="coerce")
        out.loc[mine.index] = ((scores - q) / (top - q)).clip(lower=0.0)
    return out
