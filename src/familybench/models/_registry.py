"""Looking models up: the public functions over the registry (names → family, tasks,
defaults, a factory for an unfitted estimator).

Importing this module registers the built-ins (``_builtins``) first, so whatever is
registered after them — through :func:`register`, re-exported here — is a plug-in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .._errors import FamilybenchError
from .._tasks import TASKS, check_task
from ._builtins import BUILTIN_NAMES
from ._plugins import load_entry_points
from ._spec import (
    _REGISTRY,
    Estimators,
    ModelError,
    ModelSpec,
    _as_factory,
    _import_callable,
    register,
)

__all__ = [
    "BUILTIN_NAMES", "ModelError", "ModelSpec", "check_params", "family_classes", "family_versions", "get_model",
    "get_search_space", "get_spec", "list_models", "register", "run_warm_up",
]


def check_params(name: str, task: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`ModelError` naming a parameter that ``name`` does not take for ``task``.

    Uses the declared parameter names where the spec has them (no import of the estimator,
    so a suite validates in milliseconds); otherwise builds the estimator.
    """
    spec = get_spec(name)
    known = spec.params.get(task) if spec.params is not None else None
    if known is None or any("__" in key for key in params):
        get_model(name, task=task, **params)
        return
    for key in sorted(set(params) - known):
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ModelError(
            f"model {name!r} has no parameter {key!r}{hint}; valid: {', '.join(sorted(known)) or 'none'}"
        )


def get_search_space(name: str, task: str):
    """The built-in :class:`SearchSpace` of model ``name`` for ``task``, or ``None``."""
    from ._space import SearchSpace

    spec = get_spec(name)
    space = spec.search_space
    if space is None:
        space = getattr(spec.factory, "search_space", None)
    if isinstance(space, str):
        space = _import_callable(space)
    if callable(space) and not isinstance(space, SearchSpace):
        space = space(task)
    if space is not None and not isinstance(space, SearchSpace):
        raise ModelError(f"model {name!r}: search_space must give a SearchSpace or None, got {type(space).__name__}")
    return space


def run_warm_up(name: str) -> bool:
    """Run model ``name``'s declared warm-up once; ``False`` when it declares none.

    A mapping warm-up fits and predicts the model, built with those parameters, on 64
    seeded synthetic rows of 3 features for its first task; a callable is called. Errors
    propagate: the worker bounds the time and notes a failure as a cold start.
    """
    spec = get_spec(name)
    warm_up = spec.warm_up
    if warm_up is None:
        return False
    if isinstance(warm_up, str):
        warm_up = _import_callable(warm_up)
    if callable(warm_up):
        warm_up()
        return True
    import numpy as np

    from .._tasks import BINARY, REGRESSION

    task = spec.tasks[0]
    X = np.random.default_rng(0).normal(size=(64, 3))
    y = X[:, 0] - X[:, 1]
    target = y if task == REGRESSION else (y > 0).astype(int) if task == BINARY else np.digitize(y, [-0.5, 0.5])
    get_model(name, task=task, **warm_up).fit(X, target).predict(X)
    return True


def family_versions(names=None) -> dict[str, dict[str, str | None]]:
    """``{family: {distribution: version or None}}`` from each spec's ``versions``, for the
    models ``names`` (default: every registered model, in registration order); a name
    that cannot be resolved here is left out. Reads metadata only: nothing is imported."""
    from .._distributions import installed_version

    out: dict[str, dict[str, str | None]] = {}
    for name in list(_REGISTRY) if names is None else names:
        try:
            spec = get_spec(name)
        except FamilybenchError:
            continue
        for dist in spec.versions:
            out.setdefault(spec.family, {})[dist] = installed_version(dist)
    return out


def get_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` for a registered name or a ``"pkg.module:callable"`` path."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        obj = _import_callable(name)
        return ModelSpec(name=name, family=getattr(obj, "family", "custom"), tasks=TASKS, factory=_as_factory(obj))
    load_entry_points()  # installed plug-ins register on first need
    if name in _REGISTRY:
        return _REGISTRY[name]
    close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    raise ModelError(f"unknown model {name!r}{hint}; known: {', '.join(sorted(_REGISTRY))}")


def get_model(name: str, task: str = "regression", **params: Any):
    """An unfitted estimator for ``name`` and ``task`` with ``params`` applied.

    Family hyperparameters are top-level (``get_model("poly", degree=3)``); settings of
    the nested preprocessing use ``preprocessor__<param>``
    (``get_model("mlp", preprocessor__categorical="ordinal")``).
    """
    check_task(task)
    spec = get_spec(name)
    if task not in spec.tasks:
        raise ModelError(f"model {name!r} does not support task {task!r} (it supports {', '.join(spec.tasks)})")
    merged = {**spec.defaults, **params}
    nested = {k: v for k, v in merged.items() if "__" in k}
    top = {k: v for k, v in merged.items() if "__" not in k}
    try:
        estimator = spec.factory(task, **top)
    except TypeError as exc:
        raise ModelError(f"model {name!r}: {exc}") from None
    if nested:
        if getattr(estimator, "preprocessor", "absent") is None:
            from ._preprocess import Preprocessor

            estimator.set_params(preprocessor=Preprocessor(**type(estimator)._preprocessor_defaults))
        try:
            estimator.set_params(**nested)
        except ValueError as exc:
            raise ModelError(f"model {name!r}: {exc}") from None
    return estimator


def list_models():
    """A table of registered models: name, family, tasks, reference, description."""
    import pandas as pd

    load_entry_points()
    rows = [
        {
            "name": s.name,
            "family": s.family,
            "tasks": ",".join(s.tasks),
            "reference": s.reference,
            "description": s.description,
        }
        for s in _REGISTRY.values()
    ]
    return pd.DataFrame(rows, columns=["name", "family", "tasks", "reference", "description"])


def family_classes() -> dict[str, str]:
    """Estimator class name -> module, for the families whose module is in this package
    (what ``familybench.models.<Class>`` loads on first access): read from their
    registrations, so a new family's classes need no list of their own."""
    out: dict[str, str] = {}
    for spec in _REGISTRY.values():
        factory = spec.factory
        if isinstance(factory, Estimators) and factory.module.startswith(f"{__package__}."):
            for name in factory.classes:
                out.setdefault(name, factory.module)
    return out
