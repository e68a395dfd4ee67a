"""Splits: identical for every model, stratified, nested training caps, duplicate warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from familybench.datasets import (
    Dataset,
    DatasetError,
    Split,
    duplicate_overlap,
    load_dataset,
    make_splits,
)


def _imbalanced(n: int = 1000) -> np.ndarray:
    # 70% / 20% / 10%, in a shuffled order.
    labels = np.repeat(["a", "b", "c"], [int(0.7 * n), int(0.2 * n), n - int(0.9 * n)])
    return np.random.default_rng(0).permutation(labels)


def _shares(y: np.ndarray) -> dict:
    return pd.Series(y).value_counts(normalize=True).sort_index().round(3).to_dict()


def test_holdout_is_identical_across_calls_and_differs_across_seeds():
    data = load_dataset("moons", n_samples=500)
    first = make_splits(data, seed=3)
    assert first == make_splits(data, seed=3)
    assert first == make_splits(data.y, "binary", seed=3)  # a Dataset or its target alike
    assert first != make_splits(data, seed=4)
    [split] = first
    assert split.fold == 0 and len(split.test) == 100 and len(split.train) == 400
    assert np.all(np.diff(split.train) > 0) and np.all(np.diff(split.test) > 0)
    assert split.train.dtype == np.int64
    assert not set(split.train) & set(split.test)
    assert set(split.train) | set(split.test) == set(range(500))


def test_holdout_is_stratified_for_classification():
    y = _imbalanced()
    [split] = make_splits(y, "multiclass", seed=0)
    assert _shares(y[split.test]) == _shares(y) == _shares(y[split.train])
    [half] = make_splits(y, "multiclass", seed=0, test_size=0.5)
    assert len(half.test) == 500
    [counted] = make_splits(y, "multiclass", seed=0, test_size=100)
    assert len(counted.test) == 100


def test_regression_holdout():
    y = np.random.default_rng(0).normal(size=200)
    [split] = make_splits(y, "regression", seed=0)
    assert len(split.test) == 40


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_kfold_partitions_the_rows(task):
    y = _imbalanced(500) if task == "multiclass" else np.arange(500.0)
    splits = make_splits(y, task, seed=1, split={"kfold": 5})
    assert [s.fold for s in splits] == [0, 1, 2, 3, 4]
    tested = np.concatenate([s.test for s in splits])
    assert sorted(tested) == list(range(500))
    for s in splits:
        assert len(s.test) == 100 and len(np.intersect1d(s.train, s.test)) == 0
        assert len(s.train) + len(s.test) == 500
        if task == "multiclass":
            assert _shares(y[s.test]) == _shares(y)
    assert splits == make_splits(y, task, seed=1, split={"kfold": 5})


def test_train_size_caps_are_nested_and_stratified():
    y = _imbalanced(2000)
    [full] = make_splits(y, "multiclass", seed=7)
    previous = None
    for size in (30, 100, 500, 1000):
        [capped] = make_splits(y, "multiclass", seed=7, train_size=size)
        assert len(capped.train) == size
        np.testing.assert_array_equal(capped.test, full.test)  # the test rows never change
        assert set(capped.train) <= set(full.train)
        if previous is not None:
            assert set(previous) <= set(capped.train)
        counts = pd.Series(y[capped.train]).value_counts()
        for label, share in {"a": 0.7, "b": 0.2, "c": 0.1}.items():
            assert abs(counts[label] - share * size) <= 1.5
        previous = capped.train
    [tiny] = make_splits(y, "multiclass", seed=7, train_size=3)
    assert sorted(y[tiny.train]) == ["a", "b", "c"]  # every class present
    [uncapped] = make_splits(y, "multiclass", seed=7, train_size=10**6)
    assert uncapped == full
    assert make_splits(y, "multiclass", seed=8, train_size=100) != make_splits(
        y, "multiclass", seed=7, train_size=100
    )


def test_train_size_with_kfold_and_regression():
    y = np.arange(300.0)
    splits = make_splits(y, "regression", seed=0, split={"kfold": 3}, train_size=50)
    assert all(len(s.train) == 50 and len(s.test) == 100 for s in splits)
    bigger = make_splits(y, "regression", seed=0, split={"kfold": 3}, train_size=120)
    assert all(set(a.train) <= set(b.train) for a, b in zip(splits, bigger, strict=True))


def test_duplicate_rows_across_train_and_test_warn():
    X = pd.DataFrame({"x1": np.r_[np.arange(95.0), np.zeros(5)], "x2": np.zeros(100)})
    y = pd.Series(np.arange(100) % 2)
    data = Dataset(name="dups", task="binary", X=X, y=y)
    with pytest.warns(
        UserWarning, match=r"^dups: \d+ test rows duplicate the features of a training row"
    ):
        [split] = make_splits(data, seed=0)
    assert duplicate_overlap(X, split.train, split.test) > 0
    unique = load_dataset("moons", n_samples=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_splits(unique, seed=0)  # no warning without duplicates
        make_splits(np.r_[np.zeros(50), np.ones(50)], "binary", seed=0)  # nor for a bare target


def test_duplicate_overlap_counts_test_rows():
    X = pd.DataFrame({"a": [1, 1, 2, 3, 3, 3], "b": ["x", "x", "y", "z", "z", "w"]})
    assert duplicate_overlap(X, np.array([0, 2, 3]), np.array([1, 4, 5])) == 2
    assert duplicate_overlap(X.to_numpy(), np.array([0]), np.array([2, 3])) == 0


def test_split_errors():
    y = np.array(["a"] * 10 + ["b"])
    with pytest.raises(DatasetError, match="class 'b' has a single row"):
        make_splits(y, "binary", seed=0)
    with pytest.raises(ValueError, match="split must be"):
        make_splits(np.arange(10.0), "regression", seed=0, split="cv")
    with pytest.raises(ValueError, match="kfold needs"):
        make_splits(np.arange(10.0), "regression", seed=0, split={"kfold": 1})
    with pytest.raises(ValueError, match="test_size"):
        make_splits(np.arange(10.0), "regression", seed=0, test_size=1.5)
    with pytest.raises(ValueError, match="seed"):
        make_splits(np.arange(10.0), "regression", seed=-1)
    with pytest.raises(ValueError, match="task="):
        make_splits(np.arange(10.0), seed=0)
    with pytest.raises(ValueError, match="train_size"):
        make_splits(np.arange(10.0), "regression", seed=0, train_size=0)


def test_split_is_a_frozen_record():
    split = Split(0, np.array([0, 1]), np.array([2]))
    assert split == Split(0, np.array([0, 1]), np.array([2]))
    with pytest.raises(AttributeError):
        split.fold = 1
    with pytest.raises(ValueError, match="read-only"):
        split.train[0] = 5
