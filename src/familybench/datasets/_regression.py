"""Multivariate regression generators: Friedman's three functions and an apartment price model.

``noise`` is the standard deviation of additive Gaussian noise on the target, so the
best possible RMSE is ``noise``; each dataset's ``noise_floor`` also gives the R^2
ceiling on its sample. The Friedman defaults follow Friedman (1991) and Breiman (1996):
noise 1 for friedman1 and a 3:1 signal-to-noise ratio for friedman2 and friedman3.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .._tasks import REGRESSION
from ._dataset import Dataset
from ._registry import SYNTHETIC, Loader, register_dataset
from ._synthetic import (
    LICENCE,
    SOURCE,
    check_float,
    check_int,
    check_seed,
    child_generators,
    regression_dataset,
)

_FRIEDMAN_ROWS = 2000
_APARTMENT_ROWS = 5000


def _register(name: str, n_rows: int, n_features: int) -> Callable[[Loader], Loader]:
    return register_dataset(
        name,
        task=REGRESSION,
        kind=SYNTHETIC,
        n_rows=n_rows,
        n_features=n_features,
        source=SOURCE,
        licence=LICENCE,
    )


def _checked(
    name: str, n_samples: object, noise: object, random_state: object, n_noise_features: object
) -> tuple[int, float, int, int]:
    return (
        check_int(name, "n_samples", n_samples, 2),
        check_float(name, "noise", noise, 0.0),
        check_seed(name, random_state),
        check_int(name, "n_noise_features", n_noise_features, 0),
    )


@_register("friedman1", _FRIEDMAN_ROWS, 10)
def friedman1(
    n_samples: int = _FRIEDMAN_ROWS,
    noise: float = 1.0,
    random_state: int = 0,
    n_noise_features: int = 5,
) -> Dataset:
    """Friedman #1: ``10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise``, x uniform on [0, 1].

    The classic setting has five extra uniform inputs that carry no signal; here they
    are the ``n_noise_features`` standard-normal ``noise_*`` columns. Var f is about
    23.8, so with noise 1 the R^2 ceiling is about 0.96.
    """
    n_samples, noise, random_state, n_noise_features = _checked(
        "friedman1", n_samples, noise, random_state, n_noise_features
    )
    x = child_generators(random_state)[0].uniform(0.0, 1.0, (n_samples, 5))
    clean = (
        10 * np.sin(np.pi * x[:, 0] * x[:, 1])
        + 20 * (x[:, 2] - 0.5) ** 2
        + 10 * x[:, 3]
        + 5 * x[:, 4]
    )
    return regression_dataset(
        "friedman1",
        {f"x{i + 1}": x[:, i] for i in range(5)},
        clean,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description="Friedman (1991) #1: an interaction, a quadratic and two linear terms on [0, 1]^5",
    )


def _friedman_inputs(rng: np.random.Generator, n_samples: int) -> dict[str, np.ndarray]:
    return {
        "x1": rng.uniform(0.0, 100.0, n_samples),
        "x2": rng.uniform(40 * np.pi, 560 * np.pi, n_samples),
        "x3": rng.uniform(0.0, 1.0, n_samples),
        "x4": rng.uniform(1.0, 11.0, n_samples),
    }


@_register("friedman2", _FRIEDMAN_ROWS, 4)
def friedman2(
    n_samples: int = _FRIEDMAN_ROWS,
    noise: float = 125.0,
    random_state: int = 0,
    n_noise_features: int = 0,
) -> Dataset:
    """Friedman #2: ``sqrt(x1^2 + (x2 x3 - 1 / (x2 x4))^2) + noise`` (an AC circuit's impedance).

    Inputs on x1 in [0, 100], x2 in [40 pi, 560 pi], x3 in [0, 1], x4 in [1, 11], on
    very different scales. The standard deviation of f is about 379, so the default
    noise 125 is the 3:1 signal-to-noise of the original; R^2 ceiling about 0.90.
    """
    n_samples, noise, random_state, n_noise_features = _checked(
        "friedman2", n_samples, noise, random_state, n_noise_features
    )
    inputs = _friedman_inputs(child_generators(random_state)[0], n_samples)
    clean = np.sqrt(
        inputs["x1"] ** 2 + (inputs["x2"] * inputs["x3"] - 1 / (inputs["x2"] * inputs["x4"])) ** 2
    )
    return regression_dataset(
        "friedman2",
        inputs,
        clean,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description="Friedman (1991) #2: impedance of an AC circuit, inputs on unscaled ranges",
    )


@_register("friedman3", _FRIEDMAN_ROWS, 4)
def friedman3(
    n_samples: int = _FRIEDMAN_ROWS,
    noise: float = 0.1,
    random_state: int = 0,
    n_noise_features: int = 0,
) -> Dataset:
    """Friedman #3: ``arctan((x2 x3 - 1 / (x2 x4)) / x1) + noise`` (the circuit's phase angle).

    Same inputs as friedman2. The standard deviation of f is about 0.317, so the
    default noise 0.1 is about 3:1 signal-to-noise; R^2 ceiling about 0.91.
    """
    n_samples, noise, random_state, n_noise_features = _checked(
        "friedman3", n_samples, noise, random_state, n_noise_features
    )
    inputs = _friedman_inputs(child_generators(random_state)[0], n_samples)
    clean = np.arctan(
        (inputs["x2"] * inputs["x3"] - 1 / (inputs["x2"] * inputs["x4"])) / inputs["x1"]
    )
    return regression_dataset(
        "friedman3",
        inputs,
        clean,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description="Friedman (1991) #3: phase angle of an AC circuit, inputs on unscaled ranges",
    )


DISTRICTS = ("center", "north", "east", "south", "west")
_DISTRICT_SHARE = (0.15, 0.25, 0.2, 0.2, 0.2)
_DISTRICT_BASE = np.array([110.0, 80.0, 70.0, 65.0, 90.0])  # thousands
_DISTRICT_PER_M2 = np.array([3.2, 2.2, 1.9, 1.7, 2.5])  # thousands per m^2
_BUILDING_HEIGHTS = (3, 5, 9, 12, 16, 25)
_BUILDING_SHARE = (0.1, 0.25, 0.25, 0.15, 0.15, 0.1)


def apartment_price(X: pd.DataFrame) -> np.ndarray:
    """The noiseless price (thousands) of the ``apartments`` dataset for its feature table.

    ``base[district] + per_m2[district] * area - 0.003 area^2
    - 18 distance + 2.5 distance^2 - 0.15 area * distance
    + 2 floor - 0.08 floor^2 - 0.9 age + 0.007 age^2 + 4 rooms + 6 balcony``:
    a degree-2 polynomial with a district-by-area interaction, so a quadratic model with
    one-hot districts and their products can reach the noise floor.
    """
    district = pd.Categorical(X["district"], categories=DISTRICTS).codes
    area, distance, floor, age = (
        X[c].to_numpy(float) for c in ("area", "distance_to_metro", "floor", "age")
    )
    return (
        _DISTRICT_BASE[district]
        + _DISTRICT_PER_M2[district] * area
        - 0.003 * area**2
        - 18.0 * distance
        + 2.5 * distance**2
        - 0.15 * area * distance
        + 2.0 * floor
        - 0.08 * floor**2
        - 0.9 * age
        + 0.007 * age**2
        + 4.0 * X["rooms"].to_numpy(float)
        + 6.0 * X["balcony"].to_numpy(float)
    )


@_register("apartments", _APARTMENT_ROWS, 8)
def apartments(
    n_samples: int = _APARTMENT_ROWS, noise: float = 15.0, random_state: int = 0
) -> Dataset:
    """Apartment prices (thousands) from area, floor, distance to metro, age, rooms, balcony, district.

    The lecture's kind of price model: squared terms (area, distance, floor, age), an
    area-by-distance interaction and a district-specific price per square metre. See
    :func:`apartment_price` for the exact formula. Rooms follow area, the floor lies
    within the building's height (``n_floors``, which does not enter the price), and
    ``district`` is categorical. R^2 ceiling about 0.96 at the default noise 15.
    """
    n_samples, noise, random_state, _ = _checked("apartments", n_samples, noise, random_state, 0)
    rng = child_generators(random_state)[0]
    area = np.minimum(15.0 + rng.gamma(4.0, 15.0, n_samples), 250.0)
    rooms = np.clip(np.round(area / 28.0 + rng.normal(0.0, 0.6, n_samples)), 1, 6)
    n_floors = rng.choice(_BUILDING_HEIGHTS, n_samples, p=_BUILDING_SHARE)
    floor = rng.integers(1, n_floors + 1)
    distance = np.minimum(0.1 + rng.exponential(1.0, n_samples), 6.0)
    age = rng.uniform(0.0, 100.0, n_samples)
    balcony = (rng.uniform(0.0, 1.0, n_samples) < 0.6).astype(float)
    district = pd.Categorical.from_codes(
        rng.choice(len(DISTRICTS), n_samples, p=_DISTRICT_SHARE), DISTRICTS
    )
    inputs = {
        "area": area,
        "rooms": rooms,
        "floor": floor,
        "n_floors": n_floors,
        "distance_to_metro": distance,
        "age": age,
        "balcony": balcony,
    }
    district_column = pd.Series(district, name="district")
    clean = apartment_price(pd.DataFrame({**inputs, "district": district_column}))
    return regression_dataset(
        "apartments",
        inputs,
        clean,
        noise=noise,
        n_noise_features=0,
        random_state=random_state,
        description=(
            "synthetic apartment prices (thousands): quadratic in area, distance to metro, "
            "floor and age, area x distance and area x district interactions"
        ),
        target="price",
        extra_columns={"district": district_column},
    )
