"""Suite files: parse and validate a TOML suite up front, before any job runs.

Every error names the file, the key and the problem in one line (``SuiteError``).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import sys
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from familybench._devices import AUTO, DEVICES
from familybench._tasks import TASKS
from familybench.bench.results.metrics import ALL_METRICS
from familybench.bench.suite.values import (
    SuiteError,
    TuneSettings,
    _check_for_tasks,
    _compare_settings,
    _number,
    _plugins,
    _search_table,
    _seeds,
    _short,
    _split,
    _train_sizes,
    _tune,
    parse_bytes,
)

__all__ = ["DataSource", "ModelConfig", "Suite", "SuiteError", "TuneSettings", "apply_fast", "builtin_suites",
           "load_suite", "parse_suite", "select"]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TOP_KEYS = {
    "name", "description", "seeds", "split", "test_size", "timeout", "device", "repeats",
    "metrics", "train_sizes", "datasets", "models", "fast", "report", "compare", "tune", "memory_limit", "plugins",
    "artefacts", "predictions",
}
_MODEL_KEYS = {
    "model", "params", "grid", "datasets", "timeout", "compare", "seeds", "train_sizes", "artefact_seeds", "plot_seeds",
    "search", "tune", "memory_limit",
}


@dataclass(frozen=True)
class DataSource:
    """How to get one dataset: a built-in name (or generator) with params, or a user file."""

    name: str
    loader: str  # built-in dataset/generator name, or "file"
    params: dict = field(default_factory=dict)
    path: str | None = None
    target: str | None = None
    task: str | None = None
    known_task: str | None = field(default=None, compare=False)
    """The task as known at parse time (the registry's, or the file's inferred one); not
    part of the identity: the worker reads the data's own task."""

    def identity(self) -> dict:
        """What makes the data what it is (part of every job key)."""
        ident = {"name": self.name, "loader": self.loader, "params": self.params, "task": self.task}
        if self.path is not None:
            ident.update(target=self.target, sha256=_file_digest(self.path))
            if self.task is None and self.known_task is not None:
                # the inferred task is part of what the data is: a resume never mixes two inferences
                ident["inferred_task"] = self.known_task
        return ident


@dataclass(frozen=True)
class ModelConfig:
    """One named model configuration (a grid point already expanded).

    ``base`` is the ``[models.NAME]`` it came from (grid points share it); ``search`` the
    suite's own search table (``None``: the family's built-in space); ``tune=False`` runs
    trial 0 only under ``[tune]``. ``skip_tasks`` maps a task to why this config's jobs on
    datasets of that task are skipped (a parameter the model does not take there).
    """

    config: str
    model: str
    params: dict = field(default_factory=dict)
    datasets: tuple[str, ...] | None = None  # restrict to these datasets
    timeout: float | None = None
    compare: dict = field(default_factory=dict)  # regression-gate thresholds for this config
    seeds: tuple[int, ...] | None = None  # overrides the suite's seeds
    train_sizes: tuple[int | None, ...] | None = None  # overrides the suite's train sizes
    artefact_all_seeds: bool = False  # artefacts for every seed's job, not only the lowest seed's
    base: str = ""
    search: dict | None = None
    tune: bool = True
    skip_tasks: dict = field(default_factory=dict)
    memory_limit: int | None = None  # bytes a job may add to its worker's memory

    def __post_init__(self):
        if not self.base:
            object.__setattr__(self, "base", self.config)


