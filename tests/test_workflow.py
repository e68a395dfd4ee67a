"""The CI workflow only calls nox sessions that exist."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nox.registry
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _sessions() -> set[str]:
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(nox.registry.get())


@pytest.mark.parametrize("workflow", sorted((ROOT / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name)
def test_every_nox_session_the_workflow_calls_exists(workflow):
    called = set(re.findall(r"nox (?:-s|--session) ([\w-]+)", workflow.read_text()))
    assert called, f"{workflow.name} calls no nox session"
    assert called <= _sessions(), f"missing: {called - _sessions()}"


def test_ci_script_and_readme_use_the_tests_session():
    assert "nox -s tests" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "pip install nox && nox -s bench" in readme and "nox -s tests" in readme
    assert {"tests", "bench"} <= _sessions()
