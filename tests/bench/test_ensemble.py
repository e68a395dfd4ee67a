"""Post-hoc ensembles (issue 23): Caruana's greedy selection on validation predictions only,
checked against an independent implementation, and rows per config, family and portfolio."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score, roc_auc_score

import familybench
from familybench.bench.results.ensemble import ensemble_rows, greedy_weights
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite


def _independent(candidates, y, task, classes, rounds):
    """Greedy selection written again from the paper, with scikit-learn's metrics."""
    def quality(p):
        if task == "regression":
            return -mean_squared_error(y, p)
        if task == "binary":
            return roc_auc_score(y == classes[1], p[:, 1])
        return accuracy_score(y, classes[np.argmax(p, axis=1)])

    chosen, path = [], []
    for _ in range(rounds):
        scores = [quality(np.mean([candidates[j] for j in chosen + [i]], axis=0)) for i in range(len(candidates))]
        i = max(range(len(candidates)), key=lambda k: (scores[k], -k))
        chosen.append(i)
        path.append((scores[i], list(chosen)))
    best = max(range(len(path)), key=lambda r: (path[r][0], -r))
    return np.bincount(path[best][1], minlength=len(candidates))


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_greedy_weights_match_an_independent_implementation(task):
    rng = np.random.default_rng(0)
    n, k = 120, 6
    if task == "regression":
        y = rng.normal(size=n)
        candidates = [y + rng.normal(scale=s, size=n) + b for s, b in zip(np.linspace(0.3, 1.5, k), rng.normal(0, .3, k),
                                                                          strict=True)]
        classes = None
    else:
        n_classes = 2 if task == "binary" else 3
        classes = np.arange(n_classes)
        y = rng.integers(0, n_classes, n)
        candidates = []
        for noise in np.linspace(0.5, 3.0, k):
            logits = np.eye(n_classes)[y] * 1.5 + rng.normal(scale=noise, size=(n, n_classes))
            candidates.append(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
    ours = greedy_weights(candidates, y, task, classes=classes, rounds=15)
    np.testing.assert_array_equal(ours, _independent(candidates, y, task, classes, 15))
    assert ours.sum() >= 1


def test_the_fast_auc_is_scikit_learns():
    from familybench.bench.results.ensemble import _auc

    rng = np.random.default_rng(1)
    for n in (5, 40, 300):
        truth = rng.integers(0, 2, n).astype(bool)
        truth[:2] = [True, False]
        score = np.round(rng.normal(size=n) + truth, 1)  # ties too
        assert _auc(truth, score) == pytest.approx(roc_auc_score(truth, score), abs=1e-12)


def test_two_opposite_errors_ensemble_to_the_truth_and_a_perfect_candidate_stands_alone():
    y = np.linspace(-1, 1, 50)
    error = np.sin(7 * y)
    weights = greedy_weights([y + error, y - error, y + 2 * error], y, "regression", rounds=10)
    assert weights[2] == 0 and weights[0] == weights[1] >= 1  # (y+e + y-e)/2 = y: no error at all
    assert list(greedy_weights([y + error, y, y - error], y, "regression", rounds=10)) == [0, 1, 0]
    with pytest.raises(ValueError, match="at least one candidate"):
        greedy_weights([], y, "regression")


@pytest.fixture(scope="module")
def tuned_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tuned")
    suite = parse_suite({
        "seeds": 2, "datasets": {"moons": {"n_samples": 240}, "friedman1": {"n_samples": 200}},
        "tune": {"trials": 4, "validation": 0.25},
        "models": {"gbm": {"model": "lightgbm", "params": {"n_estimators": 20}},
                   "hgb": {"model": "hist_gbm", "params": {"max_iter": 20}},
                   "linear": {}},
    })
    execute(suite, out, executor="serial")
    return out


@pytest.fixture(scope="module")
def tuned(tuned_dir):
    return familybench.load_results(tuned_dir), familybench.load_predictions(tuned_dir)


@pytest.mark.e2e  # a tuned run (the module's fixture)
def test_the_public_reader_ensembles_a_directory(tuned_dir, tuned):
    rows = familybench.post_hoc_ensembles(tuned_dir, scope="family")
    assert list(rows["ensemble_members"]) == list(ensemble_rows(*tuned, scope="family")["ensemble_members"])


@pytest.mark.e2e  # a tuned run (the module's fixture)
def test_config_ensembles_are_rows_with_members_costs_and_scores_from_the_predictions(tuned):
    results, kept = tuned
    rows = ensemble_rows(results, kept)
    trials = results[results["role"] == "trial"]
    assert len(rows) == trials.groupby(["config", "dataset", "seed"]).ngroups
    assert set(rows["protocol"]) == {"ensembled"} and set(rows["ensemble_scope"]) == {"config"}
    for row in rows.itertuples():
        members = json.loads(row.ensemble_members)
        assert sum(members.values()) == pytest.approx(1.0)
        group = trials[(trials["config"] == row.config) & (trials["dataset"] == row.dataset) & (trials["seed"] == row.seed)]
        assert set(members) <= set(group["job_key"]) and row.n_candidates == len(group)
        assert row.fit_seconds == pytest.approx(group.set_index("job_key").loc[list(members), "fit_seconds"].sum())
        main = "valid_r2" if row.dataset == "friedman1" else "valid_roc_auc"
        assert getattr(row, main) >= group[main].max() - 1e-6  # never below the best single trial (float32 kept)
        # the test score is the weighted average of the members' kept test predictions, scored
        test = sum(w * kept[key].test.astype(float) for key, w in members.items())
        truth = kept[next(iter(members))].test_true
        if row.dataset == "friedman1":
            assert row.test_r2 == pytest.approx(r2_score(truth, test), abs=1e-9)
        else:
            assert row.test_roc_auc == pytest.approx(roc_auc_score(truth, test[:, 1]), abs=1e-9)


@pytest.mark.e2e  # a tuned run (the module's fixture)
def test_family_and_portfolio_ensembles_draw_on_every_member(tuned):
    results, kept = tuned
    family = ensemble_rows(results, kept, scope="family")
    assert set(family["config"]) == {"family:boosting", "family:linear"}
    boosting = family[family["config"] == "family:boosting"]
    assert len(boosting) == 4  # 2 datasets x 2 seeds
    portfolio = ensemble_rows(results, kept, scope="portfolio")
    assert set(portfolio["config"]) == {"portfolio"} and len(portfolio) == 4
    trials = results[results["role"] == "trial"]
    per_split = trials.groupby(["dataset", "seed"]).size()
    assert [per_split[(r.dataset, r.seed)] for r in portfolio.itertuples()] == list(portfolio["n_candidates"])
    assert (portfolio["n_candidates"] >= 9).all()  # 4 + 4 trials of the boosters, and linear's
    with pytest.raises(ValueError, match="scope must be one of"):
        ensemble_rows(results, kept, scope="everything")


@pytest.mark.e2e  # a tuned run (the module's fixture)
def test_no_test_row_enters_the_selection(tuned):
    """The leak canary: scrambled test targets and test predictions change no weight."""
    results, kept = tuned
    rng = np.random.default_rng(7)
    scrambled = {key: replace(p, test=rng.permutation(p.test), test_true=rng.permutation(p.test_true))
                 for key, p in kept.items()}
    before = ensemble_rows(results, kept, scope="portfolio")
    after = ensemble_rows(results, scrambled, scope="portfolio")
    assert list(before["ensemble_members"]) == list(after["ensemble_members"])
    assert np.allclose(before["valid_r2"].fillna(0), after["valid_r2"].fillna(0))
    assert not np.allclose(before["test_r2"].dropna(), after["test_r2"].dropna())


@pytest.mark.slow  # five runs compared three ways: CI runs it in a step of its own
def test_compare_judges_like_with_like_under_each_protocol(tuned_dir, tuned, tmp_path):
    from familybench.bench.compare.read import compare_runs
    from familybench.bench.results.select import select_best

    results, kept = tuned
    expected = {"default": select_best(results, which="default"), "tuned": select_best(results),
                "ensembled": ensemble_rows(results, kept)}
    for protocol, rows in expected.items():
        comparison = compare_runs(tuned_dir, tuned_dir, protocol=protocol)
        assert comparison.protocol == protocol and not comparison.regressions
        assert f"protocol **{protocol}** on both sides" in comparison.markdown()
        gbm = {r.dataset: r.baseline for r in comparison.rows if r.config == "gbm"}
        means = rows[rows["config"] == "gbm"].groupby("dataset")
        assert gbm["moons"] == pytest.approx(means["test_roc_auc"].mean()["moons"])
        assert gbm["friedman1"] == pytest.approx(means["test_r2"].mean()["friedman1"])
    assert compare_runs(tuned_dir, tuned_dir).protocol == "tuned"
    from familybench.cli import main

    assert main(["compare", str(tuned_dir), str(tuned_dir), "--protocol", "ensembled"]) == 0
    with pytest.raises(familybench.FamilybenchError, match="unknown protocol 'best'"):
        compare_runs(tuned_dir, tuned_dir, protocol="best")
    plain = parse_suite({"datasets": {"moons": {"n_samples": 120}}, "models": ["linear"]})
    execute(plain, tmp_path / "plain", executor="serial")
    with pytest.raises(familybench.FamilybenchError, match="only the default protocol"):
        compare_runs(tmp_path / "plain", tmp_path / "plain", protocol="ensembled")
    quiet = parse_suite({"datasets": {"moons": {"n_samples": 120}}, "models": ["linear"], "predictions": False,
                         "tune": {"trials": 2}})
    execute(quiet, tmp_path / "quiet", executor="serial")
    with pytest.raises(familybench.FamilybenchError, match="no kept trial predictions"):
        compare_runs(tmp_path / "quiet", tmp_path / "quiet", protocol="ensembled")
