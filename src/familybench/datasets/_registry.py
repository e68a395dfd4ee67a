"""The dataset registry: names → loader plus static metadata, filled by a decorator.

Loader modules register on import, and are imported on the first registry lookup, so
``import familybench.datasets`` loads no data and no optional package. The metadata
in :func:`register_dataset` is static so :func:`list_datasets` never loads data.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._tasks import check_task
from ._dataset import Dataset
from ._errors import DatasetError, short_list
from ._synthetic import check_int, check_seed

Loader = Callable[..., Dataset]
SYNTHETIC = "synthetic"
REAL = "real"
_KINDS = (SYNTHETIC, REAL)
#: Row cap of the large real tables registered with ``max_rows=DEFAULT_MAX_ROWS``.
DEFAULT_MAX_ROWS = 20_000
_BUILTIN_MODULES = (
    "_shapes_2d", "_functions_1d", "_regression", "_sklearn_data", "_rdata", "_tabular_suite"
)


@dataclass(frozen=True)
class DatasetSpec:
    """What the registry knows about a dataset without loading it.

    ``n_rows`` and ``n_features`` are those of the default parameters; ``max_rows`` is
    the default row cap of a real dataset (None: no cap).
    """

    name: str
    loader: Loader
    task: str
    kind: str
    n_rows: int
    n_features: int
    source: str
    licence: str
    description: str = ""
    requires: tuple[str, ...] = ()
    max_rows: int | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """Parameter names and default values accepted by :func:`load_dataset`."""
        if self.kind == REAL:
            # A real dataset is a fixed table: its only parameters pick a row subsample.
            return {"n_samples": None, "max_rows": self.max_rows, "random_state": 0}
        return {
            name: parameter.default
            for name, parameter in inspect.signature(self.loader).parameters.items()
        }


_REGISTRY: dict[str, DatasetSpec] = {}
_builtins_loaded = False


def register_dataset(
    name: str,
    *,
    task: str,
    kind: str,
    n_rows: int,
    n_features: int,
    source: str,
    licence: str,
    requires: tuple[str, ...] = (),
    max_rows: int | None = None,
    replace: bool = False,
) -> Callable[[Loader], Loader]:
    """Register a loader under ``name`` (decorator).

    Parameters
    ----------
    name : str
    task : {"regression", "binary", "multiclass"}
        Task with the default parameters.
    kind : {"synthetic", "real"}
        A synthetic loader takes its generator parameters as keyword arguments with
        defaults; a real loader takes none (``n_samples``/``random_state`` subsampling
        is applied by :func:`load_dataset`).
    n_rows, n_features : int
        Shape with the default parameters, listed without loading.
    source, licence : str
    requires : tuple of str, default=()
        Optional packages the loader imports.
    replace : bool, default=False
        Allow replacing an existing name.
    """
    check_task(task)
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if max_rows is not None and kind != REAL:
        raise ValueError("max_rows is a parameter of real datasets only")

    def decorate(loader: Loader) -> Loader:
        if name in _REGISTRY and not replace:
            raise ValueError(f"dataset {name!r} is already registered")
        doc = inspect.getdoc(loader) or ""
        _REGISTRY[name] = DatasetSpec(
            name=name,
            loader=loader,
            task=task,
            kind=kind,
            n_rows=n_rows,
            n_features=n_features,
            source=source,
            licence=licence,
            description=doc.split("\n\n")[0].replace("\n", " "),
            requires=tuple(requires),
            max_rows=max_rows,
        )
        return loader

    return decorate


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        _builtins_loaded = True


def get_dataset_spec(name: str) -> DatasetSpec:
    """Return the registry entry for ``name``; DatasetError naming close matches if unknown."""
    _load_builtins()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3)
        hint = f"; did you mean {short_list(close)}?" if close else ""
        raise DatasetError(f"unknown dataset {name!r}{hint}; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def load_dataset(name: str, **params: Any) -> Dataset:
    """Load a registered dataset.

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`.
    **params
        Generator parameters of a synthetic dataset (``n_samples``, ``noise``,
        ``random_state``, ``n_noise_features``, ...), or for a real dataset an optional
        ``n_samples`` (a deterministic, stratified row subsample drawn with
        ``random_state``, default 0).

    Returns
    -------
    Dataset
        Its :attr:`~Dataset.params` hold every parameter value used, defaults included.

    Raises
    ------
    DatasetError
        For an unknown name, an unknown parameter or a bad parameter value.
    """
    spec = get_dataset_spec(name)
    defaults = spec.defaults
    unknown = [param for param in params if param not in defaults]
    if unknown:
        valid = ", ".join(defaults) or "none"
        raise DatasetError(
            f"dataset {name!r} has no parameter {short_list(unknown)}; valid: {valid}"
        )
    resolved = {**defaults, **params}
    if spec.kind == SYNTHETIC:
        dataset = spec.loader(**resolved)
    else:
        check_seed(name, resolved["random_state"])
        caps = []
        for param in ("n_samples", "max_rows"):
            if resolved[param] is not None:
                check_int(name, param, resolved[param], 1)
                caps.append(resolved[param])
        dataset = spec.loader()
        if caps:
            dataset = dataset.subsample(min(caps), resolved["random_state"])
    # Loaders may leave provenance to their registry entry (decorator and docstring).
    return dataclasses.replace(
        dataset,
        name=name,
        params=resolved,
        source=dataset.source or spec.source,
        licence=dataset.licence or spec.licence,
        description=dataset.description or spec.description,
    )


def list_datasets() -> pd.DataFrame:
    """Registered datasets with their task, default size and source; loads nothing.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``task``, ``n_rows``, ``n_features``, ``source``, ``kind``.
    """
    _load_builtins()
    rows = [
        {
            "name": spec.name,
            "task": spec.task,
            "n_rows": spec.n_rows,
            "n_features": spec.n_features,
            "source": spec.source,
            "kind": spec.kind,
        }
        for spec in _REGISTRY.values()
    ]
    return pd.DataFrame(rows, columns=["name", "task", "n_rows", "n_features", "source", "kind"])
