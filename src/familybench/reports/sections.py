"""The unit a report is made of, the helpers that build one, and the extension point for
suite-specific sections.

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
without its own ``artefacts`` list runs those producers (see :mod:`familybench.artefacts`).
Its sections are placed after the overview and before the per-dataset sections. A report
module that cannot be imported or raises does not lose the rest of the report: a section
saying what went wrong takes its place.

A section gives everything it produces in the object it returns: its text in both
formats, its figures and any extra files for the results directory (``files``, such as
``statistics.csv``); the writer writes what the sections returned and reads nothing
else from them.

Every section, built-in or a suite's, is put together from the same parts: a
:data:`Block` is one piece of body in both formats (``(markdown, html)``);
:func:`paragraph` and :func:`table_block` make one, :func:`make_section` joins blocks
under a title, :func:`plural` counts a noun.
"""

from __future__ import annotations

import io
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

import pandas as pd

from ._format import fmt_count, html_text, is_missing, md_text, shorten
from ._render import html_table, markdown_table

#: One piece of a section's body: ``(markdown, html)``, each trusted in its format.
Block = tuple[str, str]

#: Names a section's ``files`` may not take: the report's own files in the results directory.
RESERVED_FILES = frozenset({"report.md", "report.html", "results.sqlite", "figures"})


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
    svg : str, default=""
        The same figure as SVG markup with hover texts (``<title>`` elements, the
        browser's native tooltips); when given, ``report.html`` inlines it instead of the
        PNG, which ``report.md`` keeps. No script: the page stays self-contained and offline.
    """

    name: str
    png: bytes
    alt: str
    caption: str = ""
    svg: str = ""

    @classmethod
    def from_matplotlib(cls, figure, name: str, alt: str, caption: str = "", dpi: int = 100,
                        tooltips: Mapping[str, str] | None = None) -> Figure:
        """Render a matplotlib figure to PNG and close it (open figures leak memory).

        ``tooltips`` maps an artist's ``gid`` (``ax.scatter(..., gid="p1")``) to the text a
        reader sees on hovering it in ``report.html``: the figure is also rendered as SVG
        with that text as each artist's ``<title>``.
        """
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        svg = ""
        try:
            figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
            if tooltips:
                svg = _svg_with_titles(figure, name, tooltips)
        finally:
            plt.close(figure)
        return cls(name=name, png=buffer.getvalue(), alt=alt, caption=caption, svg=svg)


_SVG = "http://www.w3.org/2000/svg"


def _svg_with_titles(figure, name: str, tooltips: Mapping[str, str]) -> str:
    """The figure as inline SVG markup, each ``gid`` in ``tooltips`` given a ``<title>``."""
    import xml.etree.ElementTree as ET

    import matplotlib

    text = io.StringIO()
    # a fixed salt keeps the file's ids the same from one report to the next
    with matplotlib.rc_context({"svg.hashsalt": f"familybench-{name}"}):
        figure.savefig(text, format="svg", bbox_inches="tight", facecolor="white")
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(text.getvalue())
    for child in list(root):  # matplotlib's RDF metadata: a creator URL and extra namespaces, nothing to see
        if child.tag == f"{{{_SVG}}}metadata":
            root.remove(child)
    found = 0
    for element in root.iter():
        gid = element.get("id")
        if gid in tooltips:
            title = ET.Element(f"{{{_SVG}}}title")
            title.text = tooltips[gid]
            element.insert(0, title)
            element.set("class", "hover")
            found += 1
    if not found:
        return ""
    root.set("role", "img")
    return ET.tostring(root, encoding="unicode")


def _check_file_name(name) -> None:
    text = str(name)
    plain = PurePosixPath(text).name == text and PureWindowsPath(text).name == text
    if not text or not plain or text.startswith(".") or text in RESERVED_FILES:
        raise ValueError(f"a section's file needs a plain file name, not one of {sorted(RESERVED_FILES)} and not "
                         f"hidden: got {text!r}")


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
    files : mapping of str to str or bytes, default={}
        Extra files the section produces, written next to ``report.md`` under these plain
        file names (text as UTF-8), e.g. ``{"statistics.csv": ...}``. When two sections
        name the same file, the first one's is written.
    """

    title: str
    markdown: str = ""
    html: str = ""
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    level: int = 2
    files: Mapping[str, str | bytes] = field(default_factory=dict, hash=False)

    def __post_init__(self):
        for name, content in self.files.items():
            _check_file_name(name)
            if not isinstance(content, (str, bytes)):
                raise TypeError(f"file {name!r} of section {self.title!r}: expected str or bytes, "
                                f"got {type(content).__name__}")


# -- building blocks


def paragraph(template: str, /, *, strong: bool = False, css_class: str = "", **values) -> Block:
    """A paragraph in Markdown and HTML; ``values`` are user text, escaped for each format.

    ``template`` is trusted plain text with ``{name}`` fields (``str.format``); ``strong``
    sets the whole paragraph in bold, ``css_class`` gives the HTML paragraph a class.
    """
    md = template.format(**{k: md_text(v) for k, v in values.items()})
    body = html_text(template).format(**{k: html_text(v) for k, v in values.items()})
    if strong:
        md, body = f"**{md}**", f"<strong>{body}</strong>"
    attribute = f' class="{html_text(css_class)}"' if css_class else ""
    return md, f"<p{attribute}>{body}</p>"


def table_block(frame: pd.DataFrame, kinds: pd.DataFrame | None = None, **options) -> Block:
    """A table of display strings in both formats (see ``_render`` for ``kinds`` and options)."""
    return markdown_table(frame, kinds, **options), html_table(frame, kinds, **options)


def make_section(title: str, blocks, *, figures=(), level: int = 2, files: Mapping[str, str | bytes] | None = None
                 ) -> Section:
    """A :class:`Section` from blocks in reading order; ``None`` figures are left out."""
    blocks = [b for b in blocks if b is not None]
    return Section(
        title=title,
        markdown="\n\n".join(md for md, _ in blocks),
        html="\n".join(h for _, h in blocks),
        figures=tuple(f for f in figures if f is not None),
        level=level,
        files=dict(files or {}),
    )


def plural(count, noun: str) -> str:
    """``"1 seed"``, ``"3 seeds"``: a count with thousands separators and its noun."""
    return f"{fmt_count(count)} {noun}{'' if not is_missing(count) and int(count) == 1 else 's'}"


# -- a suite's own sections


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
