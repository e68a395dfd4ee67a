"""The three supervised tasks familybench knows, shared by every stage."""

from __future__ import annotations

REGRESSION = "regression"
BINARY = "binary"
MULTICLASS = "multiclass"
TASKS: tuple[str, ...] = (REGRESSION, BINARY, MULTICLASS)
CLASSIFICATION: tuple[str, ...] = (BINARY, MULTICLASS)


def check_task(task: str) -> str:
    """Return ``task`` if it is a known task name, else raise a one-line ValueError."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return task


def is_classification(task: str) -> bool:
    return check_task(task) in CLASSIFICATION
