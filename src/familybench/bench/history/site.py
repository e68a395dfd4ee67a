"""``familybench history report --out SITE``: the history as static, self-contained pages.

``SITE/index.html`` lists the open regressions and links one page per suite × config ×
dataset × machine, which draws fit seconds, predict seconds and the main test metric
against commit order: each commit's seeds as dots, their median joined by a line, every
level change marked at the first commit of the new level (an open regression in red).
Pages are the report's own HTML (inline CSS, figures inline, no script, no network);
hovering a commit's point shows its SHA, date and numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from familybench.bench.history.detect import MEASURES, SERIES, analyse, commit_values, describe
from familybench.reports import html_text, plot_style, render_html, slug
from familybench.reports.sections import Figure, make_section, paragraph, table_block

LABELS = {"fit_seconds": "fit seconds", "predict_seconds": "predict seconds"}
FOOTER = "Written by familybench history report from the history store (history.sqlite)."
PAGE = ["suite", "config", "dataset", "machine", "environment"]


def _figure(values: pd.DataFrame, steps: pd.DataFrame, regressions: pd.DataFrame, name: str) -> Figure:
    import matplotlib.pyplot as plt

    measures = [m for m in MEASURES if (values["measure"] == m).any()]
    tips: dict[str, str] = {}
    with plot_style():
        fig, axes = plt.subplots(len(measures), 1, figsize=(9.5, 2.6 * len(measures)), squeeze=False, sharex=True)
        for k, (ax, measure) in enumerate(zip(axes[:, 0], measures, strict=True)):
            series = values[values["measure"] == measure].sort_values("order")
            x = series["order"].to_numpy()
            ax.fill_between(x, series["low"], series["high"], color="#9ecae1", alpha=0.5, linewidth=0,
                            label="seeds: lowest to highest")
            stat = "median over seeds" if measure == "quality" else "fastest seed"
            ax.plot(x, series["value"], color="#08519c", linewidth=1.4, zorder=2, label=stat)
            for i, row in enumerate(series.itertuples()):
                gid = f"h{k}-{i}"
                ax.scatter(row.order, row.value, s=22, color="#08519c", zorder=3, gid=gid)
                tips[gid] = (f"commit {row.commit_sha[:12]} ({str(row.commit_date)[:10]})\n"
                             f"{LABELS.get(measure, 'test ' + str(row.metric))}: {row.value:.4g}, the {stat} "
                             f"of {row.n} (range {row.low:.4g}–{row.high:.4g})")
            bad = regressions[regressions["measure"] == measure]
            for step in steps[steps["measure"] == measure].itertuples():
                red = (not bad.empty) and step.commit in set(bad["first_bad"]) | set(bad["latest_from"])
                ax.axvline(step.order - 0.5, color="#B2182B" if red else "#777777", linestyle="--", linewidth=1.0)
                ax.annotate(step.commit[:7], (step.order - 0.5, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(2, -10), textcoords="offset points", fontsize=7,
                            color="#B2182B" if red else "#555555")
            if measure != "quality":
                from matplotlib.ticker import FuncFormatter

                ax.set_yscale("log")
                plain = FuncFormatter(lambda v, _: f"{v:g}")
                ax.yaxis.set_major_formatter(plain)
                ax.yaxis.set_minor_formatter(plain)
            metric = series["metric"].iloc[0] if measure == "quality" else None
            ax.set_ylabel(LABELS.get(measure, f"test {metric}"))
        shas = values.drop_duplicates("order").sort_values("order")
        axis = axes[-1, 0]
        axis.set_xticks(shas["order"])
        axis.set_xticklabels([s[:7] for s in shas["commit_sha"]], rotation=60, ha="right", fontsize=7)
        axis.set_xlabel("commit (oldest first)")
        for ax in axes[:, 0]:
            ax.legend(loc="upper left", fontsize=8, frameon=False)
        fig.tight_layout()
        return Figure.from_matplotlib(fig, name, tooltips=tips,
                                      alt="Fit seconds, predict seconds and the main test metric against commit "
                                          "order; dashed lines mark level changes.",
                                      caption="Dots: each commit's value — for times the fastest of its seeds "
                                              "(interference only adds time), for the metric their median; hover "
                                              "for numbers. Band: lowest to highest seed. Dashed: the first commit "
                                              "of a new level (red: an open regression).")


def write_site(points: pd.DataFrame, out: str | Path, settings=None) -> Path:
    """Write ``out/index.html`` and one page per series group; returns the index path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    values = commit_values(points)
    steps, regressions = analyse(points, settings)
    pages = []
    for key, group in values.groupby(PAGE, sort=True):
        info = dict(zip(PAGE, key, strict=True))
        name = slug("-".join(str(v) for v in key))
        mine = [(frame[(frame[list(PAGE)] == pd.Series(info)).all(axis=1)] if not frame.empty else frame)
                for frame in (steps, regressions)]
        figure = _figure(group, mine[0], mine[1], name)
        title = f"{info['config']} on {info['dataset']}"
        blocks = [paragraph("Suite {suite}, machine {machine}, environment {environment}: {n} commits.",
                            n=group["order"].nunique(), **{k: info[k] for k in ("suite", "machine", "environment")})]
        if not mine[1].empty:
            blocks.append(paragraph("Open: {lines}", lines="; ".join(describe(r) for _, r in mine[1].iterrows()),
                                    strong=True))
        html = render_html(f"familybench history: {title}", "← index.html",
                           [make_section(title, blocks, figures=[figure])], footer=FOOTER)
        html = html.replace("<p class=subtitle>← index.html</p>", '<p class=subtitle><a href="index.html">'
                            "← all series</a></p>")
        (out / f"{name}.html").write_text(html, encoding="utf-8")
        pages.append({**info, "page": f"{name}.html", "open": len(mine[1])})
    index = pd.DataFrame(pages)
    commits = points["commit_sha"].nunique()
    sections = []
    if regressions.empty:
        sections.append(make_section("Open regressions", [paragraph(
            "None: in every series the latest level is within the gate's thresholds of the best before it "
            "({n} series, {c} commits).", n=len(values.groupby(SERIES)), c=commits)]))
    else:
        table = regressions.assign(
            where=[f"{r.config} on {r.dataset}" for r in regressions.itertuples()],
            what=regressions["measure"].map(lambda m: LABELS.get(m, "main metric")),
            change=[f"{c:+.0%}" if m != "quality" else f"{c:+.4f}" for c, m in
                    zip(regressions["change"], regressions["measure"], strict=True)],
            since=[f"{a[:10]} … {b[:10]}" if a != b else a[:10] for a, b in
                   zip(regressions["first_bad"], regressions["latest_from"], strict=True)])
        frame = table[["suite", "where", "what", "change", "since", "machine"]].rename(
            columns={"since": "from commit … to commit"})
        sections.append(make_section("Open regressions", [
            paragraph("{n} series whose latest level is worse than the best before it beyond the gate's "
                      "thresholds; the commits named are where it changed.", n=len(regressions)),
            table_block(frame.reset_index(drop=True))]))
    links = "".join(
        f'<li><a href="{html_text(p["page"])}">{html_text(p["config"])} on {html_text(p["dataset"])}</a> — '
        f'{html_text(p["suite"])}, machine {html_text(p["machine"])}'
        + (' <span class="fail">(open regression)</span>' if p["open"] else "") + "</li>"
        for p in index.to_dict("records"))
    md = "\n".join(f"- [{p['config']} on {p['dataset']}]({p['page']})" for p in index.to_dict("records"))
    sections.append(make_section("Series", [(md, f"<ul>{links}</ul>")]))
    html = render_html("familybench performance history",
                       f"{commits} commits, {len(index)} pages; written by familybench history report.", sections,
                       footer=FOOTER)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
