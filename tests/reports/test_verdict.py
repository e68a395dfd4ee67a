"""The verdict and the quality-against-cost section (issue 24): sentences computed from the run,
the Pareto front and Elo of the report checked against an independent computation from the
stored rows."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from familybench.bench.results.select import normalised_scores, select_best
from familybench.bench.results.store import load_results
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite
from familybench.reports import write_report
from familybench.reports._statistics import corrected_ttest


def test_the_corrected_t_test_is_the_paired_t_test_without_overlap_and_more_cautious_with_it():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.02, 10), rng.normal(0.78, 0.02, 10)
    t, p = corrected_ttest(a - b, 0.0)
    plain = stats.ttest_rel(a, b)
    assert t == pytest.approx(plain.statistic) and p == pytest.approx(plain.pvalue)
    _, corrected = corrected_ttest(a - b, 0.25)  # 5-fold: test rows are a quarter of the training rows
    assert corrected > p
    assert corrected_ttest([0.1], 0.25)[1] != corrected_ttest([0.1], 0.25)[1]  # NaN: one split tests nothing
    assert corrected_ttest([0.0, 0.0, 0.0], 0.25) == (0.0, 1.0)


@pytest.fixture(scope="module")
def one_table(tmp_path_factory):
    """One table, three configs over 3 folds x 2 seeds: an untuned run, as a practitioner's."""
    out = tmp_path_factory.mktemp("verdict")
    suite = parse_suite({
        "seeds": 2, "split": {"kfold": 3},
        "datasets": {"friedman1": {"n_samples": 240}},
        "models": {"gbm": {"model": "lightgbm", "params": {"n_estimators": 40}}, "linear": {}, "poly": {}},
    })
    execute(suite, out, executor="serial")
    write_report(out)
    return out


def _verdict(directory) -> str:
    text = (directory / "report.md").read_text()
    return text.split("## Verdict")[1].split("\n## ")[0]


@pytest.mark.e2e
def test_the_report_opens_with_a_verdict_computed_from_the_run(one_table):
    text = (one_table / "report.md").read_text()
    assert text.index("## Verdict") < text.index("## Run")  # the first section
    verdict = _verdict(one_table)
    rows = select_best(load_results(one_table))
    means = rows.groupby("config")["test_r2"].mean().sort_values(ascending=False)
    first, second = means.index[:2]
    best = re.search(r"\*\*Best config:\*\* (\S+) (\(\w+\) )?— test r2 ([0-9.]+), mean over 6 splits, ahead of "
                     r"(\S+) \(test r2 ([0-9.]+)\); the lead is (not )?significant \(corrected resampled t-test "
                     r"over 6 paired splits, p = ([0-9.<]+)\)", verdict)
    assert best, verdict
    assert (best[1], best[4]) == (first, second)
    assert float(best[3]) == pytest.approx(means[first], abs=1e-4)
    pairs = rows.pivot_table(index=["seed", "fold"], columns="config", values="test_r2")
    n_test, n_train = rows["n_test"].median(), rows["n_train"].median()
    _, p = corrected_ttest(pairs[first] - pairs[second], n_test / n_train)
    assert (best[6] is None) == (p < 0.05)
    # within cost: the default budget is 10x the fastest fit, per 1,000 training rows
    per_1k = (rows["fit_seconds"] / rows["n_train"] * 1000).groupby(rows["config"]).median()
    fastest = per_1k.idxmin()
    assert f"within 10× the fastest fit ({fastest}: " in verdict
    inside = per_1k[per_1k <= 10 * per_1k.min()].index
    chosen = re.search(r"\*\*Best within cost:\*\* .*?\): (\S+) — ", verdict)[1]
    assert chosen == means[means.index.isin(inside)].index[0]
    # no validation predictions in an untuned run: no portfolio, and the report says why
    assert "**Portfolio:** not computed: this run has no validation predictions" in verdict


@pytest.mark.e2e
def test_cost_limits_change_the_best_within_cost(one_table, tmp_path):
    write_report(one_table, out=tmp_path / "tight", cost_limits={"max_fit_seconds_per_1k": 1e-9})
    assert "no config stays within fit ≤ " in _verdict(tmp_path / "tight")
    write_report(one_table, out=tmp_path / "loose",
                 cost_limits={"max_fit_seconds_per_1k": 1e9, "max_predict_ms_per_row": 1e9})
    loose = _verdict(tmp_path / "loose")
    assert "within fit ≤ " in loose and "predict ≤ " in loose and "it is also the best overall." in loose


@pytest.mark.e2e
def test_the_quality_against_cost_section_has_its_front_and_hover_texts(one_table):
    text = (one_table / "report.md").read_text()
    section = text.split("### Quality against cost")[1].split("\n### ")[0]
    assert "Times were measured on " in section and "thread(s) each" in section
    rows = select_best(load_results(one_table))
    rows = rows.assign(normalised=normalised_scores(rows, load_results(one_table)))
    points = rows.groupby("config").agg(cost=("fit_seconds", lambda s: np.nan), quality=("normalised", "mean"))
    points["cost"] = (rows["fit_seconds"] / rows["n_train"] * 1000).groupby(rows["config"]).median()
    # independent: a config is on the fit-time front when nothing is both as cheap and as good, one strictly
    on_front = {c for c in points.index if not any(
        (points.loc[o, "cost"] <= points.loc[c, "cost"]) and (points.loc[o, "quality"] >= points.loc[c, "quality"])
        and ((points.loc[o, "cost"] < points.loc[c, "cost"]) or (points.loc[o, "quality"] > points.loc[c, "quality"]))
        for o in points.index)}
    table = [line.split("|") for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert {cells[1].strip() for cells in table} == set(points.index)  # every model, its fronts named
    shown = {cells[1].strip() for cells in table if "fit" in cells[-2]}
    assert shown == on_front
    page = (one_table / "report.html").read_text()
    titles = re.findall(r"<title>(.*?)</title>", page, flags=re.S)
    assert any(t.startswith("gbm\nfamily: boosting") and "s per 1,000 training rows" in t for t in titles)
    assert "figures/quality-vs-cost.png" in text  # the Markdown report keeps a static figure


@pytest.mark.e2e
def test_elo_in_a_report_matches_one_computed_from_the_stored_rows(tmp_path):
    """Two datasets: the report's Elo of each config equals familybench.elo on the selected rows."""
    import familybench

    suite = parse_suite({"seeds": 1, "datasets": {"friedman1": {"n_samples": 150}, "sine1d": {"n_samples": 150},
                                                  "moons": {"n_samples": 150}},
                         "models": {"gbm": {"model": "lightgbm", "params": {"n_estimators": 20}}, "linear": {},
                                    "poly": {}}})
    execute(suite, tmp_path, executor="serial")
    write_report(tmp_path)
    rows = familybench.select_best(familybench.load_results(tmp_path))
    rated = familybench.elo(rows.assign(normalised=normalised_scores(rows, rows)), anchor="linear")
    verdict = _verdict(tmp_path)
    leader = rated.iloc[0]
    assert f"**Best config:** {leader['config']} " in verdict
    assert f"Elo {leader['elo']:.0f} (95 % interval {leader['elo_low']:.0f}–{leader['elo_high']:.0f})" in verdict
    assert rated.set_index("config").loc["linear", "elo"] == pytest.approx(1000)
    front = familybench.pareto_front(rows, cost="n_params")
    assert isinstance(front, pd.DataFrame) and set(front["config"]) <= {"gbm", "linear", "poly"}