@dataclass(frozen=True)
class Suite:
    name: str
    models: tuple[ModelConfig, ...]
    datasets: tuple[DataSource, ...]
    seeds: tuple[int, ...] = (0,)
    split: Any = "holdout"
    test_size: float = 0.2
    timeout: float = 600.0
    device: str = AUTO
    repeats: int = 1
    metrics: tuple[str, ...] = ()
    train_sizes: tuple[int | None, ...] = (None,)
    description: str = ""
    report: str | None = None
    source: str = "<command line>"
    fast: dict = field(default_factory=dict, repr=False)
    compare: dict = field(default_factory=dict)  # regression-gate thresholds (bench/compare.py)
    tune: TuneSettings | None = None
    memory_limit: int | None = None  # bytes; None: 0.8 x RAM / concurrent jobs
    plugins: tuple[str, ...] = ()  # modules / absolute .py paths imported in the parent and every worker
    artefacts: tuple[str, ...] = ()  # producers (familybench.artefacts) the workers run for the reports
    predictions: bool = True  # every job keeps its test and validation predictions (post-hoc ensembles)
    raw: dict = field(default_factory=dict, repr=False, compare=False)  # the TOML table, for [fast]
    base_dir: str | None = field(default=None, repr=False, compare=False)  # relative paths start here

    def to_dict(self) -> dict:
        """The resolved suite, as stored with each run."""
        return {
            "name": self.name, "description": self.description, "source": self.source,
            "seeds": list(self.seeds), "split": self.split, "test_size": self.test_size,
            "timeout": self.timeout, "device": self.device, "repeats": self.repeats,
            "metrics": list(self.metrics), "train_sizes": list(self.train_sizes), "report": self.report,
            "models": [m.__dict__ for m in self.models], "datasets": [d.__dict__ for d in self.datasets],
            "compare": self.compare, "tune": self.tune.to_dict() if self.tune else None,
            "memory_limit": self.memory_limit, "plugins": list(self.plugins), "artefacts": list(self.artefacts),
            "predictions": self.predictions,
        }


_DIGESTS: dict[tuple, str] = {}


