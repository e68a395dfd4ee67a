"""familybench: benchmark and compare model families on tabular data.

Linear, polynomial-feature, gradient-boosting (LightGBM) and MLP (PyTorch) models behind
one scikit-learn interface, timed and scored on synthetic and real datasets.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "get_model": "familybench.models",
    "list_models": "familybench.models",
    "register": "familybench.models",
    "load_dataset": "familybench.datasets",
    "list_datasets": "familybench.datasets",
    "Dataset": "familybench.datasets",
    "run": "familybench.bench.run.driver",
    "load_results": "familybench.bench.results.store",
    "load_predictions": "familybench.bench.results.predictions",
    "Predictions": "familybench.bench.results.predictions",
    "post_hoc_ensembles": "familybench.bench.results.ensemble",
    "pareto_front": "familybench.bench.results.tradeoff",
    "elo": "familybench.bench.results.tradeoff",
    "load_history": "familybench.bench.history.store",
    "select_best": "familybench.bench.results.select",
    "normalised_scores": "familybench.bench.results.select",
    "FamilybenchError": "familybench._errors",
    "DaskExecutor": "familybench.bench.execute.dask.executor",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    # Lazy: `import familybench` stays cheap (no torch, no pandas) for the CLI's start-up.
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'familybench' has no attribute {name!r}")
