"""Reports written from a results directory alone (``DIR/results.sqlite``).

``write_report(DIR)`` writes ``DIR/report.md`` (figures under ``DIR/figures/``) and the
self-contained ``DIR/report.html``. A suite adds its own sections by naming a report
module (``report = "package.module"`` in its TOML): its ``sections(context)`` gets a
:class:`ReportContext` and returns :class:`Section` objects — see ``_sections.py``.
"""

from __future__ import annotations

from ._context import ReportContext, load_context
from ._format import html_text, md_text, mpl_text
from ._report import write_report
from ._sections import Figure, Section
from ._style import FAMILY_COLORS, family_colors, plot_style
from ._tables import failures, normalised_table, rank_table, summary_table, win_tie_loss

#: The producers the built-in report draws on (familybench.artefacts): every suite runs
#: them unless it lists its own ``artefacts``.
ARTEFACTS = ("view", "grid")

__all__ = [
    "FAMILY_COLORS",
    "Figure",
    "ReportContext",
    "Section",
    "failures",
    "family_colors",
    "html_text",
    "load_context",
    "md_text",
    "mpl_text",
    "normalised_table",
    "plot_style",
    "rank_table",
    "summary_table",
    "win_tie_loss",
    "write_report",
]
