"""The reports package's source, read as syntax trees: modules share only public names, and
statuses and roles are the enums of ``bench.results.record``, never string literals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import familybench.reports
from familybench.bench.results.record import Role, Status

PACKAGE = "familybench.reports"
ROOT = Path(familybench.reports.__file__).parent
SOURCES = sorted(ROOT.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join((PACKAGE, *parts)).removesuffix(".__init__")


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The module an ``ImportFrom`` reads, with its dots resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_reports(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def private_imports(path: Path, source: str | None = None) -> list[str]:
    """Private names this reports module takes from another reports module: ``from .x import
    _y``, or ``x._y`` on a module it imported (``from . import _x as x``; ``import ... as``)."""
    module = _module_name(path)
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found, modules = [], {}  # local name -> reports module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = _absolute(module, node, is_package)
            if not _is_reports(origin) or origin == module:
                continue
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                if (ROOT / Path(*submodule.split(".")[2:])).with_suffix(".py").is_file() or \
                        (ROOT / Path(*submodule.split(".")[2:]) / "__init__.py").is_file():
                    modules[alias.asname or alias.name] = submodule  # a module, not a name in one
                elif alias.name.startswith("_"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {origin} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_reports(alias.name) and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")
                and modules[node.value.id] != module):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {modules[node.value.id]}.{node.attr}")
    return found


def test_no_module_takes_a_private_name_from_another():
    found = [line for path in SOURCES for line in private_imports(path)]
    assert not found, "private names across reports modules (make them public in a shared module):\n" + \
        "\n".join(found)


@pytest.mark.parametrize("source", [
    "from ._build import _both\n",
    "from familybench.reports._build import _section\n",
    "from .. import _build as build\nbuild._table(1)\n",
    "from .._build import _both\n",
])
def test_the_private_import_check_catches(source):
    where = ROOT / ("lecture/x.py" if ".._" in source or "from .. " in source else "x.py")
    assert private_imports(where, source)


@pytest.mark.parametrize("source", [
    "from ._tables import summary_table\n",  # a public name of a private module
    "from . import _plots\n_plots.scores_figure(1)\n",
    "from .sections import Section\nSection.__name__\n",
])
def test_the_private_import_check_allows(source):
    assert not private_imports(ROOT / "x.py", source)


STATUS_WORDS = {s.value for s in Status}
ROLE_WORDS = {r.value for r in Role}


def _literal_words(node) -> list[str]:
    """The text of a string literal, or the first words of an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value.strip()]
    if isinstance(node, ast.JoinedStr):
        return [v.value.strip().split(" ")[0] for v in node.values if isinstance(v, ast.Constant)]
    return []


def _is_name_list(node) -> bool:
    return isinstance(node, ast.List) and all(
        isinstance(e, ast.Starred) or (isinstance(e, ast.Constant) and isinstance(e.value, str)) for e in node.elts)


def status_literals(path: Path, source: str | None = None) -> list[str]:
    """Status words written as literals (``== "ok"``, ``("timeout", "oom")``, ``!= f"ok {n}"``)
    and role words compared with. A column named like a status (``row["skipped"]``, a dict
    key, a list of column names) is a name, not a status; an f-string is checked where it is
    compared (``f"timeout {seconds} s"`` in a sentence is English)."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    names, filters = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "isin":
            filters.update(id(a) for a in node.args)  # values, not column names
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            names.add(id(node.slice))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args:
            names.add(id(node.args[0]))  # a key: suite.get("timeout")
        elif isinstance(node, ast.Dict):
            names.update(id(k) for k in node.keys if k is not None)
        elif _is_name_list(node) and id(node) not in filters:
            names.update(id(e) for e in node.elts)
        elif isinstance(node, ast.JoinedStr):
            names.update(id(v) for v in node.values)  # checked as a whole, below
    found = []
    where = f"{path.relative_to(ROOT)}:"
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in names:
            found += [f"{where}{node.lineno}: {w!r}" for w in _literal_words(node) if w in STATUS_WORDS]
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                found += [f"{where}{node.lineno}: {w!r}" for w in _literal_words(operand)
                          if w in ROLE_WORDS or (isinstance(operand, ast.JoinedStr) and w in STATUS_WORDS)]
    return found


def test_statuses_and_roles_are_the_enums():
    found = [line for path in SOURCES for line in status_literals(path)]
    assert not found, "status or role literals in reports (use Status / Role):\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    'rows[rows["status"] == "ok"]\n',
    'word = next((s for s in ("timeout", "oom") if s in text), "failed")\n',
    'kind = "fail" if row["status"] != f"ok {row[\'n_jobs\']}" else ""\n',
    'rows[rows["role"] == "trial"]\n',
    'rows[rows["status"].isin(["failed", "oom"])] if x else None\n',
])
def test_the_status_literal_check_catches(source):
    assert status_literals(ROOT / "x.py", source)


@pytest.mark.parametrize("source", [
    'row["skipped"] and rows.sort_values("trial")\n',
    'base = ["n_jobs", "status", "skipped"]\n',
    'row = {"skipped": True, "trials": "1, 2"}\n',
    'text = f"timeout {suite.get(\'timeout\', 0):g} s per job"\n',  # the suite's setting, in a sentence
    'columns = ["a", *counts, "skipped"]\n',
    'rows[rows["status"] == Status.OK]\n',
])
def test_the_status_literal_check_allows(source):
    assert not status_literals(ROOT / "x.py", source)
