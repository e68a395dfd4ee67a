"""Two-dimensional classification shapes for decision-region studies.

All share one meaning of ``noise``: the fraction of labels flipped to another class
at random. The clean classes never overlap (each shape is a partition of the plane or
a set of disjoint bands), so the Bayes error is exactly ``noise`` and a score reads
absolutely: accuracy 0.95 on ``noise=0.05`` is as good as it gets. Inputs are the
numeric columns ``x1``, ``x2``, followed by ``n_noise_features`` standard-normal
columns ``noise_1``, ... that carry no signal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._tasks import BINARY
from ._dataset import Dataset
from ._registry import SYNTHETIC, Loader, register_dataset
from ._synthetic import (
    LICENCE,
    SOURCE,
    check_float,
    check_int,
    check_seed,
    child_generators,
    classification_dataset,
)

_DEFAULT_ROWS = 2000


def _common(
    name: str,
    n_samples: object,
    noise: object,
    random_state: object,
    n_noise_features: object,
    n_classes: int = 2,
) -> tuple[int, float, int, int]:
    """Validate the parameters every shape takes; return them typed."""
    return (
        check_int(name, "n_samples", n_samples, max(2, n_classes)),
        # At (K - 1) / K flipped labels the classes become indistinguishable.
        check_float(name, "noise", noise, 0.0, (n_classes - 1) / n_classes, below_high=True),
        check_seed(name, random_state),
        check_int(name, "n_noise_features", n_noise_features, 0),
    )


def _balanced_labels(rng: np.random.Generator, n_samples: int, n_classes: int) -> np.ndarray:
    """Labels 0..K-1 in equal shares (within one), in random order."""
    return rng.permutation(np.arange(n_samples) % n_classes)


def _register(name: str) -> Callable[[Loader], Loader]:
    return register_dataset(
        name,
        task=BINARY,
        kind=SYNTHETIC,
        n_rows=_DEFAULT_ROWS,
        n_features=2,
        source=SOURCE,
        licence=LICENCE,
    )


def wedge_label(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """The lecture's two-neuron network: ``[sign(-2x1 + x2 + 5) + sign(2x1 + x2 - 5) < 0]``."""
    return (np.sign(-2 * x1 + x2 + 5) + np.sign(2 * x1 + x2 - 5) < 0).astype(np.int64)


@_register("wedge")
def wedge(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = 0.0,
    random_state: int = 0,
    n_noise_features: int = 0,
) -> Dataset:
    """The lecture's two-neuron example: the wedge below two crossing lines, raw coordinates.

    Label 1 where ``sign(-2 x1 + x2 + 5) + sign(2 x1 + x2 - 5) < 0``, i.e. below both
    ``x2 = 2 x1 - 5`` and ``x2 = 5 - 2 x1`` (apex at (2.5, 0)); two ReLU/threshold units
    and an AND represent it exactly. Inputs are uniform on x1 in [0, 5], x2 in [-5, 5]
    and are not rescaled, so models that need scaled inputs must do it themselves.
    About 25% of rows are positive. Bayes error = ``noise``.
    """
    n_samples, noise, random_state, n_noise_features = _common(
        "wedge", n_samples, noise, random_state, n_noise_features
    )
    rng = child_generators(random_state)[0]
    x1 = rng.uniform(0.0, 5.0, n_samples)
    x2 = rng.uniform(-5.0, 5.0, n_samples)
    return classification_dataset(
        "wedge",
        {"x1": x1, "x2": x2},
        wedge_label(x1, x2),
        n_classes=2,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description=(
            "the lecture's two-neuron example in raw coordinates: label 1 below both lines "
            "x2 = 2 x1 - 5 and x2 = 5 - 2 x1; x1 uniform on [0, 5], x2 on [-5, 5]"
        ),
    )


@_register("xor")
def xor(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = 0.05,
    random_state: int = 0,
    n_noise_features: int = 0,
) -> Dataset:
    """XOR: label 1 where x1 and x2 have different signs; inputs uniform on [-1, 1]^2.

    No additive model separates it; a product term (x1 * x2) or two hidden units do.
    Balanced. Bayes error = ``noise``.
    """
    n_samples, noise, random_state, n_noise_features = _common(
        "xor", n_samples, noise, random_state, n_noise_features
    )
    rng = child_generators(random_state)[0]
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    labels = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return classification_dataset(
        "xor",
        {"x1": x[:, 0], "x2": x[:, 1]},
        labels,
        n_classes=2,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description="XOR quadrants on [-1, 1]^2: label 1 where sign(x1) != sign(x2)",
    )


@_register("circles")
def circles(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = 0.05,
    random_state: int = 0,
    n_noise_features: int = 0,
) -> Dataset:
    """A disk inside a ring: inputs uniform on the unit disk, label 1 where radius < 1/sqrt(2).

    The boundary is a circle (linear in x1^2 + x2^2). Balanced in expectation. Bayes
    error = ``noise``.
    """
    n_samples, noise, random_state, n_noise_features = _common(
        "circles", n_samples, noise, random_state, n_noise_features
    )
    rng = child_generators(random_state)[0]
    radius = np.sqrt(rng.uniform(0.0, 1.0, n_samples))  # sqrt: uniform over the area
    angle = rng.uniform(0.0, 2 * np.pi, n_samples)
    return classification_dataset(
        "circles",
        {"x1": radius * np.cos(angle), "x2": radius * np.sin(angle)},
        (radius < np.sqrt(0.5)).astype(np.int64),
        n_classes=2,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description="unit disk split by the circle of radius 1/sqrt(2): inner disk = 1, ring = 0",
    )


