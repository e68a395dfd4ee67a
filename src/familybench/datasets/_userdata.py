"""The user's own data: read a CSV or Parquet file, check it, infer the task.

Every failure is a one-line :class:`DatasetError` naming the file (or frame) and the
column, raised before any model runs, so a long benchmark never dies on its data.

It gives the fields of a :class:`~familybench.datasets.Dataset` as a dict, and
``Dataset.from_file`` / ``Dataset.from_frame`` build the dataset from them: this module
does not import ``_dataset``, so the two never import each other.
"""

from __future__ import annotations

import difflib
import logging
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from .._tasks import BINARY, MULTICLASS, REGRESSION, TASKS
from ._errors import DatasetError, short_list
from ._tabular import prepare_features

logger = logging.getLogger("familybench.datasets")

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")
#: An integer target with at most this many distinct values gets a "maybe classes" hint.
_FEW_VALUES = 20


def fields_from_file(
    path: str | os.PathLike[str],
    target: str,
    task: str | None = None,
    name: str | None = None,
    drop: Sequence[str] = (),
) -> dict[str, Any]:
    """Read ``path``: the fields of its Dataset; see :meth:`Dataset.from_file`."""
    path = Path(path)
    frame = _read_table(path)
    return fields_from_frame(
        frame, target, task=task, name=name or _stem(path), drop=drop, path=path, stacklevel=4
    )


def fields_from_frame(
    df: pd.DataFrame,
    target: str,
    task: str | None = None,
    name: str | None = None,
    drop: Sequence[str] = (),
    path: Path | None = None,
    stacklevel: int = 3,
) -> dict[str, Any]:
    """Check ``df``, infer the task and clean the features: the fields of its Dataset (the
    keyword arguments of ``Dataset(...)``); see :meth:`Dataset.from_frame`.

    ``path`` is the file the frame was read from: messages then name the file.
    ``stacklevel`` makes warnings point at the user's call.
    """
    name = name or "data frame"
    label = str(path) if path is not None else name
    if not isinstance(df, pd.DataFrame):
        raise DatasetError(f"{label}: expected a pandas DataFrame, got {type(df).__name__}")
    if task is not None and task not in TASKS:
        raise DatasetError(f"{label}: unknown task {task!r}; expected one of {', '.join(TASKS)}")
    _check_unique_names(df.columns, label)
    df = df.rename(columns=str)
    _check_unique_names(df.columns, label)
    target = str(target)
    for role, column in [("target column", target), *(("column to drop", str(c)) for c in drop)]:
        if column not in df.columns:
            raise DatasetError(f"{label}: {role} {_missing_column_message(column, df.columns)}")
    if len(df) == 0:
        raise DatasetError(
            f"{label}: no data rows (only a header with columns {short_list(df.columns)})"
        )
    features = df.drop(columns=[target, *map(str, drop)])
    if features.shape[1] == 0:
        raise DatasetError(f"{label}: no feature columns besides target {target!r}")

    y, task, inference = _target(df[target], task, label)
    X, notes = prepare_features(features.reset_index(drop=True))
    if X.shape[1] == 0:
        raise DatasetError(f"{label}: no usable feature columns left ({'; '.join(notes)})")
    # Say what was changed without being asked; missing values are only noted.
    changes = [note for note in notes if not note.startswith("column ")]
    if drop:
        notes.insert(0, f"dropped columns {short_list(drop)} as asked")
    if inference:
        notes.insert(0, inference)
        logger.info("%s: %s", label, inference)
        warnings.warn(f"{label}: {inference}", UserWarning, stacklevel=stacklevel)
    if changes:
        message = f"{label}: " + "; ".join(changes)
        logger.info(message)
        warnings.warn(message, UserWarning, stacklevel=stacklevel)
    return dict(
        name=name,
        task=task,
        X=X,
        y=y.reset_index(drop=True),
        source=str(path) if path is not None else "user data frame",
        licence="user-supplied",
        description=f"user data {label!r}, target {target!r}",
        target=target,
        params={
            **({"path": str(path)} if path is not None else {}),
            "target": target,
            "task": task,
            "drop": list(map(str, drop)),
        },
        notes=tuple(notes),
    )


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    if path.is_dir():
        raise DatasetError(f"{path}: is a directory, not a CSV or Parquet file")
    if path.stat().st_size == 0:
        raise DatasetError(f"{path}: file is empty")
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind in _PARQUET_SUFFIXES:
        return _read_parquet(path)
    if kind in _CSV_SUFFIXES:
        return _read_csv(path, sep="\t" if kind == ".tsv" else None)
    raise DatasetError(
        f"{path}: unsupported file type {kind or '(no suffix)'!r}; use .csv, .tsv or .parquet"
    )


