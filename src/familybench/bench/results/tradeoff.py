"""Quality against cost: Pareto fronts and Elo ratings, pure functions of stored rows.

Costs are per 1,000 rows so that datasets of different sizes share one axis (TabArena
draws Elo against median train and inference seconds per 1,000 rows):

- ``fit_seconds_per_1k``: fit seconds per 1,000 training rows (``fit_seconds / n_train``);
- ``predict_seconds_per_1k``: predict seconds per 1,000 predicted rows
  (``1000 / predict_rows_per_second``);
- ``n_params``: the fitted model's learned parameters.

A model's cost across seeds, folds and datasets is the median (robust to one slow
outlier), its quality the mean. The Pareto front keeps the models no other model beats
on both: cheaper or as cheap *and* better or as good, one of them strictly.

Elo follows TabArena (``bencheval``; after Chatbot Arena's ``compute_mle_elo``): every
dataset is a tournament in which each pair of models plays one battle, won by the better
mean score over seeds and folds (equal scores tie; a model with no score there loses to
every model with one); a Bradley–Terry model fitted by logistic regression turns the
battles into ratings on the 400-point scale, shifted so that the anchor model rates 1000
(no anchor: the ratings average 1000); the 95 % interval comes from refitting on datasets
resampled with replacement (100 rounds by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.bench.results.record import Status

#: The cost axes, with their labels (log scale on every one).
COSTS = {
    "fit_seconds_per_1k": "fit s per 1,000 training rows",
    "predict_seconds_per_1k": "predict s per 1,000 rows",
    "n_params": "learned parameters",
}
SCALE, BASE, INIT_RATING, BOOTSTRAP_ROUNDS = 400.0, 10.0, 1000.0, 100
PSEUDO = 1e-3


def with_costs(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the per-1,000-row cost columns added (NaN where a row lacks what they
    need, or did not finish)."""
    out = rows.copy()
    ok = out["status"] == Status.OK.value if "status" in out else pd.Series(True, index=out.index)
    fit = pd.to_numeric(out.get("fit_seconds"), errors="coerce")
    n_train = pd.to_numeric(out.get("n_train"), errors="coerce")
    speed = pd.to_numeric(out.get("predict_rows_per_second"), errors="coerce")
    out["fit_seconds_per_1k"] = (fit / n_train * 1000).where(ok & (n_train > 0))
    out["predict_seconds_per_1k"] = (1000 / speed).where(ok & (speed > 0))
    out["n_params"] = pd.to_numeric(out.get("n_params"), errors="coerce").where(ok)
    return out


def _labels(rows: pd.DataFrame, by) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by if c not in rows]
    if missing:
        raise ValueError(f"rows have no column {missing[0]!r} (by={by})")
    return by


def model_points(rows: pd.DataFrame, cost: str, quality: str = "normalised", by=("config",)) -> pd.DataFrame:
    """One point per model (the ``by`` columns): the median ``cost`` and mean ``quality``
    over its rows, with its family and how many rows it stands for."""
    if cost not in COSTS and cost not in rows:
        raise ValueError(f"unknown cost {cost!r}; expected one of {', '.join(COSTS)} or a column of rows")
    by = _labels(rows, by)
    data = with_costs(rows) if cost in COSTS else rows.copy()
    if quality not in data:
        if quality != "normalised":
            raise ValueError(f"rows have no quality column {quality!r}")
        from familybench.bench.results.select import normalised_scores

        data["normalised"] = normalised_scores(data, data)
    data = data.assign(**{cost: pd.to_numeric(data[cost], errors="coerce"),
                          quality: pd.to_numeric(data[quality], errors="coerce")})
    grouped = data.groupby(by, dropna=False, sort=False)
    points = grouped.agg(**{cost: (cost, "median"), quality: (quality, "mean"), "n_rows": (quality, "size")})
    if "family" in data and "family" not in by:
        points["family"] = grouped["family"].first()
    return points.reset_index()


