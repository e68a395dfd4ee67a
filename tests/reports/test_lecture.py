"""The lecture study: every claim's sentence is computed, and flips with contrary numbers."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from familybench.bench.plan.jobs import expand
from familybench.bench.suite.spec import load_suite
from familybench.reports.lecture import _claims as claims


def test_linear_gap_sentence_flips():
    behind = pd.DataFrame({"moons": [0.80, 0.99], "xor": [0.50, 0.98]}, index=["linear", "mlp"])
    level = pd.DataFrame({"moons": [0.97, 0.99], "xor": [0.97, 0.98]}, index=["linear", "mlp"])
    assert "trails the best family by more than 0.05 ROC AUC on 2 of 2" in claims.linear_gap_sentence(behind)
    assert "widest gap is on xor" in claims.linear_gap_sentence(behind)
    assert "stays within 0.05" in claims.linear_gap_sentence(level)


def _poly(r2, refused_at=None):
    rows = []
    for degree, score in zip([1, 2, 3], r2, strict=True):
        refused = "ValueError: too many" if refused_at == degree else None
        rows.append({"d": 10, "degree": degree, "formula": math.comb(10 + degree, degree) - 1,
                     "features": math.nan if refused else math.comb(10 + degree, degree) - 1,
                     "fit_seconds": 0.01 * degree**2, "peak_mb": 1.0, "test_r2": math.nan if refused else score,
                     "refused": refused})
    return pd.DataFrame(rows)


def test_polynomial_sentence_flips_on_best_degree_and_cap():
    rising = claims.polynomial_sentence(_poly([0.7, 0.8, 0.9]))
    assert "the highest degree was still the best" in rising and "No expansion in this run reached the feature cap" in rising
    peaked = claims.polynomial_sentence(_poly([0.7, 0.9, 0.8]))
    assert "the best degree was 2" in peaked
    capped = claims.polynomial_sentence(_poly([0.7, 0.9, 0.0], refused_at=3))
    assert "The cap refused degree 3 at d = 10 (285 features)" in capped
    assert "multiplied the features by 6×" in capped  # 10 -> 65


def test_collapse_sentence_flips():
    same = claims.collapse_sentence(0.760, 0.755, 0.93, 0.01)
    assert "its layers collapse into one linear map" in same and "Adding ReLU changes that" in same
    apart = claims.collapse_sentence(0.760, 0.60, 0.70, 0.3)
    assert "has not converged" in apart and "Adding ReLU did not help" in apart


def test_activation_sentence_flips_on_identity():
    last = pd.DataFrame({"spirals": [0.6, 0.95, 0.9]}, index=["identity", "relu", "tanh"])
    assert "identity (no nonlinearity) is last everywhere" in claims.activation_sentence(last)
    not_last = pd.DataFrame({"spirals": [0.92, 0.95, 0.9]}, index=["identity", "relu", "tanh"])
    assert "The identity is nowhere last" in claims.activation_sentence(not_last)


def test_handmade_sentence_flips():
    good = claims.handmade_sentence(1.0, [0.99, 0.5, 0.985, 0.7, 0.6])
    assert "perfectly (100%)" in good and "reaches 98% at best (99.0%); 2 of 5 seeds" in good
    bad = claims.handmade_sentence(0.93, [0.7, 0.6])
    assert "not 100%" in bad and "does not reach 98%" in bad and "0 of 2 seeds" in bad


def test_params_sentence_checks_the_formula_and_states_the_lectures_example():
    assert claims.mlp_formula(10, [64, 64]) == 11 * 64 + 65 * 64 + 65
    ok = pd.DataFrame({"config": ["mlp", "linear"], "n_params": [5000.0, 11.0], "formula": [5000.0, math.nan]})
    text = claims.params_sentence(ok)
    assert "1,000,001,000" in text and "All 1 MLP counts checked equal" in text
    wrong = ok.assign(formula=[4999.0, math.nan])
    assert "1 MLP count(s) differ" in claims.params_sentence(wrong)


def test_approximation_and_training_sentences_flip():
    falling = pd.DataFrame({"sine1d": [0.5, 0.3, 0.1]}, index=[1, 4, 64])
    assert "RMSE fell from 0.500 at width 1 to 0.100 at 64 (steadily)" in claims.approximation_sentence(falling)
    flat = pd.DataFrame({"sine1d": [0.3, 0.1, 0.4]}, index=[1, 4, 64])
    assert "did not fall" in claims.approximation_sentence(flat)
    fragile = pd.DataFrame({"min": [0.1, 0.8], "max": [0.9, 0.95]}, index=["0.3", "0.003"])
    assert "it is hard to train" in claims.training_sentence(fragile)
    stable = pd.DataFrame({"min": [0.9, 0.91], "max": [0.93, 0.95]}, index=["0.3", "0.003"])
    assert "training was not fragile" in claims.training_sentence(stable)


def test_tabular_and_learning_curve_sentences_flip():
    families = {"lightgbm": "boosting", "mlp": "mlp"}
    wins = pd.DataFrame({"a": [0.9, 0.8], "b": [0.9, 0.7]}, index=["lightgbm", "mlp"])
    assert claims.tabular_sentence(wins, families) == "Gradient boosting is best on all 2 real tables."
    loses = pd.DataFrame({"a": [0.7, 0.8], "b": [0.6, 0.7]}, index=["lightgbm", "mlp"])
    assert "best on none of the 2" in claims.tabular_sentence(loses, families)
    curves = pd.DataFrame({"linear": [0.9, 0.92], "mlp": [0.5, 0.99]}, index=[100, 3000])
    text = claims.learning_curve_sentence(curves)
    assert "With 100 training rows the best family is linear" in text and "with 3,000 it is mlp" in text
    assert "mlp gains the most" in text


def test_grid_value_parses_config_labels():
    assert claims.grid_value("act[activation=leaky_relu]", "activation") == "leaky_relu"
    assert claims.grid_value("width[hidden_layer_sizes=[16]]", "hidden_layer_sizes") == "[16"
    assert claims.grid_value("linear", "degree") is None


def test_lecture_suite_covers_every_claim_and_fast_is_smaller():
    suite = load_suite("lecture")
    names = {m.config.split("[")[0] for m in suite.models}
    assert {"linear", "poly", "lightgbm", "mlp", "poly_degree", "mlp_identity", "act", "handmade", "mlp2",
            "width", "width_lr", "curve", "curve_mlp", "mlp_lr", "realmlp"} <= names
    assert suite.report == "familybench.reports.lecture"
    assert len({m.config for m in suite.models if m.config.startswith("act[")}) == 11
    mlp2 = next(m for m in suite.models if m.config == "mlp2")
    assert mlp2.seeds == (0, 1, 2, 3, 4)
    assert len(expand(load_suite("lecture", fast=True))) < len(expand(suite)) / 1.5


def _modern(realmlp: dict[str, float], fit_seconds: float = 10.0):
    """Two tables: the plain MLP at lr 0.01 scores 0.80/0.82, at 0.001 0.60/0.70 (seeds 0, 1)."""
    import pandas as pd

    plain = pd.DataFrame([{"dataset": d, "lr": lr, "seed": seed, "score": score, "fit_seconds": 1.0}
                          for d in ("t1", "t2")
                          for lr, scores in ((0.001, (0.60, 0.70)), (0.01, (0.80, 0.82)))
                          for seed, score in enumerate(scores)])
    modern = pd.DataFrame([{"dataset": d, "seed": seed, "score": realmlp[d] + 0.01 * seed, "fit_seconds": fit_seconds}
                           for d in ("t1", "t2") for seed in (0, 1)])
    return claims.modern_mlp_table(plain, modern)


def test_the_modern_mlp_sentence_says_what_the_numbers_say():
    import pandas as pd

    table = _modern({"t1": 0.90, "t2": 0.95})
    assert table.loc["t1", "plain best lr"] == 0.01 and table.loc["t1", "plain at best lr"] == pytest.approx(0.81)
    ahead = claims.modern_mlp_sentence(table, n_lrs=2, n_seeds=2)
    assert "moved by up to 0.220 across 2 learning rates × 2 seeds" in ahead
    assert "by at most 0.010 across seeds" in ahead
    assert "beat even the plain MLP's best learning rate" in ahead and "on all 2 (t1 +0.095, t2 +0.145)" in ahead
    assert "10.0× the plain MLP's time" in ahead
    behind = claims.modern_mlp_sentence(_modern({"t1": 0.5, "t2": 0.6}), n_lrs=2, n_seeds=2)
    assert "stayed below the plain MLP's best learning rate on all 2" in behind and "no counterpoint" in behind
    mixed = claims.modern_mlp_sentence(_modern({"t1": 0.9, "t2": 0.806}), n_lrs=2, n_seeds=2)
    assert "above on 1 (t1 +0.095), level (within 0.005) on 1" in mixed
    assert claims.modern_mlp_sentence(claims.modern_mlp_table(pd.DataFrame(), pd.DataFrame()), 0, 0).startswith(
        "Not measured in this run")


@pytest.mark.slow
def test_lecture_fast_runs_and_reports_every_claim(tmp_path):
    from familybench.bench.run.driver import run

    run(suite="lecture", fast=True, out=tmp_path, jobs=2, progress=False)
    report = (tmp_path / "report.md").read_text()
    for number in range(1, 10):
        assert f"## {number}. " in report
    assert "Not measured in this run" not in report
    assert "1,000,001,000" in report
    # The wedge figure draws the best-trained mlp2 seed, so every seed keeps its grid and lines.
    from familybench.bench.results.store import ResultStore, load_results

    frame = load_results(tmp_path)
    with ResultStore(tmp_path) as store:
        grids, lines = store.artefacts("grid"), store.artefacts("first_layer")
    mlp2 = frame.loc[frame["config"] == "mlp2", "job_key"]
    assert len(mlp2) == 5 and all(key in grids and lines[key]["weights"].shape == (2, 2) for key in mlp2)
    assert "z1 = −2x1 + x2 + 5, z2 = 2x1 + x2 − 5" in report  # the hand-made weights, as the model stored them


@pytest.mark.e2e
def test_a_partial_lecture_run_reports_what_it_measured(tmp_path):
    from familybench.bench.run.driver import run

    run(suite="lecture", fast=True, models=["handmade", "linear", "lightgbm"], datasets=["wedge", "moons", "xor"],
        out=tmp_path, executor="serial", progress=False)
    report = (tmp_path / "report.md").read_text()
    assert "## 5. The hand-made network" in report
    assert "perfectly (100%)" in report
    assert re.search(r"on [12] of 2 nonlinear datasets; the widest gap is on xor", report)
    assert "Not measured in this run" in report  # e.g. the activation table
    assert "Report module failed" not in report
    html = (tmp_path / "report.html").read_text()
    assert "1. Linear models miss nonlinear patterns" in html


def test_the_report_reads_the_lecture_suites_names_from_one_module():
    from familybench.reports.lecture import _names as names

    suite = load_suite("lecture")
    bases = {m.base for m in suite.models}
    assert set(names.CONFIGS) <= bases, set(names.CONFIGS) - bases
    assert set(names.DATASETS) <= {d.name for d in suite.datasets}
    assert names.grid_configs([m.config for m in suite.models], names.ACTIVATION_GRID)[0] == "act[activation=identity]"
