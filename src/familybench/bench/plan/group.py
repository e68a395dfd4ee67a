"""One tuning group: a config × dataset × seed × fold × train size, and its trials."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass, field

from familybench.bench.plan.jobs import Job
from familybench.bench.suite.spec import ModelConfig


def stable_int(*parts) -> int:
    """A 64-bit integer from JSON-able parts, the same in every process and Python."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@dataclass
class Group:
    """One config × dataset × seed × fold × train size being tuned."""

    base_job: Job
    config: ModelConfig
    space: object  # SearchSpace | None
    target: int  # trials to attempt
    gid: str = ""
    todo: deque = field(default_factory=deque)  # trial indices not yet finished or in flight
    in_flight: set = field(default_factory=set)
    finished: dict = field(default_factory=dict)  # trial -> record
    followups_issued: bool = False
    followups_in_flight: int = 0

    @property
    def spent(self) -> float:
        return sum(trial_seconds(r) for r in self.finished.values())


def trial_seconds(record: dict) -> float:
    """Recorded fit time of a trial; a failed or timed-out one counts the time it ran."""
    for name in ("fit_seconds", "job_seconds"):
        value = record.get(name)
        if isinstance(value, (int, float)) and value == value:
            return float(value)
    return 0.0
