"""Bugs the property tests found, each kept as a plain regression test."""

from __future__ import annotations

import pytest

from familybench.cli import main

CASES = [
    '"datasets" = [[]]\n"models" = ["linear"]\n',
    '"datasets" = { "moons" = { "path" = false } }\n"models" = ["linear"]\n',
    '"seeds" = 4332044672\n',
]


@pytest.mark.parametrize("text", CASES)
def test_malformed_suite_is_a_one_line_error(tmp_path, capsys, text):
    path = tmp_path / "suite.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["run", str(path), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("familybench: error:")
