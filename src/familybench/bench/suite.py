"""Suite files: parse and validate a TOML suite up front, before any job runs.

Every error names the file, the key and the problem in one line (``SuiteError``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .._errors import FamilybenchError
from .._tasks import TASKS
from .metrics import ALL_METRICS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TOP_KEYS = {
    "name", "description", "seeds", "split", "test_size", "timeout", "device", "repeats",
    "metrics", "train_sizes", "datasets", "models", "fast", "report", "compare",
}
_MODEL_KEYS = {"model", "params", "grid", "datasets", "timeout", "compare", "seeds", "train_sizes", "plot_seeds"}
_DEVICES = ("auto", "cpu", "cuda")


class SuiteError(FamilybenchError):
    """A suite file (or command-line selection) that cannot be run."""


@dataclass(frozen=True)
class DataSource:
    """How to get one dataset: a built-in name (or generator) with params, or a user file."""

    name: str
    loader: str  # built-in dataset/generator name, or "file"
    params: dict = field(default_factory=dict)
    path: str | None = None
    target: str | None = None
    task: str | None = None

    def identity(self) -> dict:
        """What makes the data what it is (part of every job key)."""
        ident = {"name": self.name, "loader": self.loader, "params": self.params, "task": self.task}
        if self.path is not None:
            ident.update(target=self.target, sha256=_file_digest(self.path))
        return ident


@dataclass(frozen=True)
class ModelConfig:
    """One named model configuration (a grid point already expanded)."""

    config: str
    model: str
    params: dict = field(default_factory=dict)
    datasets: tuple[str, ...] | None = None  # restrict to these datasets
    timeout: float | None = None
    compare: dict = field(default_factory=dict)  # regression-gate thresholds for this config
    seeds: tuple[int, ...] | None = None  # overrides the suite's seeds
    train_sizes: tuple[int | None, ...] | None = None  # overrides the suite's train sizes
    plot_all_seeds: bool = False  # store grid predictions of every seed, not only the lowest


@dataclass(frozen=True)
class Suite:
    name: str
    models: tuple[ModelConfig, ...]
    datasets: tuple[DataSource, ...]
    seeds: tuple[int, ...] = (0,)
    split: Any = "holdout"
    test_size: float = 0.2
    timeout: float = 600.0
    device: str = "auto"
    repeats: int = 1
    metrics: tuple[str, ...] = ()
    train_sizes: tuple[int | None, ...] = (None,)
    description: str = ""
    report: str | None = None
    source: str = "<command line>"
    fast: dict = field(default_factory=dict, repr=False)
    compare: dict = field(default_factory=dict)  # regression-gate thresholds (bench/compare.py)

    def to_dict(self) -> dict:
        """The resolved suite, as stored with each run."""
        return {
            "name": self.name, "description": self.description, "source": self.source,
            "seeds": list(self.seeds), "split": self.split, "test_size": self.test_size,
            "timeout": self.timeout, "device": self.device, "repeats": self.repeats,
            "metrics": list(self.metrics), "train_sizes": list(self.train_sizes), "report": self.report,
            "models": [m.__dict__ for m in self.models], "datasets": [d.__dict__ for d in self.datasets],
            "compare": self.compare,
        }


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def builtin_suites() -> dict[str, str]:
    """Names of the suites shipped inside the package → their description."""
    out = {}
    for entry in sorted(resources.files("familybench.bench.suites").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[:-5]] = data.get("description", "")
    return out


def load_suite(path_or_name: str | Path, *, fast: bool = False) -> Suite:
    """Read and validate a suite file, or a built-in suite by name."""
    path = Path(path_or_name)
    if path.suffix != ".toml" and not path.exists():
        name = str(path_or_name)
        if name not in builtin_suites():
            raise SuiteError(f"unknown suite {name!r}; built-in suites: {', '.join(builtin_suites())}")
        text = resources.files("familybench.bench.suites").joinpath(f"{name}.toml").read_text("utf-8")
        source, base = f"suite '{name}'", Path.cwd()
    else:
        if not path.is_file():
            raise SuiteError(f"{path}: suite file not found")
        text, source, base = path.read_text(encoding="utf-8"), str(path), path.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{source}: not valid TOML ({exc})") from None
    suite = parse_suite(data, source=source, default_name=Path(str(path_or_name)).stem, base=base)
    return apply_fast(suite) if fast else suite


def parse_suite(data: dict, *, source: str = "<suite>", default_name: str = "run", base: Path | None = None) -> Suite:
    """Validate a suite dict (as read from TOML) into a :class:`Suite`."""

    def fail(key: str, problem: str):
        raise SuiteError(f"{source}: {key}: {problem}")

    unknown = set(data) - _TOP_KEYS
    if unknown:
        fail(sorted(unknown)[0], f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
    seeds = _seeds(data.get("seeds", 1), fail)
    split = _split(data.get("split", "holdout"), fail)
    test_size = _number(data, "test_size", 0.2, fail, low=0.0, high=1.0, exclusive=True)
    timeout = _number(data, "timeout", 600.0, fail, low=0.0, exclusive=True)
    repeats = int(_number(data, "repeats", 1, fail, low=1, integer=True))
    device = data.get("device", "auto")
    if device not in _DEVICES:
        fail("device", f"{device!r} is not one of {', '.join(_DEVICES)}")
    metrics = tuple(data.get("metrics", ()))
    for metric in metrics:
        if metric not in ALL_METRICS:
            fail("metrics", f"unknown metric {metric!r}; known: {', '.join(ALL_METRICS)}")
    train_sizes = _train_sizes(data.get("train_sizes", [None]), fail, "train_sizes")
    datasets = _datasets(data.get("datasets"), fail, base or Path.cwd())
    models = _models(data.get("models"), fail, {d.name for d in datasets})
    compare = _compare_settings(data.get("compare", {}), fail, "compare")
    fast_table = data.get("fast", {})
    if not isinstance(fast_table, dict):
        fail("fast", "expected a table")
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
    )


def apply_fast(suite: Suite) -> Suite:
    """The suite's smaller ``[fast]`` variant; without one, a single seed."""
    fast = suite.fast
    datasets = tuple(
        replace(d, params={**d.params, **fast.get("datasets", {}).get(d.name, {})}) for d in suite.datasets
    )
    model_overrides = fast.get("models", {})
    models = []
    def fail(key, problem):
        raise SuiteError(f"{suite.source}: fast.{key}: {problem}")

    for m in suite.models:
        base_name = m.config.split("[")[0]
        override = model_overrides.get(base_name, {})
        m = replace(m, params={**m.params, **override.get("params", {})})
        if "seeds" in override:
            m = replace(m, seeds=_seeds(override["seeds"], fail))
        if "train_sizes" in override:
            m = replace(m, train_sizes=_train_sizes(override["train_sizes"], fail, f"models.{base_name}.train_sizes"))
        models.append(m)
    seeds = _seeds(fast.get("seeds", 1), fail)
    train_sizes = tuple(fast.get("train_sizes", suite.train_sizes))
    return replace(suite, datasets=datasets, models=tuple(models), seeds=seeds, train_sizes=train_sizes)


