"""The unit a report is made of, and the extension point for suite-specific sections.

A report is a list of :class:`Section` objects. The built-in sections (run metadata,
overview, one per dataset, failures) are made by ``_build``; a suite may add its own by
naming a *report module*::

    # my_suite.toml
    report = "mypackage.lecture_report"        # calls mypackage.lecture_report.sections
    # or "mypackage.lecture_report:extra"      # calls a differently named function

The module's function receives the :class:`~familybench.reports.ReportContext` (results,
tables, family colours, and by name the artefacts the workers stored:
``context.artefacts("grid")``) and returns an iterable of :class:`Section`. A module that
needs artefacts declares their names, ``ARTEFACTS = ["view", "grid", ...]``: a suite
without its own ``artefacts`` list runs those producers (see :mod:`familybench.artefacts`). Its sections are placed after the overview and before the per-dataset
sections. A report module that cannot be imported or raises does not lose the rest of the
report: a section saying what went wrong takes its place.
"""

from __future__ import annotations

import io
import traceback
import warnings
from dataclasses import dataclass, field

from ._format import html_text, md_text, shorten


@dataclass(frozen=True)
class Figure:
    """A rendered PNG image with its accessible description.

    Parameters
    ----------
    name : str
        File stem under ``DIR/figures/`` in the Markdown report (made file-safe and
        unique when written).
    png : bytes
        The PNG image (embedded as a ``data:`` URI in the HTML report).
    alt : str
        What the image shows, for readers who cannot see it (plain text, escaped on output).
    caption : str, default=""
        Shown under the image (plain text, escaped on output).
    """

    name: str
    png: bytes
    alt: str
    caption: str = ""

    @classmethod
    def from_matplotlib(cls, figure, name: str, alt: str, caption: str = "", dpi: int = 100) -> Figure:
        """Render a matplotlib figure to PNG and close it (open figures leak memory)."""
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        try:
            figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
        finally:
            plt.close(figure)
        return cls(name=name, png=buffer.getvalue(), alt=alt, caption=caption)


@dataclass(frozen=True)
class Section:
    """One titled part of a report, given in both output formats.

    Parameters
    ----------
    title : str
        Plain text; escaped by each renderer.
    markdown : str, default=""
        Body for ``report.md``. Trusted as Markdown: escape user text with
        :func:`~familybench.reports.md_text`.
    html : str, default=""
        Body for ``report.html``. Trusted as HTML: escape user text with
        :func:`~familybench.reports.html_text`. When empty, the Markdown body is shown
        as preformatted (escaped) text instead.
    figures : tuple of Figure, default=()
        Shown after the body, in order.
    level : int, default=2
        Heading level (2 = top-level section, 3 = subsection); both appear in the
        table of contents.
    """

    title: str
    markdown: str = ""
    html: str = ""
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    level: int = 2


def _failed_hook(spec: str, message: str) -> Section:
    return Section(
        title="Report module failed",
        markdown=f"The suite's report module {md_text(spec)} failed, so its sections are missing: "
        f"{md_text(message)}",
        html=f'<p class="fail">The suite\'s report module <code>{html_text(spec)}</code> failed, so its '
        f"sections are missing: {html_text(message)}</p>",
    )


def extra_sections(spec: str | None, context, plugins=()) -> list[Section]:
    """Sections from the suite's report module ``spec`` (``"module"``, ``"module:function"``
    or a ``.py`` path; a name may be the stem of one of the suite's plug-in files)."""
    if not spec:
        return []
    from ..models._plugins import import_module_or_file

    module_name, _, function_name = str(spec).partition(":")
    try:
        module = import_module_or_file(module_name, plugins)
        function = getattr(module, function_name or "sections")
        sections = list(function(context))
        bad = [s for s in sections if not isinstance(s, Section)]
        if bad:
            raise TypeError(f"expected Section objects, got {type(bad[0]).__name__}")
        return sections
    except Exception as exc:  # the built-in report is still worth writing
        message = shorten(f"{type(exc).__name__}: {exc}")
        warnings.warn(f"report module {spec!r} failed: {message}\n{traceback.format_exc(limit=5)}", stacklevel=2)
        return [_failed_hook(str(spec), message)]

