"""One vocabulary: statuses are the ``Status`` enum's, written once in ``bench/results/record.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from familybench.bench.results.record import Status

SRC = Path(__file__).resolve().parents[1] / "src" / "familybench"
WORDS = {s.value for s in Status} | {"missing"}
ENUM_MODULE = SRC / "bench" / "results" / "record.py"
# packages whose code is checked (every one that reads or writes a status)
CHECKED = ["bench", "cli.py", "reports"]


def _status_literals(path: Path) -> list[str]:
    """Where a status word is compared (``==``, ``!=``, ``in``) or passed to ``isin``."""
    tree = ast.parse(path.read_text())
    found = []

    def words(node):
        nodes = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
        return [n.value for n in nodes if isinstance(n, ast.Constant) and n.value in WORDS]

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                found += [f"{path.relative_to(SRC)}:{node.lineno}: {w!r}" for w in words(side)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "isin":
            for arg in node.args:
                found += [f"{path.relative_to(SRC)}:{node.lineno}: {w!r}" for w in words(arg)]
    return found


def _files():
    for entry in CHECKED:
        path = SRC / entry
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def test_no_status_is_compared_as_a_string_literal():
    found = [hit for path in _files() if path != ENUM_MODULE for hit in _status_literals(path)]
    assert not found, "compare with the Status enum instead:\n" + "\n".join(found)


def test_the_scan_finds_a_literal(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('ok = frame[frame["status"] == "ok"]\nbad = frame["status"].isin(["timeout", "oom"])\n')
    original = SRC
    try:
        globals()["SRC"] = tmp_path
        assert len(_status_literals(bad)) == 3
    finally:
        globals()["SRC"] = original


@pytest.mark.parametrize("status", list(Status))
def test_a_status_is_its_stored_string(status):
    assert status == status.value and str(status) == status.value
