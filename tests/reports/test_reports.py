"""Reports: tables (marks, ranks, rescaling), escaping, self-contained HTML, figures, hooks."""

from __future__ import annotations

import re
import shutil
import textwrap

import numpy as np
import pandas as pd
import pytest

from familybench.bench.results.record import empty_record
from familybench.bench.results.store import ResultStore
from familybench.bench.results.tradeoff import front_mask as pareto_front
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite
from familybench.reports import (
    html_text,
    md_text,
    normalised_table,
    rank_table,
    summary_table,
    win_tie_loss,
    write_report,
)
from familybench.reports._format import fmt_seconds, slug

HOSTILE_DATASET = "<script>alert(1)</script>"

# -- synthetic results: the table logic without running anything


def _results(scores: dict[str, list[float]], *, dataset="d", task="regression", families=None, errors=None):
    """A results frame: config -> test r2 per seed (None = that seed failed)."""
    rows = []
    for config, values in scores.items():
        for seed, value in enumerate(values):
            family = (families or {}).get(config, config)
            record = empty_record(config=config, model=config, family=family, dataset=dataset, task=task,
                                  seed=seed, fold=0, job_key=f"{dataset}-{config}-{seed}")
            if value is None:
                record.update(status="failed", error=(errors or {}).get(config, "ValueError: broken"))
            else:
                record.update(status="ok", test_r2=value, test_rmse=1 - value, test_mae=1 - value, train_r2=value,
                              fit_seconds=0.1, predict_seconds=0.01, n_params=10)
            rows.append(record)
    return pd.DataFrame(rows)


def _marks(table):
    return dict(zip(table["config"], table["mark"], strict=True))


def test_clear_winner_is_marked_best():
    table = summary_table(_results({"a": [0.90, 0.91, 0.92], "b": [0.70, 0.71, 0.72], "c": [0.5, 0.5, 0.5]}))
    assert _marks(table) == {"a": "best", "b": "", "c": ""}
    assert list(table["config"]) == ["a", "b", "c"]  # best first
    assert table.loc[table["config"] == "a", "rank"].item() == 1


def test_lead_within_the_spread_is_a_tie():
    table = summary_table(_results({"a": [0.90, 0.80, 0.95], "b": [0.88, 0.86, 0.87], "c": [0.1, 0.1, 0.1]}))
    assert _marks(table) == {"a": "tied", "b": "tied", "c": ""}


def test_noisy_config_far_behind_is_not_tied():
    # c's spread is huge, but b (closer to the top) is clearly behind: ties are a prefix of the ranking.
    table = summary_table(_results({"a": [0.99, 0.99, 0.99], "b": [0.95, 0.95, 0.95], "c": [0.1, 0.9, 0.99]}))
    assert _marks(table) == {"a": "best", "b": "", "c": ""}


def test_single_seed_marks_top_not_best_and_has_no_std():
    table = summary_table(_results({"a": [0.9], "b": [0.8]}))
    assert _marks(table) == {"a": "top", "b": ""}
    assert table["std"].isna().all()


def test_lower_is_better_metric_and_summary_columns_for_the_cli():
    table = summary_table(_results({"a": [0.9, 0.91], "b": [0.5, 0.52]}))
    row = table[table["config"] == "a"].iloc[0]
    assert row["test_rmse_mean"] == pytest.approx(0.095)
    for column in ("dataset", "metric", "config", "mean", "std", "fit_seconds", "status"):
        assert column in table.columns


def test_failed_config_keeps_its_message_and_ranks_last():
    results = _results({"a": [0.5, 0.6], "b": [0.9, 0.95], "bad": [None, None]},
                       errors={"bad": "RuntimeError: boom"})
    table = summary_table(results)
    bad = table[table["config"] == "bad"].iloc[0]
    assert bad["n_ok"] == 0 and bad["error"] == "RuntimeError: boom" and "failed 2" in bad["status"]
    assert bad["rank"] == 3
    ranks = rank_table(table)
    assert ranks.loc[ranks["config"] == "bad", "n_failed"].item() == 1


def test_partial_failure_is_counted_not_hidden():
    table = summary_table(_results({"a": [0.5, None, 0.6]}))
    row = table.iloc[0]
    assert row["n_ok"] == 2 and row["n_jobs"] == 3 and row["status"] == "ok 2 · failed 1"


