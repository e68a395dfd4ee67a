"""``write_report``: results directory in, ``report.md`` + ``figures/`` + ``report.html`` out."""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timezone
from pathlib import Path

from ._build import build_sections
from ._context import load_context
from ._html import render_html
from ._markdown import FigureWriter, render_markdown
from .sections import Section


def _write_atomic(path: Path, content: str | bytes) -> None:
    # A reader (or a browser refresh) never sees half a report.
    partial = path.with_name(f".{path.name}.partial")
    if isinstance(content, str):
        partial.write_text(content, encoding="utf-8")
    else:
        partial.write_bytes(content)
    os.replace(partial, path)


def section_files(sections: list[Section]) -> dict[str, str | bytes]:
    """The extra files the sections returned, by name; the first section to name a file wins."""
    files: dict[str, str | bytes] = {}
    for section in sections:
        for name, content in section.files.items():
            if name in files:
                warnings.warn(f"section {section.title!r} gives {name}, which an earlier section gave: "
                              "the earlier one is written", stacklevel=2)
                continue
            files[name] = content
    return files


def write_report(directory: str | Path, *, html: bool = True, out: str | Path | None = None,
                 protocol: str | None = None, cost_limits: dict | None = None) -> Path:
    """Write the report of the results in ``directory``; returns the path of ``report.md``.

    Reads ``DIR/results.sqlite`` only (scores, times, grid predictions, run metadata) and
    writes ``DIR/report.md`` with its figures under ``DIR/figures/`` and, unless
    ``html=False``, ``DIR/report.html``: the same content in one self-contained file.
    The files the sections return (:attr:`Section.files`, e.g. ``statistics.csv``) are
    written next to them.

    Parameters
    ----------
    directory : str or pathlib.Path
        A results directory written by ``familybench run``.
    html : bool, default=True
        Also write ``report.html``.
    out : str or pathlib.Path, optional
        Write the report here instead of ``directory`` (which is then only read: a
        baseline or read-only results directory stays untouched).
    protocol : {"tuned", "default", "ensembled"}, optional
        Tuned runs: rank and test the validation-chosen trials (the default), each
        config's defaults, or each config's post-hoc ensemble of its trials.
    cost_limits : dict, optional
        The verdict's "best within cost": ``max_fit_seconds_per_1k`` (fit seconds per
        1,000 training rows) and/or ``max_predict_ms_per_row``; without them, within 10×
        the fastest fit.

    Returns
    -------
    pathlib.Path
        ``DIR/report.md``.
    """
    context = load_context(directory, protocol=protocol,
                           cost_limits={k: v for k, v in (cost_limits or {}).items() if v is not None})
    target = Path(out) if out is not None else context.directory
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = target / ".familybench-write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        from .._errors import FamilybenchError

        hint = "" if out is not None else "; write the report elsewhere with --out DIR"
        raise FamilybenchError(f"{target}: cannot write the report here ({exc.strerror or exc}){hint}") from None
    sections = build_sections(context)
    name = context.suite.get("name") or context.directory.name
    title = f"familybench report: {name}"
    written = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    jobs = f"{len(context.all_results)} jobs"
    if context.tuned:
        jobs += f" (trials included; {len(context.results)} selected rows)"
    subtitle = f"{jobs} from {context.directory.name}/results.sqlite; written {written}."
    md_path = target / "report.md"
    _write_atomic(md_path, render_markdown(title, subtitle, sections, FigureWriter(target)))
    if html:
        _write_atomic(target / "report.html", render_html(title, subtitle, sections))
    for name, content in section_files(sections).items():
        _write_atomic(target / name, content)
    return md_path
