"""Train/test splits every model on a dataset shares.

A split depends only on the target, the task, the job seed and the split settings,
never on the model, so every family trains and is scored on the same rows. Models that
need a validation set carve it out of their training rows. A cap on training rows
(``train_size``) takes a prefix of one seeded, stratified order of the training rows,
so the 500-row training set is a subset of the 1000-row one: a learning curve adds
data rather than swapping it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._tasks import is_classification
from ._dataset import Dataset
from ._errors import DatasetError
from ._sampling import stratified_order

HOLDOUT = "holdout"
KFOLD = "kfold"
# Salt for the training-cap order, so it is not the same stream as the split itself.
_CAP_SALT = 0x5EED
# Salt for the inner validation split of tuning (another stream again).
_INNER_SALT = 0x7A11D


@dataclass(frozen=True, eq=False)
class Split:
    """One train/test partition: sorted integer row positions into the dataset.

    Attributes
    ----------
    fold : int
        0 for a holdout split, 0..k-1 for k-fold.
    train, test : numpy.ndarray of int
    """

    fold: int
    train: np.ndarray
    test: np.ndarray

    def __post_init__(self) -> None:
        # Every model gets the same Split: read-only copies keep one from editing it.
        for name in ("train", "test"):
            rows = np.array(getattr(self, name), dtype=np.int64)
            rows.setflags(write=False)
            object.__setattr__(self, name, rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Split):
            return NotImplemented
        return (
            self.fold == other.fold
            and np.array_equal(self.train, other.train)
            and np.array_equal(self.test, other.test)
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays


def make_splits(
    dataset_or_y: Dataset | pd.Series | np.ndarray,
    task: str | None = None,
    *,
    seed: int,
    split: str | Mapping[str, Any] = HOLDOUT,
    test_size: float | int = 0.2,
    train_size: int | None = None,
) -> list[Split]:
    """Split rows into train and test, the same way for every model.

    Parameters
    ----------
    dataset_or_y : Dataset or array-like
        A dataset, or its target. Given a Dataset, a warning reports test rows that
        duplicate a training row.
    task : {"regression", "binary", "multiclass"}, default=None
        Needed with a bare target; with a Dataset, defaults to its task.
    seed : int
        The job seed: same inputs and seed, identical indices.
    split : "holdout" or {"kfold": k}, default="holdout"
        One shuffled train/test split, or k folds (each row tested once).
        Classification is stratified by class in both.
    test_size : float or int, default=0.2
        Holdout only: the test fraction, or a number of rows.
    train_size : int, default=None
        Keep at most this many training rows (for learning curves); the test rows are
        unchanged. Stratified for classification, nested across sizes for one seed.

    Returns
    -------
    list of Split
        One for holdout, k for k-fold.
    """
    dataset = dataset_or_y if isinstance(dataset_or_y, Dataset) else None
    if dataset is not None:
        if task is not None and task != dataset.task:
            raise DatasetError(
                f"{dataset.name}: task {task!r} given but the dataset's task is {dataset.task!r}"
            )
        task = dataset.task
        y = dataset.y.to_numpy()
    elif task is None:
        raise ValueError("make_splits needs task= when given a target instead of a Dataset")
    else:
        y = np.asarray(dataset_or_y)
    if y.ndim != 1:
        raise ValueError(f"the target must be one-dimensional, got shape {y.shape}")
    seed = _check_seed(seed)
    label = dataset.name if dataset is not None else "target"
    stratify = y if is_classification(task) else None
    if stratify is not None:
        _check_class_sizes(stratify, label)
    kind, k = _parse_split(split)
    if kind == HOLDOUT:
        pairs = [_holdout(len(y), stratify, seed, test_size, label)]
    else:
        pairs = _kfold(len(y), stratify, seed, k, label)
    if train_size is not None:
        train_size = _check_train_size(train_size)
        pairs = [
            (_cap(train, stratify, seed, fold, train_size), test)
            for fold, (train, test) in enumerate(pairs)
        ]
    splits = [
        Split(fold, np.sort(train), np.sort(test)) for fold, (train, test) in enumerate(pairs)
    ]
    if dataset is not None:
        _warn_duplicates(dataset, splits)
    return splits


def duplicate_overlap(X: pd.DataFrame | np.ndarray, train: np.ndarray, test: np.ndarray) -> int:
    """Count test rows whose features exactly equal those of some training row.

    Such rows are scored on inputs the model saw in training, which flatters models
    that memorise (deep trees, 1-NN-like fits).
    """
    hashes = _row_hashes(X)
    return int(np.isin(hashes[np.asarray(test)], hashes[np.asarray(train)]).sum())


def _row_hashes(X: pd.DataFrame | np.ndarray) -> np.ndarray:
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _warn_duplicates(dataset: Dataset, splits: list[Split]) -> None:
    hashes = _row_hashes(dataset.X)
    counts = [int(np.isin(hashes[s.test], hashes[s.train]).sum()) for s in splits]
    total = sum(counts)
    if total:
        where = (
            f"{total} test rows"
            if len(splits) == 1
            else f"{total} test rows over {len(splits)} folds"
        )
        warnings.warn(
            f"{dataset.name}: {where} duplicate the features of a training row; scores on "
            "them reward memorising",
            UserWarning,
            stacklevel=3,
        )


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_train_size(train_size: object) -> int:
    if (
        isinstance(train_size, bool)
        or not isinstance(train_size, (int, np.integer))
        or train_size < 1
    ):
        raise ValueError(f"train_size must be a positive integer, got {train_size!r}")
    return int(train_size)


def _parse_split(split: str | Mapping[str, Any]) -> tuple[str, int]:
    if split == HOLDOUT:
        return HOLDOUT, 1
    if isinstance(split, Mapping) and set(split) == {KFOLD}:
        k = split[KFOLD]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
            raise ValueError(f"kfold needs an integer k >= 2, got {k!r}")
        return KFOLD, int(k)
    raise ValueError(f"split must be 'holdout' or {{'kfold': k}}, got {split!r}")


def _check_class_sizes(y: np.ndarray, label: str) -> None:
    counts = pd.Series(y).value_counts()
    if len(counts) < 2:
        raise DatasetError(
            f"{label}: a single class ({counts.index[0]!r}); cannot split for classification"
        )
    lonely = counts.index[counts < 2]
    if len(lonely):
        raise DatasetError(
            f"{label}: class {lonely[0]!r} has a single row; stratified splitting needs at "
            "least 2 per class (drop or merge it)"
        )


def _holdout(n: int, stratify: np.ndarray | None, seed: int, test_size: float | int, label: str):
    from sklearn.model_selection import train_test_split

    if isinstance(test_size, bool) or not (
        (isinstance(test_size, (float, np.floating)) and 0 < test_size < 1)
        or (isinstance(test_size, (int, np.integer)) and 0 < test_size < n)
    ):
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or a row count in [1, {n}), got {test_size!r}"
        )
    try:
        return train_test_split(
            np.arange(n), test_size=test_size, random_state=seed, stratify=stratify
        )
    except ValueError as error:  # e.g. fewer test rows than classes
        raise DatasetError(f"{label}: cannot make a stratified holdout split: {error}") from None


def _kfold(n: int, stratify: np.ndarray | None, seed: int, k: int, label: str):
    from sklearn.model_selection import KFold, StratifiedKFold

    if k > n:
        raise DatasetError(f"{label}: {k} folds need at least {k} rows, got {n}")
    if stratify is None:
        folds = KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n))
    else:
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
            np.zeros(n), stratify
        )
    try:
        return list(folds)
    except ValueError as error:  # every class smaller than k
        raise DatasetError(f"{label}: cannot make {k} stratified folds: {error}") from None


def _cap(
    train: np.ndarray, stratify: np.ndarray | None, seed: int, fold: int, train_size: int
) -> np.ndarray:
    if train_size >= len(train):
        return train
    train = np.sort(train)
    rng = np.random.default_rng([seed, fold, _CAP_SALT])
    labels = stratify[train] if stratify is not None else None
    return train[stratified_order(labels, rng, len(train))[:train_size]]


def make_inner_splits(
    y: np.ndarray | pd.Series,
    task: str,
    train: np.ndarray,
    *,
    seed: int,
    fold: int = 0,
    validation: Mapping[str, Any],
    label: str = "target",
) -> list[Split]:
    """Split a split's training rows again, into inner-train and validation rows (tuning).

    The test rows never enter: every returned row position is one of ``train``. The inner
    split depends only on the target, the task, the job seed, the outer fold and the
    validation settings, so every model tuned on a dataset is selected on the same rows.

    Parameters
    ----------
    y : array-like
        The whole dataset's target (positions in ``train`` index into it).
    task : {"regression", "binary", "multiclass"}
    train : numpy.ndarray of int
        The outer split's training rows.
    seed, fold : int
        The job seed and the outer fold.
    validation : {"holdout": fraction} or {"kfold": k}
        Stratified by class for classification.

    Returns
    -------
    list of Split
        ``Split(i, inner_train, validation)``: one for a holdout, k for k-fold.

    Raises
    ------
    DatasetError
        When a class has fewer than 2 rows in an inner-train or validation part (the job
        is skipped with this reason).
    """
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    train = np.sort(np.asarray(train, dtype=np.int64))
    y_train = np.asarray(y)[train]
    stratify = y_train if is_classification(task) else None
    # One integer seed per (job seed, fold): sklearn's splitters take a single int.
    inner_seed = int(np.random.default_rng([_check_seed(seed), int(fold), _INNER_SALT]).integers(2**31 - 1))
    if set(validation) == {HOLDOUT}:
        fraction = validation[HOLDOUT]
        if not 0 < fraction < 1:
            raise ValueError(f"validation fraction must be in (0, 1), got {fraction!r}")
        try:
            pairs = [train_test_split(np.arange(len(train)), test_size=fraction, random_state=inner_seed,
                                      stratify=stratify)]
        except ValueError as error:
            raise DatasetError(f"{label}: cannot make the validation split: {error}") from None
    elif set(validation) == {KFOLD}:
        k = int(validation[KFOLD])
        if k > len(train):
            raise DatasetError(f"{label}: {k} validation folds need at least {k} training rows, got {len(train)}")
        splitter = (StratifiedKFold if stratify is not None else KFold)(n_splits=k, shuffle=True,
                                                                         random_state=inner_seed)
        try:
            pairs = list(splitter.split(np.zeros(len(train)), stratify))
        except ValueError as error:
            raise DatasetError(f"{label}: cannot make {k} validation folds: {error}") from None
    else:
        raise ValueError(f"validation must be {{'holdout': fraction}} or {{'kfold': k}}, got {validation!r}")
    splits = []
    for index, (inner, valid) in enumerate(pairs):
        if stratify is not None:
            for part, rows in (("inner-train", inner), ("validation", valid)):
                counts = pd.Series(stratify[rows]).value_counts().reindex(np.unique(y_train), fill_value=0)
                rare = counts[counts < 2]
                if len(rare):
                    cls = rare.index[0].item() if hasattr(rare.index[0], "item") else rare.index[0]
                    raise DatasetError(
                        f"{label}: class {cls!r} has {int(rare.iloc[0])} row(s) in the {part} part "
                        "of the training rows; tuning needs at least 2 per class there"
                    )
        splits.append(Split(index, np.sort(train[inner]), np.sort(train[valid])))
    return splits
