"""The tuning samplers by name, for the suite's ``[tune] sampler`` (light: imports nothing).

Name -> where its class lives under ``familybench.bench.plan.samplers`` (imported only when
a run tunes with it), the label reports print, and whether its trials depend on earlier
ones (``sequential``: the budget curves keep its one trial order instead of shuffling).
A new sampler is its module under ``bench/plan/samplers/`` plus one entry here.
"""

from __future__ import annotations

from typing import NamedTuple


class SamplerName(NamedTuple):
    path: str  # "module:Class" under familybench.bench.plan.samplers
    label: str
    sequential: bool


SAMPLERS: dict[str, SamplerName] = {
    "random": SamplerName("random:RandomSampler", "random search", sequential=False),
    "tpe": SamplerName("tpe:TPESampler", "TPE (Optuna)", sequential=True),
}
