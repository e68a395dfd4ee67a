"""Installed versions by distribution name — the one lookup the run metadata, the rows'
library digest and the families' version lists share (reads metadata, imports nothing)."""

from __future__ import annotations

import functools
import importlib.util
from importlib import metadata


@functools.cache
def _providers() -> dict[str, list[str]]:
    return metadata.packages_distributions()  # scans every installed distribution: once


@functools.cache
def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or of whichever distribution provides
    the module ``name`` (``xgboost`` comes as ``xgboost`` or ``xgboost-cpu``); ``None``.
    Cached: what is installed does not change while a run goes on."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:  # not importable: skip the scan of every distribution
        return None
    for dist in _providers().get(name, ()):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