def test_normalised_table_averages_the_one_normalisation_over_seeds():
    from familybench.bench.results.select import normalised_scores

    results = pd.concat([
        _results({"linear": [0.5, 0.5], "x": [0.9, 0.9], "y": [0.7, 0.8]}, dataset="d1"),
        _results({"linear": [0.9, 0.9], "x": [0.5, 0.5], "y": [0.7, 0.7]}, dataset="d2"),
    ], ignore_index=True)
    table = normalised_table(results, normalised_scores(results, results))
    # regression: q = median of the dataset's scores, max = its best; clipped at 0
    assert table.loc["x", "d1"] == pytest.approx(1.0) and table.loc["linear", "d1"] == 0.0
    q = np.median([0.5, 0.5, 0.9, 0.9, 0.7, 0.8])  # 0.75
    assert table.loc["y", "d1"] == pytest.approx((0.0 + (0.8 - q) / (0.9 - q)) / 2)  # 0.7 is below q: 0
    assert table.loc["linear", "d2"] == pytest.approx(1.0) and table.loc["x", "d2"] == 0.0
    assert table.loc["y", "mean"] == pytest.approx((table.loc["y", "d1"] + 0.0) / 2)


FAMILIES = {"lin": "linear", "gbm": "boosting"}


def test_win_tie_loss_between_families():
    results = pd.concat([
        _results({"lin": [0.5, 0.51], "gbm": [0.9, 0.91]}, dataset="d1", families=FAMILIES),
        _results({"lin": [0.8, 0.9], "gbm": [0.85, 0.86]}, dataset="d2", families=FAMILIES),
    ])
    matrix = win_tie_loss(summary_table(results))
    assert matrix.loc["boosting", "linear"] == (1, 1, 0)
    assert matrix.loc["linear", "boosting"] == (0, 1, 1)
    assert matrix.loc["linear", "linear"] is None


def test_pareto_front():
    front = pareto_front(np.array([1.0, 2.0, 3.0, 0.5]), np.array([0.8, 0.9, 0.85, 0.5]))
    assert front.tolist() == [True, True, False, True]


