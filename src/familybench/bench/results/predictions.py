"""The predictions each job keeps: what a later stage (post-hoc ensembles) needs without a refit.

Every job stores, beside its record, one compressed blob (the ``predictions`` artefact of
the results store): the dataset row positions of its test rows and its predictions there,
and for a tuning trial the same for its validation rows — out-of-fold with an inner k-fold,
where the k models' test predictions are averaged (bagging). A classifier's predictions
are its class probabilities (columns in ``classes`` order), a regressor's its values, as
float32. A suite turns this off with ``predictions = false`` (huge tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The artefact name the worker stores a job's predictions under.
PREDICTIONS = "predictions"


@dataclass(frozen=True)
class Predictions:
    """One job's kept predictions.

    Attributes
    ----------
    test_index, test_true, test :
        Row positions in the dataset as loaded (``familybench.load_dataset``) of the job's
        test rows, their targets, and its predictions there: ``(n,)`` values or labels, or
        ``(n, n_classes)`` probabilities.
    valid_index, valid_true, valid :
        The same for the validation rows (out-of-fold with an inner k-fold); ``None`` for
        a job that was not scored on validation rows (untuned, refit).
    classes :
        The classes of the probability columns (``None`` for regression).
    """

    test_index: np.ndarray
    test_true: np.ndarray
    test: np.ndarray
    valid_index: np.ndarray | None = None
    valid_true: np.ndarray | None = None
    valid: np.ndarray | None = None
    classes: np.ndarray | None = None

    @classmethod
    def from_arrays(cls, arrays: dict) -> Predictions:
        return cls(test_index=arrays["test_index"], test_true=arrays["test_true"], test=arrays["test"],
                   valid_index=arrays.get("valid_index"), valid_true=arrays.get("valid_true"),
                   valid=arrays.get("valid"), classes=arrays.get("classes"))


def load_predictions(directory: str | Path, keys=None) -> dict[str, Predictions]:
    """The kept predictions of a results directory: job key -> :class:`Predictions`.

    Parameters
    ----------
    directory : path
        A run's output directory (read-only: the store is not changed).
    keys : iterable of str, optional
        Only these job keys (those without kept predictions are left out).
    """
    from familybench.bench.results.store import ResultStore

    with ResultStore(directory, create=False) as store:
        stored = store.artefacts(PREDICTIONS)
    wanted = None if keys is None else set(keys)
    return {key: Predictions.from_arrays(arrays) for key, arrays in stored.items() if wanted is None or key in wanted}


def _as_stored(values) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "fiub":
        return values.astype(np.float32)
    return values.astype(str)  # labels of a classifier without probabilities


def _targets(y, rows) -> np.ndarray:
    y = np.asarray(y)[rows]
    return y.astype(np.float64) if y.dtype.kind == "f" else (y.astype(np.int64) if y.dtype.kind in "iub"
                                                            else y.astype(str))


def predictions_payload(y, test_rows, test_pred, test_proba, valid, classes) -> dict:
    """What ``load_predictions`` returns for a job: dataset row positions, their targets and,
    per row, the probabilities (classifiers that give them) or the predicted values or labels,
    float32."""
    payload = {"test_index": np.asarray(test_rows, dtype=np.int64), "test_true": _targets(y, test_rows),
               "test": _as_stored(test_proba if test_proba is not None else test_pred)}
    if valid is not None:
        rows, _, pred, proba = valid
        payload.update(valid_index=np.asarray(rows, dtype=np.int64), valid_true=_targets(y, rows),
                       valid=_as_stored(proba if proba is not None else pred))
    if classes is not None:
        payload["classes"] = _as_stored(classes) if np.asarray(classes).dtype.kind not in "iub" \
            else np.asarray(classes, dtype=np.int64)
    return payload
