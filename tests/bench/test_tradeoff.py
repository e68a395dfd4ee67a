"""Quality against cost (issue 24): the Pareto front and Elo, each checked against an
independent computation."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from familybench.bench.results.tradeoff import battles, elo, front_mask, pareto_front, with_costs


def _sweep_front(cost, quality) -> set[int]:
    """Independent: sort by cost (then quality, best first) and keep each point that beats
    the best quality seen so far; equal points both stay."""
    order = sorted(range(len(cost)), key=lambda i: (cost[i], -quality[i]))
    kept, best, best_cost = set(), -np.inf, None
    for i in order:
        if quality[i] > best or (quality[i] == best and cost[i] == best_cost):
            kept.add(i)
            best, best_cost = quality[i], cost[i]
    return kept


@pytest.mark.parametrize("seed", range(20))
def test_the_front_matches_an_independent_sweep(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    cost = rng.choice([0.1, 0.2, 0.5, 1.0, 2.0, 5.0], size=n)  # ties in cost and quality happen
    quality = rng.choice([0.2, 0.4, 0.6, 0.8, 1.0], size=n)
    assert set(np.flatnonzero(front_mask(cost, quality))) == _sweep_front(cost, quality)


def test_pareto_front_aggregates_rows_and_derives_the_costs():
    rows = pd.DataFrame([
        # config, dataset, seed, fit s, train rows, rows/s predicted, params, score
        ("fast", "d1", 0, 0.1, 1000, 1e6, 10, 0.50), ("fast", "d1", 1, 0.3, 1000, 1e6, 10, 0.60),
        ("slow", "d1", 0, 10.0, 1000, 1e3, 1e6, 0.90), ("slow", "d1", 1, 12.0, 1000, 1e3, 1e6, 0.95),
        ("waste", "d1", 0, 20.0, 1000, 1e2, 1e7, 0.70), ("waste", "d1", 1, 20.0, 1000, 1e2, 1e7, 0.70),
    ], columns=["config", "dataset", "seed", "fit_seconds", "n_train", "predict_rows_per_second", "n_params",
                "score"]).assign(status="ok", family=lambda f: f["config"] + "_family")
    costs = with_costs(rows)
    assert costs["fit_seconds_per_1k"].tolist() == pytest.approx([0.1, 0.3, 10, 12, 20, 20])
    assert costs["predict_seconds_per_1k"].iloc[2] == pytest.approx(1.0)
    front = pareto_front(rows, cost="fit_seconds_per_1k", quality="score")
    assert front["config"].tolist() == ["fast", "slow"]  # "waste" is slower and worse than "slow"
    assert front["fit_seconds_per_1k"].tolist() == pytest.approx([0.2, 11.0])  # medians over seeds
    assert front["score"].tolist() == pytest.approx([0.55, 0.925])  # means
    assert front["family"].tolist() == ["fast_family", "slow_family"]
    assert pareto_front(rows, cost="n_params", quality="score")["config"].tolist() == ["fast", "slow"]
    failed = rows.assign(status=np.where(rows["config"] == "slow", "failed", "ok"))
    assert pareto_front(failed, quality="score")["config"].tolist() == ["fast", "waste"]
    with pytest.raises(ValueError, match="unknown cost 'watts'"):
        pareto_front(rows, cost="watts", quality="score")


def _bradley_terry_mm(outcomes: pd.DataFrame, models: list[str], iterations: int = 20_000) -> np.ndarray:
    """Independent: Hunter's (2004) MM algorithm for the Bradley–Terry MLE, ties as half a
    win to each side; ratings on the Elo scale averaging 1000."""
    index = {m: i for i, m in enumerate(models)}
    k = len(models)
    wins, games = np.zeros(k), np.zeros((k, k))
    for a, b, outcome in outcomes[["a", "b", "outcome"]].itertuples(index=False):
        i, j = index[a], index[b]
        wins[i] += outcome
        wins[j] += 1 - outcome
        games[i, j] += 1
        games[j, i] += 1
    strength = np.ones(k)
    for _ in range(iterations):
        denominator = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        strength = wins / denominator
        strength /= np.exp(np.log(strength).mean())
    ratings = 400 * np.log10(strength)
    return ratings - ratings.mean() + 1000


def _scores(strengths: dict[str, float], n: int, noise: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"dataset": f"d{d}", "config": c, "seed": s, "normalised": v + rng.normal(0, noise)}
                         for d in range(n) for c, v in strengths.items() for s in range(2)])


def test_elo_matches_an_independent_bradley_terry_fit():
    rows = _scores({"catboost": 1.0, "lightgbm": 0.8, "realmlp": 0.7, "linear": 0.0}, n=25, noise=0.6)
    rated = elo(rows, rounds=0).set_index("config")
    means = rows.pivot_table(index="dataset", columns="config", values="normalised", aggfunc="mean")
    models = list(means.columns)
    expected = _bradley_terry_mm(battles(means), models)
    assert rated.loc[models, "elo"].to_numpy() == pytest.approx(expected, abs=0.5)
    assert rated["elo"].mean() == pytest.approx(1000)
    outcomes = battles(means)
    won = {m: ((outcomes["a"] == m) * outcomes["outcome"] + (outcomes["b"] == m) * (1 - outcomes["outcome"])).sum()
           for m in models}
    assert rated.loc[models, "win_rate"].tolist() == pytest.approx([won[m] / (25 * 3) for m in models])
    anchored = elo(rows, anchor="linear", rounds=0).set_index("config")
    assert anchored.loc["linear", "elo"] == pytest.approx(1000)
    assert (anchored["elo"] - rated["elo"]).std() == pytest.approx(0, abs=1e-6)  # only shifted


def test_elo_intervals_cover_the_estimate_and_narrow_with_more_datasets():
    strengths = {"a": 0.6, "b": 0.4, "c": 0.0}
    few = elo(_scores(strengths, n=6, noise=0.5), rounds=200).set_index("config")
    many = elo(_scores(strengths, n=60, noise=0.5), rounds=200).set_index("config")
    for table in (few, many):
        assert ((table["elo_low"] <= table["elo"] + 1e-6) & (table["elo"] <= table["elo_high"] + 1e-6)).all()
    assert ((many["elo_high"] - many["elo_low"]) < (few["elo_high"] - few["elo_low"])).all()
    assert many.index[0] == "a" and many.index[-1] == "c"
    again = elo(_scores(strengths, n=6, noise=0.5), rounds=200).set_index("config")
    pd.testing.assert_frame_equal(few, again)  # seeded


def test_a_model_without_a_score_loses_and_a_clean_sweep_stays_finite():
    rows = _scores({"a": 1.0, "b": 0.5}, n=5, noise=0.0)
    rows = pd.concat([rows, pd.DataFrame({"dataset": [f"d{d}" for d in range(5)], "config": "broken",
                                          "normalised": np.nan})])
    rated = elo(rows, rounds=10).set_index("config")
    assert list(rated.index) == ["a", "b", "broken"]
    assert np.isfinite(rated["elo"]).all() and rated.loc["a", "elo"] - rated.loc["b", "elo"] > 800
    with pytest.raises(ValueError, match="anchor 'rf' is not one of the models"):
        elo(rows, anchor="rf")
    with pytest.raises(ValueError, match="at least two models"):
        elo(rows[rows["config"] == "a"])


def test_battles_count_every_pair_once_per_dataset():
    scores = pd.DataFrame({"x": [1.0, 0.0, np.nan], "y": [0.5, 0.0, 1.0], "z": [np.nan, np.nan, np.nan]},
                          index=["d1", "d2", "d3"])
    table = battles(scores)
    assert len(table) == 3 * len(list(itertools.combinations("xyz", 2)))
    get = table.set_index(["dataset", "a", "b"])["outcome"]
    assert get["d1", "x", "y"] == 1.0 and get["d2", "x", "y"] == 0.5 and get["d3", "x", "y"] == 0.0
    assert get["d1", "x", "z"] == 1.0 and get["d3", "x", "z"] == 0.5
