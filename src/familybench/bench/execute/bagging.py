"""Bagging the k models of an inner k-fold trial (the worker's helpers, no clock here).

The out-of-fold validation predictions (each training row predicted by the model that did
not fit it) and the k models' averaged test predictions (TabArena's and AutoGluon's bagging);
probability columns are aligned on the classes any fold's model saw.
"""

from __future__ import annotations

import numpy as np

from familybench._tasks import REGRESSION


def union_classes(per_model):
    """The classes any of the k models saw, sorted (None for regressors)."""
    known = [np.asarray(c) for c in per_model if c is not None]
    return np.unique(np.concatenate(known)) if known else None


def _align(proba, model_classes, classes):
    """A model's probabilities in the columns of ``classes`` (a class its fold lacked: 0)."""
    if proba is None or model_classes is None or np.array_equal(np.asarray(model_classes), classes):
        return proba
    out = np.zeros((len(proba), len(classes)))
    out[:, np.searchsorted(classes, np.asarray(model_classes))] = proba
    return out


def stack(valids, classes):
    """The out-of-fold predictions: each training row predicted by the model that did not fit it."""
    pred = np.concatenate([np.asarray(p) for _, _, p, _ in valids])
    probas = [_align(q, c, classes) for _, c, _, q in valids]
    return pred, (np.vstack(probas) if all(q is not None for q in probas) else None)


def bag(tests, classes, task):
    """The k models' test predictions averaged (bagging): mean values, mean probabilities,
    or for a classifier without probabilities the most frequent label."""
    if task == REGRESSION:
        return np.mean([np.asarray(p, dtype=np.float64) for _, p, _ in tests], axis=0), None
    probas = [_align(q, c, classes) for c, _, q in tests]
    if all(q is not None for q in probas):
        proba = np.mean(probas, axis=0)
        return classes[np.argmax(proba, axis=1)], proba
    labels = np.stack([np.asarray(p) for _, p, _ in tests])  # (k, n)
    votes = np.stack([(labels == c).sum(axis=0) for c in classes])  # (classes, n)
    return classes[np.argmax(votes, axis=0)], None
