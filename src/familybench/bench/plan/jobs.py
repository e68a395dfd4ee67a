"""Jobs: model config × dataset × seed (× fold, × train size), each with a stable key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from familybench.bench.suite.spec import DataSource, ModelConfig, Suite


@dataclass(frozen=True, eq=False)
class Job:
    """One fit-and-score unit of work. Plain data: it crosses process boundaries."""

    key: str
    config: str
    model: str
    params: dict
    dataset: DataSource
    seed: int
    fold: int
    n_folds: int
    train_size: int | None
    split: object
    test_size: float
    timeout: float
    device: str
    repeats: int
    artefacts: tuple = ()
    predictions: bool = True  # keep the test (and validation) predictions (bench/results/predictions.py)
    """Names of the producers (:mod:`familybench.artefacts`) the worker runs after this
    job's timed part: the suite's ``artefacts`` on fold 0, full size, the lowest seed (the
    one the reports draw) or every seed where the model config asks
    (``artefact_seeds = "all"``); empty for every other job. Not part of the key."""
    skip_reason: str | None = None
    """Set when the config's parameters do not apply to this dataset's task."""
    plugins: tuple = ()
    """Plug-in modules (names or absolute .py paths) the worker imports before the job."""
    registrations: tuple = ()
    """Models registered in the parent process, as plain data the worker replays."""
    memory_limit: int | None = None
    """Bytes the job may add to its worker's resident memory (``None``: the executor's
    default); not part of the key."""
    base: str = ""
    """The config's ``[models.NAME]`` (grid points share it)."""
    # -- tuning (``None`` for an untuned job)
    trial: int | None = None
    role: str | None = None
    validation: dict | None = None
    """Inner split of the training rows to score on: ``{"holdout": f}`` or ``{"kfold": k}``;
    ``None`` fits on all training rows (untuned and refit jobs)."""
    search_params: dict | None = None
    tune: dict | None = None
    """Record columns the tuner sets (``tune_trials``, ``told_trials``, ...)."""

    def describe(self) -> str:
        extra = f" fold {self.fold}" if self.n_folds > 1 else ""
        extra += f" n={self.train_size}" if self.train_size else ""
        extra += f" {self.role} {self.trial}" if self.trial is not None else ""
        return f"{self.config} on {self.dataset.name} seed {self.seed}{extra}"


def job_key(model: ModelConfig, dataset: DataSource, seed: int, fold: int, train_size, suite: Suite) -> str:
    """Content hash of everything that determines a job's result (not its timeout)."""
    payload = {
        "config": model.config,
        "model": model.model,
        "params": model.params,
        "dataset": dataset.identity(),
        "seed": seed,
        "fold": fold,
        "train_size": train_size,
        "split": suite.split,
        "test_size": suite.test_size,
        "repeats": suite.repeats,
        "device": suite.device,
    }
    return content_key(payload)


def plugin_registrations(suite: Suite, *, strict: bool = False) -> tuple:
    """The suite's models that were registered in this process (not built-in, not from a
    plug-in module a worker imports itself), as plain data for workers to replay.

    ``strict`` raises when one cannot be replayed elsewhere (registered from ``__main__``).
    """
    from familybench.models import get_spec
    from familybench.models._plugins import PluginError, registration

    out = {}
    for config in suite.models:
        if ":" in config.model or config.model in out:
            continue
        try:
            entry = registration(get_spec(config.model))
        except PluginError:
            if strict:
                raise
            entry = None
        if entry is not None:
            out[config.model] = entry
    return tuple(out.values())


def content_key(payload: dict) -> str:
    """A 20-hex-digit hash of a JSON-able payload (job keys, tuning groups)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def expand(suite: Suite) -> list[Job]:
    """All jobs of a suite, grouped by dataset so workers reuse loaded data."""
    n_folds = suite.split["kfold"] if isinstance(suite.split, dict) else 1
    registrations = plugin_registrations(suite)
    jobs = []
    identities = {d.name: d for d in suite.datasets}
    for dataset in identities.values():
        for model in suite.models:
            if model.datasets is not None and dataset.name not in model.datasets:
                continue
            seeds = model.seeds or suite.seeds
            for seed in seeds:
                for fold in range(n_folds):
                    for train_size in model.train_sizes or suite.train_sizes:
                        jobs.append(
                            Job(
                                key=job_key(model, dataset, seed, fold, train_size, suite),
                                config=model.config,
                                model=model.model,
                                params=dict(model.params),
                                dataset=dataset,
                                seed=seed,
                                fold=fold,
                                n_folds=n_folds,
                                train_size=train_size,
                                split=suite.split,
                                test_size=suite.test_size,
                                timeout=float(model.timeout or suite.timeout),
                                device=suite.device,
                                repeats=suite.repeats,
                                artefacts=suite.artefacts if fold == 0 and train_size is None
                                and (model.artefact_all_seeds or seed == min(seeds)) else (),
                                predictions=suite.predictions,
                                skip_reason=model.skip_tasks.get(dataset.known_task),
                                memory_limit=model.memory_limit or suite.memory_limit,
                                plugins=tuple(suite.plugins),
                                registrations=registrations,
                                base=model.base,
                            )
                        )
    # Dataset by dataset (a worker reuses the loaded data), and within one, seed by seed:
    # every config gets its first seed early, so a partial run still compares them all.
    order = {name: i for i, name in enumerate(identities)}
    jobs.sort(key=lambda j: (order[j.dataset.name], j.seed, j.fold, j.train_size or 0))
    return jobs
