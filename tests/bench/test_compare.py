"""The regression gate: quiet on identical runs, loud on slower or worse configs."""

from __future__ import annotations

import pytest

from familybench._errors import FamilybenchError
from familybench.bench.compare.evidence import PairEvidence, environment_differences, time_evidence
from familybench.bench.compare.policy import decide, time_verdict
from familybench.bench.compare.read import CompareSettings, compare_runs
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite
from familybench.cli import main

DATA = {"sine1d": {"n_samples": 300}, "moons": {"n_samples": 300}}


def _run(out, models, seeds=6, **extra):
    # 6 seeds, each fit timed 3 times (the median counts): a stall of a loaded machine
    # (seen: 1.2 s for a 4 ms fit) cannot mask or fake a slowdown
    suite = parse_suite({"seeds": seeds, "repeats": 3, "datasets": DATA, "models": models, **extra},
                        source="<test>")
    execute(suite, out, executor="serial")
    return out


GBM = {"model": "lightgbm", "params": {"n_estimators": 20}}
MLP = {"model": "mlp", "params": {"hidden_layer_sizes": [16], "max_epochs": 60, "lr": 0.01}}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("base"), {"gbm": GBM, "mlp": MLP, "linear": {}})


@pytest.mark.e2e
def test_identical_runs_do_not_flag(baseline, tmp_path):
    current = _run(tmp_path / "cur", {"gbm": GBM, "mlp": MLP, "linear": {}})
    result = compare_runs(baseline, current)
    assert result.regressions == [], result.markdown()
    assert len(result.rows) == 6
    assert result.markdown().startswith("**✅ familybench compare: no regression in 6")
    assert all(abs(r.change) < 1e-12 for r in result.rows)  # same seeds, same scores


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
@pytest.mark.e2e
def test_a_slowed_config_is_flagged_as_slower(baseline, tmp_path):
    slow = {"model": "lightgbm", "params": {"n_estimators": 600}}  # same name, 30x the trees
    current = _run(tmp_path / "cur", {"gbm": slow, "mlp": MLP, "linear": {}})
    result = compare_runs(baseline, current)
    flagged = {(r.config, r.dataset) for r in result.regressions}
    # on 1-D sine1d LightGBM runs out of splits and stops early, so only moons is certain
    assert ("gbm", "moons") in flagged
    assert sorted(r.dataset for r in result.rows if r.config == "linear") == ["moons", "sine1d"]
    assert not any(r.config in ("linear",) for r in result.regressions)
    row = next(r for r in result.rows if r.config == "gbm" and r.dataset == "moons")
    assert row.fit.regression and row.fit.ratio > 3 and row.fit.p_value < 0.01
    assert not row.fit.improvement
    assert "fit ×" in result.verdict() and "▼" in result.markdown()


@pytest.mark.e2e
def test_a_worse_config_is_flagged_in_the_right_direction(baseline, tmp_path):
    worse = {"model": "mlp", "params": {"hidden_layer_sizes": [16], "max_epochs": 1, "lr": 0.01}}
    current = _run(tmp_path / "cur", {"gbm": GBM, "mlp": worse, "linear": {}})
    result = compare_runs(baseline, current)
    rows = {(r.config, r.dataset): r for r in result.rows}
    assert rows[("mlp", "sine1d")].quality_regression and rows[("mlp", "sine1d")].change < 0
    assert not rows[("mlp", "sine1d")].quality_improvement
    assert "r2 down" in result.verdict()
    # and the other way round it is an improvement, not a regression
    reverse = compare_runs(current, baseline)
    back = {(r.config, r.dataset): r for r in reverse.rows}[("mlp", "sine1d")]
    assert back.quality_improvement and not back.quality_regression


@pytest.mark.e2e
def test_a_config_that_now_fails_is_a_regression(baseline, tmp_path):
    current = _run(tmp_path / "cur", {"gbm": GBM, "mlp": MLP, "linear": {"model": "badmodels:Boom"}},
                   )
    result = compare_runs(baseline, current)
    row = next(r for r in result.regressions if r.config == "linear")
    assert row.status_regression.startswith("now failed (6/6): RuntimeError: boom")
    import math

    assert math.isfinite(row.baseline) and math.isnan(row.current)  # what it scored before is still shown


