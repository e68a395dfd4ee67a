"""The lecture suite's config and dataset names the report reads, in one place.

``bench/suites/lecture.toml`` defines them; this module is the report's only copy (a
test keeps the two in step). A grid config is named ``BASE[param=value]``.
"""

from __future__ import annotations

# Claim 1 (and 8): the four families, untuned defaults.
FAMILIES = ("linear", "poly", "lightgbm", "mlp")
LINEAR = "linear"
NONLINEAR_2D = ("moons", "circles", "xor", "spirals")
# Claim 2: polynomial degree on friedman1 with d inputs.
POLY_DEGREE = "poly_degree"
FRIEDMAN_DIMS = {"friedman_d5": 5, "friedman_d10": 10, "friedman_d20": 20}
# Claim 3: two linear layers collapse into one.
MLP_IDENTITY, MLP_RELU = "mlp_identity", "mlp_relu"
SINE, FRIEDMAN_D10 = "sine1d", "friedman_d10"
# Claim 4: the activation grid (its activations are read from the run's configs).
ACTIVATION_GRID = "act"
SPIRALS = "spirals"
# Claim 5: the hand-made wedge network and the trained two-unit MLP.
HANDMADE, TRAINED_WEDGE = "handmade", "mlp2"
WEDGE = "wedge"
# Claim 7: width grid and learning-rate grid.
WIDTH_GRID, WIDTH_LR_GRID = "width", "width_lr"
# Claim 8: learning curves, config -> family.
CURVES = {"curve_linear": "linear", "curve_poly": "poly", "curve": "lightgbm", "curve_mlp": "mlp"}

# Claim 9: the plain mlp over learning rates against RealMLP at its defaults, same tables.
PLAIN_LR_GRID, REALMLP = "mlp_lr", "realmlp"

CONFIGS = (*FAMILIES, POLY_DEGREE, MLP_IDENTITY, MLP_RELU, ACTIVATION_GRID, HANDMADE, TRAINED_WEDGE, WIDTH_GRID,
           WIDTH_LR_GRID, *CURVES, PLAIN_LR_GRID, REALMLP)
DATASETS = (*NONLINEAR_2D, *FRIEDMAN_DIMS, SINE, FRIEDMAN_D10, SPIRALS, WEDGE)


def grid_configs(configs, base: str) -> list[str]:
    """The grid points of config ``base`` among ``configs`` (``base[...]``), in order."""
    return [c for c in configs if c.startswith(f"{base}[")]
