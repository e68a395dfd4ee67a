"""Adding a family is one file plus its registration: warm-up, versions, search space and
scikit-learn's checks all come from the ``register(...)`` call of a module outside the package."""

from __future__ import annotations

import json
import textwrap
from importlib import metadata

import pytest
from sklearn.linear_model import Ridge

from familybench.bench.execute.inprocess import InProcessExecutor
from familybench.bench.execute.process import ProcessExecutor
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import load_suite
from familybench.models import FamilyRegressor, check_family, get_search_space

# The whole family: an estimator, its search space, its warm-up, and one register call.
FAMILY = textwrap.dedent('''
    import os

    from sklearn.linear_model import Lasso

    from familybench.models import Float, SearchSpace, register

    LOG = {log!r}


    def _note(what):
        with open(LOG, "a") as fh:
            fh.write(f"{{what}} {{os.getpid()}}\\n")


    class ShrunkLasso(Lasso):
        """The lasso, the external family's estimator."""

        def fit(self, X, y, sample_weight=None, check_input=True):
            _note("fit")
            return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


    def shrunk_space(task):
        return SearchSpace({{"alpha": Float(1e-3, 10.0, log=True)}}, source="test")


    def warm_up():
        if {fail!r} == "raise":
            raise RuntimeError("this warm-up is broken")
        if {fail!r} == "hang":
            import time

            time.sleep(3600)
        _note("warm")


    register("shrunk", ShrunkLasso, family="shrinkage", tasks=("regression",), replace=True,
             search_space=shrunk_space, warm_up=warm_up, versions=("scipy",))
''')


def _suite(tmp_path, *, fail=None, tune=True):
    (tmp_path / "shrunkfam.py").write_text(FAMILY.format(log=str(tmp_path / "log.txt"), fail=fail))
    (tmp_path / "suite.toml").write_text(
        'plugins = ["shrunkfam.py"]\ndatasets = { friedman1 = { n_samples = 80 } }\nmodels = ["shrunk"]\n'
        + ("[tune]\ntrials = 4\n" if tune else ""))
    return load_suite(tmp_path / "suite.toml")


def _log(tmp_path) -> list[tuple[str, str]]:
    return [tuple(line.split()) for line in (tmp_path / "log.txt").read_text().splitlines()]


@pytest.mark.e2e
@pytest.mark.parametrize("executor", ["process", "serial"])
def test_an_external_family_is_warmed_tuned_and_versioned(tmp_path, clean_registry, executor):
    suite = _suite(tmp_path)
    runner = ProcessExecutor(n_workers=1) if executor == "process" else InProcessExecutor()
    _, records = execute(suite, tmp_path / "out", executor=runner)
    assert records and {r["status"] for r in records} == {"ok"}

    # warm-up: each process that fitted it ran the family's warm-up before its first fit
    log = _log(tmp_path)
    workers = {r["worker"] for r in records}
    for pid in workers:
        mine = [what for what, who in log if who == pid]
        assert mine[0] == "warm" and mine.count("warm") == 1 and "fit" in mine, mine

    # search space: the [tune] trials sampled the family's alpha
    sampled = {json.loads(r["search_params"])["alpha"] for r in records if r["role"] == "trial" and r["trial"] > 0}
    assert len(sampled) == 3 and all(1e-3 <= a <= 10 for a in sampled)
    assert get_search_space("shrunk", "regression").describe() == {  # the space the family's file registered
        "dimensions": {"alpha": {"type": "float", "low": 1e-3, "high": 10.0, "log": True}},
        "fixed": {}, "virtual": [],
    }

    # versions: the metadata and the report show the family's distribution under its name
    from familybench.bench.results.store import ResultStore
    from familybench.reports import write_report

    with ResultStore(tmp_path / "out") as store:
        meta = store.runs()[-1]["meta"]
    assert meta["family_versions"]["shrinkage"] == {"scipy": metadata.version("scipy")}
    report = write_report(tmp_path / "out", html=False).read_text()
    versions = next(line for line in report.splitlines() if line.startswith("- **Versions:**"))
    assert f"shrinkage: scipy {metadata.version('scipy')}" in versions
    assert "torch" not in versions  # no MLP ran: its distribution is not listed
    assert meta["worker"]["cold_start"] == []


def test_an_external_family_passes_the_estimator_checks(tmp_path, clean_registry):
    _suite(tmp_path, tune=False)  # imports the plug-in here, registering "shrunk"
    check_family("shrunk")


@pytest.mark.e2e
@pytest.mark.parametrize("executor", ["process", "serial"])
@pytest.mark.parametrize("fail", ["raise", "hang"])
def test_a_failing_or_hanging_warm_up_is_a_noted_cold_start_not_a_failed_run(
    tmp_path, clean_registry, monkeypatch, executor, fail
):
    monkeypatch.setenv("FAMILYBENCH_WARM_UP_TIMEOUT", "0.5")  # the hanging one is stopped after it
    suite = _suite(tmp_path, fail=fail, tune=False)
    runner = ProcessExecutor(n_workers=1) if executor == "process" else InProcessExecutor()
    _, records = execute(suite, tmp_path / "out", executor=runner)
    assert [r["status"] for r in records] == ["ok"]
    from familybench.bench.results.store import ResultStore

    with ResultStore(tmp_path / "out") as store:
        meta = store.runs()[-1]["meta"]
    assert meta["worker"]["cold_start"] == ["shrunk"]
    assert all(what == "fit" for what, _ in _log(tmp_path))


class Uncounted(FamilyRegressor):  # the public base, as an external family subclasses it
    def __init__(self, alpha=1.0, preprocessor=None):
        self.alpha = alpha
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt, y):
        self.model_ = Ridge(alpha=self.alpha).fit(Xt, y)

    def _predict_transformed(self, Xt):
        return self.model_.predict(Xt)


class Counted(Uncounted):
    def _count_params(self):
        return int(self.model_.coef_.size + 1)


@pytest.mark.e2e
def test_check_family_holds_a_family_to_counting_its_parameters(clean_registry):
    import numpy as np

    from familybench.models import register

    register("uncounted", lambda task, **p: Uncounted(**p), family="tmp", tasks=("regression",), replace=True)
    with pytest.raises(AssertionError, match="'uncounted'.*no n_params_ after fit.*_count_params"):
        check_family("uncounted")
    register("counted", lambda task, **p: Counted(**p), family="tmp", tasks=("regression",), replace=True)
    check_family("counted")
    assert Counted().fit(np.eye(3), [1.0, 2.0, 3.0]).n_params_ == 4
