"""The built-in report's producers: a dataset view and each job's predictions over it.

Both draw on synthetic datasets that follow the generators' naming: numeric inputs ``x1``,
``x2`` (2-D classification) or ``x`` (1-D regression), plus any uninformative
``noise_*`` columns. Every other dataset gets neither.

- ``view`` (once per dataset): the grid the pictures are drawn on, a sample of points with
  their targets, the classes or, where the dataset knows it, the true function on the grid.
- ``grid`` (after each drawn job's fit): the model's prediction at every grid point —
  ``proba`` (classification with probabilities), ``labels`` (class codes otherwise) or
  ``values`` (regression).
"""

from __future__ import annotations

import numpy as np

from .._tasks import REGRESSION, is_classification
from ..artefacts import Artefact

POINTS_IN_VIEW = 1500
NOISE_PREFIX = "noise_"  # the generators' name for uninformative extra inputs
_GRID_MARGIN = 0.05


def informative_columns(dataset) -> list[str] | None:
    """The dataset's columns other than ``noise_*`` ones; ``None`` when any is not numeric."""
    from pandas.api.types import is_numeric_dtype

    if not all(is_numeric_dtype(dtype) for dtype in dataset.X.dtypes):
        return None
    return [column for column in dataset.X.columns if not str(column).startswith(NOISE_PREFIX)]


def drawn_columns(dataset) -> list[str] | None:
    """``["x1", "x2"]`` for 2-D classification, ``["x"]`` for 1-D regression, else ``None``."""
    columns = informative_columns(dataset)
    if is_classification(dataset.task) and columns == ["x1", "x2"]:
        return columns
    if dataset.task == REGRESSION and columns == ["x"]:
        return columns
    return None


def plot_grid(dataset, resolution: int = 100):
    """Inputs on which to draw decision regions or a fitted curve.

    Parameters
    ----------
    dataset : familybench.datasets.Dataset
    resolution : int, default=100
        Points per axis for 2-D classification; 1-D regression gets ``4 * resolution``.

    Returns
    -------
    pandas.DataFrame or None
        For 2-D classification, ``resolution**2`` rows spanning the x1/x2 range of the
        data plus a 5% margin, x1 varying fastest (reshape a prediction to
        ``(resolution, resolution)`` for an image indexed ``[x2, x1]``). For 1-D regression,
        ``4 * resolution`` points over the range of x. Noise columns are 0. ``None`` for
        every other dataset.
    """
    import pandas as pd

    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    columns = drawn_columns(dataset)
    if columns == ["x1", "x2"]:
        grid_x1, grid_x2 = np.meshgrid(*(_axis(dataset.X[c], resolution, _GRID_MARGIN) for c in columns))
        informative = {"x1": grid_x1.ravel(), "x2": grid_x2.ravel()}
    elif columns == ["x"]:
        informative = {"x": _axis(dataset.X["x"], 4 * resolution, 0.0)}
    else:
        return None
    n_points = len(next(iter(informative.values())))
    frame = pd.DataFrame({c: informative.get(c, np.zeros(n_points)) for c in dataset.X.columns})
    return frame.astype(dataset.X.dtypes.to_dict())


def _axis(values, n_points: int, margin: float) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    pad = margin * (high - low)
    return np.linspace(low - pad, high + pad, n_points)


def _cached_grid(context):
    if "grid" not in context.cache:
        context.cache["grid"] = plot_grid(context.dataset)
    return context.cache["grid"]


class DatasetView(Artefact):
    """``view``: the grid, up to 1,500 data points, classes or the true curve."""

    name = "view"

    def once_per_dataset(self, context):
        data = context.dataset
        grid = _cached_grid(context)
        if grid is None:
            return None
        columns = drawn_columns(data)
        rows = np.random.default_rng(0).permutation(data.n_rows)[:POINTS_IN_VIEW]
        view = {
            "columns": np.asarray(columns),
            "grid": grid[columns].to_numpy(np.float64),
            "points": data.X.iloc[rows][columns].to_numpy(np.float64),
        }
        if data.task == REGRESSION:
            view["point_targets"] = data.y.iloc[rows].to_numpy(np.float64)
            if data.true_function is not None:
                view["true_curve"] = np.asarray(data.true_function(view["grid"][:, 0]), dtype=np.float64)
        else:
            classes = np.asarray(data.classes if data.classes is not None else np.unique(data.y))
            view["classes"] = classes.astype(str)
            view["point_targets"] = np.searchsorted(classes, data.y.iloc[rows].to_numpy()).astype(np.float64)
        return view


class GridPredictions(Artefact):
    """``grid``: the fitted model's predictions at every point of the view's grid."""

    name = "grid"

    def after_fit(self, context):
        grid = _cached_grid(context)
        if grid is None:
            return None
        pred, proba = context.predict(grid)
        if context.task == REGRESSION:
            return {"values": np.asarray(pred, dtype=np.float32)}
        if proba is not None:
            return {"proba": np.asarray(proba, dtype=np.float32)}
        codes = np.searchsorted(np.asarray(context.dataset.classes), pred)
        return {"labels": codes.astype(np.float32)}
