"""Scores per task, each task's main metric and every metric's direction.

This module is the one place that says which number decides a comparison: regression → r2,
binary → roc_auc, multiclass → accuracy (all higher is better).
"""

from __future__ import annotations

import numpy as np

from familybench._tasks import BINARY, MULTICLASS, REGRESSION

METRICS: dict[str, tuple[str, ...]] = {
    REGRESSION: ("rmse", "mae", "r2"),
    BINARY: ("accuracy", "balanced_accuracy", "log_loss", "roc_auc"),
    MULTICLASS: ("accuracy", "balanced_accuracy", "log_loss", "roc_auc"),
}
MAIN_METRIC: dict[str, str] = {REGRESSION: "r2", BINARY: "roc_auc", MULTICLASS: "accuracy"}
HIGHER_IS_BETTER: dict[str, bool] = {
    "rmse": False,
    "mae": False,
    "r2": True,
    "accuracy": True,
    "balanced_accuracy": True,
    "log_loss": False,
    "roc_auc": True,
}
ALL_METRICS: tuple[str, ...] = tuple(dict.fromkeys(m for ms in METRICS.values() for m in ms))


def main_metric(task: str) -> str:
    return MAIN_METRIC[task]


def higher_is_better(metric: str) -> bool:
    return HIGHER_IS_BETTER[metric]


def score(task: str, y_true, y_pred, proba=None, classes=None) -> dict[str, float]:
    """All metrics of ``task``; probability metrics are NaN when ``proba`` is None."""
    # Imported here, not at the top: the CLI reads this module's names before its first line.
    from sklearn import metrics as skm

    y_true = np.asarray(y_true)
    if task == REGRESSION:
        y_pred = np.asarray(y_pred, dtype=np.float64)
        return {
            "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
            "mae": float(skm.mean_absolute_error(y_true, y_pred)),
            "r2": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
        }
    out = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)),
        "log_loss": float("nan"),
        "roc_auc": float("nan"),
    }
    if proba is None or len(np.unique(y_true)) < 2:
        return out
    proba = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    labels = list(classes) if classes is not None else None
    out["log_loss"] = float(skm.log_loss(y_true, proba, labels=labels))
    if task == BINARY:
        positive = labels[1] if labels is not None else np.unique(y_true)[1]
        out["roc_auc"] = float(skm.roc_auc_score(y_true == positive, proba[:, 1]))
    else:
        present = np.isin(labels, np.unique(y_true)) if labels is not None else None
        if present is not None and not present.all():
            # roc_auc over the classes present in this test set only.
            sub = proba[:, present] / proba[:, present].sum(axis=1, keepdims=True)
            out["roc_auc"] = float(
                skm.roc_auc_score(y_true, sub, multi_class="ovr", labels=np.asarray(labels)[present])
            )
        else:
            out["roc_auc"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels))
    return out