#: Half-width of each moon band; the two bands then stay more than 0.25 apart.
MOON_HALF_WIDTH = 0.2


@_register("moons")
def moons(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = 0.05,
    random_state: int = 0,
    n_noise_features: int = 0,
) -> Dataset:
    """Two interleaving half-moon bands (scikit-learn's moons, thickened instead of jittered).

    Class 0 lies within 0.2 of the upper unit half-circle centred at (0, 0), class 1
    within 0.2 of the lower one centred at (1, 0.5). The bands do not touch, so the Bayes
    error is exactly ``noise`` (Gaussian jitter, as in scikit-learn, would make it
    unknown). Balanced.
    """
    n_samples, noise, random_state, n_noise_features = _common(
        "moons", n_samples, noise, random_state, n_noise_features
    )
    rng = child_generators(random_state)[0]
    labels = _balanced_labels(rng, n_samples, 2)
    angle = rng.uniform(0.0, np.pi, n_samples)
    radius = rng.uniform(1.0 - MOON_HALF_WIDTH, 1.0 + MOON_HALF_WIDTH, n_samples)
    upper = labels == 0
    x1 = np.where(upper, radius * np.cos(angle), 1.0 - radius * np.cos(angle))
    x2 = np.where(upper, radius * np.sin(angle), 0.5 - radius * np.sin(angle))
    return classification_dataset(
        "moons",
        {"x1": x1, "x2": x2},
        labels,
        n_classes=2,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description="two interleaving half-moon bands of half-width 0.2",
    )


@_register("spirals")
def spirals(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = 0.05,
    random_state: int = 0,
    n_noise_features: int = 0,
    n_arms: int = 2,
    n_turns: float = 2.0,
) -> Dataset:
    """Interleaved Archimedean spiral arms, one class per arm (multiclass for n_arms > 2).

    Arm k is the band around ``r = a * t`` at angle ``t + 2 pi k / n_arms`` for t in
    [pi/2, 2 pi n_turns], ``a = 1 / (2 pi n_turns)`` (so the outermost radius is 1),
    with a radial half-width of a quarter of the gap between arms: the arms never touch
    and the Bayes error is exactly ``noise``. Hard for axis-aligned trees and for
    low-degree polynomials; balanced.
    """
    n_arms = check_int("spirals", "n_arms", n_arms, 2)
    n_turns = check_float("spirals", "n_turns", n_turns, 0.5, 10.0)
    n_samples, noise, random_state, n_noise_features = _common(
        "spirals", n_samples, noise, random_state, n_noise_features, n_classes=n_arms
    )
    rng = child_generators(random_state)[0]
    labels = _balanced_labels(rng, n_samples, n_arms)
    t_max = 2 * np.pi * n_turns
    scale = 1.0 / t_max
    t_min = np.pi / 2
    # sqrt spreads points evenly along the arm's area rather than crowding the centre.
    t = t_min + (t_max - t_min) * np.sqrt(rng.uniform(0.0, 1.0, n_samples))
    half_width = 0.25 * (2 * np.pi * scale / n_arms)  # arms are 2 pi a / K apart radially
    radius = scale * t + rng.uniform(-half_width, half_width, n_samples)
    angle = t + 2 * np.pi * labels / n_arms
    return classification_dataset(
        "spirals",
        {"x1": radius * np.cos(angle), "x2": radius * np.sin(angle)},
        labels,
        n_classes=n_arms,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description=f"{n_arms} interleaved spiral arms with {n_turns:g} turns each",
    )


@_register("checkerboard")
def checkerboard(
    n_samples: int = _DEFAULT_ROWS,
    noise: float = 0.05,
    random_state: int = 0,
    n_noise_features: int = 0,
    n_cells: int = 4,
) -> Dataset:
    """A checkerboard of ``n_cells`` x ``n_cells`` squares on [-1, 1]^2, alternating labels.

    Axis-aligned boundaries that trees find easily and smooth models do not; xor is the
    2 x 2 board. Balanced in expectation for even ``n_cells``. Bayes error = ``noise``.
    """
    n_cells = check_int("checkerboard", "n_cells", n_cells, 2)
    n_samples, noise, random_state, n_noise_features = _common(
        "checkerboard", n_samples, noise, random_state, n_noise_features
    )
    rng = child_generators(random_state)[0]
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    cells = np.minimum(np.floor((x + 1.0) / 2.0 * n_cells), n_cells - 1).astype(np.int64)
    labels = (cells.sum(axis=1) % 2).astype(np.int64)
    return classification_dataset(
        "checkerboard",
        {"x1": x[:, 0], "x2": x[:, 1]},
        labels,
        n_classes=2,
        noise=noise,
        n_noise_features=n_noise_features,
        random_state=random_state,
        description=f"{n_cells} x {n_cells} checkerboard on [-1, 1]^2",
    )
