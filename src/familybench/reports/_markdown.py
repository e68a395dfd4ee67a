"""``report.md``: GitHub-flavoured Markdown with figures as PNG files under ``figures/``."""

from __future__ import annotations

import re
from pathlib import Path

from ._format import md_text, slug
from .sections import Figure, Section

FIGURES = "figures"


def github_anchor(title: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to ``-``."""
    anchor = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
    count = seen.get(anchor, 0)
    seen[anchor] = count + 1
    return anchor if count == 0 else f"{anchor}-{count}"


class FigureWriter:
    """Writes each figure once under ``DIR/figures/`` with a unique, file-safe name."""

    def __init__(self, directory: Path):
        self.folder = directory / FIGURES
        self.folder.mkdir(parents=True, exist_ok=True)
        # The folder belongs to the report: figures of a dataset no longer in the results go.
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.used: set[str] = set()
        self.written: list[Path] = []

    def write(self, figure: Figure) -> str:
        stem = slug(figure.name, unique=False)
        name, n = stem, 1
        while name in self.used:
            n += 1
            name = f"{stem}-{n}"
        self.used.add(name)
        path = self.folder / f"{name}.png"
        path.write_bytes(figure.png)
        self.written.append(path)
        return f"{FIGURES}/{name}.png"


def render_markdown(title: str, subtitle: str, sections: list[Section], figures: FigureWriter) -> str:
    """The whole document; section bodies are trusted Markdown, titles and captions escaped here."""
    seen: dict[str, int] = {}
    anchors = [github_anchor(s.title, seen) for s in sections]
    lines = [f"# {md_text(title)}", "", md_text(subtitle), "", "Contents:", ""]
    for section, anchor in zip(sections, anchors, strict=True):
        indent = "  " * (min(max(section.level, 2), 6) - 2)
        lines.append(f"{indent}- [{md_text(section.title)}](#{anchor})")
    for section in sections:
        level = min(max(section.level, 2), 6)
        lines += ["", f"{'#' * level} {md_text(section.title)}", ""]
        if section.markdown:
            lines += [section.markdown.rstrip(), ""]
        for figure in section.figures:
            lines += [f"![{md_text(figure.alt)}]({figures.write(figure)})", ""]
            if figure.caption:
                lines += [f"*{md_text(figure.caption)}*", ""]
    return "\n".join(lines).rstrip() + "\n"
