"""Level changes in the history, per series, and the regressions still open.

A series is one config × dataset × measure (fit seconds, predict seconds, the main test
metric) of one suite on one machine and environment, in commit order; a commit's value is
the fastest of its seeds and folds for times (see :func:`commit_values`), their median for
the metric. Change points come from ruptures' PELT (least-squares
cost on log times, on the metric itself for quality) with a penalty of ``PENALTY`` × σ² ×
log(n), σ the series' noise per commit estimated robustly from its successive differences
(their median absolute deviation, which a steady drift does not inflate), and segments of
at least ``MIN_SIZE`` commits (one odd CI run is not a level). A gradual creep, ten commits
each a few percent slower, shows as a staircase of segments.

As in asv's ``detect_regressions``, a regression is *open* when the latest segment is
worse than the best segment before it, each of the last ``CONFIRM`` commits worse too (on
this kind of machine whole runs are sometimes 1.3–1.6× slower, a few in twenty: two of them
in a row at the end are not yet a new level), by more than the gate's thresholds
(:class:`~familybench.bench.suite.gate.CompareSettings`: ``interleaved_time`` for times,
since commits and seeds are averaged as in an interleaved run, with ``min_seconds`` as the
floor; ``quality`` for the metric); it is attributed to the commits between the last one
of that best segment and the first one of the latest segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.bench.results.record import Status
from familybench.bench.suite.gate import CompareSettings

MEASURES = {"fit_seconds": "fit s", "predict_seconds": "predict s", "quality": "main metric"}
SERIES = ["machine", "environment", "suite", "config", "dataset", "measure"]
PENALTY = 4.0
MIN_SIZE = 2
CONFIRM = 3


def commit_values(points: pd.DataFrame) -> pd.DataFrame:
    """Per series and commit: ``value`` (times: the fastest of its seeds and folds; the metric:
    their median), ``low``, ``high``, ``n``.

    Interference on a machine only ever adds time, and on this kind of machine it is
    bimodal (a small LightGBM fit takes 15 ms or, one job in three, 90 ms): the minimum over
    seeds is the robust estimate of what the code costs (Chen and Revels 2016; pytest-benchmark
    and asv show it too), where the median over 3 seeds is slow in one commit in four."""
    ok = points[points["status"] == Status.OK.value]
    long = ok.melt(id_vars=["machine", "environment", "suite", "config", "dataset", "metric", "commit_sha",
                            "commit_date", "order"], value_vars=list(MEASURES), var_name="measure")
    long = long[long["value"].notna()]
    keys = [*SERIES, "order", "commit_sha", "commit_date"]
    grouped = long.groupby(keys, sort=True, dropna=False)
    out = grouped["value"].agg(median="median", low="min", high="max", n="size").reset_index()
    out["value"] = out["median"].where(out["measure"] == "quality", out["low"])
    out["metric"] = grouped["metric"].first().to_numpy()
    return out.drop(columns="median").sort_values([*SERIES, "order"], ignore_index=True)


def noise(values: np.ndarray) -> float:
    """The series' noise per commit: MAD of successive differences / √2 (robust to one jump
    and to a steady drift)."""
    d = np.diff(np.asarray(values, dtype=float))
    if len(d) < 2:
        return float("nan")
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def segments(values, *, log: bool = True, penalty: float = PENALTY, min_size: int = MIN_SIZE
             ) -> list[tuple[int, int, float]]:
    """Piecewise-constant levels: ``(start, end, level)`` with ``end`` exclusive; ``level``
    on the values' own scale (the geometric mean of times when ``log``)."""
    import ruptures

    y = np.log(np.maximum(np.asarray(values, dtype=float), 1e-12)) if log else np.asarray(values, dtype=float)
    n = len(y)
    if n < 2 * min_size:
        return [(0, n, _level(y, log))] if n else []
    sigma = noise(y)
    if not np.isfinite(sigma) or sigma <= 0:
        sigma = max(1e-9, float(np.std(y)) / 10)
    ends = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(y.reshape(-1, 1)).predict(
        pen=penalty * sigma**2 * np.log(n))
    out, start = [], 0
    for end in ends:
        out.append((start, end, _level(y[start:end], log)))
        start = end
    return out