def _read_csv(path: Path, sep: str | None) -> pd.DataFrame:
    try:
        # Read the header as data first: read_csv would rename a duplicate "a" to "a.1".
        header = pd.read_csv(path, sep=sep or ",", header=None, nrows=1, dtype=str)
        if sep is None and header.shape[1] == 1 and ";" in str(header.iloc[0, 0]):
            sep = ";"  # a European-style CSV
            header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str)
        _check_unique_names(header.iloc[0].tolist(), str(path))
        # low_memory=False: chunked type guessing can give one column mixed types.
        return pd.read_csv(path, sep=sep or ",", low_memory=False)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot read as CSV: {error}") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow ships with the [data] extra
        raise DatasetError(
            f"{path}: reading Parquet needs pyarrow: pip install 'familybench[data]'"
        ) from None
    try:
        _check_unique_names(pq.read_schema(path).names, str(path))
        return pd.read_parquet(path)
    except DatasetError:
        raise
    except Exception as error:  # pyarrow raises several unrelated types for bad files
        raise DatasetError(f"{path}: cannot read as Parquet: {error}") from None


def _check_unique_names(names: Iterable[object], label: str) -> None:
    counts = Counter(str(name) for name in names)
    duplicates = [name for name, count in counts.items() if count > 1]
    if duplicates:
        raise DatasetError(f"{label}: duplicate column names {short_list(duplicates)}")


def _missing_column_message(column: str, columns: Iterable[object]) -> str:
    close = difflib.get_close_matches(column, [str(c) for c in columns], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{column!r} not found{hint} (columns: {short_list(columns)})"


def _target(column: pd.Series, task: str | None, label: str) -> tuple[pd.Series, str, str | None]:
    """Validate the target; return (y, task, inference message or None)."""
    name = column.name
    missing = column.isna()
    if missing.any():
        positions = np.flatnonzero(missing.to_numpy())
        rows = ", ".join(map(str, positions[:5])) + (", ..." if len(positions) > 5 else "")
        raise DatasetError(
            f"{label}: target column {name!r} has {len(positions)} missing values (data rows "
            f"{rows}, counting from 0); drop or fill them first"
        )
    numeric = is_numeric_dtype(column.dtype) and not is_bool_dtype(column.dtype)
    if numeric and not np.isfinite(column.to_numpy(dtype="float64")).all():
        n_inf = int((~np.isfinite(column.to_numpy(dtype="float64"))).sum())
        raise DatasetError(f"{label}: target column {name!r} has {n_inf} infinite values")
    n_distinct = column.nunique()
    inference = None
    if task is None:
        values = column.to_numpy(dtype="float64") if numeric else None
        if numeric and n_distinct == 2 and np.all(values == np.round(values)):
            # 0/1 (or any two integers) is almost always a class label
            task = BINARY
            low, high = sorted(column.unique().tolist())
            inference = (
                f"task inferred as binary: target column {name!r} has exactly two integer values "
                f"({low:g} and {high:g}); pass --task regression (task='regression') to treat them as numbers"
            )
        elif numeric:
            task = REGRESSION
            inference = f"task inferred as regression: target column {name!r} is numeric"
            if n_distinct <= _FEW_VALUES and np.all(values == np.round(values)):
                inference += (
                    f" (it has only {n_distinct} distinct integer values; pass "
                    "task='multiclass' if they are classes)"
                )
        else:
            task = BINARY if n_distinct == 2 else MULTICLASS
            inference = (
                f"task inferred as {task}: target column {name!r} holds {n_distinct} classes"
            )
    if task == REGRESSION:
        if not numeric:
            # Numbers stored as text (e.g. a string column in Parquet) are still numbers.
            numbers = pd.to_numeric(column.astype("object"), errors="coerce")
            if numbers.notna().all() and not is_bool_dtype(column.dtype):
                return _target(numbers, task, label)
            example = column[numbers.isna()].iloc[0]
            raise DatasetError(
                f"{label}: target column {name!r} is not numeric (e.g. {example!r}), so it "
                "cannot be a regression target; pass task='binary' or 'multiclass'"
            )
        if n_distinct < 2:
            raise DatasetError(f"{label}: target column {name!r} is constant ({column.iloc[0]!r})")
        return column.astype("float64"), task, inference
    if n_distinct < 2:
        raise DatasetError(
            f"{label}: target column {name!r} has a single class ({column.iloc[0]!r}); "
            "classification needs at least 2"
        )
    if task == BINARY and n_distinct != 2:
        raise DatasetError(
            f"{label}: target column {name!r} has {n_distinct} classes, so it is not binary; "
            "use task='multiclass'"
        )
    if task == MULTICLASS and n_distinct == 2:
        raise DatasetError(f"{label}: target column {name!r} has 2 classes; use task='binary'")
    return _labels(column), task, inference


def _labels(column: pd.Series) -> pd.Series:
    """Class labels as int64 or str: the two kinds every estimator and metric accepts."""
    if is_bool_dtype(column.dtype):
        return column.astype("int64")
    if is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype="float64")
        if np.all(values == np.round(values)):
            return column.astype("int64")
    return column.astype("object").astype(str)


def _stem(path: Path) -> str:
    """``sales.2024.csv.gz`` -> ``sales.2024``: drop the compression and the file type."""
    name = path.name
    if path.suffix.lower() in _COMPRESSIONS:
        name = name[: -len(path.suffix)]
    return Path(name).stem or path.name