def test_escaping_helpers():
    assert html_text('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    cell = md_text("a|b\nc <script> $x$ *y* _z_ breast_cancer")
    assert "|" not in cell.replace("\\|", "") and "\n" not in cell
    assert "\\<script\\>" in cell and "\\$x\\$" in cell and "\\*y\\*" in cell and "\\_z\\_" in cell
    assert "breast_cancer" in cell
    assert slug("a<b>") != slug("a-b") and re.fullmatch(r"[a-z0-9-]+", slug(HOSTILE_DATASET))
    assert fmt_seconds(0.000123) == "0.000123" and fmt_seconds(1.234) == "1.23" and fmt_seconds(1234) == "1,234"


# -- real runs: a mixed, hostile suite with failures, and a single-seed single-model one


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Two seeds; 2-D classification from a file with a hostile name, 1-D regression; a model that fails."""
    out = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 2))
    target = np.where(X[:, 0] * X[:, 1] > 0, "yes<b>", "no&")
    csv = out.parent / "hostile.csv"
    pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "target": target}).to_csv(csv, index=False)
    suite = parse_suite({
        "seeds": 2,
        "datasets": {
            HOSTILE_DATASET: {"path": str(csv), "target": "target", "task": "binary"},
            "sine1d": {"n_samples": 150},
        },
        "models": {
            "a<b>": {"model": "linear"},
            "gbm $x$": {"model": "lightgbm", "params": {"n_estimators": 10}},
            "boom|x": {"model": "badmodels:Boom"},
        },
    })
    execute(suite, out, executor="serial")
    write_report(out)
    return out


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    suite = parse_suite({"seeds": 1, "datasets": {"moons": {"n_samples": 120}}, "models": ["linear"]})
    execute(suite, out, executor="serial")
    write_report(out)
    return out


@pytest.mark.e2e
def test_hostile_names_are_escaped_in_html(hostile_run):
    page = (hostile_run / "report.html").read_text()
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&lt;b&gt;" in page and "a<b>" not in page
    assert "yes<b>" not in page  # a class label from the data, too (shown in figures only)


def test_hostile_names_are_inert_in_markdown(hostile_run):
    text = (hostile_run / "report.md").read_text()
    assert "<script>" not in text and "\\<script\\>alert(1)\\</script\\>" in text
    assert "a\\<b\\>" in text and "boom\\|x" in text and "gbm \\$x\\$" in text
    for table in re.findall(r"(?:^\|.*\|$\n?)+", text, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.strip().splitlines()}
        assert len(widths) == 1, table  # an unescaped | would add a column to one row


def test_html_is_self_contained(hostile_run):
    page = (hostile_run / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, flags=re.I)
    assert "<link" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only the inline figures' own clip paths, by fragment
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    # the interactive figures are inline SVG whose hover texts escape what the data named
    titles = re.findall(r"<title>(.*?)</title>", page, flags=re.S)
    assert "<svg " in page and len(titles) > 1
    assert any("&lt;script&gt;" in t for t in titles) and not any("<" in t for t in titles)
    assert "<table>" in page and 'href="#s1"' in page  # tables and a table of contents


def test_markdown_figures_are_files(hostile_run):
    text = (hostile_run / "report.md").read_text()
    links = re.findall(r"!\[[^\n]*?\]\((figures/[^)]+)\)", text)
    assert len(links) >= 5 and len(set(links)) == len(links)
    for link in links:
        assert (hostile_run / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (hostile_run / "figures").iterdir()) == sorted(link[8:] for link in links)
    assert any(link.startswith("figures/regions-") for link in links)  # the 2-D file dataset
    assert any(link.startswith("figures/curves-") for link in links)  # sine1d


def test_failures_are_listed_with_their_message(hostile_run):
    for name in ("report.md", "report.html"):
        text = (hostile_run / name).read_text()
        assert "boom: this model always fails" in text
        assert "Failures" in text
    assert "second line of detail" not in (hostile_run / "report.md").read_text()  # one line per error


def test_metadata_block(hostile_run):
    text = (hostile_run / "report.md").read_text()
    for needle in ("**Suite:**", "**Date (UTC):**", "**Total time:**", "**Seeds:** 2: 0, 1", "**Machine:**",
                   "**Device:**", "**Versions:** Python", "numpy", "**Commit:**", "Models were not tuned",
                   "(defaults)", '{"n_estimators": 10}'):
        assert needle in text, needle
    versions = next(line for line in text.splitlines() if line.startswith("- **Versions:**"))
    assert "; boosting: lightgbm 4." in versions  # a family's distributions, under its name
    assert "torch" not in versions  # no MLP in this run


def test_single_seed_single_model(single_run):
    text = (single_run / "report.md").read_text()
    assert "±" not in text.split("## Dataset: moons")[1]
    assert "Only one family ran" in text and "nothing to rescale" in text
    assert (single_run / "report.html").is_file()


def test_html_can_be_skipped(single_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(single_run, copy)
    (copy / "report.html").unlink()
    assert write_report(copy, html=False) == copy / "report.md"
    assert not (copy / "report.html").exists()


# -- the suite's report module


def _with_report_module(source_dir, tmp_path, spec: str):
    copy = tmp_path / "results"
    shutil.copytree(source_dir, copy)
    with ResultStore(copy) as store:
        last = store.runs()[-1]
        store.start_run("with-hook", "2999-01-01T00:00:00+00:00", {**last["suite"], "report": spec}, last["meta"])
    return copy


def test_report_module_adds_sections(single_run, tmp_path, monkeypatch):
    (tmp_path / "lecture_hook.py").write_text(textwrap.dedent("""
        import matplotlib.pyplot as plt
        from familybench.reports import Figure, Section, html_text

        def sections(context):
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, 1], color=context.family_color("linear"))
            figure = Figure.from_matplotlib(fig, "lecture extra", alt="a line")
            n = len(context.results)
            return [Section("Lecture notes", markdown=f"{n} jobs seen", html=f"<p>{n} jobs seen</p>",
                            figures=(figure,)),
                    Section("Plain only", markdown="x < y")]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    directory = _with_report_module(single_run, tmp_path, "lecture_hook")
    write_report(directory)
    md, page = (directory / "report.md").read_text(), (directory / "report.html").read_text()
    assert "## Lecture notes" in md and "1 jobs seen" in md and "figures/lecture-extra.png" in md
    assert "Lecture notes</h2><p>1 jobs seen</p>" in page
    assert '<pre class="md">x &lt; y</pre>' in page  # Markdown-only section: shown escaped
    assert md.index("## Lecture notes") < md.index("## Dataset: moons")


def test_broken_report_module_does_not_lose_the_report(single_run, tmp_path):
    directory = _with_report_module(single_run, tmp_path, "no_such_module_xyz:sections")
    with pytest.warns(UserWarning, match="no_such_module_xyz"):
        write_report(directory)
    md = (directory / "report.md").read_text()
    assert "## Report module failed" in md and "ModuleNotFoundError" in md and "## Dataset: moons" in md


def test_cli_summary_still_works(hostile_run):
    from familybench.bench.results.store import load_results

    table = summary_table(load_results(hostile_run))
    assert set(table["dataset"]) == {HOSTILE_DATASET, "sine1d"}
    assert (table.loc[table["config"] == "boom|x", "n_ok"] == 0).all()



def test_store_without_run_metadata_and_a_timeout_only_dataset(tmp_path):
    timeouts = _results({"a": [None]}, dataset="only_timeouts")
    timeouts["status"], timeouts["task"], timeouts["error"] = "timeout", None, "stopped after the 5 s timeout"
    with ResultStore(tmp_path) as store:
        for record in pd.concat([_results({"a": [0.5, 0.6], "b": [0.7, None]}), timeouts]).to_dict("records"):
            store.write(record)
    write_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "no run metadata" in text and "stopped after the 5 s timeout" in text
    assert "| a | a | 2.00 | 1 | 0 | 0 | **1** |" in text  # the timeout counts as a failure in the ranks


