"""Escaping and number formatting shared by the Markdown, HTML and figure renderers.

Every name in a report (dataset, column, config, family) and every error message comes
from users, so each output format has exactly one function that makes such text inert.
"""

from __future__ import annotations

import hashlib
import html
import math
import re

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|#&~$])")  # $ starts math on GitHub
# GitHub does not start emphasis inside a word (breast_cancer), only at its edges.
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def html_text(value) -> str:
    """``value`` as HTML text (or attribute value): ``<``, ``>``, ``&`` and quotes escaped."""
    return html.escape("" if value is None else str(value), quote=True)


def md_text(value) -> str:
    """``value`` as inert GitHub-flavoured Markdown, safe inside a table cell.

    Markdown punctuation and HTML brackets are backslash-escaped (so ``<script>`` shows as
    text, not as a tag) and line breaks become spaces (a newline would end a table row).
    """
    text = "" if value is None else str(value)
    text = " ".join(text.split("\n")).replace("\r", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_EDGE_UNDERSCORE.sub(r"\\_", text)


def mpl_text(value) -> str:
    """``value`` for a matplotlib label: ``$`` would otherwise start (and may break) mathtext."""
    return ("" if value is None else str(value)).replace("$", r"\$").replace("\n", " ")


def slug(value, *, unique: bool = True) -> str:
    """A file-name and anchor safe form of ``value`` (ASCII letters, digits, ``-``).

    With ``unique``, a short hash keeps names that slug alike (``a<b>`` and ``a-b``) apart.
    """
    text = "" if value is None else str(value)
    base = _SLUG_UNSAFE.sub("-", text.lower()).strip("-")[:40] or "x"
    if not unique:
        return base
    return f"{base}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:6]}"


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def score_decimals(values) -> int:
    """Decimals that show differences between scores without noise: 3, fewer for big numbers."""
    finite = [abs(float(v)) for v in values if not is_missing(v)]
    largest = max(finite, default=0.0)
    if largest >= 1000:
        return 0
    if largest >= 100:
        return 1
    if largest >= 10:
        return 2
    return 3


def fmt_number(value, decimals: int = 3) -> str:
    """A number with fixed decimals and thousands separators; ``–`` when missing."""
    if is_missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0.00"


def fmt_mean_std(mean, std, decimals: int = 3) -> str:
    """``mean ± std`` (just the mean when the spread is unknown, e.g. a single seed)."""
    if is_missing(mean):
        return "–"
    text = fmt_number(mean, decimals)
    if is_missing(std):
        return text
    spread = fmt_number(std, decimals)
    if 0 < float(std) and float(spread.replace(",", "")) == 0:
        spread = f"{float(std):.1g}"  # a tiny spread is not no spread: 0.0004, not 0.000
    return f"{text} ± {spread}"


def fmt_seconds(value) -> str:
    """Seconds with three significant digits, never in exponent notation."""
    if is_missing(value):
        return "–"
    value = float(value)
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    if value == 0:
        return "0"
    decimals = min(6, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def fmt_count(value) -> str:
    """An integer count with thousands separators (``12,362``)."""
    return "–" if is_missing(value) else f"{round(float(value)):,}"


def shorten(text, limit: int = 300) -> str:
    """One line of at most ``limit`` characters (error messages can be long)."""
    line = " ".join(("" if text is None else str(text)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
