"""Sessions: tests, bench (the quick suite), lecture, slow, speed, history, perf, compare, docs, lint (`nox -l` lists them)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

# Benchmark numbers are only comparable on the same versions: every session installs
# against the pinned environment (torch 2.13.0 is the CPU wheel).
CONSTRAINTS = ("-c", "constraints.txt")
# Thread counts are set per job by familybench itself (workers overwrite OMP/OPENBLAS/MKL_NUM_THREADS);
# PYTHONHASHSEED is fixed so that hash-ordered output is the same in every session.
# PYTHONDONTWRITEBYTECODE is emptied (unset, for Python): a machine that sets it makes every
# test session and every worker process re-compile the package and pytest re-rewrite every
# test file (~5 s of the fast loop's collection here).
ENV = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": ""}


def _install(session: nox.Session, extras: str = "data,test,dask,xgboost,catboost,nets") -> None:
    session.install(*CONSTRAINTS, "-e", f".[{extras}]")


def _extra(name: str) -> list[str]:
    """The requirements of one optional-dependency group of pyproject.toml."""
    from pathlib import Path

    import tomllib

    return tomllib.loads(Path("pyproject.toml").read_text())["project"]["optional-dependencies"][name]


@nox.session
def tests(session: nox.Session) -> None:
    """The correctness tests (fast; the slow ones are `nox -s slow`; the browser test needs Chromium)."""
    _install(session)
    session.run("pytest", "-m", "not slow", *session.posargs, env=ENV)


@nox.session
def bench(session: nox.Session) -> None:
    """The main job: the built-in `quick` suite end to end -> reports/quick/."""
    _install(session)
    args = session.posargs or ["--suite", "quick"]
    session.run("familybench", "run", *args, env=ENV)


@nox.session
def lecture(session: nox.Session) -> None:
    """The lecture's claims as a study -> reports/lecture/report.html (`-- --fast` for ~3 minutes)."""
    _install(session)
    session.run("familybench", "run", "--suite", "lecture", "--jobs", "2", *session.posargs, env=ENV)


@nox.session
def slow(session: nox.Session) -> None:
    """Long-running checks marked `slow`."""
    _install(session)
    session.run("pytest", "-m", "slow", *session.posargs, env=ENV)
    # the property tests again, with 500 examples each instead of 50
    session.run("pytest", "tests/e2e/test_fuzz.py", *session.posargs, env={**ENV, "FAMILYBENCH_FUZZ_EXAMPLES": "500"})


@nox.session
def speed(session: nox.Session) -> None:
    """familybench against its peers and the machine's limit (benchmarks/speed.py; `-- --quick` to smoke-test)."""
    _install(session, "data,test,dask,xgboost,catboost,nets,speed")
    session.run("python", "benchmarks/speed.py", *session.posargs, env=ENV)


@nox.session
def history(session: nox.Session) -> None:
    """The gate suite added to the performance history, drawn and checked (exit 1: a regression).

    `nox -s history -- --commit SHA [--machine NAME] [--history DIR]` (docs/history.md).
    """
    _install(session)
    args = list(session.posargs)
    directory = args[args.index("--history") + 1] if "--history" in args else "reports/history"
    session.run("familybench", "run", "--suite", "gate", "--out", "reports/gate-history", "--fresh", env=ENV)
    session.run("familybench", "history", "add", "reports/gate-history", *args, env=ENV)
    session.run("familybench", "history", "report", "--history", directory, env=ENV)
    session.run("familybench", "history", "check", "--history", directory, env=ENV)


@nox.session
def perf(session: nox.Session) -> None:
    """Micro-benchmarks (pytest-benchmark) of each family's fit and predict.

    `nox -s perf -- --baseline-ref REF` runs REF and the working tree alternately in this
    one job and flags benchmarks slower than the noise measured here (benchmarks/perf_ab.py).
    """
    _install(session)
    if session.posargs and session.posargs[0].startswith("--baseline-ref"):
        session.run("python", "benchmarks/perf_ab.py", *session.posargs, env=ENV)
    else:
        session.run(
            "pytest", "benchmarks/perf", "--benchmark-only", "-o", "addopts=", "-p", "no:cacheprovider",
            *session.posargs, env=ENV,
        )


@nox.session
def compare(session: nox.Session) -> None:
    """Interleaved A/B of the gate suite: `nox -s compare -- --baseline-ref REF [--markdown F]`.

    The suite is passed as a file, so a baseline ref older than the suite can run it too; it
    has 3 seeds because time is only judged on seed pairs.
    """
    _install(session)
    suite = "src/familybench/bench/suite/builtin/gate.toml"
    session.run("familybench", "compare", "--interleave", suite, *session.posargs, env=ENV)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs.yml, docs/) -> site/; warnings are errors, no network needed."""
    # mkdocstrings reads the docstrings from src/ (mkdocs.yml), so only the docs tools are
    # installed: no torch, no second copy of the benchmark environment.
    session.install(*CONSTRAINTS, *_extra("docs"))
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs,
                env={**ENV, "NO_MKDOCS_2_WARNING": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint (the rules in pyproject.toml)."""
    session.install(*CONSTRAINTS, "ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