def select(suite: Suite, models: list[str] | None = None, datasets: list[str] | None = None) -> Suite:
    """Keep only the named model configs (or registry names) and datasets."""
    if models:
        kept = tuple(m for m in suite.models if m.config in models or m.config.split("[")[0] in models or m.model in models)
        missing = [n for n in models if not any(n in (m.config, m.config.split("[")[0], m.model) for m in suite.models)]
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


def _seeds(value, fail) -> tuple[int, ...]:
    if isinstance(value, bool):
        fail("seeds", "expected an integer N (seeds 0..N-1) or a list of integers")
    if isinstance(value, int):
        if value < 1:
            fail("seeds", f"expected at least 1 seed, got {value}")
        return tuple(range(value))
    if isinstance(value, list) and value and all(isinstance(s, int) and not isinstance(s, bool) for s in value):
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
    if low is not None and (value < low or (exclusive and value == low)):
        fail(key, f"must be {'>' if exclusive else '>='} {low}, got {value}")
    if high is not None and (value > high or (exclusive and value == high)):
        fail(key, f"must be {'<' if exclusive else '<='} {high}, got {value}")
    return value


def _known_datasets() -> set[str]:
    from ..datasets import list_datasets

    return set(list_datasets()["name"])


def _check_file(path: Path, target: str, task: str | None, fail, key: str):
    # Read once up front: a bad file is bad input (exit 2), not one failed job per model.
    from ..datasets import Dataset, DatasetError

    try:
        Dataset.from_file(path, target=target, task=task)
    except DatasetError as exc:
        fail(key, str(exc))


