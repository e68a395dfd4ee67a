"""The report's protocols section: default, tuned and tuned + ensembled side by side (issue 23)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from familybench.reports._protocols_section import lead_sentence, moves_sentence, portfolio_sentence


def test_the_moves_sentence_names_every_config_that_changes_place():
    table = pd.DataFrame({"rank, default": [1.2, 2.0, 2.8], "rank, tuned": [2.1, 1.1, 2.8],
                          "rank, tuned + ensembled": [2.1, 1.1, 2.8]}, index=["gbm", "realmlp", "linear"])
    text = moves_sentence(table)
    assert "From default to tuned, gbm moves from 1st to 2nd; realmlp moves from 2nd to 1st." in text
    assert "From tuned to tuned + ensembled, the order of the configs stays the same." in text
    assert moves_sentence(table[["rank, tuned"]]) == ""
    same = table.assign(**{"rank, tuned": table["rank, default"], "rank, tuned + ensembled": table["rank, default"]})
    assert moves_sentence(same) == "The configs keep their order under all 3 protocols."


def _rows(lead: float, n: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"protocol": "ensembled", "dataset": f"d{i}", "config": c,
                          "normalised": 0.5 + (lead if c == "a" else 0.0) + rng.normal(0, 0.05)}
                         for i in range(n) for c in ("a", "b")])


def test_the_lead_sentence_says_significant_only_when_it_is():
    assert "the lead is significant" in lead_sentence(_rows(0.3), "ensembled")
    level = lead_sentence(_rows(0.0, seed=3), "ensembled")
    assert "the lead is not significant" in level
    assert "too few to test" in lead_sentence(_rows(0.3, n=4), "ensembled")


def _family_rows(portfolio: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [{"protocol": "ensembled", "config": c, "dataset": d, "normalised": v, "ensemble_members": m}
            for d in ("d1", "d2")
            for c, v, m in (("boosting", 0.9, None), ("mlp", 0.7, None),
                            ("portfolio", portfolio, '{"k_gbm": 0.75, "k_mlp": 0.25}'))]
    results = pd.DataFrame({"job_key": ["k_gbm", "k_mlp"], "family": ["boosting", "mlp"]})
    return pd.DataFrame(rows), results


def test_the_portfolio_sentence_flips_with_the_numbers():
    gain = portfolio_sentence(*_family_rows(0.95))
    assert "reaches a mean normalised score of 0.95: it adds +0.050 over the best family ensemble (boosting" in gain
    assert "Its weight goes to boosting 75%, mlp 25%." in gain
    assert "matches the best family ensemble (boosting, 0.90)" in portfolio_sentence(*_family_rows(0.9))
    assert "falls 0.100 short of the best family ensemble" in portfolio_sentence(*_family_rows(0.8))
    rows, results = _family_rows(0.95)
    assert portfolio_sentence(rows[rows["config"] != "mlp"], results) == ""  # one family: nothing to combine


@pytest.mark.e2e
def test_a_tuned_run_reports_its_protocols_and_a_run_without_predictions_does_not(tmp_path):
    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import parse_suite
    from familybench.reports import write_report

    suite = {"seeds": 1, "tune": {"trials": 3, "validation": 0.25},
             "datasets": {"moons": {"n_samples": 160}, "friedman1": {"n_samples": 160}},
             "models": {"gbm": {"model": "lightgbm", "params": {"n_estimators": 10}},
                        "gbm_deep": {"model": "lightgbm", "params": {"n_estimators": 20, "num_leaves": 63}},
                        "poly": {}}}
    execute(parse_suite(suite), tmp_path / "on", executor="serial")
    write_report(tmp_path / "on")
    text = (tmp_path / "on" / "report.md").read_text()
    section = text.split("### Protocols: default, tuned, tuned + ensembled")[1].split("\n## ")[0]
    assert "| config | family | score, default | score, tuned | score, tuned + ensembled |" in section
    assert "| gbm | boosting |" in section and "| poly | polynomial |" in section
    # the families: boosting has two members; the portfolio is scored but not ranked
    assert "| family | score, default | score, tuned | score, tuned + ensembled | rank, default |" in section
    assert "| boosting |" in section and "| polynomial |" in section
    portfolio = next(line for line in section.splitlines() if line.startswith("| portfolio |"))
    assert portfolio.endswith("| – | – | – |")
    assert "A portfolio ensemble over every family's trials reaches a mean normalised score of" in section
    assert "boosting" in section.split("Its weight goes to")[1].split("\n")[0]
    # the verdict's portfolio line reads the same scale as this section
    verdict = text.split("## Verdict")[1].split("\n## ")[0]
    said = float(re.search(r"\*\*Portfolio:\*\* .* scores ([0-9.]+) in mean normalised score", verdict)[1])
    assert f"{said:.2f}" == portfolio.split("|")[-5].strip()
    assert "too few to test whether the lead is significant" in section
    assert "one holdout of the training rows (25%)" in section
    execute(parse_suite({**suite, "predictions": False}), tmp_path / "off", executor="serial")
    write_report(tmp_path / "off")
    assert "Protocols:" not in (tmp_path / "off" / "report.md").read_text()


@pytest.mark.slow  # three reports of one run: CI runs it in a step of its own
def test_the_report_can_rank_any_protocol(tmp_path):
    from familybench.bench.run.driver import execute
    from familybench.bench.suite.spec import parse_suite
    from familybench.cli import main

    suite = {"seeds": 1, "tune": {"trials": 3, "validation": 0.25},
             "datasets": {"moons": {"n_samples": 160}, "friedman1": {"n_samples": 160}},
             "models": {"gbm": {"model": "lightgbm", "params": {"n_estimators": 10}}, "poly": {}}}
    execute(parse_suite(suite), tmp_path / "run", executor="serial")
    texts = {}
    for protocol in ("default", "tuned", "ensembled"):
        assert main(["report", str(tmp_path / "run"), "--out", str(tmp_path / protocol), "--protocol", protocol]) == 0
        texts[protocol] = (tmp_path / protocol / "report.md").read_text()
    assert "post-hoc ensemble of trials (weights chosen on validation" in texts["ensembled"]
    assert "represented by its defaults (trial 0)" in texts["default"]
    assert "tuning trial chosen on validation rows" in texts["tuned"]
    assert "This report ranks and tests each config's post-hoc ensemble" in texts["ensembled"]
    # the protocols section is the same whichever rows the report ranks
    section = [t.split("### Protocols")[1].split("\n### ")[0] for t in texts.values()]
    assert section[0] == section[1] == section[2]
    plain = parse_suite({"datasets": {"moons": {"n_samples": 120}}, "models": ["linear"]})
    execute(plain, tmp_path / "plain", executor="serial")
    assert main(["report", str(tmp_path / "plain"), "--out", str(tmp_path / "p"), "--protocol", "ensembled"]) == 2
