"""Reports written from a results directory alone (``DIR/results.sqlite``).

``write_report(DIR)`` writes ``DIR/report.md`` (figures under ``DIR/figures/``) and the
self-contained ``DIR/report.html``. A suite adds its own sections by naming a report
module (``report = "package.module"`` in its TOML): its ``sections(context)`` gets a
:class:`ReportContext` and returns :class:`Section` objects — see :mod:`familybench.reports.sections`, which also
holds the helpers every section is built with (``paragraph``, ``table_block``,
``make_section``).
"""

from __future__ import annotations

import importlib

# Loaded on first access: a worker imports the built-in artefact producers
# (``reports._artefacts``) without matplotlib, seaborn or the report's tables.
_LAZY = {
    "ReportContext": "_context", "load_context": "_context",
    "html_text": "_format", "md_text": "_format", "mpl_text": "_format", "slug": "_format",
    "render_html": "_html",
    "write_report": "_report",
    "Figure": "sections", "Section": "sections",
    "FAMILY_COLORS": "_style", "family_colors": "_style", "plot_style": "_style",
    "failures": "_tables", "normalised_table": "_tables", "rank_table": "_tables", "summary_table": "_tables",
    "win_tie_loss": "_tables",
}

#: The producers the built-in report draws on (familybench.artefacts): every suite runs
#: them unless it lists its own ``artefacts``.
ARTEFACTS = ("view", "grid")

__all__ = ["ARTEFACTS", *sorted(_LAZY)]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
