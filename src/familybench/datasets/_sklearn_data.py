"""Small real datasets bundled with scikit-learn: offline, clean, all-numeric.

Source, licence and description come from the registry entry (decorator and docstring).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._tasks import BINARY, MULTICLASS, REGRESSION
from ._dataset import Dataset
from ._registry import REAL, register_dataset

_UCI = "CC BY 4.0 (UCI Machine Learning Repository); bundled with scikit-learn (BSD-3-Clause)"


def _bunch(loader_name: str, **kwargs: Any) -> Any:
    # sklearn.datasets is imported here, not at module level: it takes a while to import.
    from sklearn import datasets

    return getattr(datasets, loader_name)(as_frame=True, **kwargs)


def _dataset(
    name: str, task: str, X: pd.DataFrame, y: pd.Series, notes: tuple[str, ...] = ()
) -> Dataset:
    return Dataset(
        name=name, task=task, X=X.astype("float64"), y=y, target=str(y.name), notes=notes
    )


def _named_labels(codes: pd.Series, names: np.ndarray) -> pd.Series:
    """Integer class codes -> the dataset's class names (readable in reports)."""
    return pd.Series(np.asarray(names, dtype=object)[codes.to_numpy()], name=codes.name).astype(str)


@register_dataset(
    "diabetes",
    task=REGRESSION,
    kind=REAL,
    n_rows=442,
    n_features=10,
    source="scikit-learn load_diabetes (Efron, Hastie, Johnstone & Tibshirani 2004, Least Angle Regression)",
    licence="bundled with scikit-learn (BSD-3-Clause); no separate data licence stated",
)
def diabetes() -> Dataset:
    """Diabetes progression one year after baseline from age, sex, BMI, blood pressure and six serum measurements.

    Raw values (``load_diabetes(scaled=False)``), 442 patients; ``sex`` is coded 1/2.
    """
    bunch = _bunch("load_diabetes", scaled=False)
    return _dataset(
        "diabetes", REGRESSION, bunch.data, bunch.target.astype("float64").rename("progression")
    )


@register_dataset(
    "breast_cancer",
    task=BINARY,
    kind=REAL,
    n_rows=569,
    n_features=30,
    source="scikit-learn load_breast_cancer (UCI Breast Cancer Wisconsin (Diagnostic), Street et al. 1993)",
    licence=_UCI,
)
def breast_cancer() -> Dataset:
    """Diagnosis (malignant/benign) of breast masses from 30 features of digitised fine-needle aspirates."""
    bunch = _bunch("load_breast_cancer")
    labels = _named_labels(bunch.target, bunch.target_names).rename("diagnosis")
    return _dataset("breast_cancer", BINARY, bunch.data, labels)


@register_dataset(
    "digits",
    task=MULTICLASS,
    kind=REAL,
    n_rows=1797,
    n_features=64,
    source="scikit-learn load_digits (UCI Optical Recognition of Handwritten Digits, test part)",
    licence=_UCI,
)
def digits() -> Dataset:
    """Handwritten digits 0-9 as 8x8 images of pixel counts 0-16 (columns ``pixel_<row>_<col>``)."""
    bunch = _bunch("load_digits")
    note = "3 pixel columns are always 0; kept so the 8x8 image layout stays intact"
    return _dataset(
        "digits", MULTICLASS, bunch.data, bunch.target.astype("int64").rename("digit"), (note,)
    )


@register_dataset(
    "wine",
    task=MULTICLASS,
    kind=REAL,
    n_rows=178,
    n_features=13,
    source="scikit-learn load_wine (UCI Wine, Forina et al.)",
    licence=_UCI,
)
def wine() -> Dataset:
    """Cultivar (class_0/1/2) of 178 Italian wines from 13 chemical measurements."""
    bunch = _bunch("load_wine")
    labels = _named_labels(bunch.target, bunch.target_names).rename("cultivar")
    return _dataset("wine", MULTICLASS, bunch.data, labels)