def _file_digest(path: str) -> str:
    """SHA-256 of a data file (16 hex digits), read once per content: every job key of the
    file asks for it, so it is cached by path, size, modification time and inode."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _DIGESTS[key] = digest.hexdigest()[:16]
    return _DIGESTS[key]


def builtin_suites() -> dict[str, str]:
    """Names of the suites shipped inside the package → their description."""
    out = {}
    for entry in sorted(resources.files("familybench.bench.suite.builtin").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[:-5]] = data.get("description", "")
    return out


def load_suite(path_or_name: str | Path, *, fast: bool = False) -> Suite:
    """Read and validate a suite file, or a built-in suite by name (``[fast]`` included)."""
    path = Path(path_or_name)
    if path.suffix != ".toml" and not path.exists():
        name = str(path_or_name)
        if name not in builtin_suites():
            raise SuiteError(f"unknown suite {name!r}; built-in suites: {', '.join(builtin_suites())}")
        text = resources.files("familybench.bench.suite.builtin").joinpath(f"{name}.toml").read_text("utf-8")
        source, base = f"suite '{name}'", Path.cwd()
    else:
        if not path.is_file():
            raise SuiteError(f"{path}: suite file not found")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise SuiteError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        source, base = str(path), path.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{source}: not valid TOML ({exc})") from None
    suite = parse_suite(data, source=source, default_name=Path(str(path_or_name)).stem, base=base)
    fast_suite = apply_fast(suite) if suite.fast else None  # a bad [fast] fails now, not with --fast
    if fast:
        return fast_suite or apply_fast(suite)
    return suite


def parse_suite(data: dict, *, source: str = "<suite>", default_name: str = "run", base: Path | None = None) -> Suite:
    """Validate a suite dict (as read from TOML) into a :class:`Suite`."""

    def fail(key: str, problem: str):
        raise SuiteError(f"{source}: {key}: {problem}")

    if not isinstance(data, dict):
        fail("(top level)", "expected a table")
    plugins = _plugins(data.get("plugins", []), fail, base or Path.cwd())  # first: they register models
    unknown = set(data) - _TOP_KEYS
    if unknown:
        fail(sorted(unknown, key=str)[0], f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
    seeds = _seeds(data.get("seeds", 1), fail)
    split = _split(data.get("split", "holdout"), fail)
    test_size = _number(data, "test_size", 0.2, fail, low=0.0, high=1.0, exclusive=True)
    timeout = _number(data, "timeout", 600.0, fail, low=0.0, exclusive=True)
    repeats = int(_number(data, "repeats", 1, fail, low=1, integer=True))
    device = data.get("device", AUTO)
    if device not in DEVICES:
        fail("device", f"{device!r} is not one of {', '.join(DEVICES)}")
    metrics = data.get("metrics", ())
    if not isinstance(metrics, (list, tuple)) or not all(isinstance(m, str) for m in metrics):
        fail("metrics", "expected a list of metric names")
    metrics = tuple(metrics)
    for metric in metrics:
        if metric not in ALL_METRICS:
            fail("metrics", f"unknown metric {metric!r}; known: {', '.join(ALL_METRICS)}")
    train_sizes = _train_sizes(data.get("train_sizes", [None]), fail, "train_sizes")
    tune = _tune(data["tune"], fail) if "tune" in data else None
    memory_limit = parse_bytes(data["memory_limit"], fail, "memory_limit") if "memory_limit" in data else None
    datasets = _datasets(data.get("datasets"), fail, base or Path.cwd())
    models = _models(data.get("models"), fail, {d.name: d.known_task for d in datasets}, tuned=tune is not None)
    compare = _compare_settings(data.get("compare", {}), fail, "compare")
    fast_table = data.get("fast", {})
    if not isinstance(fast_table, dict):
        fail("fast", "expected a table")
    for key in ("name", "description", "report"):
        if key in data and not isinstance(data[key], str):
            fail(key, f"expected a string, got {data[key]!r}")
    if data.get("report"):
        from familybench.models._plugins import _is_file, resolve_plugin

        module, colon, function = data["report"].partition(":")
        if _is_file(module):  # a .py path, relative to the suite's folder, stored absolute
            data = {**data, "report": resolve_plugin(module, base or Path.cwd()) + colon + function}
    artefacts = _artefacts(data, fail, plugins)
    predictions = data.get("predictions", True)
    if not isinstance(predictions, bool):
        fail("predictions", f"expected true or false, got {predictions!r}")
    return Suite(
        name=str(data.get("name", default_name)),
        description=str(data.get("description", "")),
        models=models,
        datasets=datasets,
        seeds=seeds,
        split=split,
        test_size=test_size,
        timeout=timeout,
        device=device,
        repeats=repeats,
        metrics=metrics,
        train_sizes=train_sizes,
        report=data.get("report"),
        source=source,
        fast=fast_table,
        compare=compare,
        tune=tune,
        memory_limit=memory_limit,
        plugins=plugins,
        artefacts=artefacts,
        predictions=predictions,
        raw={k: v for k, v in data.items() if k != "fast"},
        base_dir=str(base) if base is not None else None,
    )


_FAST_KEYS = {"seeds", "train_sizes", "datasets", "models", "tune", "timeout", "split", "test_size", "repeats"}


def apply_fast(suite: Suite) -> Suite:
    """The suite's smaller ``[fast]`` variant (without one, a single seed).

    The overlay is merged into the suite's own table and the result validated like any
    suite, so a bad value in ``[fast]`` is the same one-line error as anywhere else.
    """
    fast = dict(suite.fast)

    def fail(key, problem):
        raise SuiteError(f"{suite.source}: fast.{key}: {problem}")

    unknown = set(fast) - _FAST_KEYS
    if unknown:
        fail(sorted(unknown, key=str)[0], f"unknown key; expected one of {', '.join(sorted(_FAST_KEYS))}")
    if not suite.raw:  # a suite built in Python: only seeds can shrink
        return replace(suite, seeds=_seeds(fast.get("seeds", 1), fail))
    merged = {k: v for k, v in suite.raw.items()}
    merged["seeds"] = fast.get("seeds", 1)
    for key in ("train_sizes", "timeout", "split", "test_size", "repeats"):
        if key in fast:
            merged[key] = fast[key]
    if "tune" in fast:
        if not isinstance(fast["tune"], dict) or not isinstance(merged.get("tune", {}), dict):
            fail("tune", "expected a table")
        merged["tune"] = {**merged.get("tune", {}), **fast["tune"]}
    for section in ("datasets", "models"):
        overlay = fast.get(section, {})
        if not isinstance(overlay, dict):
            fail(section, "expected a table of name = { settings }")
        table = merged.get(section)
        if isinstance(table, list):
            table = {name: ({} if section == "datasets" else {"model": name}) for name in table}
        table = dict(table or {})
        for name, settings in overlay.items():
            if name not in table:
                fail(f"{section}.{name}", f"not among the suite's {section} ({', '.join(map(str, table))})")
            if not isinstance(settings, dict) or not isinstance(table[name], dict):
                fail(f"{section}.{name}", "expected a table of settings")
            entry = dict(table[name])
            for key, value in settings.items():
                if key in ("params", "grid", "search") and isinstance(value, dict) and isinstance(entry.get(key), dict):
                    entry[key] = {**entry[key], **value}
                else:
                    entry[key] = value
            table[name] = entry
        merged[section] = table
    base = Path(suite.base_dir) if suite.base_dir else None
    fast_suite = parse_suite(merged, source=f"{suite.source} [fast]", default_name=suite.name, base=base)
    return replace(fast_suite, name=suite.name, source=suite.source, fast=suite.fast)


def select(suite: Suite, models: list[str] | None = None, datasets: list[str] | None = None) -> Suite:
    """Keep only the named model configs (or registry names) and datasets."""
    if models:
        kept = tuple(m for m in suite.models if m.config in models or m.base in models or m.model in models)
        missing = [n for n in models if not any(n in (m.config, m.base, m.model) for m in suite.models)]
        if missing:
            raise SuiteError(
                f"{suite.source}: --models: {', '.join(map(repr, missing))} not in this suite "
                f"(it has {', '.join(m.config for m in suite.models)})"
            )
        suite = replace(suite, models=kept)
    if datasets:
        missing = [n for n in datasets if n not in {d.name for d in suite.datasets}]
        if missing:
            raise SuiteError(
                f"{suite.source}: --datasets: {', '.join(map(repr, missing))} not in this suite "
                f"(it has {', '.join(d.name for d in suite.datasets)})"
            )
        suite = replace(suite, datasets=tuple(d for d in suite.datasets if d.name in datasets))
    return suite


def _known_datasets() -> set[str]:
    from familybench.datasets import list_datasets

    return set(list_datasets()["name"])


def _check_file(path: Path, target: str, task: str | None, fail, key: str):
    # Read once up front: a bad file is bad input (exit 2), not one failed job per model.
    from familybench.datasets import Dataset, DatasetError

    try:
        return Dataset.from_file(path, target=target, task=task).task
    except DatasetError as exc:
        fail(key, str(exc))


def _check_dataset_params(loader: str, params: dict, fail, key: str):
    from familybench.datasets import get_dataset_spec

    valid = get_dataset_spec(loader).defaults
    unknown = sorted(set(params) - set(valid))
    if unknown:
        fail(f"{key}.{unknown[0]}", f"dataset {loader!r} has no such parameter; valid: {', '.join(valid) or 'none'}")


def _datasets(value, fail, base: Path) -> tuple[DataSource, ...]:
    if value is None or value == [] or value == {}:
        fail("datasets", "no datasets given")
    known = _known_datasets()
    if isinstance(value, list):
        if not all(isinstance(name, str) for name in value):
            fail("datasets", "expected a list of dataset names or a table of name = { settings }")
        value = {name: {} for name in value}
    if not isinstance(value, dict):
        fail("datasets", "expected a list of names or a table of name = { settings }")
    specs = []
    for name, settings in value.items():
        key = f"datasets.{name}"
        if not isinstance(name, str) or not isinstance(settings, dict):
            fail(key, "expected a table of settings, e.g. { n_samples = 2000 }")
        settings = dict(settings)
        if "path" in settings:
            for name_ in ("path", "target", "task"):
                if name_ in settings and not isinstance(settings[name_], str):
                    fail(f"{key}.{name_}", f"expected a string, got {settings[name_]!r}")
            path = Path(settings.pop("path"))
            path = path if path.is_absolute() else base / path
            target = settings.pop("target", None)
            task = settings.pop("task", None)
            if target is None:
                fail(key, "a file dataset needs target = \"COLUMN\"")
            if task is not None and task not in TASKS:
                fail(f"{key}.task", f"{task!r} is not one of {', '.join(TASKS)}")
            if not path.is_file():
                fail(f"{key}.path", f"file not found: {path}")
            if settings:
                fail(key, f"unknown setting(s) {', '.join(sorted(settings))} for a file dataset (path, target, task)")
            file_task = _check_file(path, target, task, fail, key)
            specs.append(DataSource(name=name, loader="file", path=str(path), target=target, task=task,
                                    known_task=file_task))
            continue
        loader = settings.pop("generator", settings.pop("dataset", name))
        if not isinstance(loader, str):
            fail(key, f"expected a dataset name, got {loader!r}")
        if loader not in known:
            import difflib

            close = difflib.get_close_matches(loader, sorted(known), n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            fail(key, f"unknown dataset {loader!r}{hint}; see `familybench list datasets`")
        _check_dataset_params(loader, settings, fail, key)
        from familybench.datasets import get_dataset_spec

        specs.append(DataSource(name=name, loader=loader, params=settings, known_task=get_dataset_spec(loader).task))
    return tuple(specs)


def _models(value, fail, dataset_tasks: dict[str, str | None], *, tuned: bool = False) -> tuple[ModelConfig, ...]:
    from familybench.models import ModelError, check_params, get_spec

    if not value:
        fail("models", "no models given")
    if isinstance(value, list):
        if not all(isinstance(name, str) for name in value):
            fail("models", "expected a list of model names")
        value = {name: {"model": name} for name in value}
    if not isinstance(value, dict):
        fail("models", "expected a list of model names or [models.NAME] tables")
    configs: list[ModelConfig] = []
    for name, table in value.items():
        key = f"models.{name}"
        if not isinstance(table, dict):
            fail(key, "expected a table with model = \"...\"")
        unknown = set(table) - _MODEL_KEYS
        if unknown:
            fail(f"{key}.{sorted(unknown, key=str)[0]}", f"unknown key; expected one of {', '.join(sorted(_MODEL_KEYS))}")
        model = table.get("model", name)
        if not isinstance(model, str):
            fail(f"{key}.model", f"expected a model name, got {model!r}")
        try:
            spec = get_spec(model)
        except ModelError as exc:
            fail(f"{key}.model", str(exc))
        params, grid = table.get("params", {}), table.get("grid", {})
        if not isinstance(params, dict):
            fail(f"{key}.params", "expected a table of parameters")
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            fail(f"{key}.grid", "expected a table of parameter = [values, ...]")
        restrict = table.get("datasets")
        if restrict is not None:
            if not isinstance(restrict, list) or not all(isinstance(d, str) for d in restrict):
                fail(f"{key}.datasets", "expected a list of dataset names")
            bad = [d for d in restrict if d not in dataset_tasks]
            if bad:
                fail(f"{key}.datasets", f"{', '.join(map(repr, bad))} not among the suite's datasets")
        timeout = table.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not math.isfinite(timeout) or timeout <= 0):
            fail(f"{key}.timeout", f"must be a positive, finite number, got {timeout!r}")
        compare = _compare_settings(table.get("compare", {}), fail, f"{key}.compare")
        seeds = _seeds(table["seeds"], lambda _, p, key=key: fail(f"{key}.seeds", p)) if "seeds" in table else None
        sizes = _train_sizes(table["train_sizes"], fail, f"{key}.train_sizes") if "train_sizes" in table else None
        artefact_seeds = _artefact_seeds(table, fail, key)
        memory = parse_bytes(table["memory_limit"], fail, f"{key}.memory_limit") if "memory_limit" in table else None
        tune_flag = table.get("tune", True)
        if not isinstance(tune_flag, bool):
            fail(f"{key}.tune", f"expected true or false, got {tune_flag!r}")
        search = _search_table(table.get("search"), fail, f"{key}.search", model, {**params, **grid}, tuned)
        # The tasks this config meets: those of its datasets that the model supports.
        names = restrict or list(dataset_tasks)
        tasks = sorted({dataset_tasks[d] for d in names if dataset_tasks.get(d) in spec.tasks})
        if not tasks:
            tasks = [spec.tasks[0]]
        grid_names = sorted(grid)
        for values in itertools.product(*(grid[n] for n in grid_names)) if grid_names else [()]:
            point = dict(zip(grid_names, values, strict=False))
            label = f"{name}[{','.join(f'{k}={_short(v)}' for k, v in point.items())}]" if point else name
            merged = {**params, **point}
            skip_tasks = _check_for_tasks(model, tasks, merged, search, fail, key, check_params)
            configs.append(
                ModelConfig(label, model, merged, tuple(restrict) if restrict else None, timeout, compare, seeds, sizes,
                            artefact_seeds == "all", base=name, search=search, tune=tune_flag, skip_tasks=skip_tasks,
                            memory_limit=memory)
            )
    return tuple(configs)


def _artefact_seeds(table: dict, fail, key: str) -> str:
    """A model's ``artefact_seeds`` ("first" or "all"); ``plot_seeds`` is its old name."""
    if "plot_seeds" in table:
        if "artefact_seeds" in table:
            fail(f"{key}.plot_seeds", "give artefact_seeds only (plot_seeds is its old name)")
        import warnings

        warnings.warn(f"{key}.plot_seeds is deprecated and will be removed in the next release; "
                      "call it artefact_seeds", DeprecationWarning, stacklevel=4)
    name = "plot_seeds" if "plot_seeds" in table else "artefact_seeds"
    value = table.get(name, "first")
    if value not in ("first", "all"):
        fail(f"{key}.{name}", f"expected \"first\" or \"all\", got {value!r}")
    return value


