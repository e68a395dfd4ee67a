"""The registry's core: what a model is (:class:`ModelSpec`), the registry itself and
:func:`register`. It imports no family and no other module of this package but
``_signature``; the built-ins (``_builtins``) register through it, and ``_registry`` looks
models up after them, so registration and lookup never import each other.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import FamilybenchError
from .._tasks import REGRESSION, TASKS, check_task
from ._signature import init_params


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
    params: Mapping[str, frozenset[str] | None] | None = None
    """The constructor's parameter names per task, when known without importing the
    estimator: given as ``register(params=...)``, or — for a factory made by
    :func:`estimators`, as every built-in's is — read on first use from the classes'
    ``__init__`` in the module's source (a task's entry is ``None`` where the source does
    not say; ``check_params`` then builds the estimator)."""
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


@dataclass(frozen=True)
class Estimators:
    """A family's factory by name: its module and its regressor and classifier classes,
    imported when a model is built (see :func:`estimators`)."""

    module: str
    regressor: str | None = None
    classifier: str | None = None

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names, regressor first."""
        return tuple(dict.fromkeys(c for c in (self.regressor, self.classifier) if c))

    def class_name(self, task: str) -> str:
        name = self.regressor if task == REGRESSION else self.classifier
        if name is None:
            kind = "regressor" if task == REGRESSION else "classifier"
            raise ModelError(f"{self.module} names no {kind} for task {task!r}")
        return name

    def __call__(self, task: str, **params):
        cls = getattr(importlib.import_module(self.module), self.class_name(task))
        return cls(**params)

    def param_names(self, task: str) -> frozenset[str] | None:
        """The class's ``__init__`` parameters for ``task``, read from the source (no import)."""
        names = init_params(self.module, self.class_name(task))
        return None if names is None else frozenset(names)


def estimators(module: str, regressor: str | None = None, classifier: str | None = None) -> Estimators:
    """A factory that names a family's estimator classes instead of importing them.

    ``module`` is absolute (``"mypkg.family"``) or relative to ``familybench.models``
    (``"._boosting"``); ``regressor`` builds the ``regression`` task, ``classifier`` the
    ``binary`` and ``multiclass`` ones. Registered with it, a family is listed and its
    parameters are checked — against the names its classes' ``__init__`` take, read from
    the source — without importing the module or the libraries it imports.
    """
    return Estimators(importlib.util.resolve_name(module, __package__), regressor, classifier)


class _DerivedParams(Mapping):
    """task -> parameter names of an :class:`Estimators` factory, read on first access."""

    def __init__(self, factory: Estimators, tasks: tuple[str, ...]):
        self._factory, self._tasks, self._names = factory, tasks, {}

    def __getitem__(self, task: str) -> frozenset[str] | None:
        if task not in self._tasks:
            raise KeyError(task)
        if task not in self._names:
            self._names[task] = self._factory.param_names(task)
        return self._names[task]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def __repr__(self) -> str:
        return f"_DerivedParams({self._factory!r})"


def _as_factory(obj: Callable[..., Any]) -> Callable[..., Any]:
    """Accept an estimator class or a function, with or without a ``task`` argument."""
    if isinstance(obj, Estimators):
        return obj
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
        A built-in passes ``estimators("._module", "Regressor", "Classifier")``: nothing is
        imported until a model is built.
    family : str
        The model family the reports group by (e.g. "linear", "boosting", "mlp").
    tasks : sequence of str, default=all tasks
    defaults : mapping, default=None
        Parameters used unless the caller overrides them.
    replace : bool, default=False
        Allow replacing an existing name.
    params : sequence of str, or mapping task -> sequence of str, default=None
        The estimator's parameter names, so a suite's parameters can be checked without
        building (importing) the estimator; ``None`` checks them by building it — or, for
        an :func:`estimators` factory, against its classes' ``__init__`` read from the source.
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

    def decorate(obj):
        if name in _REGISTRY and not replace:
            raise ModelError(f"model {name!r} is already registered; pass replace=True to override it")
        for task in tasks:
            check_task(task)
        if isinstance(obj, Estimators):
            for task in tasks:
                obj.class_name(task)
        _REGISTRY[name] = ModelSpec(
            name=name,
            family=family,
            tasks=tuple(tasks),
            factory=_as_factory(obj),
            defaults=dict(defaults or {}),
            description=description or _first_doc_line(obj),
            reference=reference,
            params=_params_by_task(params, tasks, obj),
            search_space=search_space,
            target=_target(obj),
            warm_up=_check_warm_up(name, warm_up),
            versions=_check_versions(name, versions),
        )
        return obj

    return decorate if factory is None else decorate(factory)


def _first_doc_line(obj) -> str:
    return "" if isinstance(obj, Estimators) else (inspect.getdoc(obj) or "").split("\n")[0]


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
    if isinstance(obj, Estimators):
        return None
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}:{qualname}" if module and qualname else None


def _params_by_task(params, tasks, factory=None) -> Mapping[str, frozenset[str] | None] | None:
    if params is None:
        return _DerivedParams(factory, tuple(tasks)) if isinstance(factory, Estimators) else None
    if isinstance(params, Mapping):
        return {task: frozenset(params[task]) for task in tasks}
    return {task: frozenset(params) for task in tasks}


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
