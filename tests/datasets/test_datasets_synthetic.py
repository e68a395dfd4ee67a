"""Synthetic generators: determinism, the stated noise, the shapes' exact definitions."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from familybench.datasets import Dataset, DatasetError, list_datasets, load_dataset
from familybench.datasets._functions_1d import chirp, cubic, runge
from familybench.datasets._regression import apartment_price
from familybench.datasets._shapes_2d import MOON_HALF_WIDTH, wedge_label
from familybench.reports._artefacts import drawn_columns

SHAPES_2D = ["wedge", "xor", "circles", "moons", "spirals", "checkerboard"]
FUNCTIONS_1D = ["sine1d", "cubic1d", "abs1d", "runge1d", "chirp1d"]
REGRESSION = ["friedman1", "friedman2", "friedman3", "apartments"]
SYNTHETIC = SHAPES_2D + FUNCTIONS_1D + REGRESSION
SMALL = {"n_samples": 300}


def _same(a: Dataset, b: Dataset) -> bool:
    return a.X.equals(b.X) and a.y.equals(b.y)


def test_every_synthetic_dataset_is_listed():
    listed = list_datasets()
    assert set(SYNTHETIC) <= set(listed.loc[listed["kind"] == "synthetic", "name"])


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_data_other_seed_other_data(name):
    first = load_dataset(name, **SMALL)
    again = load_dataset(name, **SMALL)
    other = load_dataset(name, random_state=1, **SMALL)
    assert _same(first, again)
    assert not first.X.equals(other.X)
    assert first.params["random_state"] == 0 and other.params["random_state"] == 1
    assert first.params["n_samples"] == 300 and first.n_rows == 300


@pytest.mark.parametrize("name", SYNTHETIC)
def test_columns_dtypes_and_metadata(name):
    data = load_dataset(name, **SMALL)
    assert all(isinstance(column, str) for column in data.X.columns)
    for column, dtype in data.X.dtypes.items():
        assert dtype == np.float64 or column in data.categorical
    if data.task == "regression":
        assert data.y.dtype == np.float64
    else:
        assert data.y.dtype == np.int64
    assert data.noise_floor and data.source and data.licence and data.description
    assert not data.X.isna().any().any()


@pytest.mark.parametrize("name", SHAPES_2D)
def test_2d_shapes_are_2d_classification_with_noise_columns(name):
    data = load_dataset(name, n_noise_features=3, **SMALL)
    assert list(data.X.columns) == ["x1", "x2", "noise_1", "noise_2", "noise_3"]
    assert drawn_columns(data) == ["x1", "x2"]  # the reports draw it as 2-D classification
    # Noise columns change nothing else.
    plain = load_dataset(name, **SMALL)
    assert plain.X[["x1", "x2"]].equals(data.X[["x1", "x2"]]) and plain.y.equals(data.y)


def test_wedge_label_is_the_lecture_formula_in_raw_coordinates():
    data = load_dataset("wedge", n_samples=4000)
    x1, x2 = data.X["x1"].to_numpy(), data.X["x2"].to_numpy()
    expected = (np.sign(-2 * x1 + x2 + 5) + np.sign(2 * x1 + x2 - 5) < 0).astype(int)
    np.testing.assert_array_equal(data.y.to_numpy(), expected)
    assert x1.min() >= 0 and x1.max() <= 5 and x2.min() >= -5 and x2.max() <= 5
    assert x1.max() > 4.9 and x2.min() < -4.9  # not rescaled
    assert 0.2 < data.y.mean() < 0.3
    # Inside the wedge, e.g. (2.5, -3), and outside, e.g. (0, 0) and (2.5, 1).
    np.testing.assert_array_equal(
        wedge_label(np.array([2.5, 0.0, 2.5]), np.array([-3.0, 0.0, 1.0])), [1, 0, 0]
    )


@pytest.mark.parametrize("noise", [0.0, 0.1, 0.25])
def test_wedge_noise_flips_exactly_the_stated_fraction(noise):
    data = load_dataset("wedge", n_samples=1000, noise=noise)
    clean = wedge_label(data.X["x1"].to_numpy(), data.X["x2"].to_numpy())
    assert (data.y.to_numpy() != clean).sum() == round(noise * 1000)
    assert f"Bayes error is {noise:g}" in data.noise_floor


@pytest.mark.parametrize("name", SHAPES_2D)
def test_noise_changes_labels_only(name):
    clean = load_dataset(name, noise=0.0, **SMALL)
    noisy = load_dataset(name, noise=0.2, **SMALL)
    assert clean.X.equals(noisy.X)
    assert (clean.y != noisy.y).sum() == 60


def _clean_labels(name: str, X: pd.DataFrame) -> np.ndarray:
    x1, x2 = X["x1"].to_numpy(), X["x2"].to_numpy()
    if name == "xor":
        return ((x1 > 0) != (x2 > 0)).astype(int)
    if name == "circles":
        return (np.hypot(x1, x2) < np.sqrt(0.5)).astype(int)
    if name == "checkerboard":
        cells = np.floor((np.c_[x1, x2] + 1) / 2 * 4).clip(0, 3)
        return (cells.sum(axis=1) % 2).astype(int)
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["xor", "circles", "checkerboard"])
def test_partition_shapes_match_their_definition(name):
    data = load_dataset(name, noise=0.0, n_samples=2000)
    np.testing.assert_array_equal(data.y.to_numpy(), _clean_labels(name, data.X))
    assert 0.4 < data.y.mean() < 0.6


def test_moon_bands_do_not_overlap():
    data = load_dataset("moons", noise=0.0, n_samples=2000)
    x1, x2, y = data.X["x1"].to_numpy(), data.X["x2"].to_numpy(), data.y.to_numpy()
    upper_radius = np.hypot(x1, x2)
    lower_radius = np.hypot(x1 - 1, x2 - 0.5)
    low, high = 1 - MOON_HALF_WIDTH, 1 + MOON_HALF_WIDTH
    in_upper = (upper_radius >= low) & (upper_radius <= high) & (x2 >= 0)
    in_lower = (lower_radius >= low) & (lower_radius <= high) & (x2 <= 0.5)
    assert in_upper[y == 0].all() and in_lower[y == 1].all()
    assert not (in_upper & in_lower).any()
    assert y.sum() == 1000


def test_spirals_multiclass_flips_to_other_classes():
    clean = load_dataset("spirals", n_arms=3, noise=0.0, n_samples=900)
    noisy = load_dataset("spirals", n_arms=3, noise=0.3, n_samples=900)
    assert noisy.task == "multiclass" and sorted(noisy.y.unique()) == [0, 1, 2]
    assert (clean.y != noisy.y).sum() == 270
    assert clean.y.value_counts().tolist() == [300, 300, 300]
    # Arms interleave without touching: at a fixed polar angle, the radius modulo the
    # arm spacing identifies the arm.
    radius = np.hypot(clean.X["x1"], clean.X["x2"]).to_numpy()
    angle = np.arctan2(clean.X["x2"], clean.X["x1"]).to_numpy()
    a = 1 / (2 * np.pi * 2.0)
    phase = (radius / a - angle) / (2 * np.pi) * 3  # arm k sits near -k modulo 3
    arm = np.round(-phase) % 3
    np.testing.assert_array_equal(arm.astype(int), clean.y.to_numpy())


@pytest.mark.parametrize("name", FUNCTIONS_1D)
def test_1d_functions_expose_their_true_function(name):
    data = load_dataset(name, n_samples=2000, noise=0.1)
    assert drawn_columns(data) == ["x"]  # the reports draw it as a 1-D curve
    assert list(data.X.columns) == ["x"]
    residual = data.y.to_numpy() - data.true_function(data.X["x"].to_numpy())
    assert abs(residual.std() - 0.1) < 0.01
    exact = load_dataset(name, n_samples=50, noise=0.0)
    np.testing.assert_allclose(exact.y, exact.true_function(exact.X["x"].to_numpy()))
    assert pickle.loads(pickle.dumps(data)).true_function(np.array([0.3])) == data.true_function(
        np.array([0.3])
    )


def test_1d_shapes():
    np.testing.assert_allclose(cubic(np.array([-1.0, 0.0, 1.0])), [-1, 0, 1])
    assert runge(np.array([0.0]))[0] == 1.0
    assert chirp(np.array([-1.0]))[0] == 0.0
    sine = load_dataset("sine1d", frequency=3.0, n_samples=10, noise=0.0)
    np.testing.assert_allclose(sine.true_function(np.array([1 / 12])), [1.0])


def test_friedman1_formula_and_noise_features():
    data = load_dataset("friedman1", noise=0.0, n_samples=200, n_noise_features=2)
    assert list(data.X.columns) == ["x1", "x2", "x3", "x4", "x5", "noise_1", "noise_2"]
    X = data.X
    expected = 10 * np.sin(np.pi * X.x1 * X.x2) + 20 * (X.x3 - 0.5) ** 2 + 10 * X.x4 + 5 * X.x5
    np.testing.assert_allclose(data.y, expected)
    assert load_dataset("friedman1").n_features == 10


def test_friedman2_and_3_ranges():
    data = load_dataset("friedman2", n_samples=500)
    assert data.X["x2"].between(40 * np.pi, 560 * np.pi).all() and data.X["x4"].between(1, 11).all()
    assert data.params["noise"] == 125.0
    phase = load_dataset("friedman3", noise=0.0, n_samples=500)
    assert phase.y.abs().max() <= np.pi / 2


def test_apartments_price_model():
    data = load_dataset("apartments", n_samples=3000)
    assert data.target == "price" and data.categorical == ("district",)
    assert set(data.X.columns) >= {"area", "floor", "distance_to_metro", "district"}
    assert (data.X["floor"] <= data.X["n_floors"]).all() and (data.X["floor"] >= 1).all()
    residual = data.y.to_numpy() - apartment_price(data.X)
    assert abs(residual.std() - 15.0) < 1.0
    assert (data.y > 0).all()
    exact = load_dataset("apartments", n_samples=100, noise=0.0)
    np.testing.assert_allclose(exact.y, apartment_price(exact.X))


@pytest.mark.parametrize(
    ("name", "params", "bad"),
    [
        ("wedge", {"noise": 0.5}, "noise"),
        ("wedge", {"noise": -0.1}, "noise"),
        ("moons", {"n_samples": 0}, "n_samples"),
        ("moons", {"n_samples": 10.5}, "n_samples"),
        ("xor", {"random_state": None}, "random_state"),
        ("sine1d", {"noise": "high"}, "noise"),
        ("spirals", {"n_arms": 1}, "n_arms"),
        ("friedman1", {"n_noise_features": -1}, "n_noise_features"),
    ],
)
def test_bad_generator_parameters_name_the_parameter(name, params, bad):
    with pytest.raises(DatasetError, match=rf"^{name}: {bad} must be"):
        load_dataset(name, **params)


def test_subsample_is_nested_stratified_and_deterministic():
    data = load_dataset("spirals", n_arms=4, n_samples=1000)
    small = data.subsample(100, random_state=3)
    assert small.n_rows == 100 and small.y.value_counts().tolist() == [25] * 4
    assert _same(small, data.subsample(100, random_state=3))
    larger = data.subsample(300, random_state=3)
    small_rows = {tuple(row) for row in small.X.to_numpy()}
    assert small_rows <= {tuple(row) for row in larger.X.to_numpy()}
    assert not _same(small, data.subsample(100, random_state=4))
    assert data.subsample(5000) is data
    assert small.notes[-1].startswith("subsampled 100 of 1000 rows")
    with pytest.raises(DatasetError):
        data.subsample(0)