def _artefacts(data: dict, fail, plugins) -> tuple[str, ...]:
    """The suite's ``artefacts`` list, or without one what its report modules declare.

    Names are checked after the plug-ins loaded (they may register producers). A name
    that only the report module registers is refused: workers import plug-ins, not it.
    """
    from familybench import artefacts as registry

    before = set(registry.list_artefacts())  # the report module may register more
    if data.get("report"):  # importable here, or the report could not be written later
        try:
            registry.report_artefacts(data["report"], plugins)
        except registry.ArtefactError as exc:
            fail("report", str(exc))
    if "artefacts" in data:
        names = data["artefacts"]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            fail("artefacts", 'expected a list of artefact names, e.g. ["view", "grid"]')
        where = "artefacts"
    else:
        names = []
        for spec in (registry.DEFAULT_REPORT, data.get("report")):
            if not spec:
                continue
            try:
                names += registry.report_artefacts(spec, plugins) or ()
            except registry.ArtefactError as exc:
                fail("report", str(exc))
        where = f"report {data['report']!r}: ARTEFACTS" if data.get("report") else "artefacts"
        added = [n for n in names if n not in before and n in registry.list_artefacts()]
        if added:
            fail(where, f"artefact {added[0]!r} is registered by the report module, which workers do not "
                        "import; list that module in plugins = [...]")
    try:
        registry.check_names(names)
    except registry.ArtefactError as exc:
        fail(where, str(exc))
    return tuple(dict.fromkeys(names))
