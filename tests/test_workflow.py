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


def _readme_commands() -> list[list[str]]:
    """Every command line of the README's ``bash`` blocks, split into words (comments,
    environment assignments and ``|`` alternatives resolved to the first choice)."""
    import shlex

    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]  # VAR=value prefixes
            for part in " ".join(words).split("&&"):
                words = part.split()
                if words:
                    lines.append([w.split("|")[0] for w in words])
    return lines


def test_the_readme_front_door_commands_exist():
    commands = _readme_commands()
    sessions = {words[2] for words in commands if words[:2] == ["nox", "-s"]}
    # the two commands the README promises from a fresh clone, and every other session it names
    assert {"tests", "bench"} <= sessions <= _sessions(), sessions - _sessions()
    assert "nox -s tests" in (ROOT / ".ci" / "run").read_text()  # CI runs the README's test command


def test_every_familybench_command_in_the_readme_parses(capsys):
    from familybench.cli import build_parser

    parser = build_parser()
    commands = [words for words in _readme_commands() if words[0] == "familybench"]
    assert len(commands) >= 10
    for words in commands:
        args = [w for w in words[1:] if not (w.startswith("[") and w.endswith("]"))]  # [OPTIONAL] placeholders
        try:
            parser.parse_args(args)
        except SystemExit:  # pragma: no cover - the message says which
            pytest.fail(f"README command does not parse: {' '.join(words)}\n{capsys.readouterr().err}")
