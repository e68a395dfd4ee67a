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

    from ._base import FamilyModel

    for estimator in family_estimators(name, params):
        check_estimator(estimator, expected_failed_checks=dict(expected_failed_checks or {}))
        if isinstance(estimator, FamilyModel):  # a plain scikit-learn estimator counts nothing
            _check_counts_parameters(name, estimator)


def _check_counts_parameters(name: str, estimator) -> None:
    """familybench's own contract: a fitted family model counts its learned parameters
    (``n_params_``; a ``FamilyModel`` subclass implements ``_count_params``), or the report's
    model-size figure and the runner's ``n_params`` column stay empty for it."""
    import numpy as np
    from sklearn.base import clone, is_classifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int) if is_classifier(estimator) else X[:, 0] - X[:, 1]
    fitted = clone(estimator).fit(X, y)
    try:
        count = fitted.n_params_
    except (AttributeError, NotImplementedError) as exc:
        raise AssertionError(f"model {name!r}: {type(estimator).__name__} has no n_params_ after fit ({exc}); "
                             "implement _count_params") from None
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise AssertionError(f"model {name!r}: n_params_ must be a non-negative integer, got {count!r}")
