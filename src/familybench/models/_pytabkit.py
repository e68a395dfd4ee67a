"""What the members built on ``pytabkit`` (RealMLP, TabM) share: the library's estimator
behind a familybench one (``pip install 'familybench[nets]'``).

``pytabkit`` is the RealMLP authors' package (Holzmüller et al. 2024), the implementation
TabArena runs for RealMLP and TabM. It scales and embeds columns itself, so the base
preprocessor only imputes (median, fit on the training rows: pytabkit refuses NaN in
continuous columns) and keeps categorical columns categorical, with a missing level.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings

from .._devices import AUTO, CPU, CUDA, check_device
from .._errors import FamilybenchError
from .._threads import thread_budget
from ._base import _seed


def import_pytabkit():
    try:
        return importlib.import_module("pytabkit")
    except ImportError:
        raise FamilybenchError(
            "models 'realmlp' and 'tabm' need the pytabkit package: pip install 'familybench[nets]'"
        ) from None


def torch_device(device: str) -> str:
    """``auto``: CUDA when torch sees a GPU, else the CPU."""
    device = check_device(device)
    if device == AUTO:
        import torch

        device = CUDA if torch.cuda.is_available() else CPU
    return device


@contextlib.contextmanager
def _quiet():
    """Library noise nothing a user can act on: pytorch-lightning 2.6 under torch 2.13 warns
    on every batch loop that ``isinstance(treespec, LeafSpec)`` is deprecated, and torch that
    pytabkit wraps a read-only target array (pandas' copy-on-write) it never writes to."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).* is deprecated")
        warnings.filterwarnings("ignore", message=r"The given NumPy array is not writable", category=UserWarning)
        yield


class PyTabKitModel:
    """Mixin: builds ``_library_class`` (a name in ``pytabkit``) from the estimator's own
    parameters (those not ``None``) and the job's threads, device and seed.

    Subclasses list the library's parameters they expose in ``__init__`` (with ``None``:
    the library's tuned default) and name them in ``_library_params``.
    """

    _preprocessor_defaults = {"categorical": "native", "impute": True}
    _library_class: str = ""
    _library_params: tuple[str, ...] = ()

    def _library_model(self):
        pytabkit = import_pytabkit()
        params = {name: getattr(self, name) for name in self._library_params if getattr(self, name) is not None}
        self.device_ = torch_device(self.device)
        params.update(
            device=self.device_, n_threads=thread_budget(self.n_jobs), random_state=_seed(self.random_state) or 0,
            verbosity=0,
        )
        params.update(self.extra_params or {})
        return getattr(pytabkit, self._library_class)(**params)

    # the FamilyRegressor / FamilyClassifier hooks: the library's estimator sees the
    # preprocessed frame as it is
    def _fit_transformed(self, Xt, y):
        with _quiet():
            self.model_ = self._library_model().fit(Xt, y)

    def _predict_transformed(self, Xt):
        with _quiet():
            return self.model_.predict(Xt)

    def _predict_proba_transformed(self, Xt):
        with _quiet():
            return self.model_.predict_proba(Xt)

    def _count_params(self):
        # every learned tensor of the fitted torch modules (each counted once)
        import torch

        seen, total, stack = set(), 0, [self.model_.alg_interface_]
        visited = set()
        while stack:
            obj = stack.pop()
            if id(obj) in visited:
                continue
            visited.add(id(obj))
            if isinstance(obj, torch.nn.Module):
                for p in obj.parameters():
                    if id(p) not in seen:
                        seen.add(id(p))
                        total += p.numel()
                continue
            if isinstance(obj, dict):
                stack.extend(obj.values())
            elif isinstance(obj, (list, tuple)):
                stack.extend(obj)
            elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("pytabkit"):
                stack.extend(vars(obj).values())
        return total
