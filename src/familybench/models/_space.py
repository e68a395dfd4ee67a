"""Search spaces: the hyperparameters a family is tuned over, and how a trial samples them.

A :class:`SearchSpace` maps parameter names to dimensions (:class:`Float`, :class:`Int`,
:class:`Categorical`). Names are estimator parameters, or *virtual* ones that
``to_params`` turns into estimator parameters (an MLP's ``n_layers`` and ``width`` become
``hidden_layer_sizes``). ``fixed`` parameters apply to every sampled trial (e.g. a tree
count with early stopping) but not to trial 0, which is the config's own parameters.

Sampling is a pure function of a :class:`numpy.random.Generator`, so random search gives
the same trial for the same seed on any executor; ``to_optuna`` gives the same dimensions
as Optuna distributions for the TPE sampler (Optuna is imported only there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Float:
    """A real in ``[low, high]``, uniform or (``log=True``) log-uniform."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low > self.high:
            raise ValueError(f"expected finite low <= high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log scale needs low > 0, got {self.low!r}")

    def sample(self, rng) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def contains(self, value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.low <= value <= self.high

    def describe(self) -> dict:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log}

    def to_optuna(self):
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.low, self.high, log=self.log)


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (both included), uniform or log-uniform."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self):
        if int(self.low) != self.low or int(self.high) != self.high or self.low > self.high:
            raise ValueError(f"expected integers low <= high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low < 1:
            raise ValueError(f"a log scale needs low >= 1, got {self.low!r}")

    def sample(self, rng) -> int:
        if self.log:
            # log-uniform over [low, high + 1), floored: each integer gets its log-width share
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return int(min(self.high, max(self.low, math.floor(value))))
        return int(rng.integers(self.low, self.high + 1))

    def contains(self, value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high

    def describe(self) -> dict:
        return {"type": "int", "low": int(self.low), "high": int(self.high), "log": self.log}

    def to_optuna(self):
        from optuna.distributions import IntDistribution

        return IntDistribution(int(self.low), int(self.high), log=self.log)


@dataclass(frozen=True)
class Categorical:
    """One of ``choices`` (numbers, strings, booleans or None), each equally likely."""

    choices: tuple

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(self.choices))
        if not self.choices:
            raise ValueError("expected at least one choice")

    def sample(self, rng):
        return self.choices[int(rng.integers(len(self.choices)))]

    def contains(self, value) -> bool:
        return value in self.choices

    def describe(self) -> dict:
        return {"type": "categorical", "choices": list(self.choices)}

    def to_optuna(self):
        from optuna.distributions import CategoricalDistribution

        return CategoricalDistribution(self.choices)


Dimension = Float | Int | Categorical


def _identity(sampled: dict) -> dict:
    return dict(sampled)


@dataclass(frozen=True)
class SearchSpace:
    """Dimensions to sample, parameters fixed for sampled trials, and a mapping of virtual names.

    Parameters
    ----------
    dimensions : mapping of str to Float, Int or Categorical
    fixed : mapping, default={}
        Estimator parameters set on every sampled trial (trial 0 keeps the config's own).
    to_params : callable, default=None
        Sampled values (dimension names) -> estimator parameters; needed when some
        dimension names are ``virtual``.
    virtual : tuple of str, default=()
        Dimension names that are not estimator parameters (``to_params`` maps them).
    source : str, default=""
        Where the ranges come from (shown in reports).
    """

    dimensions: Mapping[str, Dimension]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    to_params: Callable[[dict], dict] | None = None
    virtual: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self):
        object.__setattr__(self, "dimensions", dict(self.dimensions))
        object.__setattr__(self, "fixed", dict(self.fixed))
        object.__setattr__(self, "virtual", tuple(self.virtual))
        if self.virtual and self.to_params is None:
            raise ValueError(f"virtual dimensions {list(self.virtual)} need a to_params mapping")

    @property
    def is_trivial(self) -> bool:
        """True when every dimension has a single value: nothing to tune."""
        return all(
            (isinstance(d, Categorical) and len(d.choices) == 1) or (not isinstance(d, Categorical) and d.low == d.high)
            for d in self.dimensions.values()
        )

    def sample(self, rng) -> dict:
        """One point, in dimension names, drawn in the dimensions' sorted-name order."""
        return {name: self.dimensions[name].sample(rng) for name in sorted(self.dimensions)}

    def params(self, sampled: Mapping[str, Any]) -> dict:
        """Estimator parameters for a sampled point: ``fixed``, then the mapped point."""
        mapped = (self.to_params or _identity)(dict(sampled))
        return {**self.fixed, **mapped}

    def estimator_params(self) -> set[str]:
        """The estimator parameter names a sampled trial sets (dimensions and ``fixed``)."""
        real = set(self.dimensions) - set(self.virtual)
        if self.virtual:
            probe = {name: _probe_value(dim) for name, dim in self.dimensions.items()}
            real |= set(self.params(probe))
        return real | set(self.fixed)

    def describe(self) -> dict:
        """A JSON-able description (part of every trial's job key)."""
        return {
            "dimensions": {name: self.dimensions[name].describe() for name in sorted(self.dimensions)},
            "fixed": {k: self.fixed[k] for k in sorted(self.fixed)},
            "virtual": sorted(self.virtual),
        }

    def to_optuna(self) -> dict:
        return {name: self.dimensions[name].to_optuna() for name in sorted(self.dimensions)}

    def replace(self, dimensions: Mapping[str, Dimension]) -> SearchSpace:
        """The same fixed parameters over other dimensions (a suite's own table).

        The virtual-name mapping comes along when the table has every virtual name, and is
        dropped when it has none; some but not all is an error (the mapping needs them all).
        """
        present = [n for n in self.virtual if n in dimensions]
        if present and len(present) != len(self.virtual):
            missing = [n for n in self.virtual if n not in dimensions]
            raise ValueError(f"{', '.join(present)} needs {', '.join(missing)} too: together they map to the "
                             "model's own parameters")
        mapping = self.to_params if present else None
        return SearchSpace(dimensions, self.fixed, mapping, tuple(present), self.source)


def _probe_value(dim: Dimension):
    return dim.choices[0] if isinstance(dim, Categorical) else dim.low


def parse_dimension(value, where: str) -> Dimension:
    """A suite's ``name = {low, high, log, type}`` or ``name = [choices]`` as a dimension."""
    if isinstance(value, list):
        if not value:
            raise ValueError(f"{where}: expected a non-empty list of choices")
        return Categorical(tuple(value))
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected {{ low = ..., high = ... }} or a list of choices, got {value!r}")
    unknown = set(value) - {"low", "high", "log", "type"}
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}; expected low, high, log, type")
    if "low" not in value or "high" not in value:
        raise ValueError(f"{where}: needs both low and high")
    low, high, log = value["low"], value["high"], value.get("log", False)
    if not isinstance(log, bool):
        raise ValueError(f"{where}.log: expected true or false, got {log!r}")
    for name, number in (("low", low), ("high", high)):
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError(f"{where}.{name}: expected a number, got {number!r}")
    kind = value.get("type", "int" if isinstance(low, int) and isinstance(high, int) else "float")
    if kind not in ("int", "float"):
        raise ValueError(f"{where}.type: expected \"int\" or \"float\", got {kind!r}")
    try:
        if kind == "int":
            if int(low) != low or int(high) != high:
                raise ValueError("an int dimension needs integer bounds")
            return Int(int(low), int(high), log)
        return Float(float(low), float(high), log)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
