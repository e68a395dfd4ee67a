"""Tuning: every tuned config gets the same number of trials per dataset × seed × fold ×
train size, each an ordinary job, scored on an inner validation split of the training rows.

A *group* is one config × dataset × seed × fold × train size. Trial 0 runs the config's
own parameters; trials 1.. sample its search space:

the suite's ``[tune] sampler`` (a class under ``samplers/``: random search, TPE) gives
each sampled trial its point.

The :class:`Tuner` hands out at most what the executor has slots for, round-robin across
groups by trial index (an interrupted run has near-equal trial counts per family), stops a
group's trials once its recorded fit time reaches ``time_budget``, and, when a group's
trials are done, adds the refit jobs (``refit = true``: the chosen trial and trial 0 on all
training rows) or, for the groups the reports draw, one plot job of the chosen trial.
Job sources share one small interface (:class:`JobSource`), so the runner drives fixed
job lists and tuning the same way.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import replace

from familybench.bench.plan.group import Group
from familybench.bench.plan.jobs import Job, content_key, expand
from familybench.bench.plan.samplers import make_sampler
from familybench.bench.results.record import BAD_STATUSES, FINISHED_STATUSES, Role, Status
from familybench.bench.suite.spec import ModelConfig, Suite, TuneSettings


class JobSource:
    """Produces jobs for the runner; told each finished record."""

    total: int = 0
    bound: bool = False  # True when ``total`` is an upper bound (tuning may stop early)

    def next_job(self) -> Job | None:  # pragma: no cover - interface
        """A job that can run now, or ``None`` (nothing now; more may come after a ``tell``)."""
        raise NotImplementedError

    def start(self) -> None:
        """Called once before the first ``next_job``."""

    def tell(self, record: dict) -> None:
        """A job finished with this record."""

    @property
    def models(self) -> set[str]:  # pragma: no cover - interface
        raise NotImplementedError


class FixedJobs(JobSource):
    """A fixed list of jobs, in order."""

    def __init__(self, jobs: list[Job]):
        self._jobs = deque(jobs)
        self.total = len(jobs)
        self._models = {j.model for j in jobs}

    def next_job(self):
        return self._jobs.popleft() if self._jobs else None

    @property
    def models(self):
        return self._models


def config_space(config: ModelConfig, task: str | None):
    """The search space a tuned config samples, or ``None`` (trial 0 only).

    The suite's ``search`` table, else the family's built-in space; dimensions the config
    fixes in ``params`` are left out (the user's value stands).
    """
    from familybench.models import get_search_space, get_spec
    from familybench.models._space import SearchSpace, parse_dimension

    if not config.tune:
        return None
    task = task or get_spec(config.model).tasks[0]
    builtin = get_search_space(config.model, task) if task in get_spec(config.model).tasks else None
    if config.search is not None:
        dims = {name: parse_dimension(_as_suite_value(desc), name) for name, desc in config.search.items()}
        space = builtin.replace(dims) if builtin is not None else SearchSpace(dims, source="suite")
        return None if space.is_trivial else space
    if builtin is None:
        return None
    dims = {name: dim for name, dim in builtin.dimensions.items() if name not in config.params}
    space = builtin.replace(dims) if len(dims) != len(builtin.dimensions) else builtin
    return None if not space.dimensions or space.is_trivial else space


def _as_suite_value(desc: dict):
    """A stored dimension description back in the suite's form (for parse_dimension)."""
    if desc["type"] == "categorical":
        return list(desc["choices"])
    return {"low": desc["low"], "high": desc["high"], "log": desc["log"], "type": desc["type"]}


class Tuner(JobSource):
    """Hands out trial jobs (and refit/plot jobs) of a tuned suite.

    Parameters
    ----------
    suite : Suite
        With a ``tune`` table.
    stored : dict
        ``job_key -> record`` already in the store (resume: finished trials are not run
        again, and TPE is told them).
    retry_failed : bool
        Run failed and timed-out trials again.
    """

    def __init__(self, suite: Suite, stored: dict[str, dict] | None = None, *, retry_failed: bool = False):
        if suite.tune is None:
            raise ValueError("Tuner needs a suite with a [tune] table")
        self.suite, self.settings = suite, suite.tune
        self.sampler = make_sampler(self.settings.sampler, self.settings.seed)
        self._stored = {k: r for k, r in (stored or {}).items()
                        if r.get("status") in FINISHED_STATUSES
                        and not (retry_failed and r.get("status") in BAD_STATUSES)}
        configs = {m.config: m for m in suite.models}
        self.groups: list[Group] = []
        self.untunable: set[str] = set()  # configs that run trial 0 only (no space)
        for job in expand(suite):
            config = configs[job.config]
            space = config_space(config, job.dataset.known_task)
            if space is None:
                self.untunable.add(config.config)
            target = self.settings.trials if space is not None else 1
            group = Group(job, config, space, target)
            group.gid = content_key({"group": job.key, "tune": self._tune_identity(space)})
            for trial in range(target):
                record = self._stored.get(self.trial_key(group, trial))
                if record is not None:
                    group.finished[trial] = record
                else:
                    group.todo.append(trial)
            self.groups.append(group)
        self._by_key: dict[str, tuple[Group, int | None]] = {}
        self._followups: deque = deque()
        self.already_done = sum(len(g.finished) for g in self.groups)
        followups = 0
        if self.settings.refit:
            followups = sum(2 if g.target > 1 else 1 for g in self.groups)
        else:  # a group of one trial needs no plot job: that trial is the chosen one and draws
            followups = sum(1 for g in self.groups if g.base_job.artefacts and g.target > 1)
        self.total = sum(len(g.todo) for g in self.groups) + followups
        self.bound = bool(self.settings.time_budget) or self.settings.refit or bool(self.already_done)
        self._models = {g.base_job.model for g in self.groups}

    @property
    def models(self):
        return self._models

    # -- identities

    def _tune_identity(self, space) -> dict:
        s = self.settings
        identity = {"validation": s.validation, "sampler": s.sampler, "seed": s.seed,
                    "space": space.describe() if space is not None else None}
        if "kfold" in s.validation:
            # k-fold trials bag the k models' test predictions and score validation out of
            # fold (before: means of the k models' scores): such trials are not reused
            identity["inner"] = "bagged"
        return identity

    def trial_key(self, group: Group, trial: int) -> str:
        # Neither the trial count nor the time budget: raising either reuses every trial run.
        return content_key({"group": group.gid, "trial": trial, "role": Role.TRIAL.value})

    def _followup_key(self, group: Group, role: Role, trial: int, params: dict) -> str:
        return content_key({"group": group.gid, "trial": trial, "role": role.value, "params": params})

    # -- trials

    def _tune_columns(self, group: Group, told: int | None) -> dict:
        s = self.settings
        return {"tune_trials": group.target, "tune_time_budget": s.time_budget, "tune_sampler": s.sampler,
                "tune_validation": json.dumps(s.validation, sort_keys=True), "tune_refit": int(s.refit),
                "told_trials": told}

    def _trial_job(self, group: Group, trial: int) -> Job:
        told = None
        if trial == 0 or group.space is None:
            params, point = dict(group.config.params), None
        else:
            point, told = self.sampler.point(group, trial)
            # The user's params stand over the space's fixed ones (a searched name cannot
            # also be in params: the suite refuses it).
            params = _merge_params(group.space.params(point), group.config.params)
        return replace(
            group.base_job, key=self.trial_key(group, trial), params=params, trial=trial, role=Role.TRIAL.value,
            validation=dict(self.settings.validation), search_params=point, repeats=1,
            artefacts=group.base_job.artefacts if self._draws_on_trial(group) else (),
            tune=self._tune_columns(group, told),
        )

    def _draws_on_trial(self, group: Group) -> bool:
        """A group of one trial without refit: that trial is the one chosen, so it makes the
        artefacts the reports draw itself, and no plot job fits it a second time."""
        return group.target == 1 and not self.settings.refit

    # -- the source interface

    def next_job(self) -> Job | None:
        if self._followups:
            return self._followups.popleft()
        best, best_group = None, None
        for group in self.groups:  # round-robin by trial index: the lowest next index first
            if not group.todo or self._budget_spent(group):
                continue
            if best is None or group.todo[0] < best:
                best, best_group = group.todo[0], group
        if best_group is None:
            return None
        trial = best_group.todo.popleft()
        best_group.in_flight.add(trial)
        job = self._trial_job(best_group, trial)
        self._by_key[job.key] = (best_group, trial)
        return job

    def _budget_spent(self, group: Group) -> bool:
        budget = self.settings.time_budget
        return bool(budget) and group.spent >= budget

    def tell(self, record: dict) -> None:
        entry = self._by_key.pop(record["job_key"], None)
        if entry is None:
            return
        group, trial = entry
        if trial is None:
            group.followups_in_flight -= 1
            return
        group.in_flight.discard(trial)
        group.finished[trial] = record
        self._maybe_follow_up(group)

    def start(self) -> None:
        """Queue follow-ups of groups whose trials all finished in an earlier run."""
        for group in self.groups:
            self._maybe_follow_up(group)

    def _maybe_follow_up(self, group: Group) -> None:
        done = not group.in_flight and (not group.todo or self._budget_spent(group))
        if not done or group.followups_issued:
            return
        group.followups_issued = True
        from familybench.bench.results.select import choose_trial

        chosen = choose_trial(list(group.finished.values()), trials=self.settings.trials,
                              time_budget=self.settings.time_budget)
        if chosen is None:
            return
        wanted: list[tuple[Role, dict, bool]] = []
        if self.settings.refit:
            wanted.append((Role.REFIT, chosen, bool(group.base_job.artefacts)))
            default = group.finished.get(0)
            if int(chosen["trial"]) != 0 and default is not None and default.get("status") == Status.OK:
                wanted.append((Role.REFIT, default, False))
        elif group.base_job.artefacts and not self._draws_on_trial(group):
            wanted.append((Role.PLOT, chosen, True))
        for role, record, plot in wanted:
            params = record["params"]
            params = json.loads(params) if isinstance(params, str) else dict(params)
            trial = int(record["trial"])
            key = self._followup_key(group, role, trial, params)
            if key in self._stored:
                continue
            point = record.get("search_params")
            point = json.loads(point) if isinstance(point, str) else point
            job = replace(
                group.base_job, key=key, params=params, trial=trial, role=role.value,
                artefacts=group.base_job.artefacts if plot else (), repeats=1,
                validation=None if role is Role.REFIT else dict(self.settings.validation), search_params=point,
                tune=self._tune_columns(group, record.get("told_trials")),
            )
            self._by_key[key] = (group, None)
            group.followups_in_flight += 1
            self._followups.append(job)


def _merge_params(sampled: dict, own: dict) -> dict:
    """The config's params over a sampled trial's; a dict-valued param (LightGBM's
    ``extra_params``) is merged key by key, so a sampled ``extra_trees`` and the config's
    own extras both stand."""
    merged = {**sampled, **own}
    for name, value in own.items():
        if isinstance(value, dict) and isinstance(sampled.get(name), dict):
            merged[name] = {**sampled[name], **value}
    return merged


def tune_settings_from(suite: Suite, trials: int | None = None, seconds: float | None = None) -> Suite:
    """The suite with ``--tune N`` / ``--tune-seconds S`` applied (adds ``[tune]`` if missing)."""
    if trials is None and seconds is None:
        return suite
    settings = suite.tune or TuneSettings()
    if trials is not None:
        settings = replace(settings, trials=int(trials))
    if seconds is not None:
        settings = replace(settings, time_budget=float(seconds))
    return replace(suite, tune=settings)