def front_mask(cost: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """True for the points no other point beats: cost ≤ and quality ≥, one strictly.
    Points with a missing cost or quality are never on the front."""
    cost, quality = np.asarray(cost, dtype=float), np.asarray(quality, dtype=float)
    usable = np.isfinite(cost) & np.isfinite(quality)
    front = np.zeros(len(cost), dtype=bool)
    for i in np.flatnonzero(usable):
        beaten = usable & (cost <= cost[i]) & (quality >= quality[i]) & ((cost < cost[i]) | (quality > quality[i]))
        front[i] = not beaten.any()
    return front


def pareto_front(rows: pd.DataFrame, cost: str = "fit_seconds_per_1k", quality: str = "normalised",
                 by=("config",)) -> pd.DataFrame:
    """The models on the quality-against-cost Pareto front.

    Parameters
    ----------
    rows : pandas.DataFrame
        Result rows (``familybench.select_best(familybench.load_results(DIR))``, one
        dataset's or many), or one point per model already aggregated.
    cost : str, default="fit_seconds_per_1k"
        ``"fit_seconds_per_1k"``, ``"predict_seconds_per_1k"``, ``"n_params"`` (derived
        from the stored columns) or any numeric column; lower is cheaper.
    quality : str, default="normalised"
        A numeric column, higher is better; ``"normalised"`` is computed when absent
        (the main test metric rescaled per dataset, :func:`familybench.normalised_scores`).
    by : str or sequence of str, default=("config",)
        What a model is: ``("config", "protocol")`` keeps protocols apart.

    Returns
    -------
    pandas.DataFrame
        The front's models, cheapest first: the ``by`` columns, ``cost`` (median over the
        model's rows), ``quality`` (mean), ``family``, ``n_rows``.

    Examples
    --------
    >>> import familybench
    >>> rows = familybench.select_best(familybench.load_results("reports/quick"))  # doctest: +SKIP
    >>> familybench.pareto_front(rows, cost="predict_seconds_per_1k")  # doctest: +SKIP
    """
    points = model_points(rows, cost, quality, by)
    mask = front_mask(points[cost].to_numpy(float), points[quality].to_numpy(float))
    return points[mask].sort_values([cost, quality], ascending=[True, False]).reset_index(drop=True)


# -- Elo


def battles(scores: pd.DataFrame) -> pd.DataFrame:
    """Pairwise outcomes per dataset from a dataset × model table of scores (higher is
    better; NaN: no score, loses to any score and ties with another NaN).

    Returns one row per dataset and pair ``a < b`` (in column order): ``dataset``, ``a``,
    ``b`` and ``outcome`` (1: a wins, 0: b wins, 0.5: tie)."""
    pairs, outcomes = _outcomes(scores)
    models = np.asarray(scores.columns, dtype=object)
    return pd.DataFrame({"dataset": np.repeat(scores.index.to_numpy(), len(pairs)),
                         "a": np.tile(models[pairs[:, 0]], len(scores)), "b": np.tile(models[pairs[:, 1]], len(scores)),
                         "outcome": outcomes.ravel()})


def _outcomes(scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(i, j)``, i < j, and a dataset × pair matrix of outcomes (1: i wins, 0: j
    wins, 0.5: tie); NaN scores lose to any score and tie with each other."""
    values = np.nan_to_num(scores.to_numpy(float), nan=-np.inf)
    i, j = np.triu_indices(values.shape[1], k=1)
    left, right = values[:, i], values[:, j]
    return np.stack([i, j], axis=1), np.where(left > right, 1.0, np.where(left < right, 0.0, 0.5))


def _mle(pairs: np.ndarray, wins: np.ndarray, played: np.ndarray, n_models: int, anchor: int | None) -> np.ndarray:
    """Bradley–Terry ratings by logistic regression (Chatbot Arena's and TabArena's
    ``compute_mle_elo``): per pair, ``wins`` of the first model out of ``played`` battles
    (a tie counts half a win for each side)."""
    from sklearn.linear_model import LogisticRegression

    x = np.zeros((2 * len(pairs), n_models))
    rows = np.arange(len(pairs))
    for offset in (0, 1):
        x[2 * rows + offset, pairs[:, 0]] = np.log(BASE)
        x[2 * rows + offset, pairs[:, 1]] = -np.log(BASE)
    y = np.tile([1, 0], len(pairs))
    weight = np.empty(2 * len(pairs))
    weight[0::2], weight[1::2] = wins, played - wins
    # A model that won (or lost) every battle has no finite MLE: a pseudo-battle of weight
    # PSEUDO on each side of every pair keeps the fit finite (a ~1,700-point gap for one
    # side winning 19 of 19) and moves ratings with real outcomes by well under one point.
    model = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-8, max_iter=10_000)
    model.fit(x, y, sample_weight=weight + PSEUDO)
    ratings = SCALE * model.coef_[0]
    ratings = ratings - (ratings[anchor] if anchor is not None else ratings.mean())
    return ratings + INIT_RATING


def elo(rows: pd.DataFrame, by: str = "config", *, quality: str = "normalised", anchor: str | None = None,
        rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> pd.DataFrame:
    """Elo ratings across datasets with bootstrap 95 % intervals (see the module docstring).

    Parameters
    ----------
    rows : pandas.DataFrame
        Result rows, one model per distinct ``by`` value (e.g. ``select_best`` output; for
        families with several members, the validation-chosen members of
        ``select_members``). Mean ``quality`` over seeds and folds decides each battle.
    by : str, default="config"
        The column that names a model ("config", "family", or a label of config and protocol).
    quality : str, default="normalised"
        Higher is better; ``"normalised"`` is computed when absent.
    anchor : str, optional
        The model rated 1000 (TabArena anchors a default random forest); without one the
        ratings average 1000.
    rounds : int, default=100
        Bootstrap rounds (datasets resampled with replacement); 0 for no interval.
    seed : int, default=0

    Returns
    -------
    pandas.DataFrame
        One row per model, best first: ``by``, ``elo``, ``elo_low``, ``elo_high`` (2.5 and
        97.5 percentiles of the bootstrap; NaN without rounds), ``win_rate`` (the share of
        its battles won, ties counting half) and ``n_datasets`` (where it has a score).
    """
    if by not in rows:
        raise ValueError(f"rows have no column {by!r}")
    data = rows
    if quality not in data:
        if quality != "normalised":
            raise ValueError(f"rows have no quality column {quality!r}")
        from familybench.bench.results.select import normalised_scores

        data = data.assign(normalised=normalised_scores(data, data))
    data = data[data[by].notna()]
    scores = data.pivot_table(index="dataset", columns=by, values=quality, aggfunc="mean", dropna=False)
    scores = scores.reindex(columns=list(dict.fromkeys(data[by])))
    scores = scores[scores.notna().any(axis=1)]
    models = [str(m) for m in scores.columns]
    scores.columns = models
    if anchor is not None and anchor not in models:
        raise ValueError(f"anchor {anchor!r} is not one of the models: {', '.join(models)}")
    if len(models) < 2 or scores.empty:
        raise ValueError("Elo needs at least two models with a score on some dataset")
    pairs, outcomes = _outcomes(scores)
    where = models.index(anchor) if anchor is not None else None
    n = len(scores)
    point = _mle(pairs, outcomes.sum(axis=0), np.full(len(pairs), float(n)), len(models), where)
    won = np.zeros(len(models))  # battles won (ties half) of those played, per model
    np.add.at(won, pairs[:, 0], outcomes.sum(axis=0))
    np.add.at(won, pairs[:, 1], (1 - outcomes).sum(axis=0))
    out = pd.DataFrame({by: models, "elo": point, "elo_low": np.nan, "elo_high": np.nan,
                        "win_rate": won / (n * (len(models) - 1)), "n_datasets": scores.notna().sum().to_numpy()})
    if rounds:
        rng = np.random.default_rng(seed)
        samples = np.empty((rounds, len(models)))
        for r in range(rounds):
            counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(float)
            samples[r] = _mle(pairs, counts @ outcomes, np.full(len(pairs), float(n)), len(models), where)
        out["elo_low"], out["elo_high"] = np.percentile(samples, 2.5, axis=0), np.percentile(samples, 97.5, axis=0)
    return out.sort_values("elo", ascending=False, ignore_index=True)
