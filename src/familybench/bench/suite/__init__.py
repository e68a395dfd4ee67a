"""The suite language: a TOML file (or a built-in suite under ``builtin/``) parsed and
checked into a ``Suite`` (``spec``), single values validated (``values``), the gate's
settings (``gate``)."""

from familybench.bench.suite.spec import (
    DataSource,
    ModelConfig,
    Suite,
    apply_fast,
    builtin_suites,
    load_suite,
    parse_suite,
    select,
)
from familybench.bench.suite.values import SuiteError, TuneSettings

__all__ = ["DataSource", "ModelConfig", "Suite", "SuiteError", "TuneSettings", "apply_fast",
           "builtin_suites", "load_suite", "parse_suite", "select"]
