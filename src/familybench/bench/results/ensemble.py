"""Post-hoc ensembles: a pure stage after selection, over the kept predictions (no refit).

Caruana et al. (2004) greedy forward selection with replacement, the variant AutoGluon
and TabArena use: a fixed number of rounds; each round adds the candidate (repeats
allowed) whose addition gives the best validation score of the averaged predictions; a
candidate's weight is how often it was added, in the best ensemble along the rounds. Only validation predictions enter the
selection; the test predictions are combined with the chosen weights afterwards.

Three scopes, each a row per dataset × seed × fold × train size:

- ``config``: the trials of one config (**tuned + ensembled**);
- ``family``: every trial of every member of one family (the family at its best);
- ``portfolio``: every trial of every family (what combining families could reach).

Each row keeps the members and weights (``ensemble_members``: JSON job key -> weight), its
cost as the sum over its members (fit and predict seconds, parameters) and its validation
and test metrics (the validation ones are optimistic: the weights were chosen on them).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from familybench._tasks import BINARY, REGRESSION
from familybench.bench.results.metrics import MAIN_METRIC, score
from familybench.bench.results.predictions import Predictions
from familybench.bench.results.record import Protocol, Role, Status

#: AutoGluon's and TabArena's default number of greedy rounds.
ROUNDS = 25
SCOPES = ("config", "family", "portfolio")
_SPLIT = ["dataset", "seed", "fold", "train_size"]


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann–Whitney) formula, ties as average ranks: equal to
    scikit-learn's ``roc_auc_score`` without its input checks, which cost ~5 ms a call in
    a loop of rounds × candidates (this takes tens of microseconds)."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return 1.0
    order = np.argsort(score)
    ordered = score[order]
    starts = np.empty(len(ordered), dtype=bool)  # the first row of each run of equal scores
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    end = np.empty_like(first)
    end[:-1], end[-1] = first[1:], len(ordered)
    ranks = ((first + end + 1) / 2)[np.cumsum(starts) - 1]  # 1-based; ties share their mean rank
    return float((ranks[positive[order]].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _loss(task: str, y, prediction, classes) -> float:
    """What the greedy rounds minimise: the task's main metric, turned into a loss (R² ->
    squared error, ROC AUC -> 1 − AUC, accuracy -> error rate)."""
    if task == REGRESSION:
        return float(np.mean((np.asarray(y, dtype=np.float64) - prediction) ** 2))
    if task == BINARY:
        return 1.0 - _auc(np.asarray(y) == classes[1], prediction[:, 1])
    return float(np.mean(classes[np.argmax(prediction, axis=1)] != np.asarray(y)))


def greedy_weights(candidates: list[np.ndarray], y, task: str, *, classes=None, rounds: int = ROUNDS) -> np.ndarray:
    """Caruana's greedy ensemble selection with replacement on validation predictions.

    Parameters
    ----------
    candidates : list of arrays
        Each candidate's validation predictions on the same rows: values ``(n,)`` for
        regression, class probabilities ``(n, n_classes)`` otherwise.
    y : array
        The validation rows' targets.
    task : {"regression", "binary", "multiclass"}
    classes : array, optional
        The probability columns' classes (classification).
    rounds : int
        Greedy rounds; ties go to the lowest candidate index.

    Returns
    -------
    numpy.ndarray of int
        How often each candidate was chosen in the best ensemble along the rounds (as
        Caruana et al. return it: its validation loss is never above the best single
        candidate's, the first round's pick); the counts sum to at most ``rounds``.
    """
    if not candidates:
        raise ValueError("greedy_weights needs at least one candidate")
    if task != REGRESSION and classes is None:
        raise ValueError("classification candidates need their classes")
    stacked = [np.asarray(c, dtype=np.float64) for c in candidates]
    classes = np.asarray(classes) if classes is not None else None
    counts = np.zeros(len(stacked), dtype=np.int64)
    total = np.zeros_like(stacked[0])
    best_loss, best_counts = np.inf, counts
    for size in range(1, rounds + 1):
        losses = [_loss(task, y, (total + c) / size, classes) for c in stacked]
        pick = int(np.argmin(losses))  # first of equals: the lowest index
        counts = counts.copy()
        counts[pick] += 1
        total += stacked[pick]
        if losses[pick] < best_loss:  # the best ensemble along the way (Caruana et al.)
            best_loss, best_counts = losses[pick], counts
    return best_counts


def _combine(arrays: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    return np.tensordot(weights / weights.sum(), np.stack([np.asarray(a, dtype=np.float64) for a in arrays]), axes=1)


def _side_scores(side: str, task: str, y, combined, classes) -> dict:
    if task == REGRESSION:
        return {f"{side}_{k}": v for k, v in score(task, y, combined).items()}
    labels = np.asarray(classes)[np.argmax(combined, axis=1)]
    return {f"{side}_{k}": v for k, v in score(task, y, labels, combined, classes).items()}


def _usable(rows: pd.DataFrame, predictions: dict[str, Predictions], task: str) -> list[tuple[pd.Series, Predictions]]:
    """Ok trials with kept validation predictions of the right kind (probabilities for a
    classifier: one that gives only labels cannot be averaged)."""
    out = []
    for _, row in rows.iterrows():
        kept = predictions.get(row["job_key"])
        if kept is None or kept.valid is None:
            continue
        if task != REGRESSION and (kept.valid.ndim != 2 or kept.classes is None):
            continue
        out.append((row, kept))
    return out


def _same_rows(members: list[tuple[pd.Series, Predictions]]) -> bool:
    first = members[0][1]
    return all(np.array_equal(p.valid_index, first.valid_index) and np.array_equal(p.test_index, first.test_index)
               and (p.classes is None or np.array_equal(p.classes, first.classes)) for _, p in members[1:])


def ensemble_rows(results: pd.DataFrame, predictions: dict[str, Predictions], *, scope: str = "config",
                  rounds: int = ROUNDS) -> pd.DataFrame:
    """One post-hoc ensemble row per group of trials (see the module docstring).

    Parameters
    ----------
    results : DataFrame
        ``load_results(DIR)``: the trial rows are the candidates.
    predictions : dict
        ``load_predictions(DIR)``.
    scope : {"config", "family", "portfolio"}
    rounds : int
        Greedy rounds.

    Returns
    -------
    DataFrame
        The best candidate's row as a template, with ``protocol = "ensembled"``, ``config``
        the config (``family:NAME`` or ``portfolio`` for the wider scopes), ``ensemble_scope``,
        ``ensemble_members`` (JSON job key -> weight), ``n_candidates``, the summed costs, and
        the combined predictions' ``valid_*`` and ``test_*`` metrics. Groups whose candidates
        do not share validation and test rows are left out.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    roles = results["role"] if "role" in results else pd.Series(None, index=results.index, dtype=object)
    trials = results[(roles == Role.TRIAL.value) & (results["status"] == Status.OK.value)]
    keys = {"config": ["config", *_SPLIT], "family": ["family", *_SPLIT], "portfolio": list(_SPLIT)}[scope]
    groups: dict[tuple, pd.DataFrame] = {}
    for key, rows in trials.groupby(keys, dropna=False, sort=False):
        groups[key] = rows
    out = []
    for key, rows in groups.items():
        task = rows["task"].iloc[0]
        members = _usable(rows, predictions, task)
        if not members or not _same_rows(members):
            continue
        first = members[0][1]
        classes = first.classes
        weights = greedy_weights([p.valid for _, p in members], first.valid_true, task, classes=classes,
                                 rounds=rounds).astype(np.float64)
        chosen = [(row, kept, w) for (row, kept), w in zip(members, weights, strict=True) if w > 0]
        used = np.array([w for _, _, w in chosen])
        valid = _combine([kept.valid for _, kept, _ in chosen], used)
        test = _combine([kept.test for _, kept, _ in chosen], used)
        main = f"valid_{MAIN_METRIC[task]}"
        template = max(chosen, key=lambda item: (item[2], item[0][main]))[0].copy()
        template["protocol"] = Protocol.ENSEMBLED.value
        template["ensemble_scope"] = scope
        if scope == "family":
            template["config"] = f"family:{key[0]}"
        elif scope == "portfolio":
            template["config"], template["family"] = "portfolio", "portfolio"
        template["ensemble_members"] = json.dumps(
            {row["job_key"]: float(w / used.sum()) for row, _, w in chosen}, sort_keys=True)
        template["n_candidates"] = len(members)
        for column in ("fit_seconds", "predict_seconds", "n_params"):
            values = pd.to_numeric(pd.Series([row.get(column) for row, _, _ in chosen]), errors="coerce")
            template[column] = float(values.sum()) if values.notna().all() else np.nan
        # every member predicts every row: the ensemble's time per row is the members' summed
        speeds = pd.to_numeric(pd.Series([row.get("predict_rows_per_second") for row, _, _ in chosen]),
                               errors="coerce")
        template["predict_rows_per_second"] = (float(1.0 / (1.0 / speeds).sum()) if (speeds > 0).all()
                                               else np.nan)
        template.update(_side_scores("valid", task, first.valid_true, valid, classes))
        template.update(_side_scores("test", task, first.test_true, test, classes))
        out.append(template)
    return pd.DataFrame(out).reset_index(drop=True)


