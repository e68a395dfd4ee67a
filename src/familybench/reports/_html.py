"""``report.html``: one self-contained file — inline CSS, figures as data URIs, no scripts.

Nothing is fetched when the page opens (no fonts, scripts or images from the network),
so it reads the same offline, attached to an e-mail or archived with CI artefacts.
"""

from __future__ import annotations

import base64
import struct

from ._format import html_text
from .sections import Figure, Section

_CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --zebra: #f6f8fa; --accent: #0969da;
        --fail: #b42318; --fail-bg: #fef3f2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 22px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 28px 0 8px; }
p { margin: 8px 0; max-width: 92ch; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
nav.toc { background: var(--zebra); border: 1px solid var(--line); border-radius: 6px; padding: 12px 20px;
          margin: 16px 0 8px; columns: 2 320px; }
nav.toc ul { margin: 0; padding-left: 18px; }
nav.toc > ul { padding-left: 0; list-style: none; }
nav.toc > ul > li { break-inside: avoid; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 8px 0 16px; }
dl.meta dt { font-weight: 600; color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
dd.note { background: #fff8c5; border-left: 3px solid #d4a72c; padding: 4px 10px; }
.table-wrap { overflow-x: auto; margin: 10px 0 14px; }
table { border-collapse: collapse; font-size: 14px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #eaeef2; border-bottom: 2px solid var(--line); white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody tr:hover { background: #ddf4ff; }
tbody th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.fail, td.error, .fail { color: var(--fail); }
td.fail { background: var(--fail-bg); }
td.muted { color: var(--muted); }
td.best strong { font-weight: 700; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; border-radius: 9px; padding: 0 7px;
         margin-left: 4px; vertical-align: 1px; font-variant-numeric: normal; }
.badge.best { background: #1a7f37; color: #fff; }
.badge.tied { background: #eaeef2; color: var(--muted); border: 1px solid var(--line); }
.badge.top { background: #fff8c5; color: #7d4e00; border: 1px solid #d4a72c; }
ul.failures li { margin: 3px 0; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figure.interactive > svg { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px;
  background: white; }
svg .hover { cursor: crosshair; }
svg .hover:hover path { stroke: #111 !important; stroke-width: 2.5px !important; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 110ch; }
pre.md { white-space: pre-wrap; background: var(--zebra); padding: 10px; border-radius: 6px; }
code { background: var(--zebra); padding: 1px 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 13px; margin-top: 48px; }
"""


def _png_size(png: bytes) -> tuple[int, int] | None:
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return None
    return struct.unpack(">II", png[16:24])


def _figure(figure: Figure) -> str:
    caption = f"<figcaption>{html_text(figure.caption)}</figcaption>" if figure.caption else ""
    if figure.svg:  # inline, so that its <title>s show on hover; the alt text labels it
        svg = figure.svg.replace("<svg ", f'<svg aria-label="{html_text(figure.alt)}" ', 1)
        return f'<figure class="interactive">{svg}{caption}</figure>'
    data = base64.b64encode(figure.png).decode("ascii")
    size = _png_size(figure.png)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    caption = f"<figcaption>{html_text(figure.caption)}</figcaption>" if figure.caption else ""
    image = f'<img src="data:image/png;base64,{data}" alt="{html_text(figure.alt)}"{dims}>'
    return f"<figure>{image}{caption}</figure>"


def _toc(sections: list[Section], ids: list[str]) -> str:
    groups: list[tuple[str, list[str]]] = []
    for section, anchor in zip(sections, ids, strict=True):
        link = f'<a href="#{anchor}">{html_text(section.title)}</a>'
        if section.level > 2 and groups:
            groups[-1][1].append(link)
        else:
            groups.append((link, []))
    items = "".join(
        f"<li>{link}" + (f"<ul>{''.join(f'<li>{s}</li>' for s in subs)}</ul>" if subs else "") + "</li>"
        for link, subs in groups
    )
    return f"<nav class=toc aria-label=Contents><strong>Contents</strong><ul>{items}</ul></nav>"


FOOTER = "Written by familybench from results.sqlite; open report.md for the same content as Markdown."


def render_html(title: str, subtitle: str, sections: list[Section], *, footer: str = FOOTER) -> str:
    """The whole page. Section bodies are trusted HTML; titles and captions are escaped here."""
    ids = [f"s{i}" for i in range(1, len(sections) + 1)]
    body = []
    for section, anchor in zip(sections, ids, strict=True):
        level = min(max(section.level, 2), 6)
        content = section.html
        if not content and section.markdown:
            content = f'<pre class="md">{html_text(section.markdown)}</pre>'
        figures = "".join(_figure(f) for f in section.figures)
        heading = f"<h{level}>{html_text(section.title)}</h{level}>"
        body.append(f'<section id="{anchor}">{heading}{content}{figures}</section>')
    return (
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        # No network, no scripts: the policy makes the report's promise checkable by the browser.
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html_text(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body><main>\n"
        f"<h1>{html_text(title)}</h1>\n<p class=subtitle>{html_text(subtitle)}</p>\n"
        f"{_toc(sections, ids)}\n" + "\n".join(body)
        + f"\n<footer>{html_text(footer)}</footer>\n</main></body>\n</html>\n"
    )
