"""Validators of single suite values (seeds, sizes, splits, numbers, [tune], search tables,
plugins, byte sizes, gate thresholds) and the ``TuneSettings`` they build.

``bench/suite.py`` assembles a :class:`~.suite.Suite` from these; each takes the suite's
``fail(key, problem)`` callback, so every error names the file, the key and the problem.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from familybench._errors import FamilybenchError
from familybench._samplers import SAMPLERS


class SuiteError(FamilybenchError):
    """A suite file (or command-line selection) that cannot be run."""

_TUNE_KEYS = {"trials", "time_budget", "validation", "sampler", "seed", "shuffles", "refit"}
_MAX_SEEDS = 1000
_MAX_TRIALS = 100_000


@dataclass(frozen=True)
class TuneSettings:
    """The suite's ``[tune]`` table: how every tuned config is searched and selected.

    ``trials`` trial indices per config × dataset × seed × fold × train size (trial 0 is
    the config's own params); ``time_budget`` seconds of recorded fit time per group (no
    new trial once spent); ``validation`` the inner split of the training rows
    (``{"holdout": 0.2}`` or ``{"kfold": 3}``); ``refit`` refits the chosen params (and
    trial 0) on all training rows.
    """

    trials: int = 30
    time_budget: float | None = None
    validation: dict = field(default_factory=lambda: {"holdout": 0.2})
    sampler: str = "random"
    seed: int = 0
    shuffles: int = 15
    refit: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def describe(self) -> str:
        """One line for reports: "30 trials per config ..., random search, validation ..."."""
        valid = self.validation
        where = (f"validation {valid['holdout']:.0%} of the training rows" if "holdout" in valid
                 else f"{valid['kfold']}-fold inner cross-validation on the training rows")
        budget = f", at most {self.time_budget:g} s of fit time per group" if self.time_budget else ""
        sampler = SAMPLERS[self.sampler].label
        refit = "refit on all training rows" if self.refit else "no refit"
        return f"{self.trials} trials per config per dataset × seed{budget}, {sampler}, {where}, {refit}"



def _seeds(value, fail) -> tuple[int, ...]:
    if isinstance(value, bool):
        fail("seeds", "expected an integer N (seeds 0..N-1) or a list of integers")
    if isinstance(value, int):
        if not 1 <= value <= _MAX_SEEDS:
            fail("seeds", f"expected 1 to {_MAX_SEEDS:,} seeds, got {value}")
        return tuple(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and not isinstance(s, bool) for s in value):
        if len(value) > _MAX_SEEDS or not all(0 <= s < 2**32 for s in value):
            fail("seeds", f"expected at most {_MAX_SEEDS:,} seeds, each in 0 .. 2**32 - 1")
        return tuple(dict.fromkeys(value))
    fail("seeds", "expected an integer N (seeds 0..N-1) or a non-empty list of integers")


def _train_sizes(value, fail, key) -> tuple[int | None, ...]:
    if not isinstance(value, list) or not value or not all(
        t is None or (isinstance(t, int) and not isinstance(t, bool) and t > 0) for t in value
    ):
        fail(key, "expected a list of positive integers (training-row caps)")
    return tuple(sorted(dict.fromkeys(value), key=lambda t: (t is None, t or 0)))


def _split(value, fail):
    if value == "holdout":
        return "holdout"
    if isinstance(value, dict) and set(value) == {"kfold"} and isinstance(value["kfold"], int) and value["kfold"] >= 2:
        return {"kfold": value["kfold"]}
    fail("split", f'expected "holdout" or {{ kfold = K }} with K >= 2, got {value!r}')


def _number(data, key, default, fail, *, low=None, high=None, exclusive=False, integer=False):
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        fail(key, f"expected {'an integer' if integer else 'a number'}, got {value!r}")
    if not math.isfinite(value):
        fail(key, f"expected a finite number, got {value!r}")
    if low is not None and (value < low or (exclusive and value == low)):
        fail(key, f"must be {'>' if exclusive else '>='} {low}, got {value}")
    if high is not None and (value > high or (exclusive and value == high)):
        fail(key, f"must be {'<' if exclusive else '<='} {high}, got {value}")
    return value


def _plugins(value, fail, base: Path) -> tuple[str, ...]:
    from familybench.models._plugins import PluginError, load_plugin, resolve_plugin

    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        fail("plugins", 'expected a list of module names or .py paths, e.g. ["mypkg.models"]')
    resolved = []
    for plugin in value:
        try:
            path = resolve_plugin(plugin, base)
            load_plugin(path)
        except PluginError as exc:
            fail("plugins", str(exc))
        resolved.append(path)
    return tuple(resolved)


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20,
          "gib": 2**30, "tib": 2**40}


def parse_bytes(value, fail, key: str) -> int:
    """``"4GB"``, ``"400 MiB"`` or a number of bytes, as an int (> 0)."""
    import re

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        fail(key, f'expected a size such as "4GB" or "512MiB", got {value!r}')
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", value)
        unit = match.group(2).lower() if match else None
        if not match or unit not in _UNITS:
            fail(key, f'expected a size such as "4GB" or "512MiB", got {value!r}')
        value = float(match.group(1)) * _UNITS[unit]
    if not value > 0:
        fail(key, f"must be positive, got {value!r}")
    return int(value)


def _tune(value, fail) -> TuneSettings:
    if not isinstance(value, dict):
        fail("tune", "expected a table, e.g. [tune] trials = 30")
    unknown = set(value) - _TUNE_KEYS
    if unknown:
        fail(f"tune.{sorted(unknown, key=str)[0]}", f"unknown key; expected one of {', '.join(sorted(_TUNE_KEYS))}")
    sub = {k: v for k, v in value.items()}

    def fail_tune(key, problem):
        fail(f"tune.{key}", problem)

    trials = int(_number(sub, "trials", 30, fail_tune, low=1, high=_MAX_TRIALS, integer=True))
    budget = sub.get("time_budget")
    if budget is not None:
        budget = float(_number(sub, "time_budget", None, fail_tune, low=0.0, exclusive=True))
    validation = sub.get("validation", 0.2)
    if isinstance(validation, bool):
        fail_tune("validation", "expected a fraction in (0, 1) or { kfold = K }")
    if isinstance(validation, (int, float)):
        if not 0 < validation < 1:
            fail_tune("validation", f"expected a fraction in (0, 1), got {validation}")
        validation = {"holdout": float(validation)}
    elif isinstance(validation, dict) and set(validation) == {"kfold"} and isinstance(validation["kfold"], int) \
            and not isinstance(validation["kfold"], bool) and validation["kfold"] >= 2:
        validation = {"kfold": int(validation["kfold"])}
    else:
        fail_tune("validation", f"expected a fraction in (0, 1) or {{ kfold = K }} with K >= 2, got {validation!r}")
    sampler = sub.get("sampler", "random")
    if sampler not in SAMPLERS:
        fail_tune("sampler", f"expected one of {', '.join(map(repr, SAMPLERS))}, got {sampler!r}")
    seed = int(_number(sub, "seed", 0, fail_tune, low=0, integer=True))
    shuffles = int(_number(sub, "shuffles", 15, fail_tune, low=1, integer=True))
    refit = sub.get("refit", False)
    if not isinstance(refit, bool):
        fail_tune("refit", f"expected true or false, got {refit!r}")
    return TuneSettings(trials, budget, validation, sampler, seed, shuffles, refit)


def _search_table(search, fail, key: str, model: str, params: dict, tuned: bool):
    """A config's ``search`` as a dict of dimension descriptions (``None``: built-in space)."""
    from familybench.models._space import parse_dimension

    if search is None or search == "default":
        return None
    if not isinstance(search, dict) or not search:
        fail(key, 'expected "default" or a table of name = { low, high, log, type } or [choices]')
    if not tuned:
        fail(key, "a search space needs a [tune] table (or --tune N)")
    out = {}
    for name, value in search.items():
        if name in params:
            fail(f"{key}.{name}", "is in both params and search; a searched parameter cannot be fixed")
        try:
            out[name] = parse_dimension(value, f"{key}.{name}").describe()
        except ValueError as exc:
            raise SuiteError(f"{key.split(':')[0]}: {exc}") from None
    return out


