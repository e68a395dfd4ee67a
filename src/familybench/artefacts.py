"""Artefacts: a job's extra outputs for reports, made by small producer objects.

Neither ``bench/`` nor ``models/`` knows about figures. After a job's timed part (outside
every clock) the worker calls the producers the job names, callback-style, and stores whatever they
return in the results store's ``artefacts`` table; reports read them back by name
(``ReportContext.artefacts(name)``). A producer subclasses :class:`Artefact` and
overrides one or both hooks::

    from familybench.artefacts import Artefact, register_artefact

    @register_artefact
    class Residuals(Artefact):
        name = "residuals"

        def after_fit(self, context):
            pred, _ = context.predict(context.dataset.X)
            return {"residual": context.dataset.y.to_numpy() - pred}

A suite names the producers it needs (``artefacts = ["grid", "view", "residuals"]``);
without that key they default to what its report modules declare (a module-level
``ARTEFACTS`` list: the built-in report needs ``view`` and ``grid``, the lecture report
adds ``first_layer``). Workers look names up here: built-in names import their module on
first use; a producer defined elsewhere lives in a module the suite lists in
``plugins``, which every worker imports before its first job.

A producer that raises, or returns something that is not a dict of arrays, leaves its
artefact missing and a note in the job's ``error_detail``; the job itself is unaffected.

This module imports nothing heavy: ``import familybench.artefacts`` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import FamilybenchError

__all__ = [
    "Artefact",
    "ArtefactContext",
    "ArtefactError",
    "DEFAULT_REPORT",
    "get_artefact",
    "list_artefacts",
    "register_artefact",
    "report_artefacts",
]

#: The report every results directory gets; its module declares ``ARTEFACTS`` like any other.
DEFAULT_REPORT = "familybench.reports"

# Built-in producers by name, imported on first lookup (they live with the reports).
_BUILTIN: dict[str, str] = {
    "view": "familybench.reports._artefacts:DatasetView",
    "grid": "familybench.reports._artefacts:GridPredictions",
    "first_layer": "familybench.reports.lecture._artefacts:FirstLayer",
}
_REGISTRY: dict[str, Artefact] = {}


class ArtefactError(FamilybenchError):
    """An unknown artefact name, or a producer that cannot be registered."""


@dataclass
class ArtefactContext:
    """What a producer gets: plain references to the job's inputs and its fitted model.

    Attributes
    ----------
    job : familybench.bench.plan.jobs.Job
        The job (config, params, seed, fold, ...).
    dataset : familybench.datasets.Dataset
        The whole dataset, as loaded (every row, not only the training ones).
    task : str
        ``"regression"``, ``"binary"`` or ``"multiclass"``.
    model : estimator
        The fitted model (for k inner folds, the first fold's).
    record : dict
        A copy of the job's record, timing and scores already set.
    cache : dict
        Kept with the loaded dataset in this worker: producers may memoise per-dataset
        work there (a grid, a sample), keyed by their own names.
    predict : callable
        ``predict(X) -> (labels_or_values, probabilities_or_None)``, as the worker scores.
    """

    job: Any
    dataset: Any
    task: str
    model: Any
    record: dict
    cache: dict = field(default_factory=dict)
    predict: Callable = field(default=lambda X: (None, None), repr=False)


class Artefact:
    """A producer of one named artefact. Both hooks do nothing; override what you need.

    Each hook returns a dict of arrays (``str -> numpy.ndarray``, no object arrays: they
    are stored with ``numpy.savez``), or ``None`` for nothing.

    Attributes
    ----------
    name : str
        The name suites list and reports ask for.
    """

    name: str = ""

    def once_per_dataset(self, context: ArtefactContext) -> dict | None:
        """Arrays about the dataset itself (stored once per dataset name and run)."""
        return None

    def after_fit(self, context: ArtefactContext) -> dict | None:
        """Arrays about this job's fitted model (stored under its job key)."""
        return None


def register_artefact(producer=None, *, name: str | None = None, replace: bool = False):
    """Register a producer (an :class:`Artefact` subclass, or an instance) under its name.

    Usable as a class decorator (returns its argument). A name already taken by another
    producer is refused unless ``replace``.
    """
    if producer is None:  # @register_artefact(name=...)
        return lambda p: register_artefact(p, name=name, replace=replace)
    instance = producer() if isinstance(producer, type) else producer
    if not isinstance(instance, Artefact):
        raise ArtefactError(f"artefact {producer!r}: expected a subclass or instance of familybench.artefacts.Artefact")
    key = name or instance.name
    if not isinstance(key, str) or not key.strip() or ":" in key:
        raise ArtefactError(f"artefact {producer!r}: needs a name (a non-empty string without ':')")
    if key in _BUILTIN and not replace:
        raise ArtefactError(f"artefact {key!r} is built in; choose another name")
    old = _REGISTRY.get(key)
    # The same class imported twice (a plug-in by path, then by name) is the same producer.
    if old is not None and not replace and type(old).__qualname__ != type(instance).__qualname__:
        raise ArtefactError(f"artefact {key!r} is already registered ({type(old).__qualname__}); pass replace=True")
    instance.name = key
    _REGISTRY[key] = instance
    return producer


def _builtin(name: str) -> Artefact:
    module, _, qualname = _BUILTIN[name].partition(":")
    instance = getattr(importlib.import_module(module), qualname)()
    instance.name = name
    _REGISTRY[name] = instance
    return instance


def list_artefacts() -> list[str]:
    """Every known name: the built-ins and whatever this process registered."""
    return sorted(set(_BUILTIN) | set(_REGISTRY))


def get_artefact(name: str) -> Artefact:
    """The producer registered as ``name`` (built-ins load on first use).

    Raises
    ------
    ArtefactError
        For an unknown name, naming the known ones.
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _BUILTIN:
        return _builtin(name)
    raise ArtefactError(
        f"unknown artefact {name!r}; known: {', '.join(list_artefacts())} (a producer defined in your own "
        "module is registered when the suite lists that module in plugins)"
    )


def check_names(names) -> None:
    """Raise :class:`ArtefactError` for the first unknown name (without importing built-ins)."""
    for name in names:
        if name not in _BUILTIN and name not in _REGISTRY:
            get_artefact(name)


def report_artefacts(spec: str | None, plugins=()) -> tuple[str, ...] | None:
    """The ``ARTEFACTS`` a report module declares (``"module"``, ``"module:function"`` or a
    ``.py`` path; a name may be a plug-in file's stem); ``None`` when it declares nothing.

    Raises
    ------
    ArtefactError
        When the module cannot be imported (one line naming it) or declares a bad list.
    """
    from .models._plugins import import_module_or_file

    module_name = str(spec).partition(":")[0]
    try:
        module = import_module_or_file(module_name, plugins)
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise ArtefactError(f"report module {module_name!r} cannot be imported: {type(exc).__name__}: "
                            f"{text[0] if text else ''}") from None
    declared = getattr(module, "ARTEFACTS", None)
    if declared is None:
        return None
    if isinstance(declared, str) or not all(isinstance(n, str) for n in declared):
        raise ArtefactError(f"report module {module_name!r}: ARTEFACTS must be a list of artefact names")
    return tuple(declared)


def as_payload(value) -> dict | None:
    """A hook's return value as ``str -> numpy.ndarray`` (``None`` stays ``None``).

    Raises
    ------
    TypeError
        For anything else: not a dict, a key that is not a str, or a value that is not
        numeric, boolean or text data (object arrays cannot be stored without pickle).
    """
    import numpy as np

    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict of arrays or None, got {type(value).__name__}")
    out = {}
    for key, array in value.items():
        if not isinstance(key, str):
            raise TypeError(f"expected str keys, got {key!r}")
        array = np.asarray(array)
        if array.dtype == object:
            raise TypeError(f"{key!r}: an object array cannot be stored; give numbers or text")
        out[key] = array
    return out
