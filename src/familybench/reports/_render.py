"""One table, two renderings: a DataFrame of display strings to HTML and to Markdown.

Cells are plain text from anywhere (user names, error messages); these functions escape
every cell and header. A parallel frame of *kinds* styles cells the same way in both
formats:

``best``  bold, with a "best" badge (a lead beyond the spread over seeds)
``tied``  a "tied" badge (within the spread of the top)
``top``   a "top" badge (highest, but one seed gives no spread to judge by)
``fail``  red, bold in Markdown (failed or timed-out jobs)
``error`` red in HTML, plain in Markdown (an error message)
``muted`` grey (skipped, not applicable)
"""

from __future__ import annotations

import pandas as pd

from ._format import html_text, md_text

_BADGES = {"best": "best", "tied": "tied", "top": "top, 1 seed"}


def _kinds(frame: pd.DataFrame, kinds: pd.DataFrame | None) -> pd.DataFrame:
    if kinds is None:
        return pd.DataFrame("", index=frame.index, columns=frame.columns)
    kinds = kinds.astype(object).reindex(index=frame.index, columns=frame.columns)
    return kinds.where(kinds.notna(), "")


def html_table(
    frame: pd.DataFrame,
    kinds: pd.DataFrame | None = None,
    *,
    numeric: tuple[str, ...] | list[str] = (),
    index: bool = False,
    caption: str = "",
) -> str:
    """An escaped ``<table>``; ``numeric`` columns are right-aligned with tabular figures."""
    kinds = _kinds(frame, kinds)
    head = [html_text(frame.index.name or "")] if index else []
    head += [html_text(c) for c in frame.columns]
    num = {i + (1 if index else 0) for i, c in enumerate(frame.columns) if c in numeric}
    header = "".join(f'<th{" class=num" if i in num else ""} scope="col">{h}</th>' for i, h in enumerate(head))
    lines = ['<div class="table-wrap"><table>']
    if caption:
        lines.append(f"<caption>{html_text(caption)}</caption>")
    lines.append(f"<thead><tr>{header}</tr></thead><tbody>")
    for label, row in frame.iterrows():
        cells = [f'<th scope="row">{html_text(label)}</th>'] if index else []
        for position, column in enumerate(frame.columns):
            kind = kinds.at[label, column]
            text = html_text(row[column])
            if kind == "best":
                text = f'<strong>{text}</strong> <span class="badge best">{_BADGES[kind]}</span>'
            elif kind in _BADGES:
                text = f'{text} <span class="badge {kind}">{_BADGES[kind]}</span>'
            classes = [kind] if kind else []
            if position + (1 if index else 0) in num:
                classes.append("num")
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{text}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def markdown_table(
    frame: pd.DataFrame,
    kinds: pd.DataFrame | None = None,
    *,
    numeric: tuple[str, ...] | list[str] = (),
    index: bool = False,
) -> str:
    """A GitHub-flavoured pipe table; every cell escaped (``|`` and line breaks included)."""
    kinds = _kinds(frame, kinds)
    columns = ([frame.index.name or ""] if index else []) + list(frame.columns)
    aligns = (["---"] if index else []) + ["---:" if c in numeric else "---" for c in frame.columns]
    lines = ["| " + " | ".join(md_text(c) for c in columns) + " |", "|" + "|".join(aligns) + "|"]
    for label, row in frame.iterrows():
        cells = [md_text(label)] if index else []
        for column in frame.columns:
            kind = kinds.at[label, column]
            text = md_text(row[column])
            if kind == "best":
                text = f"**{text}** (best)"
            elif kind == "tied":
                text = f"{text} (tied)"
            elif kind == "top":
                text = f"{text} (top, 1 seed)"
            elif kind == "fail" and text:
                text = f"**{text}**"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