def _check_for_tasks(model, tasks, params, search, fail, key, check_params) -> dict:
    """Check params (and search names) for every task the config meets.

    Invalid for every task: a suite error naming the task. Invalid for some: those tasks'
    jobs are skipped with the reason (returned), and a warning says so now.
    """
    problems = {}
    for task in tasks:
        try:  # a misspelt parameter fails here, not in every job
            check_params(model, task, params)
            if search:
                _check_search_names(model, task, search)
        except (TypeError, ValueError) as exc:
            problems[task] = str(exc).splitlines()[0]
    if problems and len(problems) == len(tasks):
        task = sorted(problems)[0]
        fail(f"{key}.{'search' if search and 'search' in problems[task] else 'params'}",
             f"{problems[task]} (task {task})")
    for task, problem in problems.items():
        warnings.warn(f"{key}: jobs on {task} datasets will be skipped: {problem}", UserWarning, stacklevel=4)
    return {task: f"{problem} (task {task})" for task, problem in problems.items()}


def _check_search_names(model: str, task: str, search: dict) -> None:
    """Each searched name must be a parameter of the model, or a virtual name of its space."""
    from familybench.models import ModelError, check_params, get_search_space

    builtin = get_search_space(model, task)
    virtual = set(builtin.virtual) if builtin is not None else set()
    if virtual & set(search) and not virtual <= set(search):
        raise ModelError(f"{', '.join(sorted(virtual & set(search)))} needs "
                         f"{', '.join(sorted(virtual - set(search)))} too (together they map to the model's params)")
    real = {name: None for name in search if name not in virtual}
    try:
        check_params(model, task, real)
    except ModelError as exc:
        raise ModelError(f"search: {exc}") from None


def _compare_settings(value, fail, key: str) -> dict:
    from familybench.bench.suite.gate import CompareSettings

    if not isinstance(value, dict):
        fail(key, "expected a table of thresholds")
    known = CompareSettings.__dataclass_fields__
    for name, setting in value.items():
        if name not in known:
            fail(f"{key}.{name}", f"unknown threshold; expected one of {', '.join(known)}")
        if (isinstance(setting, bool) or not isinstance(setting, (int, float)) or not math.isfinite(setting)
                or setting < 0):
            fail(f"{key}.{name}", f"expected a non-negative, finite number, got {setting!r}")
    return dict(value)


def _short(value) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
