"""TPE (Optuna): trial k is asked over the group's trials told so far."""

from __future__ import annotations

import json

from familybench.bench.plan.group import Group, stable_int
from familybench.bench.results.metrics import MAIN_METRIC
from familybench.bench.results.record import Status


class TPESampler:
    """Optuna's ``TPESampler``, asked once per trial over the group's finished trials.

    Trial k's sampler is seeded from the group and k and told the group's finished sampled
    trials in trial-index order (trial 0, the default, is not a sample and is not told), so
    a run at ``--jobs 1`` is deterministic; with more jobs in flight what has been told
    depends on timing, and each row records ``told_trials``. Our store stays the one source
    of truth: the study is rebuilt from it for every ask (``add_trial``), never stored.
    """

    def __init__(self, seed: int):
        self.seed = seed  # the group's identity already holds the [tune] seed

    def point(self, group: Group, trial: int) -> tuple[dict, int]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        distributions = group.space.to_optuna()
        sampler = optuna.samplers.TPESampler(seed=stable_int(group.gid, trial) % (2**32))
        study = optuna.create_study(direction="maximize", sampler=sampler)
        told = 0
        for index in sorted(group.finished):
            record = group.finished[index]
            if index == 0 or not record.get("search_params"):
                continue  # the default is not a sample of the space
            point = record["search_params"]
            point = json.loads(point) if isinstance(point, str) else point
            value = _validation_score(record)
            dims = group.space.dimensions
            if set(point) != set(dims) or not all(dims[name].contains(point[name]) for name in dims):
                continue  # sampled from another space
            state = optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.FAIL
            study.add_trial(optuna.trial.create_trial(
                params={name: point[name] for name in distributions}, distributions=distributions,
                value=value, state=state))
            told += 1
        asked = study.ask(distributions)
        return dict(asked.params), told


def _validation_score(record: dict) -> float | None:
    if record.get("status") != Status.OK or not record.get("task"):
        return None
    value = record.get(f"valid_{MAIN_METRIC[record['task']]}")
    if not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)