@pytest.mark.e2e
def test_thresholds_come_from_the_suite(baseline, tmp_path):
    slow = {"model": "lightgbm", "params": {"n_estimators": 200}, "compare": {"fit_seconds": 1e9, "predict_seconds": 1e9}}
    current = _run(tmp_path / "cur", {"gbm": slow, "mlp": MLP, "linear": {}})
    result = compare_runs(baseline, current)
    gbm = {r.dataset: r for r in result.rows if r.config == "gbm"}
    assert sorted(gbm) == ["moons", "sine1d"], result.markdown()  # compared: quiet, not left out
    assert all(r.fit.threshold == r.predict.threshold == 1e9 for r in gbm.values())  # the suite's
    others = [r for r in result.rows if r.config != "gbm"]
    assert len(others) == 4 and all(r.fit.threshold < 1e9 for r in others)  # the others keep the default
    assert not [r for r in result.regressions if r.config == "gbm"]


def _time_change(base, cur, threshold, alpha, base_samples=None, cur_samples=None):
    return time_verdict(time_evidence(base, cur, base_samples, cur_samples), threshold,
                        CompareSettings(p_value=alpha))


def test_time_rule_needs_both_threshold_and_significance():
    import numpy as np

    base = np.array([1.0, 1.0, 1.0, 1.0])
    noisy = _time_change(base, np.array([1.9, 0.8, 1.7, 0.9]), 0.3, 0.01)
    assert noisy.ratio > 1.2 and not noisy.regression  # big but noisy: quiet
    small = _time_change(base, np.array([1.05, 1.05, 1.06, 1.05]), 0.3, 0.01)
    assert small.p_value < 0.01 and not small.regression  # significant but small: quiet
    single = _time_change(np.array([1.0]), np.array([5.0]), 0.3, 0.01)
    assert not single.regression and "not judged" in single.note
    repeats = _time_change(np.array([1.0]), np.array([5.0]), 0.3, 0.01, [1.0, 1.01, 0.99], [5.0, 5.1, 4.9])
    assert repeats.regression
    tiny = _time_change(base * 1e-4, base * 5e-4, 0.3, 0.01)  # 5x of 0.1 ms: timer noise, never flagged
    assert tiny.ratio > 4 and not tiny.regression


def test_environment_differences_are_warned():
    base = {"versions": {"torch": "2.13.0", "numpy": "2.4"}, "cpu": "A", "device": "cpu"}
    cur = {"versions": {"torch": "2.14.0", "numpy": "2.4"}, "cpu": "B", "device": "cpu"}
    warnings = environment_differences(base, cur)
    assert "library versions differ: torch 2.13.0 → 2.14.0" in warnings
    assert "CPU differs: A → B" in warnings


@pytest.mark.e2e
def test_bad_input_and_cli_exit_codes(baseline, tmp_path, capsys):
    with pytest.raises(FamilybenchError, match="no results.sqlite here"):
        compare_runs(baseline, tmp_path / "missing")
    # time is not what this test is about: the suite's own thresholds keep the gate off it
    quiet = {"compare": {"fit_seconds": 1e9, "predict_seconds": 1e9}}
    other = _run(tmp_path / "other", {"linear": quiet}, seeds=1)
    with pytest.raises(FamilybenchError, match="have no jobs in common"):
        compare_runs(baseline, _run(tmp_path / "x", {"poly": {}}, seeds=1))
    assert main(["compare", str(baseline), str(tmp_path / "missing")]) == 2
    assert main(["compare", str(baseline), str(baseline), "--markdown", str(tmp_path / "c.md")]) == 0
    assert (tmp_path / "c.md").read_text().startswith("**✅")
    assert main(["compare", str(baseline), str(other)]) == 0  # partial overlap compares what is common
    assert "Only in the baseline" in capsys.readouterr().out


