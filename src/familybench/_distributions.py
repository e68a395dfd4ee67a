"""Installed versions by distribution name — the one lookup the run metadata, the rows'
library digest and the families' version lists share (reads metadata, imports nothing)."""

from __future__ import annotations

import importlib.util
from importlib import metadata


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or of whichever distribution provides
    the module ``name`` (``xgboost`` comes as ``xgboost`` or ``xgboost-cpu``); ``None``."""
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
    for dist in metadata.packages_distributions().get(name, ()):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
