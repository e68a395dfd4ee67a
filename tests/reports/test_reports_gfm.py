"""The Markdown report is GitHub-flavoured Markdown only, also for a user's own data, and
carries the statistics section once there are enough datasets."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite
from familybench.reports import write_report

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_HTML_TAG = re.compile(r"(?<!\\)<(/?[A-Za-z][A-Za-z0-9]*)(\s[^>]*)?/?>")


def lint_gfm(text: str, root) -> list[str]:
    """Problems a GitHub renderer would show: raw HTML, ragged tables, missing images."""
    problems = []
    lines = text.splitlines()
    in_code = False
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        plain = re.sub(r"`[^`]*`", "", line)
        if _HTML_TAG.search(plain):
            problems.append(f"line {number}: raw HTML {_HTML_TAG.search(plain).group(0)!r}")
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", plain):
            if not (root / image).is_file():
                problems.append(f"line {number}: image {image} missing")
    index = 0
    while index < len(lines):  # tables: header, |---| separator, rows with as many cells
        if lines[index].startswith("|") and index + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+",
                                                                                     lines[index + 1]):
            width = len(_UNESCAPED_PIPE.findall(lines[index]))
            if len(_UNESCAPED_PIPE.findall(lines[index + 1])) != width:
                problems.append(f"line {index + 2}: separator has another number of cells than the header")
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                if len(_UNESCAPED_PIPE.findall(lines[index])) != width:
                    problems.append(f"line {index + 1}: {len(_UNESCAPED_PIPE.findall(lines[index]))} pipes, "
                                    f"header has {width}")
                index += 1
        else:
            index += 1
    return problems


def test_the_linter_catches_what_it_should(tmp_path):
    bad = "| a | b |\n|---|---|\n| 1 | 2 | 3 |\n\n<div>x</div>\n\n![x](figures/none.png)\n"
    assert len(lint_gfm(bad, tmp_path)) == 3
    assert lint_gfm("| a \\| b | c |\n|---|---|\n| 1 | 2 |\n\nplain \\<b\\> text\n", tmp_path) == []


@pytest.fixture(scope="module")
def user_data_run(tmp_path_factory):
    """A user's CSV (hostile column names and cells) beside five built-in datasets."""
    out = tmp_path_factory.mktemp("gfm")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    frame = pd.DataFrame({"a|b": X[:, 0], "<i>c</i>": X[:, 1], "price": X[:, 0] * 2 + np.sin(X[:, 1])})
    frame.to_csv(out.parent / "my table.csv", index=False)
    suite = parse_suite({
        "seeds": 2,
        "datasets": {"mine": {"path": str(out.parent / "my table.csv"), "target": "price"},
                     **{name: {"n_samples": 120} for name in ("moons", "circles", "friedman1", "sine1d", "xor")}},
        "models": {"linear": {}, "gbm": {"model": "lightgbm", "params": {"n_estimators": 10}},
                   "poly": {"model": "poly"}},
    })
    execute(suite, out, executor="serial")
    write_report(out)
    return out


@pytest.mark.e2e
def test_report_markdown_is_github_flavoured_only(user_data_run):
    text = (user_data_run / "report.md").read_text(encoding="utf-8")
    assert lint_gfm(text, user_data_run) == []
    assert "Statistics across datasets" in text and "Friedman test" in text
    assert (user_data_run / "statistics.csv").is_file()
    stats = pd.read_csv(user_data_run / "statistics.csv")
    assert {"kind", "p_value"} <= set(stats.columns) and (stats["kind"] == "friedman").any()
