"""The CI workflow only calls nox sessions that exist, and the README and docs/ show only
commands, sessions, suites and links that work."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path

import nox.registry
import pytest

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _sessions() -> frozenset[str]:
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(nox.registry.get())


@pytest.mark.parametrize("workflow", sorted((ROOT / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name)
def test_every_nox_session_the_workflow_calls_exists(workflow):
    called = set(re.findall(r"nox (?:-s|--session) ([\w-]+)", workflow.read_text()))
    assert called, f"{workflow.name} calls no nox session"
    assert called <= _sessions(), f"missing: {called - _sessions()}"


DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]  # every page whose examples are checked


def _blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """The fenced ``language`` blocks of a Markdown file, each with its first line number."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)]


def _commands(path: Path) -> list[list[str]]:
    """Every command line of a page's ``bash`` blocks, split into words (comments,
    environment assignments and ``|`` alternatives resolved to the first choice)."""
    import shlex

    lines = []
    for _, block in _blocks(path, "bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]  # VAR=value prefixes
            for part in " ".join(words).split("&&"):
                words = part.split()
                if words:
                    lines.append([w.split("|")[0] for w in words])
    return lines


def _readme_commands() -> list[list[str]]:
    return _commands(ROOT / "README.md")


def test_the_readme_front_door_commands_exist():
    commands = _readme_commands()
    sessions = {words[2] for words in commands if words[:2] == ["nox", "-s"]}
    # the two commands the README promises from a fresh clone, and every other session it names
    assert {"tests", "bench"} <= sessions <= _sessions(), sessions - _sessions()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "nox -s tests" in ci  # CI runs the README's test command
    assert "nox -s docs" in ci  # and builds the documentation site


def test_every_nox_session_the_docs_name_exists():
    named = {(path.name, words[2]) for path in PAGES for words in _commands(path) if words[:2] == ["nox", "-s"]}
    assert len({session for _, session in named}) >= 8, named  # docs/getting-started.md lists them all
    missing = sorted((page, session) for page, session in named if session not in _sessions())
    assert not missing, f"sessions that do not exist: {missing}"


def _check_parses(parser, path: Path, commands: list[list[str]], capsys) -> None:
    for words in commands:
        args = [w for w in words[1:] if not (w.startswith("[") and w.endswith("]"))]  # [OPTIONAL] placeholders
        try:
            parser.parse_args(args)
        except SystemExit:  # pragma: no cover - the message says which
            pytest.fail(f"{path.name}: command does not parse: {' '.join(words)}\n{capsys.readouterr().err}")


def test_every_familybench_command_in_the_readme_parses(capsys):
    from familybench.cli import build_parser

    commands = [words for words in _readme_commands() if words[0] == "familybench"]
    assert len(commands) >= 10
    _check_parses(build_parser(), ROOT / "README.md", commands, capsys)


def test_every_familybench_command_in_the_docs_parses(capsys):
    from familybench.cli import build_parser

    parser = build_parser()
    total = 0
    for path in DOCS:
        commands = [words for words in _commands(path) if words[0] == "familybench"]
        _check_parses(parser, path, commands, capsys)
        total += len(commands)
    assert len(DOCS) >= 13 and total >= 30, (len(DOCS), total)


def test_every_python_example_compiles():
    blocks = [(path, line, code) for path in PAGES for line, code in _blocks(path, "python")]
    assert len(blocks) >= 6
    for path, line, code in blocks:
        compile(code, f"{path.name}:{line}", "exec")  # a SyntaxError names the page and line


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def _stand_in_data_file(path: Path, target: str, task: str | None) -> None:
    """A small table with ``target`` for a data file a docs example names (the reader's own
    file, not in the repository): the entry is still validated, target and task included."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    y = {"binary": rng.integers(0, 2, 60), "multiclass": rng.integers(0, 3, 60)}.get(task, rng.normal(size=60))
    frame = pd.DataFrame({"x1": rng.normal(size=60), "x2": rng.normal(size=60), target: y})
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)


def _as_suite(data: dict, base: Path) -> dict:
    """A docs TOML block made into a runnable suite: a fragment (a lone ``[tune]``,
    ``[fast]`` or ``[compare]`` table) gets a minimal suite around it, with the datasets and
    models its ``[fast]`` names; data files it names are made as stand-ins under ``base``."""
    suite = dict(data)
    datasets = suite.get("datasets") or {}
    if isinstance(datasets, list):
        datasets = {name: {} for name in datasets}
    models = suite.get("models") or {}
    if isinstance(models, list):
        models = {name: {"model": name} for name in models}
    fast = suite.get("fast", {})
    for name in fast.get("datasets", {}):
        datasets.setdefault(name, {})  # built-in names, as in the suite the fragment comes from
    for name in fast.get("models", {}):
        models.setdefault(name, {"model": name})
    for settings in datasets.values():
        if "path" in settings and not (base / settings["path"]).exists():
            _stand_in_data_file(base / settings["path"], settings["target"], settings.get("task"))
    suite["datasets"] = datasets or {"moons": {}}
    suite["models"] = models or {"m": {"model": "linear"}}
    return suite


def test_every_toml_example_is_a_valid_suite(tmp_path, clean_registry):
    """Each ``toml`` block of the README and the docs parses, and validates as a suite (or
    a fragment of one) with the same checks as ``familybench run --check``."""
    from familybench.bench.suite import apply_fast, parse_suite

    checked = 0
    for path in PAGES:
        base = tmp_path / path.stem
        base.mkdir()
        # A plug-in a page's suite names is the page's own Python example that starts `# NAME.py`.
        for _, code in _blocks(path, "python"):
            first = code.splitlines()[0]
            if re.fullmatch(r"# [\w./-]+\.py", first.strip()):
                (base / first[2:].strip()).write_text(code, encoding="utf-8")
        for line, text in _blocks(path, "toml"):
            source = f"{path.name}:{line}"
            try:
                data = _toml().loads(text)
            except ValueError as exc:
                pytest.fail(f"{source}: not valid TOML: {exc}")
            suite = parse_suite(_as_suite(data, base), source=source, base=base)
            if "fast" in data:
                apply_fast(suite)
            for name in data.get("models", {}) if isinstance(data.get("models"), dict) else ():
                assert any(config.base == name for config in suite.models), (source, name)
            checked += 1
    assert checked >= 7, checked


def test_the_readme_is_a_front_door():
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert len(readme.read_bytes()) <= 8192, "the manual belongs in docs/"
    assert "nox -s bench" in text and "nox -s tests" in text
    assert re.search(r"!\[[^\]]*\]\(docs/images/[\w.-]+\.png\)", text), "a picture of a report"
    for page in ("docs/suites.md", "docs/api.md", "ARCHITECTURE.md"):
        assert f"]({page}" in text, f"README does not link {page}"


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)  # not in code
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]


def test_every_relative_link_of_the_readme_exists():
    links = _relative_links(ROOT / "README.md")
    assert len(links) >= 12, links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_every_relative_link_of_the_docs_exists():
    links = [(path, link) for path in DOCS for link in _relative_links(path)]
    assert len(links) >= 30
    missing = [f"{path.name}: {link}" for path, link in links if not (path.parent / link).exists()]
    assert not missing, missing
