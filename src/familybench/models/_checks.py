"""scikit-learn's estimator checks for a registered model: the family author's conformance test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._tasks import BINARY, MULTICLASS, REGRESSION
from ._registry import get_model, get_spec


def family_estimators(name: str, params: Mapping[str, Any] | None = None) -> list:
    """Unfitted estimators of model ``name`` with ``params``, one per estimator kind it has:
    the regressor and the classifier (built for ``binary``; ``multiclass`` uses the same
    class), for the tasks it supports."""
    spec = get_spec(name)
    tasks = [t for t in (REGRESSION, BINARY) if t in spec.tasks]
    if not tasks and MULTICLASS in spec.tasks:
        tasks = [MULTICLASS]
    return [get_model(name, task=task, **dict(params or {})) for task in tasks]


def check_family(
    name: str, params: Mapping[str, Any] | None = None, *, expected_failed_checks: Mapping[str, str] | None = None
) -> None:
    """Run scikit-learn's ``check_estimator`` on every estimator of model ``name``.

    Parameters
    ----------
    name : str
        A registered model (a plug-in's too, once its module is imported).
    params : mapping, default=None
        Parameters for the checks' many small fits (e.g. few epochs or trees).
    expected_failed_checks : mapping of check name -> reason, default=None
        Checks the model is excused from, each with its reason.

    Raises
    ------
    AssertionError or Exception
        The first check that fails, naming it.
    """
    from sklearn.utils.estimator_checks import check_estimator

    for estimator in family_estimators(name, params):
        check_estimator(estimator, expected_failed_checks=dict(expected_failed_checks or {}))
