"""The model registry: names → (family, tasks, defaults, a factory for an unfitted estimator)."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import FamilybenchError
from .._tasks import TASKS, check_task


class ModelError(FamilybenchError):
    """A model name, task or parameter that familybench cannot use."""


@dataclass(frozen=True)
class ModelSpec:
    """What the registry knows about one model name.

    ``factory(task, **params)`` returns an unfitted scikit-learn estimator.
    """

    name: str
    family: str
    tasks: tuple[str, ...]
    factory: Callable[..., Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    reference: bool = False
    params: Mapping[str, frozenset[str]] | None = None
    """The constructor's parameter names per task, when known without importing the
    estimator (built-ins declare them; a test keeps them equal to ``get_params()``)."""
    search_space: Any = None
    """The family's built-in search space: a :class:`SearchSpace`, a callable
    ``task -> SearchSpace | None``, or ``"module:callable"`` imported on first use."""
    target: str | None = None
    """``"module:qualname"`` of what was registered, so a worker process can replay it."""
    warm_up: Any = None
    """What a worker runs once before any clock starts, so the first timed fit does not pay
    the family's imports and first-call costs: a mapping of parameters for one small fit
    and predict (``{}``: the defaults), a callable taking no arguments, or
    ``"module:callable"``. ``None`` (the default): no warm-up, so a user's model that may
    crash or hang does so inside its own job. See :func:`run_warm_up`."""
    versions: tuple[str, ...] = ()
    """Distributions whose versions the run metadata and report show for this family
    (``("lightgbm",)``), read with :mod:`importlib.metadata` without importing them."""


_REGISTRY: dict[str, ModelSpec] = {}


def _as_factory(obj: Callable[..., Any]) -> Callable[..., Any]:
    """Accept an estimator class or a function, with or without a ``task`` argument."""
    if isinstance(obj, type):
        return lambda task, **params: obj(**params)
    try:
        takes_task = "task" in inspect.signature(obj).parameters
    except (TypeError, ValueError):
        takes_task = False
    if takes_task:
        return lambda task, **params: obj(task=task, **params)
    return lambda task, **params: obj(**params)


def register(
    name: str,
    factory: Callable[..., Any] | None = None,
    *,
    family: str,
    tasks: tuple[str, ...] | list[str] = TASKS,
    defaults: Mapping[str, Any] | None = None,
    description: str = "",
    reference: bool = False,
    replace: bool = False,
    params: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    search_space: Any = None,
    warm_up: Any = None,
    versions: Sequence[str] = (),
):
    """Add a model under ``name``; usable as ``register(name, f, ...)`` or as a decorator.

    Parameters
    ----------
    name : str
    factory : callable
        An estimator class, or a function returning an unfitted estimator; a function
        with a ``task`` parameter receives the task ("regression", "binary", "multiclass").
    family : str
        The model family the reports group by (e.g. "linear", "boosting", "mlp").
    tasks : sequence of str, default=all tasks
    defaults : mapping, default=None
        Parameters used unless the caller overrides them.
    replace : bool, default=False
        Allow replacing an existing name.
    params : sequence of str, or mapping task -> sequence of str, default=None
        The estimator's parameter names, so a suite's parameters can be checked without
        building (importing) the estimator; ``None`` checks them by building it.
    search_space : SearchSpace, callable or str, default=None
        What ``[tune]`` samples for this model: a :class:`~familybench.models.SearchSpace`,
        a function ``task -> SearchSpace | None`` (``None``: nothing to tune for that task),
        or ``"package.module:function"`` imported when a run tunes. Without one the model
        runs trial 0 (its own parameters) only.
    warm_up : mapping, callable or str, default=None
        Run once per worker process before any job's clock starts (bounded in time; one
        that fails or overruns is noted as a cold start, never an aborted run): a mapping
        of parameters for one fit and predict on 64 synthetic rows (``{}`` for the
        defaults, ``{"max_epochs": 1}`` to keep it short), a callable with no arguments,
        or ``"package.module:function"``. ``None``: no warm-up, and the first job of each
        worker pays the imports inside its fit time.
    versions : sequence of str, default=()
        Distribution names (as ``pip`` knows them) whose installed versions the run's
        metadata records and its report shows under this family.
    """

    from . import _builtins  # noqa: F401  (built-ins first: what comes after is a plug-in)

    def decorate(obj):
        if name in _REGISTRY and not replace:
            raise ModelError(f"model {name!r} is already registered; pass replace=True to override it")
        for task in tasks:
            check_task(task)
        _REGISTRY[name] = ModelSpec(
            name=name,
            family=family,
            tasks=tuple(tasks),
            factory=_as_factory(obj),
            defaults=dict(defaults or {}),
            description=description or (inspect.getdoc(obj) or "").split("\n")[0],
            reference=reference,
            params=_params_by_task(params, tasks),
            search_space=search_space,
            target=_target(obj),
            warm_up=_check_warm_up(name, warm_up),
            versions=_check_versions(name, versions),
        )
        return obj

    return decorate if factory is None else decorate(factory)


def _check_warm_up(name: str, warm_up):
    if warm_up is None or isinstance(warm_up, str) or callable(warm_up):
        return warm_up
    if isinstance(warm_up, Mapping):
        return dict(warm_up)
    raise ModelError(f"model {name!r}: warm_up must be a mapping of parameters, a callable, "
                     f"'module:callable' or None, got {type(warm_up).__name__}")


def _check_versions(name: str, versions) -> tuple[str, ...]:
    if isinstance(versions, str) or not all(isinstance(v, str) and v for v in versions):
        raise ModelError(f"model {name!r}: versions must be a sequence of distribution names, got {versions!r}")
    return tuple(versions)


def _target(obj) -> str | None:
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}:{qualname}" if module and qualname else None


def _params_by_task(params, tasks) -> Mapping[str, frozenset[str]] | None:
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {task: frozenset(params[task]) for task in tasks}
    return {task: frozenset(params) for task in tasks}


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
    from . import _builtins  # noqa: F401

    out: dict[str, dict[str, str | None]] = {}
    for name in list(_REGISTRY) if names is None else names:
        try:
            spec = get_spec(name)
        except FamilybenchError:
            continue
        for dist in spec.versions:
            out.setdefault(spec.family, {})[dist] = installed_version(dist)
    return out


def _import_callable(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ModelError(f"model {path!r}: expected 'package.module:callable'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(f"model {path!r}: cannot import {module_name!r} ({exc})") from None
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ModelError(f"model {path!r}: {module_name!r} has no attribute {attr!r}")
    if not callable(obj):
        raise ModelError(f"model {path!r} is not callable")
    return obj


def get_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` for a registered name or a ``"pkg.module:callable"`` path."""
    from . import _builtins  # noqa: F401  (fills the registry on first use)

    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        obj = _import_callable(name)
        return ModelSpec(name=name, family=getattr(obj, "family", "custom"), tasks=TASKS, factory=_as_factory(obj))
    from ._plugins import load_entry_points

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

    from . import _builtins  # noqa: F401
    from ._plugins import load_entry_points

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