def test_empty_store(tmp_path):
    ResultStore(tmp_path).close()
    write_report(tmp_path)
    assert "no finished jobs" in (tmp_path / "report.md").read_text()
    assert "no finished jobs" in (tmp_path / "report.html").read_text()


# -- statuses: counted once, displayed from the counts, never read back from the display


def _status_rows(config: str, statuses: list[str], dataset: str = "d") -> pd.DataFrame:
    rows = _results({config: [0.6 if s == "ok" else None for s in statuses]}, dataset=dataset)
    rows["status"] = statuses
    return rows


def test_summary_counts_jobs_per_status():
    results = pd.concat([_results({"a": [0.5, 0.7]}), _status_rows("mixed", ["ok", "timeout", "oom", "failed"])],
                        ignore_index=True)
    table = summary_table(results).set_index("config")
    counts = ["n_ok", "n_failed", "n_timeout", "n_oom", "n_skipped"]
    assert table.loc["mixed", counts].tolist() == [1, 1, 1, 1, 0]
    assert table.loc["a", counts].tolist() == [2, 0, 0, 0, 0]
    assert table.loc["mixed", "status"] == "ok 1 · failed 1 · timeout 1 · oom 1"  # the display, from the counts


def _row_cells(page: str, config: str, section: str = "Dataset: d") -> str:
    """The HTML of ``config``'s row in the table of the section titled ``section``."""
    body = re.search(rf"<h2>{section}</h2>(.*?)</section>", page, flags=re.S).group(1)
    rows = [r for r in re.findall(r"<tr>.*?</tr>", body, flags=re.S) if f"<td>{config}</td>" in r]
    assert len(rows) == 1, (config, rows)
    return rows[0]


def test_the_report_never_parses_the_status_display_text(tmp_path, monkeypatch):
    from familybench.reports import _tables

    results = pd.concat([
        _results({"good": [0.5, 0.7]}),
        _status_rows("slow", ["timeout", "failed"]),
        _status_rows("big", ["oom", "failed"]),
        _status_rows("broken", ["failed", "failed"]),
        _status_rows("half", ["ok", "failed"]),
    ], ignore_index=True)
    with ResultStore(tmp_path) as store:
        for record in results.to_dict("records"):
            store.write(record)
    # a display that names no status at all: what the report marks must come from the counts
    monkeypatch.setattr(_tables, "status_text", lambda counts: "shown to people")
    write_report(tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "shown to people" in page
    for config, why in (("slow", "timeout"), ("big", "oom"), ("broken", "failed")):
        cells = _row_cells(page, config)
        assert f'<td class="fail num">{why}</td>' in cells, cells
        assert '<td class="fail">shown to people</td>' in cells, cells
    half = _row_cells(page, "half")
    assert '<td class="fail">shown to people</td>' in half and "fail num" not in half
    assert '<td class="fail' not in _row_cells(page, "good")


# -- sections give what they produce; the writer writes it


def test_sections_return_their_files_and_the_writer_writes_them(single_run, tmp_path, monkeypatch):
    (tmp_path / "files_hook.py").write_text(textwrap.dedent("""
        from familybench.reports.sections import make_section, paragraph

        def sections(context):
            return [make_section("With files", [paragraph("{n} rows", n=len(context.results))],
                                 files={"rows.txt": f"{len(context.results)}\\n", "raw.bin": bytes([0, 1, 2])})]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    directory = _with_report_module(single_run, tmp_path, "files_hook")
    write_report(directory)
    assert (directory / "rows.txt").read_text() == "1\n"
    assert (directory / "raw.bin").read_bytes() == bytes([0, 1, 2])
    assert not list(directory.glob(".*.partial"))


def test_the_context_carries_no_section_output():
    from dataclasses import fields

    from familybench.reports import ReportContext

    assert "statistics_csv" not in {f.name for f in fields(ReportContext)}


@pytest.mark.parametrize("name", ["../escape.csv", "sub/x.csv", "report.html", "results.sqlite", ".hidden", ""])
def test_a_section_file_needs_a_plain_name(name):
    from familybench.reports import Section

    with pytest.raises(ValueError, match="plain file name"):
        Section("x", files={name: "data"})


def test_a_file_given_twice_is_written_once_with_a_warning(tmp_path):
    from familybench.reports._report import section_files
    from familybench.reports.sections import Section

    first, second = Section("a", files={"x.csv": "first"}), Section("b", files={"x.csv": "second"})
    with pytest.warns(UserWarning, match="x.csv"):
        assert section_files([first, second]) == {"x.csv": "first"}


def test_the_old_sections_module_still_gives_its_names_with_a_warning():
    from familybench.reports import sections

    with pytest.warns(DeprecationWarning, match="familybench.reports.sections"):
        from familybench.reports._sections import Section
    assert Section is sections.Section