def post_hoc_ensembles(directory, *, scope: str = "config", rounds: int = ROUNDS) -> pd.DataFrame:
    """:func:`ensemble_rows` of a results directory: its trials and their kept predictions.

    ``familybench.post_hoc_ensembles("reports/mysuite", scope="family")``; the directory is
    only read. A run without kept predictions (``predictions = false``, or a store written
    before predictions were kept) gives no rows.
    """
    from familybench.bench.results.predictions import load_predictions
    from familybench.bench.results.store import load_results

    return ensemble_rows(load_results(directory), load_predictions(directory), scope=scope, rounds=rounds)


def protocol_rows(directory, results: pd.DataFrame, protocol: str, *, trials: int | None = None,
                  time_budget: float | None = None,
                  predictions: dict[str, Predictions] | None = None) -> pd.DataFrame:
    """A tuned run's rows under one protocol: ``"default"`` (each group's trial 0),
    ``"tuned"`` (``select_best``) or ``"ensembled"`` (config ensembles, with the selection
    columns empty and ``n_trials`` the candidates); every row says its ``protocol``. The one
    place the report and compare turn a protocol into rows (``predictions``: the directory's
    kept predictions when already read); raises ``FamilybenchError`` for an unknown protocol or, for
    ``"ensembled"``, a run without kept trial predictions."""
    from familybench._errors import FamilybenchError
    from familybench.bench.results.predictions import load_predictions
    from familybench.bench.results.select import SELECTION_COLUMNS, select_best

    names = [p.value for p in Protocol]
    if protocol not in names:
        raise FamilybenchError(f"unknown protocol {protocol!r}; expected one of {', '.join(names)}")
    if protocol != Protocol.ENSEMBLED.value:
        which = "default" if protocol == Protocol.DEFAULT.value else "best"
        return select_best(results, which=which, trials=trials, time_budget=time_budget).assign(protocol=protocol)
    rows = ensemble_rows(results, load_predictions(directory) if predictions is None else predictions, scope="config")
    if rows.empty:
        raise FamilybenchError(f"{directory}: no kept trial predictions to ensemble "
                               "(a run with predictions = false, or from before predictions were kept)")
    for column in SELECTION_COLUMNS:
        rows[column] = None
    return rows.assign(n_trials=rows["n_candidates"])
