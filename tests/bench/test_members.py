"""Families as groups of members: the member is chosen on validation, never on test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from familybench.bench.results.members import has_members, select_members


def _row(config, family, seed, valid, test, status="ok", dataset="d"):
    return {"config": config, "family": family, "dataset": dataset, "seed": seed, "fold": 0, "train_size": np.nan,
            "task": "regression", "status": status, "valid_r2": valid, "test_r2": test}


def test_the_member_with_the_best_validation_score_stands_for_the_family_whatever_its_test_score():
    rows = pd.DataFrame([
        _row("lightgbm", "boosting", 0, valid=0.80, test=0.70),
        _row("catboost", "boosting", 0, valid=0.75, test=0.99),  # better on test: must not matter
        _row("lightgbm", "boosting", 1, valid=0.70, test=0.71),
        _row("catboost", "boosting", 1, valid=0.90, test=0.60),
        _row("mlp", "mlp", 0, valid=np.nan, test=0.5),  # one member: no choice needed
        _row("mlp", "mlp", 1, valid=np.nan, test=0.6),
    ])
    result = select_members(rows)
    chosen = result.rows.set_index(["family", "seed"])["member"].to_dict()
    assert chosen == {("boosting", 0): "lightgbm", ("boosting", 1): "catboost", ("mlp", 0): "mlp", ("mlp", 1): "mlp"}
    boosting = result.rows[result.rows["family"] == "boosting"].set_index("seed")
    assert boosting["test_r2"].to_dict() == {0: 0.70, 1: 0.60}  # the chosen member's test score, as it is
    assert set(result.rows["config"]) == {"boosting", "mlp"} and result.unchosen == 0
    assert (rows.loc[result.rows.index, "config"] == result.rows["member"]).all()  # indices kept
    counts = result.chosen_counts()
    assert counts[counts["family"] == "boosting"][["member", "chosen", "of"]].values.tolist() == [
        ["catboost", 1, 2], ["lightgbm", 1, 2]]


def test_without_validation_scores_several_members_are_not_chosen_on_test():
    rows = pd.DataFrame([_row("lightgbm", "boosting", 0, np.nan, 0.7), _row("catboost", "boosting", 0, np.nan, 0.9)])
    result = select_members(rows)
    assert result.rows.empty and result.unchosen == 1
    # the suite's order, fixed before any score is seen, may decide instead
    ordered = select_members(rows, order=["catboost", "lightgbm"])
    assert list(ordered.rows["member"]) == ["catboost"] and ordered.by_order == 1 and ordered.unchosen == 0
    assert list(select_members(rows, order=["lightgbm", "catboost"]).rows["member"]) == ["lightgbm"]


def test_a_failed_member_loses_and_a_family_that_failed_everywhere_keeps_a_failed_row():
    rows = pd.DataFrame([
        _row("lightgbm", "boosting", 0, 0.5, 0.5), _row("catboost", "boosting", 0, np.nan, np.nan, status="failed"),
        _row("realmlp", "mlp", 0, np.nan, np.nan, status="failed"), _row("tabm", "mlp", 0, np.nan, np.nan, "timeout"),
    ])
    result = select_members(rows).rows.set_index("family")
    assert result.loc["boosting", "member"] == "lightgbm"
    assert result.loc["mlp", "status"] != "ok"


def test_has_members():
    assert has_members(pd.DataFrame([_row("a", "f", 0, 1, 1), _row("b", "f", 0, 1, 1)]))
    assert not has_members(pd.DataFrame([_row("a", "f", 0, 1, 1), _row("b", "g", 0, 1, 1)]))


@pytest.mark.e2e
def test_a_report_shows_which_member_stood_for_its_family(tmp_path):
    from familybench.bench.run.driver import execute
    from familybench.bench.suite import parse_suite
    from familybench.reports import write_report
    from familybench.reports._context import load_context
    from familybench.reports._statistics_section import context_members, family_scores

    suite = parse_suite({
        "seeds": 2, "tune": {"trials": 1},
        "datasets": {"moons": {"n_samples": 120}, "circles": {"n_samples": 120}},
        "models": {"linear": {}, "lightgbm": {"model": "lightgbm", "params": {"n_estimators": 20}},
                   "hist_gbm": {"model": "hist_gbm", "params": {"max_iter": 20}}},
    })
    execute(suite, tmp_path, executor="serial")
    write_report(tmp_path)
    context = load_context(tmp_path)
    members = context_members(context)
    boosting = members.rows[members.rows["family"] == "boosting"]
    assert len(boosting) == 4 and members.by_order == 0  # 2 datasets x 2 seeds, chosen on validation
    # each choice is the member with the better validation score in its group
    for _, row in boosting.iterrows():
        group = context.results[(context.results["family"] == "boosting") & (context.results["dataset"] == row["dataset"])
                                & (context.results["seed"] == row["seed"])]
        assert row["valid_roc_auc"] == group["valid_roc_auc"].max()
    scores = family_scores(context, members)
    assert set(scores["family"]) == {"boosting", "linear"} and len(scores) == 4
    text = (tmp_path / "report.md").read_text()
    assert "## " in text and "Families and their members" in text
    counts = members.chosen_counts()
    counts = counts[counts["family"] == "boosting"]  # linear has one member: not listed
    assert counts["chosen"].sum() == 4 and set(counts["member"]) == {"lightgbm", "hist_gbm"}  # 0 of 4 listed too
    for member, chosen in zip(counts["member"], counts["chosen"], strict=True):
        assert f"| boosting | {member} | {chosen} of 4 |" in text
    assert "| linear |" not in text.split("Families and their members")[1].split("##")[0]
    assert "the families are compared through their members" in text  # the statistics say how
    # one trial per config: no budget curve to draw, a sentence says why and how to tune
    assert "Every config ran one trial, its defaults" in text and "budget-curves.png" not in text
    # win / tie / loss between families: the same per-seed members
    wtl = text.split("### Families: win / tie / loss")[1].split("\n### ")[0]
    assert "represented, per dataset, seed and fold, by its member with the best validation score" in wtl
    assert "| boosting | — |" in wtl and "| linear |" in wtl
