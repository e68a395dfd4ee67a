"""One-dimensional functions for approximation studies: y = f(x) + noise, x on [-1, 1].

Each shape stresses a different kind of approximation: a smooth periodic function
(``sine1d``), a polynomial that a cubic fits exactly (``cubic1d``), a kink
(``abs1d``), Runge's function that defeats global polynomials (``runge1d``) and a
chirp whose frequency grows across the domain (``chirp1d``). Every dataset exposes the
noiseless ``true_function`` so fitted curves can be drawn against it, and ``noise`` is
the standard deviation of the added Gaussian noise, so the best possible RMSE is
``noise``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

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

_DEFAULT_ROWS = 1000
_DEFAULT_NOISE = 0.1


# Module-level functions (and partials of them) so a Dataset pickles into worker processes.
def sine(x: np.ndarray, frequency: float = 1.0) -> np.ndarray:
    """``sin(2 pi frequency x)``."""
    return np.sin(2 * np.pi * frequency * np.asarray(x, dtype=float))


def cubic(x: np.ndarray) -> np.ndarray:
    """The Chebyshev polynomial ``4 x^3 - 3 x`` (range [-1, 1] on [-1, 1])."""
    x = np.asarray(x, dtype=float)
    return 4 * x**3 - 3 * x


def absolute(x: np.ndarray) -> np.ndarray:
    """``2 |x| - 1``: continuous with a kink at 0."""
    return 2 * np.abs(np.asarray(x, dtype=float)) - 1


def runge(x: np.ndarray) -> np.ndarray:
    """Runge's function ``1 / (1 + 25 x^2)``."""
    return 1.0 / (1.0 + 25.0 * np.asarray(x, dtype=float) ** 2)


def chirp(x: np.ndarray) -> np.ndarray:
    """``sin(8 pi u^2)`` with ``u = (x + 1) / 2``: 4 periods, ever faster towards x = 1."""
    u = (np.asarray(x, dtype=float) + 1.0) / 2.0
    return np.sin(8 * np.pi * u**2)


def _function_dataset(
    name: str,
    function: Callable[[np.ndarray], np.ndarray],
    description: str,
    n_samples: object,
    noise: object,
    random_state: object,
) -> Dataset:
    rows = check_int(name, "n_samples", n_samples, 2)
    seed = check_seed(name, random_state)
    x = child_generators(seed)[0].uniform(-1.0, 1.0, rows)
    return regression_dataset(
        name,
        {"x": x},
        function(x),
        noise=check_float(name, "noise", noise, 0.0),
        n_noise_features=0,
        random_state=seed,
        description=description,
        true_function=function,
    )


def _register(name: str) -> Callable[[Loader], Loader]:
    return register_dataset(
        name,
        task=REGRESSION,
        kind=SYNTHETIC,
        n_rows=_DEFAULT_ROWS,
        n_features=1,
        source=SOURCE,
        licence=LICENCE,
    )


@_register("sine1d")
def sine1d(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = _DEFAULT_NOISE,
    random_state: int = 0,
    frequency: float = 1.0,
) -> Dataset:
    """``y = sin(2 pi frequency x) + noise``, x uniform on [-1, 1] (2 periods by default).

    Raise ``frequency`` to see how many parameters each family needs per period.
    Bayes RMSE = ``noise``.
    """
    frequency = check_float("sine1d", "frequency", frequency, 0.0, 1000.0)
    return _function_dataset(
        "sine1d",
        partial(sine, frequency=frequency),
        f"y = sin(2 pi {frequency:g} x) + N(0, noise^2), x uniform on [-1, 1]",
        n_samples,
        noise,
        random_state,
    )


@_register("cubic1d")
def cubic1d(
    n_samples: int = _DEFAULT_ROWS, noise: float = _DEFAULT_NOISE, random_state: int = 0
) -> Dataset:
    """``y = 4 x^3 - 3 x + noise``: a degree-3 polynomial fits it exactly. Bayes RMSE = ``noise``."""
    return _function_dataset(
        "cubic1d",
        cubic,
        "y = 4 x^3 - 3 x + N(0, noise^2), x uniform on [-1, 1]",
        n_samples,
        noise,
        random_state,
    )


@_register("abs1d")
def abs1d(
    n_samples: int = _DEFAULT_ROWS, noise: float = _DEFAULT_NOISE, random_state: int = 0
) -> Dataset:
    """``y = 2 |x| - 1 + noise``: one kink, exact for two ReLUs, slow for polynomials. Bayes RMSE = ``noise``."""
    return _function_dataset(
        "abs1d",
        absolute,
        "y = 2 |x| - 1 + N(0, noise^2), x uniform on [-1, 1]",
        n_samples,
        noise,
        random_state,
    )


@_register("runge1d")
def runge1d(
    n_samples: int = _DEFAULT_ROWS, noise: float = _DEFAULT_NOISE, random_state: int = 0
) -> Dataset:
    """``y = 1 / (1 + 25 x^2) + noise``: Runge's function, where high-degree polynomials oscillate.

    Bayes RMSE = ``noise``.
    """
    return _function_dataset(
        "runge1d",
        runge,
        "y = 1 / (1 + 25 x^2) + N(0, noise^2), x uniform on [-1, 1]",
        n_samples,
        noise,
        random_state,
    )


@_register("chirp1d")
def chirp1d(
    n_samples: int = _DEFAULT_ROWS, noise: float = _DEFAULT_NOISE, random_state: int = 0
) -> Dataset:
    """``y = sin(8 pi u^2) + noise``, ``u = (x + 1) / 2``: frequency rising across the domain.

    Smooth on the left, fast on the right: a fixed global basis must spend its capacity
    where the data wiggle. Bayes RMSE = ``noise``.
    """
    return _function_dataset(
        "chirp1d",
        chirp,
        "y = sin(8 pi u^2) + N(0, noise^2), u = (x + 1) / 2, x uniform on [-1, 1]",
        n_samples,
        noise,
        random_state,
    )