def _check_dataset_params(loader: str, params: dict, fail, key: str):
    from ..datasets import get_dataset_spec

    valid = get_dataset_spec(loader).defaults
    unknown = sorted(set(params) - set(valid))
    if unknown:
        fail(f"{key}.{unknown[0]}", f"dataset {loader!r} has no such parameter; valid: {', '.join(valid) or 'none'}")


def _datasets(value, fail, base: Path) -> tuple[DataSource, ...]:
    if value is None or value == [] or value == {}:
        fail("datasets", "no datasets given")
    known = _known_datasets()
    if isinstance(value, list):
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
            _check_file(path, target, task, fail, key)
            specs.append(DataSource(name=name, loader="file", path=str(path), target=target, task=task))
            continue
        loader = settings.pop("generator", settings.pop("dataset", name))
        if loader not in known:
            import difflib

            close = difflib.get_close_matches(loader, sorted(known), n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            fail(key, f"unknown dataset {loader!r}{hint}; see `familybench list datasets`")
        _check_dataset_params(loader, settings, fail, key)
        specs.append(DataSource(name=name, loader=loader, params=settings))
    return tuple(specs)


def _models(value, fail, dataset_names: set[str]) -> tuple[ModelConfig, ...]:
    from ..models import ModelError, get_spec

    if not value:
        fail("models", "no models given")
    if isinstance(value, list):
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
            fail(f"{key}.{sorted(unknown)[0]}", f"unknown key; expected one of {', '.join(sorted(_MODEL_KEYS))}")
        model = table.get("model", name)
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
            bad = [d for d in restrict if d not in dataset_names]
            if bad:
                fail(f"{key}.datasets", f"{', '.join(map(repr, bad))} not among the suite's datasets")
        timeout = table.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            fail(f"{key}.timeout", f"must be a positive number, got {timeout!r}")
        compare = _compare_settings(table.get("compare", {}), fail, f"{key}.compare")
        seeds = _seeds(table["seeds"], lambda _, p, key=key: fail(f"{key}.seeds", p)) if "seeds" in table else None
        sizes = _train_sizes(table["train_sizes"], fail, f"{key}.train_sizes") if "train_sizes" in table else None
        plot_seeds = table.get("plot_seeds", "first")
        if plot_seeds not in ("first", "all"):
            fail(f"{key}.plot_seeds", f"expected \"first\" or \"all\", got {plot_seeds!r}")
        names = sorted(grid)
        for values in itertools.product(*(grid[n] for n in names)) if names else [()]:
            point = dict(zip(names, values, strict=False))
            label = f"{name}[{','.join(f'{k}={_short(v)}' for k, v in point.items())}]" if point else name
            merged = {**params, **point}
            try:  # a misspelt parameter fails here, not in every job
                from ..models import check_params

                check_params(model, spec.tasks[0], merged)
            except (TypeError, ValueError) as exc:
                fail(f"{key}.params", str(exc).splitlines()[0])
            configs.append(
                ModelConfig(label, model, merged, tuple(restrict) if restrict else None, timeout, compare, seeds, sizes,
                            plot_seeds == "all")
            )
    return tuple(configs)


def _compare_settings(value, fail, key: str) -> dict:
    from .compare import CompareSettings

    if not isinstance(value, dict):
        fail(key, "expected a table of thresholds")
    known = CompareSettings.__dataclass_fields__
    for name, setting in value.items():
        if name not in known:
            fail(f"{key}.{name}", f"unknown threshold; expected one of {', '.join(known)}")
        if isinstance(setting, bool) or not isinstance(setting, (int, float)) or setting < 0:
            fail(f"{key}.{name}", f"expected a non-negative number, got {setting!r}")
    return dict(value)


def _short(value) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