def _level(y: np.ndarray, log: bool) -> float:
    return float(np.exp(np.mean(y))) if log else float(np.mean(y))


def _open(measure: str, segs, values: np.ndarray, settings: CompareSettings):
    """(last good segment, change, best level) when the latest segment is a regression
    against the best one before it, confirmed by each of the last ``CONFIRM`` commits.

    The change is measured from the best level; the regression is attributed from the last
    earlier segment still within half the threshold of the best (noise splits a flat
    stretch into near-equal levels: the slowdown starts after the last of them)."""
    if len(segs) < 2 or len(values) < CONFIRM + MIN_SIZE:
        return None
    last, earlier, tail = segs[-1], segs[:-1], values[-CONFIRM:]
    if measure == "quality":
        best = max(s[2] for s in earlier)
        drop = best - last[2]
        if drop <= settings.quality or not (tail < best - settings.quality).all():
            return None
        good = [s for s in earlier if s[2] >= best - settings.quality / 2]
        return good[-1], -drop, best
    best = min(s[2] for s in earlier)
    change = last[2] / best - 1 if best > 0 else float("inf")
    threshold = settings.interleaved_time
    if change <= threshold or last[2] - best <= settings.min_seconds:
        return None
    if not (tail > best * (1 + threshold)).all():  # one or two slow runs at the end are not yet a level
        return None
    good = [s for s in earlier if s[2] <= best * (1 + threshold / 2)]
    return good[-1], change, best


def analyse(points: pd.DataFrame, settings: CompareSettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Steps and open regressions of every series of a history (:func:`load_history`).

    Returns
    -------
    steps : DataFrame
        One row per level change: the series, ``commit`` (the first commit of the new
        level), ``order``, ``before``, ``after``.
    regressions : DataFrame
        One row per open regression: the series, ``metric``, ``change`` (relative for
        times, absolute for the metric, negative = worse), ``before`` and ``after``
        levels, ``last_good`` (the last commit of the best level), ``first_bad`` (the first
        commit after it), ``latest_from`` (the first commit of the latest level),
        ``latest`` (the newest commit), ``commits`` (how many the series has).
    """
    settings = settings or CompareSettings()
    values = commit_values(points)
    steps, regressions = [], []
    for key, series in values.groupby(SERIES, sort=True):
        series = series.sort_values("order")
        measure = key[-1]
        shas = series["commit_sha"].tolist()
        segs = segments(series["value"].to_numpy(), log=measure != "quality")
        for (_, _, before), (start, _, after) in zip(segs, segs[1:], strict=False):
            steps.append({**dict(zip(SERIES, key, strict=True)), "commit": shas[start],
                          "order": int(series["order"].iloc[start]), "before": before, "after": after})
        found = _open(measure, segs, series["value"].to_numpy(float), settings)
        if found is not None:
            good, change, best = found
            regressions.append({**dict(zip(SERIES, key, strict=True)), "metric": series["metric"].iloc[0],
                                "change": change, "before": best, "after": segs[-1][2],
                                "last_good": shas[good[1] - 1], "first_bad": shas[good[1]],
                                "latest_from": shas[segs[-1][0]], "latest": shas[-1], "commits": len(shas)})
    return (pd.DataFrame(steps, columns=[*SERIES, "commit", "order", "before", "after"]),
            pd.DataFrame(regressions, columns=[*SERIES, "metric", "change", "before", "after", "last_good",
                                               "first_bad", "latest_from", "latest", "commits"]))


def describe(row) -> str:
    """One line naming a regression: where, how much, since which commits."""
    what = {"fit_seconds": "fit time", "predict_seconds": "predict time"}.get(row["measure"], f"test {row['metric']}")
    if row["measure"] == "quality":
        how = f"{row['before']:.4f} -> {row['after']:.4f} ({row['change']:+.4f})"
    else:
        how = f"{row['before']:.4g} s -> {row['after']:.4g} s ({row['change']:+.0%})"
    where = (f"after {row['last_good'][:10]}, from {row['first_bad'][:10]}"
             + (f" to {row['latest_from'][:10]}" if row["latest_from"] != row["first_bad"] else ""))
    return f"{row['suite']}: {row['config']} on {row['dataset']}: {what} {how}, {where} (machine {row['machine']})"
