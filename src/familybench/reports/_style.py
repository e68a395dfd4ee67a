"""Family colours and the plot style: the same family has the same colour in every figure."""

from __future__ import annotations

import contextlib

import matplotlib

# Reports are written on servers and in CI: never ask for a display. Set here, inside the
# reports package only, so importing familybench elsewhere leaves the user's backend alone.
matplotlib.use("Agg")

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
FAMILY_COLORS: dict[str, str] = {
    "linear": "#0072B2",  # blue
    "polynomial": "#009E73",  # green
    "boosting": "#D55E00",  # vermillion
    "mlp": "#CC79A7",  # reddish purple
}
_EXTRA_COLORS = ("#E69F00", "#56B4E9", "#8C564B", "#332288", "#88CCEE", "#117733")
NEUTRAL = "#7F7F7F"
# Classes in decision-region pictures: two strong colours for binary problems, more for multiclass.
CLASS_COLORS = ("#2166AC", "#B2182B", "#1B9E77", "#E6AB02", "#7570B3", "#66A61E", "#A6761D", "#E7298A")


def family_colors(families) -> dict[str, str]:
    """Colour of each family: fixed for the built-in families, then others by name.

    Unknown families take the extra colours in sorted order (the same set of families gets
    the same colours in every report); beyond those, and for a missing family, grey.
    """
    colors = {f: c for f, c in FAMILY_COLORS.items()}
    others = sorted({str(f) for f in families if f is not None and str(f) not in FAMILY_COLORS})
    for index, family in enumerate(others):
        colors[family] = _EXTRA_COLORS[index] if index < len(_EXTRA_COLORS) else NEUTRAL
    return colors


@contextlib.contextmanager
def plot_style():
    """Seaborn's clean grid style, with type sizes readable at 100 dpi in a browser."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    rc = {
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "legend.title_fontsize": 9,
        "figure.titlesize": 12,
        "axes.titleweight": "bold",
        "font.family": "DejaVu Sans",
        "svg.fonttype": "none",
    }
    with sns.axes_style("whitegrid"), plt.rc_context(rc):
        yield
