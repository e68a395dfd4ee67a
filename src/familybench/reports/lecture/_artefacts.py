"""The lecture report's producer: each small network's first layer, in the data's coordinates.

``first_layer`` stores ``weights`` (hidden units × inputs) and ``bias`` such that hidden
unit ``j``'s input is ``weights[j] @ x + bias[j]`` for a raw input row ``x``: the line
``weights[j] @ x + bias[j] = 0`` is where that unit switches, drawn over 2-D data. It is
read from the fitted estimator's public parts only:

- a torch MLP (``module_`` whose first layer has ``weight`` and ``bias``) behind its
  fitted ``preprocessor_``: the preprocessing is probed with ``transform`` and must be
  affine (imputation and scaling of numeric columns); the composite map is recovered
  from the transformed unit vectors, so no scaler internals are read;
- an estimator that keeps scikit-learn's MLP convention (``coefs_[0]`` of shape
  inputs × hidden units, ``intercepts_[0]``) on raw inputs, such as the hand-made
  ``lecture_wedge`` network.

Networks wider than 16 hidden units, or with categorical inputs, get nothing.
"""

from __future__ import annotations

import numpy as np

from ...artefacts import Artefact

MAX_UNITS = 16


def _torch_first_layer(model, dataset):
    module, pre = getattr(model, "module_", None), getattr(model, "preprocessor_", None)
    if module is None or pre is None or not hasattr(pre, "transform"):
        return None
    try:
        layer = next(iter(module.children())) if hasattr(module, "children") else None
    except StopIteration:
        return None
    if layer is None or not hasattr(layer, "weight") or getattr(layer, "bias", None) is None:
        return None
    W = layer.weight.detach().cpu().numpy().astype(np.float64)
    b = layer.bias.detach().cpu().numpy().astype(np.float64)
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    X = dataset.X
    if len(X.columns) > 64 or not all(is_numeric_dtype(t) and not isinstance(t, pd.CategoricalDtype) for t in X.dtypes):
        return None

    # z(x) = W t(x) + b with t the preprocessing; for an affine t, z(x) = A x + c where
    # c = z(0) and column i of A is z(e_i) - z(0).
    d = X.shape[1]
    probes = pd.DataFrame(np.vstack([np.zeros(d), np.eye(d)]), columns=X.columns).astype(X.dtypes.to_dict())
    z = np.asarray(pre.transform(probes), dtype=np.float64) @ W.T + b
    c, A = z[0], (z[1:] - z[0]).T
    sample = X.iloc[: min(len(X), 20)]
    exact = np.asarray(pre.transform(sample), dtype=np.float64) @ W.T + b
    if not np.allclose(sample.to_numpy(np.float64) @ A.T + c, exact, rtol=1e-6, atol=1e-6):
        return None  # not affine: the units' lines do not exist in the data's coordinates
    return A, c


def first_layer(model, dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """``(weights, bias)`` of the model's first layer acting on raw inputs, or ``None``."""
    found = _torch_first_layer(model, dataset)
    if found is not None:
        return found
    coefs, intercepts = getattr(model, "coefs_", None), getattr(model, "intercepts_", None)
    if coefs is not None and intercepts is not None and getattr(model, "preprocessor_", None) is None:
        return np.asarray(coefs[0], dtype=np.float64).T, np.asarray(intercepts[0], dtype=np.float64)
    return None


class FirstLayer(Artefact):
    """``first_layer``: ``weights`` and ``bias`` of a small network's first layer."""

    name = "first_layer"

    def after_fit(self, context):
        found = first_layer(context.model, context.dataset)
        if found is None or len(found[0]) > MAX_UNITS:
            return None
        return {"weights": found[0], "bias": found[1]}
