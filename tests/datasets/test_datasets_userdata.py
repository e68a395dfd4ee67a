"""The user's own data: Dataset.from_file / from_frame, task inference, column fixes, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from familybench.datasets import Dataset, DatasetError

N = 120


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "area": rng.uniform(20, 120, N),  # unique floats: a feature, not an ID
            "floor": rng.integers(0, 10, N),
            "city": rng.choice(["north", "south", "east"], N),
            "price": rng.integers(50_000, 500_000, N),  # integer, but a price
            "rating": rng.integers(1, 6, N),
            "sold": rng.choice(["yes", "no"], N),
            "colour": rng.choice(["red", "green", "blue"], N),
        }
    )


def _load(path, **kwargs) -> tuple[Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = Dataset.from_file(path, **kwargs)
    return data, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.fixture(params=["csv", "parquet"])
def table(request, tmp_path):
    """Write a frame as CSV or Parquet and return the path."""

    def write(frame: pd.DataFrame, name: str = "data"):
        path = tmp_path / f"{name}.{request.param}"
        if request.param == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        return path

    return write


def test_integer_price_stays_regression_and_says_so(table):
    path = table(_frame())
    data, messages = _load(path, target="price")
    assert data.task == "regression" and data.y.dtype == np.float64
    assert any("task inferred as regression" in m and str(path) in m for m in messages)
    assert not any("task='multiclass'" in m for m in messages)
    assert data.name == "data" and data.source == str(path) and data.params["path"] == str(path)
    assert data.categorical == ("city", "sold", "colour")
    assert data.X["area"].dtype == np.float64 and data.X["floor"].dtype == np.float64


def test_few_integer_values_get_a_classification_hint(table):
    data, messages = _load(table(_frame()), target="rating")
    assert data.task == "regression"
    assert any("5 distinct integer values; pass task='multiclass'" in m for m in messages)
    frame = _frame().assign(flag=np.arange(N) % 2)
    flagged, messages = _load(table(frame), target="flag")
    assert flagged.task == "binary" and any("--task regression" in m for m in messages)
    explicit, messages = _load(table(_frame()), target="rating", task="multiclass")
    assert explicit.task == "multiclass" and explicit.y.dtype == np.int64
    assert not any("task inferred" in m for m in messages)


def test_text_targets_are_binary_or_multiclass(table):
    binary, messages = _load(table(_frame()), target="sold")
    assert binary.task == "binary" and sorted(binary.y.unique()) == ["no", "yes"]
    assert any("task inferred as binary" in m and "2 classes" in m for m in messages)
    multi, messages = _load(table(_frame()), target="colour")
    assert multi.task == "multiclass" and multi.y.nunique() == 3
    assert any("task inferred as multiclass" in m for m in messages)


def test_boolean_target_is_binary():
    frame = _frame().assign(sold=lambda f: f["sold"] == "yes")
    data = Dataset.from_frame(frame, target="sold", task="binary")
    assert data.task == "binary" and sorted(data.y.unique()) == [0, 1]


def test_date_strings_become_days(table):
    frame = _frame().assign(listed=pd.date_range("2020-01-01", periods=N).strftime("%Y-%m-%d"))
    data, messages = _load(table(frame), target="price", task="regression")
    assert data.X["listed"].dtype == np.float64
    assert (
        data.X["listed"].iloc[1] == (pd.Timestamp("2020-01-02") - pd.Timestamp("1970-01-01")).days
    )
    assert any("converted date column 'listed'" in note for note in data.notes)
    assert any("'listed'" in m for m in messages)


def test_other_date_formats_and_datetime_columns():
    frame = _frame().assign(
        us=pd.date_range("2021-03-01", periods=N).strftime("%m/%d/%Y"),
        stamp=pd.date_range("2021-03-01", periods=N, freq="h"),
        offsets=["2021-03-01T01:00:00+01:00", "2021-03-02T00:00:00Z"] * (N // 2),
    )
    with pytest.warns(UserWarning):
        data = Dataset.from_frame(frame, target="price", task="regression")
    assert data.X["us"].dtype == np.float64 and data.X["stamp"].dtype == np.float64
    assert data.X["us"].iloc[0] == data.X["stamp"].iloc[0]
    # Mixed UTC offsets are one time axis: 01:00+01:00 is midnight UTC.
    assert data.X["offsets"].iloc[0] == data.X["stamp"].iloc[0]
    assert data.X["offsets"].iloc[1] == data.X["stamp"].iloc[0] + 1


def test_id_like_columns_are_dropped(table):
    frame = _frame().assign(
        customer_id=[f"C{i:05d}" for i in range(N)],
        row=np.arange(N) + 1,
        account_id=np.random.default_rng(1).permutation(10_000)[:N],
    )
    data, messages = _load(table(frame), target="price", task="regression")
    for column in ("customer_id", "row", "account_id"):
        assert column not in data.X.columns
        assert any(f"dropped ID-like column {column!r}" in note for note in data.notes)
    assert "area" in data.X.columns  # unique floats are measurements
    assert any("customer_id" in m for m in messages)


def test_rare_levels_of_high_cardinality_columns_are_grouped(table):
    rng = np.random.default_rng(0)
    common = rng.choice(["a", "b", "c"], 90)
    rare = [f"town{i}" for i in range(30)]  # 30 levels of one row each
    frame = _frame().assign(town=np.concatenate([common, rare]))
    data, messages = _load(table(frame), target="price", task="regression")
    levels = list(data.X["town"].cat.categories)
    assert levels == ["a", "b", "c", "other"]
    assert (data.X["town"] == "other").sum() == 30
    note = next(note for note in data.notes if "'town'" in note)
    assert note.startswith("grouped 30 rare levels") and "into 'other'" in note
    assert any("'town'" in m for m in messages)


def test_from_frame_shares_the_logic_and_leaves_input_alone():
    frame = _frame()
    before = frame.copy()
    with pytest.warns(UserWarning, match="task inferred as regression"):
        data = Dataset.from_frame(frame, target="price", name="houses", drop=["rating"])
    pd.testing.assert_frame_equal(frame, before)
    assert data.name == "houses" and "rating" not in data.X.columns
    assert data.n_rows == N and data.n_features == 5
    numbered = pd.DataFrame({0: np.arange(N) % 3 * 1.5, 1: np.arange(N) % 2})
    assert list(Dataset.from_frame(numbered, target="1", task="binary").X.columns) == ["0"]


def test_semicolon_csv(tmp_path):
    path = tmp_path / "euro.csv"
    _frame().to_csv(path, index=False, sep=";")
    data, _ = _load(path, target="price", task="regression")
    assert data.n_features == 6


def _error(path, **kwargs) -> str:
    with pytest.raises(DatasetError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Dataset.from_file(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_missing_file(tmp_path):
    assert "file not found" in _error(tmp_path / "nope.csv", target="y")


def test_missing_target_column(table):
    message = _error(table(_frame()), target="Price")
    assert "target column 'Price' not found" in message and "did you mean 'price'" in message


def test_empty_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "file is empty" in _error(empty, target="y")
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n")
    assert "file is empty" in _error(blank, target="y")
    header = tmp_path / "header.csv"
    header.write_text("a,y\n")
    assert "no data rows" in _error(header, target="y")


def test_nan_and_inf_targets(table):
    frame = _frame().astype({"price": float})
    frame.loc[[3, 7], "price"] = np.nan
    message = _error(table(frame, "nan"), target="price")
    assert (
        "target column 'price' has 2 missing values" in message
        and "data rows 3, 7, counting from 0" in message
    )
    frame.loc[[3, 7], "price"] = [np.inf, 1.0]
    assert "target column 'price' has 1 infinite values" in _error(
        table(frame, "inf"), target="price"
    )
    text = _frame().astype({"sold": object})
    text.loc[5, "sold"] = None
    assert "target column 'sold' has 1 missing values" in _error(table(text, "text"), target="sold")


def test_single_class(table):
    message = _error(table(_frame().assign(sold="yes")), target="sold")
    assert "target column 'sold' has a single class ('yes')" in message
    assert "constant" in _error(table(_frame().assign(price=5), "const"), target="price")


def test_non_numeric_regression_target(table):
    message = _error(table(_frame()), target="sold", task="regression")
    assert "target column 'sold' is not numeric" in message and "regression" in message


def test_wrong_explicit_task(table):
    assert "3 classes, so it is not binary" in _error(
        table(_frame()), target="colour", task="binary"
    )
    assert "unknown task 'ordinal'" in _error(table(_frame()), target="colour", task="ordinal")


def test_duplicate_column_names(tmp_path):
    csv = tmp_path / "dup.csv"
    csv.write_text("a,b,a,y\n1,2,3,4\n5,6,7,8\n")
    assert "duplicate column names 'a'" in _error(csv, target="y")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    parquet = tmp_path / "dup.parquet"
    pq.write_table(pa.table([[1, 2], [3, 4], [5, 6]], names=["x", "x", "y"]), parquet)
    assert "duplicate column names 'x'" in _error(parquet, target="y")
    frame = pd.DataFrame([[1, 2, 3]], columns=["x", "x", "y"])
    with pytest.raises(DatasetError, match=r"^frame: duplicate column names 'x'"):
        Dataset.from_frame(frame, target="y", name="frame")


def test_unreadable_and_unsupported_files(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    assert "cannot read as Parquet" in _error(bad, target="y")
    sheet = tmp_path / "data.xlsx"
    sheet.write_text("x")
    assert "unsupported file type '.xlsx'" in _error(sheet, target="y")


def test_column_whose_levels_are_all_rare_is_dropped():
    frame = _frame().assign(genus=[f"g{i // 2}" for i in range(N)])  # 60 levels of 2 rows
    with pytest.warns(UserWarning, match="genus"):
        data = Dataset.from_frame(frame, target="price", task="regression")
    assert "genus" not in data.X.columns
    assert any(note.startswith("dropped constant column 'genus'") for note in data.notes)


def test_inference_is_logged(caplog):
    with caplog.at_level("INFO", logger="familybench.datasets"), pytest.warns(UserWarning):
        Dataset.from_frame(_frame(), target="colour", name="paint")
    assert "paint: task inferred as multiclass" in caplog.text


def test_dataset_checks_its_fields():
    X = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(DatasetError, match="unknown task 'ranking'"):
        Dataset(name="d", task="ranking", X=X, y=pd.Series([0, 1]))
    with pytest.raises(DatasetError, match="X has 2 rows but y has 3"):
        Dataset(name="d", task="binary", X=X, y=pd.Series([0, 1, 0]))
    data = Dataset(name="d", task="binary", X=X.set_axis([5, 9]), y=pd.Series([0, 1], name="t"))
    assert list(data.X.index) == [0, 1] and data.target == "t"
    assert repr(data) == (
        "Dataset(name='d', task='binary', n_rows=2, n_features=1, target='t', source='')"
    )


def test_a_two_valued_integer_target_is_inferred_as_binary(tmp_path):
    path = tmp_path / "churn.csv"
    pd.DataFrame({"x": np.linspace(0, 1, 40) ** 2, "left": [0, 1] * 20}).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="inferred as binary.*two integer values \\(0 and 1\\).*--task regression"):
        data = Dataset.from_file(path, target="left")
    assert data.task == "binary"
    assert Dataset.from_file(path, target="left", task="regression").task == "regression"


def test_the_inferred_task_is_part_of_the_file_datasets_identity(tmp_path):
    from familybench.bench.suite.spec import parse_suite

    path = tmp_path / "churn.csv"
    pd.DataFrame({"x": np.linspace(0, 1, 40) ** 2, "left": [0, 1] * 20}).to_csv(path, index=False)
    with pytest.warns(UserWarning):
        inferred = parse_suite({"datasets": {"c": {"path": str(path), "target": "left"}}, "models": ["linear"]})
    forced = parse_suite({"datasets": {"c": {"path": str(path), "target": "left", "task": "regression"}},
                          "models": ["linear"]})
    assert inferred.datasets[0].identity()["inferred_task"] == "binary"
    assert inferred.datasets[0].identity() != forced.datasets[0].identity()


def test_a_resume_never_mixes_two_tasks_under_one_dataset_name(tmp_path):
    import warnings

    from familybench import FamilybenchError
    from familybench.bench.results.store import load_results
    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import parse_suite

    path = tmp_path / "churn.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    pd.DataFrame({"x": x, "z": rng.normal(size=60), "left": (x > 0).astype(int)}).to_csv(path, index=False)

    def suite(**task):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "inferred as binary"
            return parse_suite({"datasets": {"c": {"path": str(path), "target": "left", **task}}, "models": ["linear"]})

    execute(suite(), tmp_path / "out", executor="serial")  # inferred: binary
    with pytest.raises(FamilybenchError, match="dataset 'c' is stored here as binary, and this run treats it as "
                                               "regression.*--fresh"):
        execute(suite(task="regression"), tmp_path / "out", executor="serial")
    assert list(load_results(tmp_path / "out")["task"]) == ["binary"]  # nothing ran, nothing lost
    execute(suite(task="regression"), tmp_path / "out", executor="serial", fresh=True)
    assert list(load_results(tmp_path / "out")["task"]) == ["regression"]
