"""Samplers: where a tuned trial's parameters come from, one class per sampler (the way
Optuna lays out ``optuna/samplers/``). ``base.Sampler`` is the interface; ``make_sampler``
builds the one a suite names (``familybench._samplers.SAMPLERS``)."""

from __future__ import annotations

import importlib

from familybench._samplers import SAMPLERS
from familybench.bench.plan.samplers.base import Sampler


def make_sampler(name: str, seed: int) -> Sampler:
    """The sampler called ``name`` (a key of ``SAMPLERS``), seeded with the ``[tune]`` seed."""
    module, _, attr = SAMPLERS[name].path.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr)(seed)


__all__ = ["Sampler", "make_sampler"]
