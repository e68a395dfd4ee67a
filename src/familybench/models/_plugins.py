"""Plug-ins: models registered outside familybench, available in every worker process.

Three ways in, all ending in :func:`familybench.models.register`:

- a suite's ``plugins = ["mypkg.models", "path/to/file.py"]``: modules (or files) imported
  in the parent and, before any job, in every worker;
- an installed package's entry point in the group ``familybench.models`` (its object is a
  module, or a callable that registers), loaded on first need: an unknown model name, or
  ``familybench list models``;
- ``register(...)`` called in the user's own process: the parent sends each such
  registration to its workers as plain data (``"module:qualname"`` of the factory), so they
  replay it. A factory defined in ``__main__`` cannot be imported by name elsewhere; that is
  refused before any job, with the fix.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from .._errors import FamilybenchError
from ._builtins import BUILTIN_NAMES
from ._spec import _REGISTRY, _import_callable, register

ENTRY_POINT_GROUP = "familybench.models"
_LOADED_PLUGINS: set[str] = set()
_ENTRY_POINTS_LOADED = False


class PluginError(FamilybenchError):
    """A plug-in that cannot be imported (the message names it)."""


def _is_file(plugin: str) -> bool:
    return plugin.endswith(".py") or "/" in plugin or "\\" in plugin


def resolve_plugin(plugin: str, base: Path | None = None) -> str:
    """A module name as given, or a file path made absolute (relative to the suite's folder)."""
    if not isinstance(plugin, str) or not plugin.strip():
        raise PluginError(f"plugin {plugin!r}: expected a module name or a path to a .py file")
    if _is_file(plugin):
        path = Path(plugin)
        path = path if path.is_absolute() else (base or Path.cwd()) / path
        return str(path.resolve())
    return plugin


def _file_module_name(path: Path) -> str:
    # A stable name per file, so a worker that imports it again gets the same module.
    return f"familybench_plugin_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"


def import_module_or_file(name: str, plugins=()):
    """The module ``name`` names: a ``.py`` path (imported as a plug-in file is), a module
    on the path, or — when no such module exists — the plug-in file among ``plugins`` whose
    stem it is (``plugins = ["report.py"]`` with ``report = "report"``). A suite's report
    module is found this way in the run, in workers and in ``familybench report``."""
    if _is_file(name):
        load_plugin(name)
        return sys.modules[_file_module_name(Path(name))]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name.split(".")[0]:
            raise  # the module exists and one of its own imports is missing
        for plugin in plugins or ():
            if _is_file(plugin) and Path(plugin).stem == name:
                load_plugin(plugin)
                return sys.modules[_file_module_name(Path(plugin))]
        raise


def load_plugin(plugin: str) -> None:
    """Import one plug-in (a module name or an absolute .py path), once per process."""
    if plugin in _LOADED_PLUGINS:
        return
    try:
        if _is_file(plugin):
            path = Path(plugin)
            if not path.is_file():
                raise PluginError(f"plugin {plugin}: file not found")
            name = _file_module_name(path)
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            importlib.import_module(plugin)
    except PluginError:
        raise
    except Exception as exc:  # any error in the user's module: one line naming it
        text = str(exc).strip().splitlines()
        raise PluginError(
            f"plugin {plugin!r} failed to import: {type(exc).__name__}: {text[0] if text else ''}"
        ) from None
    _LOADED_PLUGINS.add(plugin)


def load_plugins(plugins) -> None:
    for plugin in plugins or ():
        load_plugin(plugin)


def load_entry_points() -> None:
    """Import the ``familybench.models`` entry points of installed packages, once."""
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry.load()
            if callable(obj) and not isinstance(obj, type(sys)):
                obj()
        except Exception as exc:
            text = str(exc).strip().splitlines()
            raise PluginError(
                f"entry point {entry.name!r} ({entry.value}) of group {ENTRY_POINT_GROUP!r} failed to load: "
                f"{type(exc).__name__}: {text[0] if text else ''}"
            ) from None


def registration(spec) -> dict | None:
    """A registered model as plain data a worker can replay, or ``None`` for a built-in.

    Raises
    ------
    PluginError
        When the factory is not importable by name (defined in ``__main__`` or a function
        inside a function).
    """
    target = getattr(spec, "target", None)
    if spec.name in BUILTIN_NAMES or target is None:
        return None
    module, _, qualname = target.partition(":")
    if module == "__main__" or "<locals>" in qualname:
        where = "your script (__main__)" if module == "__main__" else f"a function in {module}"
        raise PluginError(
            f"model {spec.name!r} is registered from {where}, which worker processes cannot import: move "
            "the class and the register(...) call into a module and list it in the suite's plugins = [...] "
            "(or run with --serial)"
        )
    warm_up = spec.warm_up
    if callable(warm_up):
        warm_up = _by_name(warm_up)
    return {
        "name": spec.name, "target": target, "family": spec.family, "tasks": list(spec.tasks),
        "defaults": dict(spec.defaults), "description": spec.description, "reference": spec.reference,
        "params": _plain_params(spec.params),
        "search_space": _by_name(spec.search_space),
        "warm_up": warm_up, "versions": list(spec.versions),
    }


def _plain_params(params) -> dict | None:
    """task -> sorted names, or ``None`` when any task's names are unknown (the worker then
    checks by building, as the parent did)."""
    if not params or any(names is None for names in params.values()):
        return None
    return {task: sorted(names) for task, names in params.items()}


def _by_name(obj):
    """A callable (or a search space built by one) as ``"module:qualname"``, so a worker can
    import it; ``None`` when it has no importable name. Strings and ``None`` pass as they are."""
    if obj is None or isinstance(obj, str):
        return obj
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}:{name}" if module and name and module != "__main__" and "<locals>" not in name else None


def replay(registrations) -> None:
    """Register, in this (worker) process, what the parent registered and sent as plain data."""
    for entry in registrations or ():
        if entry["name"] in _REGISTRY:
            continue
        factory = _import_callable(entry["target"])
        register(entry["name"], factory, family=entry["family"], tasks=tuple(entry["tasks"]),
                 defaults=entry["defaults"], description=entry["description"], reference=entry["reference"],
                 params=entry["params"], search_space=entry["search_space"],
                 warm_up=entry.get("warm_up"), versions=tuple(entry.get("versions", ())))
