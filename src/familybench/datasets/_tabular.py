"""Turn a raw feature table into one every model family can take.

Linear models, polynomial expansions and MLPs one-hot encode categoricals and scale
numbers; gradient boosting splits on either. Some raw columns break one family while
others shrug: an ID column is memorised by trees and explodes a one-hot encoding, a
date string becomes a categorical with one level per day, a categorical with hundreds
of rare levels turns a polynomial expansion quadratic in its width. Each such column is
fixed here, once, the same for every family, and each fix leaves a note.

Grouping rare levels counts levels over all rows, before any split: it never looks at
the target, and it keeps every family on the same columns.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_timedelta64_dtype,
)

OTHER_LEVEL = "other"
#: A categorical with more levels than this is "high-cardinality".
MAX_LEVELS = 20
#: Levels with fewer rows than max(RARE_MIN_COUNT, RARE_FRACTION * n_rows) are rare.
RARE_MIN_COUNT = 10
RARE_FRACTION = 0.001
#: ID detection needs enough rows for "unique per row" to mean something.
_ID_MIN_ROWS = 10
_EPOCH = pd.Timestamp("1970-01-01")
_ID_NAME = re.compile(
    r"(^|[_\s.\-])(id|uuid|guid|key|index|rownames?|row_?(no|num|number))$|[a-z]ID$|^unnamed: ?0$",
    re.IGNORECASE,
)
# Text that starts like a date: 2024-01-31, 2024/1/31, 31.01.2024, 1/31/24, optional time.
_DATE_LIKE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T]\S.*)?\s*$"
)
_DATE_FORMATS = ("ISO8601", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%m/%d/%y", "%d/%m/%y")
_SAMPLE = 1000


def prepare_features(X: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Return a model-ready copy of ``X`` and notes on every change made.

    Numeric and boolean columns become float64; datetimes and date-like text become
    days since 1970-01-01; text becomes ``category``; ID-like, constant and all-missing
    columns are dropped; rare levels of high-cardinality categoricals become
    ``"other"``.

    Parameters
    ----------
    X : pandas.DataFrame
        Feature columns only, with string names.

    Returns
    -------
    X : pandas.DataFrame
    notes : list of str
    """
    notes: list[str] = []
    columns: dict[str, pd.Series] = {}
    n_rows = len(X)
    for name in X.columns:
        converted = _convert_column(X[name], n_rows, notes)
        if converted is not None:
            columns[name] = converted
    out = pd.DataFrame(columns, index=X.index)
    for name in list(out.columns):
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = _group_rare_levels(out[name], notes)
        # Checked after grouping: a column whose levels were all rare is now constant.
        if out[name].nunique(dropna=False) <= 1 and n_rows > 1:
            notes.append(f"dropped constant column {name!r} (a single value carries no signal)")
            out = out.drop(columns=name)
            continue
        missing = int(out[name].isna().sum())
        if missing:
            notes.append(
                f"column {name!r} has {missing} missing values; left for each model's imputer"
            )
    return out, notes


def _convert_column(column: pd.Series, n_rows: int, notes: list[str]) -> pd.Series | None:
    """One column to float64 or category; None drops it (after adding a note)."""
    name = column.name
    dtype = column.dtype
    if column.isna().all():
        notes.append(f"dropped column {name!r}: every value is missing")
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        return _as_category(column)
    if is_bool_dtype(dtype):
        return column.astype("float64")
    if is_datetime64_any_dtype(dtype):
        notes.append(f"converted datetime column {name!r} to days since 1970-01-01")
        return _days_since_epoch(column)
    if is_timedelta64_dtype(dtype):
        notes.append(f"converted duration column {name!r} to days")
        return column / pd.Timedelta(days=1)
    if is_numeric_dtype(dtype):
        if _is_numeric_id(column, n_rows):
            notes.append(f"dropped ID-like column {name!r}: a distinct integer per row")
            return None
        return column.astype("float64")
    return _convert_text(column, n_rows, notes)


