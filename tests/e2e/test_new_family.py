"""ARCHITECTURE.md's recipe for a model family, followed to the letter on a copy of the
package: the family's module ``models/_toy.py``, its one ``register(...)`` call in
``models/_builtins.py``, and its test ``tests/models/test_toy.py`` — plus its row in the model
tables the docs test holds to the registry. Nothing else is edited: not
``models/__init__.py``, not a parameter list, not a test list; yet the family is a public
name, its parameters are checked from its source before anything imports it, it passes
scikit-learn's checks and runs a job, and the registry-derived tests (estimator checks,
models, search spaces, model tables) test it too."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# 1. the module: estimators (parameters in __init__, declared once), search space
MODULE = '''
"""A toy family for the recipe test: a decision tree on the preprocessed matrix."""

from __future__ import annotations

from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .._tasks import check_task
from ._base import FamilyClassifier, FamilyRegressor
from ._space import Int, SearchSpace


class _ToyMixin:
    def __init__(self, max_depth=None, min_samples_leaf=1, random_state=None, preprocessor=None):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.preprocessor = preprocessor

    def _fit_tree(self, cls, Xt, y):
        self.model_ = cls(max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                          random_state=self.random_state).fit(Xt, y)

    def _count_params(self):
        return int(self.model_.tree_.node_count)


class ToyRegressor(_ToyMixin, FamilyRegressor):
    """A decision tree regressor."""

    def _fit_transformed(self, Xt, y):
        self._fit_tree(DecisionTreeRegressor, Xt, y)

    def _predict_transformed(self, Xt):
        return self.model_.predict(Xt)


class ToyClassifier(_ToyMixin, FamilyClassifier):
    """A decision tree classifier."""

    def _fit_transformed(self, Xt, y):
        self._fit_tree(DecisionTreeClassifier, Xt, y)

    def _predict_proba_transformed(self, Xt):
        return self.model_.predict_proba(Xt)


def toy_space(task):
    check_task(task)
    return SearchSpace({"max_depth": Int(1, 8), "min_samples_leaf": Int(1, 20)}, source="the recipe test")
'''

# 2. its one register(...) call, as the others in models/_builtins.py
REGISTER = '''register(
    "toy", estimators("._toy", "ToyRegressor", "ToyClassifier"), family="tree",
    description="A decision tree (the recipe test's family)",
    search_space="familybench.models._toy:toy_space", warm_up={},
)
'''

# 3. its test
TEST = '''
"""The toy family's own test."""

import subprocess
import sys

from familybench.bench.run.driver import execute
from familybench.bench.suite import parse_suite
from familybench.models import check_family, get_model, get_search_space, list_models

SUITE = {"datasets": {"moons": {"n_samples": 60}}, "models": {"t": {"model": "toy", "params": {"max_depth": 3}}}}


def test_toy_is_a_listed_builtin_and_a_public_name():
    from familybench.models import ToyClassifier, ToyRegressor
    from familybench.models._registry import BUILTIN_NAMES

    assert "toy" in BUILTIN_NAMES and list_models().set_index("name").loc["toy", "family"] == "tree"
    assert type(get_model("toy")) is ToyRegressor and type(get_model("toy", task="binary")) is ToyClassifier


def test_a_suite_checks_toys_parameters_from_its_source_without_importing_it():
    code = """
import sys
from familybench.bench.suite import SuiteError, parse_suite
from familybench.models import get_spec

suite = %r
assert get_spec("toy").params["binary"] == {"max_depth", "min_samples_leaf", "random_state", "preprocessor"}
parse_suite(suite)
suite["models"]["t"]["params"] = {"max_dept": 3}
try:
    parse_suite(suite)
except SuiteError as exc:
    assert "has no parameter 'max_dept' (did you mean 'max_depth'?)" in str(exc), exc
else:
    raise AssertionError("a misspelt parameter passed")
loaded = [m for m in ("familybench.models._toy", "sklearn") if m in sys.modules]
assert not loaded, loaded
""" % (SUITE,)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_toy_passes_the_estimator_checks():
    check_family("toy")


def test_toy_has_its_search_space():
    assert set(get_search_space("toy", "binary").dimensions) == {"max_depth", "min_samples_leaf"}


def test_toy_runs_a_job(tmp_path):
    _, records = execute(parse_suite(SUITE), tmp_path / "out", executor="serial")
    assert [(r["model"], r["status"]) for r in records] == [("toy", "ok")]
'''

# and the docs: its row in each model table (tests/models/test_model_table.py holds them to the registry)
ROW = "| `toy` | tree | a decision tree | same |\n"
LAST_ROW = "| `lecture_wedge` |"

CODE_FILES = {"src/familybench/models/_toy.py", "src/familybench/models/_builtins.py", "tests/models/test_toy.py"}
DOC_FILES = {"README.md", "docs/models.md"}
COPIED = ["src/familybench", "tests", "README.md", "docs/models.md", "pyproject.toml"]


def _copy(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)


def _follow_the_recipe(dest: Path) -> None:
    models = dest / "src" / "familybench" / "models"
    (models / "_toy.py").write_text(textwrap.dedent(MODULE).lstrip())
    builtins = (models / "_builtins.py").read_text()
    marker = "\n# Everything above ships with familybench"
    assert builtins.count(marker) == 1
    (models / "_builtins.py").write_text(builtins.replace(marker, "\n" + REGISTER + marker))
    (dest / "tests" / "models" / "test_toy.py").write_text(textwrap.dedent(TEST).lstrip())
    for page in DOC_FILES:
        lines = (dest / page).read_text().splitlines(keepends=True)
        [at] = [i for i, line in enumerate(lines) if line.startswith(LAST_ROW)]
        (dest / page).write_text("".join([*lines[: at + 1], ROW, *lines[at + 1:]]))


def _changed(dest: Path) -> set[str]:
    """Files added, removed or modified in the copy, relative to the repository."""
    changed = set()
    for name in COPIED:
        if (ROOT / name).is_file():
            changed |= set() if filecmp.cmp(ROOT / name, dest / name, shallow=False) else {name}
            continue
        for root in (ROOT, dest):
            for path in (root / name).rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    rel = path.relative_to(root)
                    other = (dest if root == ROOT else ROOT) / rel
                    if not other.is_file() or not filecmp.cmp(path, other, shallow=False):
                        changed.add(rel.as_posix())
    return changed


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_a_family_added_the_way_the_recipe_says_is_tested_and_runs(tmp_path):
    _copy(tmp_path)
    _follow_the_recipe(tmp_path)
    # the count: three files of code, and the docs' two table rows; no other file
    assert _changed(tmp_path) == CODE_FILES | DOC_FILES

    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "PYTHONHASHSEED": "0"}
    where = subprocess.run([sys.executable, "-c", "import familybench; print(familybench.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(tmp_path), where  # the copy is what runs

    report = tmp_path / "junit.xml"
    shared = ["tests/models/test_estimator_checks.py", "tests/models/test_models.py",
              "tests/models/test_search_spaces.py", "tests/models/test_model_table.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", "-k", "toy or model_table",
         f"--junitxml={report}", "tests/models/test_toy.py", *shared],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    cases = list(ET.parse(report).getroot().iter("testcase"))
    assert not [c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None]
    ran = Counter(c.get("classname").rpartition(".")[2] for c in cases)
    # the family's own test, and the shared tests that list the families from the registry
    assert ran["test_toy"] == 5, ran
    assert ran["test_estimator_checks"] >= 40 and ran["test_models"] >= 4 and ran["test_search_spaces"] >= 6, ran
    assert ran["test_model_table"] == 3, ran
