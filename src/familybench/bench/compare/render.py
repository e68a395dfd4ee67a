"""The comparison as text: a pull-request comment (Markdown) and a terminal summary.

Rendering only: every number and verdict comes from the ``Comparison``.
"""

from __future__ import annotations

import math


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4f}"


def time_cell(change) -> str:
    if not math.isfinite(change.ratio):
        return "–"
    mark = " ▼" if change.regression else (" ▲" if change.improvement else "")
    ci = f" [{change.low:.2f}, {change.high:.2f}]" if math.isfinite(change.low) else ""
    return f"×{change.ratio:.2f}{ci}{mark}"


def _delta(row) -> str:
    if row.status_regression:
        return row.status_regression
    q = " ▼" if row.quality_regression else (" ▲" if row.quality_improvement else "")
    se = f" ± {row.change_se:.4f}" if math.isfinite(row.change_se) else ""
    return f"{row.change:+.4f}{se}{q}" if math.isfinite(row.change) else "–"


def _mark(row) -> str:
    return "▼" if row.regression else ("▲" if row.improvement else "")


def rules(comparison) -> str:
    s = comparison.settings
    time_rule = (f"+{s.interleaved_time:.0%} (interleaved)" if comparison.interleaved
                 else f"fit +{s.fit_seconds:.0%} / predict +{s.predict_seconds:.0%}")
    return (f"▼ worse, ▲ better, beyond both the threshold and the noise: quality drop > {s.quality} and > "
            f"{s.quality_se:g} seed-paired SE; time ≥ {time_rule} with a paired test p < {s.p_value} and ≥ "
            f"{s.min_seconds:g} s"
            + ("" if comparison.interleaved else f", standing out by > {s.spread:g} robust SD from the other pairs' "
               "changes")
            + ". Time cells: current/baseline ratio [95% CI].")


def _version_lines(comparison) -> list[str]:
    base, cur = comparison.versions.get("baseline", []), comparison.versions.get("current", [])
    same = [(g.familybench, g.libs_digest, g.source) for g in base] == [(g.familybench, g.libs_digest, g.source)
                                                                         for g in cur]
    out = []
    if base:
        out.append("baseline: " + "; ".join(g.describe() for g in base))
    if cur:
        out.append("current: same versions as the baseline" if same and base else
                   "current: " + "; ".join(g.describe() for g in cur))
    return out


def _unmatched(comparison) -> list[str]:
    """The config × dataset pairs only one side has."""
    out = []
    if comparison.missing:
        out.append(f"Only in the baseline (not compared): {', '.join(comparison.missing)}")
    if comparison.added:
        out.append(f"Only in the current run (new): {', '.join(comparison.added)}")
    return out


def _protocol(comparison) -> str:
    return f", protocol **{comparison.protocol}** on both sides" if comparison.protocol else ""


def markdown(comparison) -> str:
    lines = [f"**{comparison.verdict()}**", "",
             f"Baseline `{comparison.baseline}` → current `{comparison.current}`{_protocol(comparison)}. "
             f"{rules(comparison)}", ""]
    for warning in comparison.warnings:
        lines.append(f"> ⚠️ {warning}")
    if comparison.warnings:
        lines.append("")
    lines += ["| | config | dataset | metric | baseline | current | Δ | fit time | predict time |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in comparison.sorted_rows():
        lines.append(f"| {_mark(r)} | {_md(r.config)} | {_md(r.dataset)} | {r.metric} | {_num(r.baseline)} | "
                     f"{_num(r.current)} | {_md(_delta(r))} | {time_cell(r.fit)} | {time_cell(r.predict)} |")
    for line in _unmatched(comparison):
        lines += ["", _md(line)]
    versions = _version_lines(comparison)
    if versions:
        lines += ["", "Rows compared, by the versions that made them:", ""] + [f"- {_md(v)}" for v in versions]
    return "\n".join(lines) + "\n"


def terminal(comparison, width: int = 100) -> str:
    """A plain-text summary: the verdict, warnings, and an aligned table (regressions first)."""
    out = [comparison.verdict(), f"  baseline {comparison.baseline}", f"  current  {comparison.current}"]
    if comparison.protocol:
        out.append(f"  protocol {comparison.protocol}")
    out += [f"  warning: {w}" for w in comparison.warnings]
    header = ("", "config", "dataset", "metric", "baseline", "current", "Δ", "fit time", "predict time")
    table = [header] + [(_mark(r), r.config, r.dataset, r.metric, _num(r.baseline), _num(r.current), _delta(r),
                         time_cell(r.fit), time_cell(r.predict)) for r in comparison.sorted_rows()]
    cap = max(20, width // 3)
    table = [tuple(str(c) if len(str(c)) <= cap else str(c)[: cap - 1] + "…" for c in row) for row in table]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    out.append("")
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    for line in _unmatched(comparison):
        out += ["", line]
    versions = _version_lines(comparison)
    if versions:
        out += ["", "Versions of the rows compared:"] + [f"  {v}" for v in versions]
    out += ["", rules(comparison)]
    return "\n".join(out) + "\n"
