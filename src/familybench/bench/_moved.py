"""Old module paths of ``familybench.bench`` (before the stage subpackages), kept for one
release: importing one warns (``DeprecationWarning``) and reads its names from the new home.

A finder on ``sys.meta_path`` answers only for the names in ``MOVED``; everything else is
found as usual. Remove it, and this table, in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

#: old module under ``familybench.bench`` -> its new module
MOVED: dict[str, str] = {
    "runner": "run.driver",
    "progress": "run.hooks",
    "store": "results.store",
    "select": "results.select",
    "record": "results.record",
    "metrics": "results.metrics",
    "export": "results.export",
    "versions": "results.versions",
    "environment": "results.provenance",
    "suite_values": "suite.values",
    "gate_settings": "suite.gate",
    "jobs": "plan.jobs",
    "tuning": "plan.tuning",
    "executor": "execute.base",
    "worker": "execute.worker",
    "dask_executor": "execute.dask.executor",
    "compare_evidence": "compare.evidence",
    "compare_policy": "compare.policy",
    "compare_render": "compare.render",
    "interleave": "compare.interleave",
}
#: names that moved on once more inside their new package (executor classes got their own modules)
_ALSO = {"execute.base": ("execute.inprocess", "execute.process")}
_PREFIX = "familybench.bench."


class _Alias(types.ModuleType):
    def __init__(self, old: str, new: str):
        super().__init__(_PREFIX + old)
        self.__dict__["_homes"] = [_PREFIX + new, *(_PREFIX + m for m in _ALSO.get(new, ()))]

    def __getattr__(self, name: str):
        for home in self._homes:
            module = importlib.import_module(home)
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self):
        return sorted({n for home in self._homes for n in dir(importlib.import_module(home))})


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        old = spec.name.removeprefix(_PREFIX)
        return _Alias(old, MOVED[old])

    def exec_module(self, module):
        warnings.warn(
            f"{module.__name__} moved to {module._homes[0]}; the old path is removed in familybench 0.3",
            DeprecationWarning, stacklevel=3)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(_PREFIX) and fullname.removeprefix(_PREFIX) in MOVED:
            return importlib.util.spec_from_loader(fullname, _Loader())
        return None


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
