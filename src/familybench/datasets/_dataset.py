"""The :class:`Dataset` record every stage after loading works with."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._tasks import TASKS, is_classification
from ._errors import DatasetError
from ._sampling import stratified_order

# Synthetic generators name their informative inputs x1, x2 (2-D) or x (1-D) and any
# extra uninformative inputs noise_1, noise_2, ...; the reports' pictures read these names
# (reports/_artefacts.py).
NOISE_PREFIX = "noise_"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A supervised learning problem: features, target, task and where they came from.

    Build one with :func:`familybench.datasets.load_dataset`, :meth:`from_file` or
    :meth:`from_frame`. Rows are numbered 0..n-1; splits refer to these positions.

    Attributes
    ----------
    name : str
        Registry name (``"wedge"``) or the user's name for the data.
    task : {"regression", "binary", "multiclass"}
    X : pandas.DataFrame
        Features: numeric columns as float64, categorical ones as ``category``.
    y : pandas.Series
        Target: float64 for regression, labels (int or str) for classification.
    source, licence, description : str
        Provenance, for reports.
    target : str
        Name of the target (``y.name``); a transformed target says so (``"log_price"``).
    categorical : tuple of str
        Names of the ``category`` columns of ``X``, in column order.
    params : dict
        Generator or loader parameters used, so a result can name its exact data.
    notes : tuple of str
        What was dropped, converted or grouped while loading, and why.
    noise_floor : str or None
        The Bayes error or noise floor where it is known, to read scores absolutely.
    true_function : callable or None
        For 1-D function datasets, the noiseless ``f(x)`` on a 1-D array of inputs.
    """

    name: str
    task: str
    X: pd.DataFrame = field(repr=False)
    y: pd.Series = field(repr=False)
    source: str = ""
    licence: str = ""
    description: str = ""
    target: str = ""
    categorical: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    noise_floor: str | None = None
    true_function: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DatasetError(
                f"{self.name}: unknown task {self.task!r}; expected one of {', '.join(TASKS)}"
            )
        if not isinstance(self.X, pd.DataFrame):
            raise DatasetError(
                f"{self.name}: X must be a pandas DataFrame, got {type(self.X).__name__}"
            )
        if len(self.X) != len(self.y):
            raise DatasetError(f"{self.name}: X has {len(self.X)} rows but y has {len(self.y)}")
        X = self.X
        if not all(isinstance(column, str) for column in X.columns):
            X = X.rename(columns=str)
        if not isinstance(X.index, pd.RangeIndex) or X.index.start != 0 or X.index.step != 1:
            X = X.reset_index(drop=True)
        target = self.target or (str(self.y.name) if self.y.name is not None else "y")
        y = self.y if isinstance(self.y, pd.Series) else pd.Series(self.y)
        if not y.index.equals(X.index) or y.name != target:
            y = y.reset_index(drop=True).rename(target)
        categorical = tuple(
            column for column, dtype in X.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)
        )
        if self.categorical and tuple(self.categorical) != categorical:
            raise DatasetError(
                f"{self.name}: categorical={tuple(self.categorical)} does not match the "
                f"category columns of X {categorical}"
            )
        # Frozen: normalise through object.__setattr__ once, at construction.
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "categorical", categorical)
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "params", dict(self.params))

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, n_rows={self.n_rows}, "
            f"n_features={self.n_features}, target={self.target!r}, source={self.source!r})"
        )

    # -- shape -------------------------------------------------------------------------

    @property
    def n_rows(self) -> int:
        """Number of rows (examples)."""
        return len(self.X)

    @property
    def n_features(self) -> int:
        """Number of feature columns, categorical ones counted once."""
        return self.X.shape[1]

    @property
    def classes(self) -> np.ndarray | None:
        """Sorted class labels for classification, None for regression."""
        if not is_classification(self.task):
            return None
        return np.sort(self.y.unique())

    # -- derived data --------------------------------------------------------------------

    def subsample(self, n: int, random_state: int = 0) -> Dataset:
        """Return a Dataset with at most ``n`` rows, stratified for classification.

        A smaller ``n`` gives a subset of a larger one for the same ``random_state``,
        and rows keep their original order.

        Parameters
        ----------
        n : int
            Rows to keep; a dataset with at most ``n`` rows is returned unchanged.
        random_state : int, default=0
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise DatasetError(f"{self.name}: subsample size must be a positive integer, got {n!r}")
        if n >= self.n_rows:
            return self
        rng = np.random.default_rng(random_state)
        labels = self.y.to_numpy() if is_classification(self.task) else None
        rows = np.sort(stratified_order(labels, rng, self.n_rows)[:n])
        note = (
            f"subsampled {n} of {self.n_rows} rows"
            f"{' (stratified)' if labels is not None else ''}, random_state={random_state}"
        )
        return self._with_rows(rows, note)

    def _with_rows(self, rows: np.ndarray, note: str | None = None) -> Dataset:
        X = self.X.iloc[rows].reset_index(drop=True)
        # Unused levels stay, so encoders fitted on the subsample see the same levels.
        y = self.y.iloc[rows].reset_index(drop=True)
        notes = self.notes + ((note,) if note else ())
        return dataclasses.replace(self, X=X, y=y, notes=notes, categorical=())

    # -- user data ------------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        target: str,
        task: str | None = None,
        name: str | None = None,
        *,
        drop: Sequence[str] = (),
    ) -> Dataset:
        """Build a Dataset from a DataFrame holding features and a target column.

        Parameters
        ----------
        df : pandas.DataFrame
        target : str
            Column to predict.
        task : {"regression", "binary", "multiclass"}, default=None
            Inferred when None (and said in a warning): a numeric target is regression,
            a text, boolean or categorical one is binary or multiclass by its number of
            classes.
        name : str, default=None
            Name for reports and messages; ``"data frame"`` when None.
        drop : sequence of str, default=()
            Columns to leave out (e.g. ones that leak the target).

        Notes
        -----
        Date-like text columns become days since 1970-01-01, ID-like columns (one
        distinct value per row) are dropped, text columns become ``category``, and rare
        levels of categoricals with many levels are grouped into ``"other"``. Each
        change is recorded in :attr:`notes` and reported in a warning.

        Raises
        ------
        DatasetError
            On a missing or bad target column, an empty frame or duplicate column names.
        """
        from ._userdata import fields_from_frame

        return cls(**fields_from_frame(df, target, task=task, name=name, drop=drop))

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        target: str,
        task: str | None = None,
        name: str | None = None,
        *,
        drop: Sequence[str] = (),
    ) -> Dataset:
        """Read a CSV (``.csv``, ``.tsv``, optionally compressed) or Parquet file.

        Parameters are those of :meth:`from_frame`; ``name`` defaults to the file name
        without its suffix. Every error message names the file, and the column where
        one is at fault.
        """
        from ._userdata import fields_from_file

        return cls(**fields_from_file(path, target, task=task, name=name, drop=drop))

