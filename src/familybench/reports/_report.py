"""``write_report``: results directory in, ``report.md`` + ``figures/`` + ``report.html`` out."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from ._build import build_sections
from ._context import load_context
from ._html import render_html
from ._markdown import FigureWriter, render_markdown


def _write_atomic(path: Path, text: str) -> None:
    # A reader (or a browser refresh) never sees half a report.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_report(directory: str | Path, *, html: bool = True) -> Path:
    """Write the report of the results in ``directory``; returns the path of ``report.md``.

    Reads ``DIR/results.sqlite`` only (scores, times, grid predictions, run metadata) and
    writes ``DIR/report.md`` with its figures under ``DIR/figures/`` and, unless
    ``html=False``, ``DIR/report.html``: the same content in one self-contained file.

    Parameters
    ----------
    directory : str or pathlib.Path
        A results directory written by ``familybench run``.
    html : bool, default=True
        Also write ``report.html``.

    Returns
    -------
    pathlib.Path
        ``DIR/report.md``.
    """
    context = load_context(directory)
    sections = build_sections(context)
    name = context.suite.get("name") or context.directory.name
    title = f"familybench report: {name}"
    written = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    jobs = f"{len(context.all_results)} jobs"
    if context.tuned:
        jobs += f" (trials included; {len(context.results)} selected rows)"
    subtitle = f"{jobs} from {context.directory.name}/results.sqlite; written {written}."
    md_path = context.directory / "report.md"
    _write_atomic(md_path, render_markdown(title, subtitle, sections, FigureWriter(context.directory)))
    if html:
        _write_atomic(context.directory / "report.html", render_html(title, subtitle, sections))
    csv = getattr(context, "statistics_csv", None)
    if csv is not None:
        tmp = context.directory / "statistics.csv.tmp"
        csv.to_csv(tmp, index=False)
        tmp.replace(context.directory / "statistics.csv")
    return md_path
