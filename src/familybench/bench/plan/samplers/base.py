"""The sampler interface."""

from __future__ import annotations

from typing import Protocol

from familybench.bench.plan.group import Group


class Sampler(Protocol):
    """Gives trial ``k`` of a group its point in the group's search space.

    Built with the ``[tune]`` seed. ``point`` is called once per sampled trial (trial 0 runs
    the config's own parameters and is never sampled) and returns the point (dimension
    name -> value, before ``space.params`` maps virtual names) and how many earlier trials
    of the group it was told (``None`` for a sampler that learns nothing from them).
    """

    def __init__(self, seed: int) -> None: ...

    def point(self, group: Group, trial: int) -> tuple[dict, int | None]: ...
