"""The comparison's policy: one step that turns the evidence into verdicts, each decided once.

Rules (thresholds from ``CompareSettings``, per config where a suite sets them):

- quality: a regression when the mean seed-paired drop of the main test metric exceeds
  ``quality`` (absolute) *and* ``quality_se`` standard errors; an improvement the other way;
- time: a regression when the ratio is at least ``1 + threshold``, the one-sided paired
  test gives p < ``p_value`` and the mean times differ by at least ``min_seconds``. The
  threshold is ``fit_seconds``/``predict_seconds`` for runs taken apart and
  ``interleaved_time`` for interleaved runs. Runs taken apart must also stand out from the
  other configs' changes (by ``spread`` robust SDs of their log ratios and by the threshold,
  given at least 4 such pairs), because seeds of one run share its machine's drift; a
  whole-run shift is a warning instead;
- status: ok in the baseline and failed, timed out, out of memory or missing now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from familybench.bench.compare.evidence import PairEvidence, TimeEvidence, center_and_sd
from familybench.bench.suite.gate import CompareSettings


@dataclass(frozen=True)
class TimeChange:
    """A time verdict with its evidence."""

    evidence: TimeEvidence
    threshold: float
    regression: bool
    improvement: bool
    note: str = ""

    ratio = property(lambda self: self.evidence.ratio)
    low = property(lambda self: self.evidence.low)
    high = property(lambda self: self.evidence.high)
    p_value = property(lambda self: self.evidence.p_more)
    n = property(lambda self: self.evidence.n)
    seconds = property(lambda self: self.evidence.seconds)


@dataclass(frozen=True)
class Row:
    """The verdicts on one config × dataset."""

    evidence: PairEvidence
    quality_regression: bool
    quality_improvement: bool
    fit: TimeChange
    predict: TimeChange
    status_regression: str | None = None

    config = property(lambda self: self.evidence.config)
    dataset = property(lambda self: self.evidence.dataset)
    metric = property(lambda self: self.evidence.metric)
    n_pairs = property(lambda self: self.evidence.n_pairs)
    baseline = property(lambda self: self.evidence.baseline)
    current = property(lambda self: self.evidence.current)
    change = property(lambda self: self.evidence.change)
    change_se = property(lambda self: self.evidence.gain_se)

    @property
    def regression(self) -> bool:
        return self.quality_regression or self.fit.regression or self.predict.regression or bool(self.status_regression)

    @property
    def improvement(self) -> bool:
        return not self.regression and (self.quality_improvement or self.fit.improvement or self.predict.improvement)

    def reasons(self) -> list[str]:
        out = [self.status_regression] if self.status_regression else []
        if self.quality_regression:
            out.append(f"{self.metric} down {abs(self.change):.4f}")
        if self.fit.regression:
            out.append(f"fit ×{self.fit.ratio:.2f}")
        if self.predict.regression:
            out.append(f"predict ×{self.predict.ratio:.2f}")
        return out


def time_verdict(evidence: TimeEvidence, threshold: float, settings: CompareSettings,
                 others: np.ndarray | None = None) -> TimeChange:
    """Judge one time change; ``others`` (runs taken apart) are the log ratios of the other
    configs' timed pairs, the comparison's own run-to-run spread."""
    if not evidence.judged:
        return TimeChange(evidence, threshold, False, False, evidence.note)
    large = evidence.difference >= settings.min_seconds
    slower = large and evidence.ratio >= 1 + threshold and evidence.p_more < settings.p_value
    faster = large and evidence.ratio <= 1 / (1 + threshold) and evidence.p_less < settings.p_value
    note = evidence.note
    if (slower or faster) and others is not None and len(others) >= 4:
        center, sd = center_and_sd(others)
        bound = max(settings.spread * sd, math.log(1 + threshold))
        deviation = evidence.log_ratio - center
        if (slower and deviation <= bound) or (faster and deviation >= -bound):
            slower = faster = False
            note = (f"within this comparison's spread: other configs' median ×{math.exp(center):.2f}, "
                    f"robust SD ×{math.exp(sd):.2f}")
    return TimeChange(evidence, threshold, slower, faster, note)


def _timed(evidence: TimeEvidence, min_seconds: float) -> bool:
    return math.isfinite(evidence.log_ratio) and evidence.seconds >= min_seconds


def decide(evidence: list[PairEvidence], *, interleaved: bool, defaults: CompareSettings,
           per_config: dict[str, CompareSettings] | None = None) -> tuple[list[Row], list[str]]:
    """Verdicts for every config × dataset, and warnings about the comparison as a whole."""
    per_config = per_config or {}
    timed = {kind: [(e.config, getattr(e, kind).log_ratio) for e in evidence
                    if _timed(getattr(e, kind), defaults.min_seconds)] for kind in ("fit", "predict")}

    def others(kind: str, config: str):
        if interleaved:
            return None  # machine drift cancels between interleaved sides
        return np.array([value for c, value in timed[kind] if c != config])

    rows = []
    for e in evidence:
        s = per_config.get(e.config, defaults)
        quality_regression = e.n_pairs > 0 and -e.gain > s.quality and -e.gain > s.quality_se * e.gain_se
        quality_improvement = e.n_pairs > 0 and e.gain > s.quality and e.gain > s.quality_se * e.gain_se
        fit = time_verdict(e.fit, s.interleaved_time if interleaved else s.fit_seconds, s, others("fit", e.config))
        predict = time_verdict(e.predict, s.interleaved_time if interleaved else s.predict_seconds, s,
                               others("predict", e.config))
        now = e.broke_status.value if e.broke_status is not None else "missing"
        status = f"now {now} ({e.broke}/{e.n_jobs}): {e.broke_error}" if e.broke else None
        rows.append(Row(e, bool(quality_regression), bool(quality_improvement), fit, predict, status))
    warnings = []
    if not interleaved:
        for kind in ("fit", "predict"):
            logs = np.array([value for _, value in timed[kind]])
            if len(logs) < 5:
                continue
            center, _ = center_and_sd(logs)
            if abs(center) >= math.log(1 + getattr(defaults, f"{kind}_seconds")):
                warnings.append(
                    f"{kind} times of all configs moved together: median ×{math.exp(center):.2f} over {len(logs)} "
                    "config × dataset pairs — machine drift, or a change that slows everything; runs taken apart "
                    "cannot tell these apart (use `familybench compare --interleave`)")
    return rows, warnings