def _pair(config, ratios, seconds=0.1, dataset="d"):
    import numpy as np

    base = np.full(len(ratios), seconds)
    same = time_evidence(base, base)
    return PairEvidence(config, dataset, "r2", len(ratios), len(ratios), 0.5, 0.5, 0.0, 0.0, 0.0, 0, None, None,
                        time_evidence(base, base * np.array(ratios)), same)


def test_the_gate_flags_consistent_slowdowns_past_its_threshold_only():
    steady = [_pair(f"c{i}", [1.0, 1.01, 0.99]) for i in range(5)]

    def flagged(ratio, interleaved):
        rows, _ = decide([*steady, _pair("x", [ratio, ratio * 1.01, ratio * 0.99])], interleaved=interleaved,
                         defaults=CompareSettings())
        return rows[-1].fit.regression

    # runs taken apart: +25 % could be the machine, +40 % is flagged; interleaved runs: +15 % is flagged
    assert not flagged(1.25, False) and flagged(1.4, False)
    assert flagged(1.15, True) and not flagged(1.05, True)
    assert not flagged(0.6, False)  # faster is an improvement, not a regression
    rows, _ = decide([*steady, _pair("x", [0.6, 0.61, 0.59])], interleaved=False, defaults=CompareSettings())
    assert rows[-1].fit.improvement and rows[-1].improvement


def test_runs_apart_judge_a_change_against_the_spread_of_all_pairs():
    def fit_flags(pairs):
        rows, warnings = decide(pairs, interleaved=False, defaults=CompareSettings())
        return [r.config for r in rows if r.fit.regression], rows, warnings

    scatter = [1.0, 0.8, 1.25, 0.9, 1.1, 0.75, 1.3]
    # A busy minute slowed every seed of two pairs by ~1.5x while the rest scattered:
    # consistent across seeds (p < 0.01), yet no more than the comparison's own spread.
    drift = [_pair(f"c{i}", [r] * 3) for i, r in enumerate(scatter)]
    drift += [_pair("busy1", [1.55, 1.5, 1.6]), _pair("busy2", [1.5, 1.45, 1.55])]
    assert time_verdict(drift[-1].fit, 0.3, CompareSettings()).regression  # the seed-paired test alone flags it
    names, rows, warnings = fit_flags(drift)
    assert names == [] and warnings == [] and "spread" in rows[-1].fit.note
    # A config 5x slower stands out from the same spread and stays flagged.
    names, _, _ = fit_flags([_pair(f"c{i}", [r] * 3) for i, r in enumerate(scatter)] + [_pair("gbm", [5.0, 5.5, 4.8])])
    assert names == ["gbm"]
    # Everything 1.6x slower: no pair stands out, and the shift is reported as a warning.
    names, _, warnings = fit_flags([_pair(f"c{i}", [1.6 * r] * 3) for i, r in enumerate([1.0, 0.95, 1.05, 1.0, 0.98, 1.02])])
    assert names == []
    assert len(warnings) == 1 and "moved together" in warnings[0] and "--interleave" in warnings[0]


@pytest.mark.e2e  # the module's baseline run
def test_compare_states_the_versions_of_each_group_of_rows(baseline, tmp_path, capsys):
    import shutil
    import sqlite3

    current = tmp_path / "cur"
    shutil.copytree(baseline, current)
    with sqlite3.connect(current / "results.sqlite") as db:  # half the rows "made by" other libraries
        db.execute("UPDATE results SET libs_digest = 'otherdigest00' WHERE seed < 3")
    result = compare_runs(baseline, current)
    base_groups, cur_groups = result.versions["baseline"], result.versions["current"]
    assert [g.rows for g in base_groups] == [36] and base_groups[0].libraries["numpy"]
    assert sorted(g.libs_digest for g in cur_groups) == sorted(["otherdigest00", base_groups[0].libs_digest])
    assert any("library versions of the compared rows differ" in w and "otherdigest00" in w for w in result.warnings)
    assert "otherdigest00 (versions not recorded)" in result.markdown()
    assert main(["compare", str(baseline), str(current)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("✅ familybench compare") and "Versions of the rows compared" in out
    assert "| config |" not in out  # the terminal gets an aligned table, the Markdown goes to --markdown
