"""The regression gate's thresholds: plain data a suite sets and ``compare`` applies.

Kept apart from ``compare`` so that parsing a suite does not import the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class CompareSettings:
    """Thresholds of the regression gate (override in a suite's ``[compare]`` table or a
    model's ``compare = {...}``)."""

    fit_seconds: float = 0.30
    predict_seconds: float = 0.30
    interleaved_time: float = 0.10
    p_value: float = 0.01
    quality: float = 0.01
    quality_se: float = 2.0
    min_seconds: float = 0.005  # mean time differences below this are timer noise, never flagged
    spread: float = 3.0  # runs taken apart: robust SDs a change must stand out from the other pairs' changes

    def updated(self, overrides: dict | None) -> CompareSettings:
        return replace(self, **{k: float(v) for k, v in (overrides or {}).items()})
