"""The comparison's evidence: what the two runs' rows say, computed once, judging nothing.

Pure functions of plain data (frames of records, arrays of seconds, run metadata). The
thresholds and verdicts are ``compare_policy``'s; the text is ``compare_render``'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from familybench.bench.results.metrics import HIGHER_IS_BETTER, MAIN_METRIC
from familybench.bench.results.record import BAD_STATUSES, Status, empty_record

MATCH = ["config", "dataset", "seed", "fold", "train_size"]
#: The column that marks a job the current run planned and left without a record (its
#: status is empty: it has none); see :func:`missing_now`.
MISSING = "missing"


@dataclass(frozen=True)
class TimeEvidence:
    """Seed-paired current/baseline time ratios of one config × dataset.

    ``ratio`` is the geometric mean, [``low``, ``high``] its 95 % interval, ``p_more`` /
    ``p_less`` one-sided p-values for "slower" / "faster" (paired t-test on the log ratios;
    Welch's test on the timing repeats when there is one pair). ``judged`` is False where
    the data cannot carry a test (``note`` says why).
    """

    ratio: float
    low: float
    high: float
    p_more: float
    p_less: float
    n: int
    seconds: float  # the larger of the two mean times
    difference: float  # |mean current − mean baseline| in seconds
    judged: bool
    note: str = ""

    @property
    def log_ratio(self) -> float:
        return math.log(self.ratio) if math.isfinite(self.ratio) and self.ratio > 0 else math.nan


@dataclass(frozen=True)
class PairEvidence:
    """Everything measured about one config × dataset in both runs."""

    config: str
    dataset: str
    metric: str
    n_pairs: int  # seed pairs ok on both sides
    n_jobs: int  # matched jobs
    baseline: float  # mean test metric over the side's ok jobs
    current: float
    change: float  # mean(current − baseline)
    gain: float  # the same, signed so that > 0 is better
    gain_se: float  # seed-paired standard error of the gain
    broke: int  # jobs ok in the baseline and failed/timeout/oom/missing now
    broke_status: Status | None  # the first broken job's status now; None: it left no record
    broke_error: str | None
    fit: TimeEvidence
    predict: TimeEvidence


def time_evidence(base: np.ndarray, cur: np.ndarray, base_samples=None, cur_samples=None) -> TimeEvidence:
    """The seed-paired time change between two arrays of seconds (see ``TimeEvidence``)."""
    from scipy import stats

    base, cur = np.asarray(base, dtype=float), np.asarray(cur, dtype=float)
    good = (base > 0) & (cur > 0) & np.isfinite(base) & np.isfinite(cur)
    logs = np.log(cur[good] / base[good])
    n = len(logs)
    if n == 0:
        return TimeEvidence(math.nan, math.nan, math.nan, math.nan, math.nan, 0, math.nan, math.nan, False,
                            "no timings")
    seconds = float(max(np.mean(base[good]), np.mean(cur[good])))
    difference = abs(float(np.mean(cur[good]) - np.mean(base[good])))
    mean = float(np.mean(logs))
    note = ""
    if n >= 2:
        sd = float(np.std(logs, ddof=1))
        if sd == 0:
            p_more, p_less, half = (0.0 if mean > 0 else 1.0), (0.0 if mean < 0 else 1.0), 0.0
        else:
            se = sd / math.sqrt(n)
            p_more = float(stats.t.sf(mean / se, n - 1))
            p_less = float(stats.t.cdf(mean / se, n - 1))
            half = float(stats.t.ppf(0.975, n - 1) * se)
    elif base_samples is not None and cur_samples is not None and min(len(base_samples), len(cur_samples)) >= 2:
        # One pair only: judge the noise from the timing repeats (Welch's test on log times).
        a, b = np.log(np.asarray(base_samples, float)), np.log(np.asarray(cur_samples, float))
        mean = float(np.mean(b) - np.mean(a))
        p_more = float(stats.ttest_ind(b, a, equal_var=False, alternative="greater").pvalue)
        p_less = float(stats.ttest_ind(b, a, equal_var=False, alternative="less").pvalue)
        half = 1.96 * math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
        note = "judged on timing repeats"
    else:
        return TimeEvidence(math.exp(mean), math.nan, math.nan, math.nan, math.nan, n, seconds, difference, False,
                            "one pair: not judged (use 2+ seeds or repeats)")
    return TimeEvidence(math.exp(mean), math.exp(mean - half), math.exp(mean + half), p_more, p_less, n, seconds,
                        difference, True, note)


def pair_evidence(config: str, dataset: str, group: pd.DataFrame) -> PairEvidence:
    """The evidence of one config × dataset from its merged rows (suffixes ``_b``, ``_c``)."""
    task = group["task_c"].dropna().iloc[0] if group["task_c"].notna().any() else group["task_b"].dropna().iloc[0]
    metric = MAIN_METRIC[task]
    was_ok = group["status_b"] == Status.OK
    # only the current side can have rows without a record (the column keeps its name in the merge)
    missing = group[MISSING].fillna(False).astype(bool) if MISSING in group else False
    broke = group[was_ok & (group["status_c"].isin(BAD_STATUSES) | missing)]
    ok = group[was_ok & (group["status_c"] == Status.OK)]
    b = ok[f"test_{metric}_b"].to_numpy(float)
    c = ok[f"test_{metric}_c"].to_numpy(float)
    diff = (c - b) * (1.0 if HIGHER_IS_BETTER[metric] else -1.0)
    n = len(diff)
    one = n == 1
    fit = time_evidence(ok["fit_seconds_b"].to_numpy(float), ok["fit_seconds_c"].to_numpy(float),
                        _samples(ok["fit_seconds_samples_b"].iloc[0]) if one else None,
                        _samples(ok["fit_seconds_samples_c"].iloc[0]) if one else None)
    predict = time_evidence(ok["predict_seconds_b"].to_numpy(float), ok["predict_seconds_c"].to_numpy(float))
    # Each side's mean over its own ok jobs (a config that fails now still shows what it
    # scored before); the change is over the seed pairs ok on both sides.
    side_b = group.loc[was_ok, f"test_{metric}_b"].to_numpy(float)
    side_c = group.loc[group["status_c"] == Status.OK, f"test_{metric}_c"].to_numpy(float)
    return PairEvidence(
        config=str(config), dataset=str(dataset), metric=metric, n_pairs=n, n_jobs=len(group),
        baseline=float(np.mean(side_b)) if len(side_b) else math.nan,
        current=float(np.mean(side_c)) if len(side_c) else math.nan,
        change=float(np.mean(c - b)) if n else math.nan, gain=float(np.mean(diff)) if n else math.nan,
        gain_se=float(np.std(diff, ddof=1) / math.sqrt(n)) if n > 1 else (0.0 if n == 1 else math.nan),
        broke=len(broke), broke_status=_status(broke["status_c"].iloc[0]) if len(broke) else None,
        broke_error=str(broke["error_c"].iloc[0]) if len(broke) else None, fit=fit, predict=predict,
    )


def _status(value) -> Status | None:
    """A stored status as the enum; ``None`` for a job left without a record."""
    return Status(value) if isinstance(value, str) else None


def _samples(value):
    """Timing repeats as stored (a JSON list) or as given (a list); None when absent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        import json

        return json.loads(value)
    return list(value)


def gather(baseline: pd.DataFrame, current: pd.DataFrame) -> list[PairEvidence]:
    """Match the two runs' rows job by job and measure every config × dataset they share."""
    baseline = baseline.assign(train_size=baseline["train_size"].fillna(-1))
    current = current.assign(train_size=current["train_size"].fillna(-1))
    merged = baseline.merge(current, on=MATCH, suffixes=("_b", "_c"))
    return [pair_evidence(config, dataset, group)
            for (config, dataset), group in merged.groupby(["config", "dataset"], sort=True)]


def only_in(frame: pd.DataFrame, other: pd.DataFrame) -> list[str]:
    """'config on dataset' pairs of ``frame`` that ``other`` does not have."""
    mine = set(map(tuple, frame[["config", "dataset"]].to_numpy()))
    theirs = set(map(tuple, other[["config", "dataset"]].to_numpy()))
    return [f"{c} on {d}" for c, d in sorted(mine - theirs)]


def missing_now(current: pd.DataFrame, baseline: pd.DataFrame, plan: list) -> pd.DataFrame:
    """``current`` plus a row marked ``missing`` (no status: it has no record) for each job
    the current run planned (its own stored ``plan``) and the baseline has, but the current
    run left without a record.

    A job outside that plan was not asked for (it stays "not compared"); one inside it that
    has no record hung, crashed or was lost.
    """
    current = current.assign(**{MISSING: False})
    if not plan:
        return current

    def key(config, dataset, seed, fold, size):
        return (str(config), str(dataset), int(seed), int(fold), -1 if size is None or size != size else int(size))

    have = {key(*r) for r in current[MATCH].itertuples(index=False)}
    base = {key(*r) for r in baseline[MATCH].itertuples(index=False)}
    absent = [k for k in dict.fromkeys(key(*p) for p in plan) if k not in have and k in base]
    if not absent:
        return current
    rows = [{**empty_record(config=c, dataset=d, seed=s, fold=f, train_size=(None if t == -1 else t),
                            error="planned in the current run, but it left no record (hung, crashed or was lost)"),
             MISSING: True}
            for c, d, s, f, t in absent]
    return pd.concat([current, pd.DataFrame(rows).astype({"train_size": "float64"})], ignore_index=True)


def environment_differences(base_meta: dict, cur_meta: dict) -> list[str]:
    """Machine and set-up facts that differ between the two runs (latest run of each)."""
    out = []
    bv, cv = base_meta.get("versions", {}), cur_meta.get("versions", {})
    differ = [f"{k} {bv.get(k)} → {cv.get(k)}" for k in sorted(set(bv) | set(cv))
              if k != "familybench" and bv.get(k) != cv.get(k)]
    if differ:
        out.append("library versions differ: " + ", ".join(differ))
    for key, label in (("cpu", "CPU"), ("cpu_count", "CPU count"), ("threads_per_job", "threads per job"),
                       ("device", "device")):
        if base_meta.get(key) != cur_meta.get(key):
            out.append(f"{label} differs: {base_meta.get(key)} → {cur_meta.get(key)}")
    bg, cg = (base_meta.get("worker") or {}).get("gpu"), (cur_meta.get("worker") or {}).get("gpu")
    if bg != cg:
        out.append(f"GPU differs: {bg} → {cg}")
    return out


def center_and_sd(logs: np.ndarray) -> tuple[float, float]:
    """Median and robust SD (1.4826 × median absolute deviation)."""
    center = float(np.median(logs))
    return center, 1.4826 * float(np.median(np.abs(logs - center)))
