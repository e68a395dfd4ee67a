"""The model tables of README.md and docs/models.md list exactly the registered built-ins,
each with its family, reference flag and tasks, so the documentation cannot drift from the
registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from familybench.models import get_spec, list_models
from familybench.models._registry import BUILTIN_NAMES

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| name | family | regression | classification |"
NOTHING = "—"  # the task column of a task the model does not do


def model_table(path: Path) -> dict[str, dict[str, str]]:
    """name -> the row's cells, from the one table under ``HEADER`` in ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines.count(HEADER) == 1, f"{path.name}: expected one model table headed {HEADER!r}"
    start = lines.index(HEADER) + 2  # past the |---| line
    rows = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([^`]+)`", cells[0])
        assert name and len(cells) == 4, f"{path.name}: bad model row {line!r}"
        assert name[1] not in rows, f"{path.name}: {name[1]!r} listed twice"
        rows[name[1]] = dict(zip(("family", "regression", "classification"), cells[1:], strict=True))
    return rows


@pytest.mark.parametrize("page", ["README.md", "docs/models.md"])
def test_the_model_table_lists_every_builtin_with_its_family(page):
    rows = model_table(ROOT / page)
    builtins = [name for name in list_models()["name"] if name in BUILTIN_NAMES]
    assert list(rows) == builtins, f"{page}: the table's names (in registration order) differ from the registry's"
    for name, row in rows.items():
        spec = get_spec(name)
        family = f"{spec.family} (reference)" if spec.reference else spec.family
        assert row["family"] == family, (page, name)
        assert (row["regression"] == NOTHING) == ("regression" not in spec.tasks), (page, name)
        classifies = {"binary", "multiclass"} & set(spec.tasks)
        assert (row["classification"] == NOTHING) == (not classifies), (page, name)


def test_a_table_that_drifts_is_caught(tmp_path):
    page = (ROOT / "docs/models.md").read_text(encoding="utf-8")
    drifted = tmp_path / "models.md"
    drifted.write_text(page.replace("| `hist_gbm` | boosting (reference) |", "| `hist_gbm` | boosting |"), encoding="utf-8")
    assert model_table(drifted)["hist_gbm"]["family"] == "boosting"
    assert model_table(ROOT / "docs/models.md")["hist_gbm"]["family"] == "boosting (reference)"