def _convert_text(column: pd.Series, n_rows: int, notes: list[str]) -> pd.Series | None:
    name = column.name
    # Decide on the distinct values: a text column usually has far fewer than rows.
    distinct = pd.Series(pd.unique(column.dropna().to_numpy(dtype=object)), dtype=object)
    if distinct.map(type).eq(bool).all():
        return column.astype("float64")
    if pd.to_numeric(distinct, errors="coerce").notna().all():
        notes.append(f"converted text column {name!r} to numbers")
        return pd.to_numeric(column, errors="coerce").astype("float64")
    dates = _parse_dates(column, distinct)
    if dates is not None:
        failed = int(dates.isna().sum() - column.isna().sum())
        extra = f" ({failed} unparseable values set missing)" if failed else ""
        notes.append(f"converted date column {name!r} to days since 1970-01-01{extra}")
        return _days_since_epoch(dates)
    if n_rows >= _ID_MIN_ROWS and len(distinct) == n_rows:
        notes.append(f"dropped ID-like column {name!r}: a distinct value per row")
        return None
    return _as_category(column)


def _as_category(column: pd.Series) -> pd.Series:
    """Category column with string levels (mixed level types break sorting and encoders)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Keep an existing (e.g. R factor) level order, minus unused levels.
        column = column.cat.remove_unused_categories()
        return column.cat.rename_categories([str(level) for level in column.cat.categories])
    values = column.astype("object")
    values = values.where(values.isna(), values.astype(str))
    return values.astype("category")


def _is_numeric_id(column: pd.Series, n_rows: int) -> bool:
    if n_rows < _ID_MIN_ROWS or column.isna().any() or column.nunique() != n_rows:
        return False
    values = column.to_numpy(dtype="float64")
    if not np.all(np.floor(values) == values):
        return False
    # A float measurement is often unique per row; an integer counter that is either
    # named like an ID or numbers the rows 1..n (in any order) is not a feature.
    ordered = np.sort(values)
    is_row_counter = bool(np.all(np.diff(ordered) == 1))
    return is_row_counter or bool(_ID_NAME.search(str(column.name)))


def _parse_dates(column: pd.Series, distinct: pd.Series) -> pd.Series | None:
    sample = distinct.iloc[:: max(1, len(distinct) // _SAMPLE)][:_SAMPLE].astype(str)
    if sample.empty or not sample.str.match(_DATE_LIKE).all():
        return None
    # utc=True: values with different UTC offsets are one instant axis; naive ones count as UTC.
    for date_format in _DATE_FORMATS:
        if pd.to_datetime(sample, format=date_format, errors="coerce", utc=True).notna().all():
            parsed = pd.to_datetime(
                column.astype("object"), format=date_format, errors="coerce", utc=True
            )
            if parsed.notna().sum() >= 0.99 * column.notna().sum():
                return parsed
    return None


def _days_since_epoch(column: pd.Series) -> pd.Series:
    if getattr(column.dt, "tz", None) is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((column - _EPOCH) / pd.Timedelta(days=1)).astype("float64")


def _group_rare_levels(column: pd.Series, notes: list[str]) -> pd.Series:
    counts = column.value_counts(dropna=True)
    counts = counts[counts > 0]
    if len(counts) <= MAX_LEVELS:
        return column
    min_count = max(RARE_MIN_COUNT, math.ceil(RARE_FRACTION * len(column)))
    rare = [level for level, count in counts.items() if count < min_count and level != OTHER_LEVEL]
    if not rare:
        return column
    rare_set = set(rare)
    kept = [
        level
        for level in column.cat.categories
        if level not in rare_set and counts.get(level, 0) > 0
    ]
    if OTHER_LEVEL not in kept:
        kept.append(OTHER_LEVEL)
    values = column.astype("object")
    values = values.where(~values.isin(rare), OTHER_LEVEL)
    n_grouped = int(counts[rare].sum())
    notes.append(
        f"grouped {len(rare)} rare level{'s' if len(rare) > 1 else ''} (< {min_count} rows "
        f"each, {n_grouped} rows) of "
        f"high-cardinality column {column.name!r} ({len(counts)} levels) into {OTHER_LEVEL!r}; "
        f"{len(kept)} {'levels remain' if len(kept) > 1 else 'level remains'}"
    )
    return pd.Series(pd.Categorical(values, categories=kept), index=column.index, name=column.name)
