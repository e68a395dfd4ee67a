"""Compare two result directories and gate on speed and quality regressions.

Jobs are matched by config, dataset, seed, fold and train size. Per config × dataset:

- quality: the seed-paired change of the main test metric; a regression when the mean
  drop exceeds ``quality`` (absolute) *and* ``quality_se`` seed-paired standard errors;
- time: the seed-paired ratio current/baseline of fit and predict seconds (geometric mean,
  with a t confidence interval on the log ratios); a regression when it is at least
  ``1 + threshold`` *and* a one-sided paired t-test on the log ratios gives p < ``p_value``.
  The threshold is ``fit_seconds``/``predict_seconds`` (default +30%) for runs taken apart,
  ``interleaved_time`` (+10%) for interleaved runs, where machine drift cancels. Runs taken
  apart also share drift across seeds (a busy minute slows every seed of a dataset), which
  the paired test cannot see; so there a change must also stand out from the other
  configs' changes: its log ratio minus the median over the other configs' pairs must
  exceed ``spread`` robust standard deviations (1.4826 × MAD) of those log ratios and the
  threshold itself (with at least 4 such pairs timed above ``min_seconds``). When every pair
  moves together the comparison warns instead: drift and a change that slows everything
  look the same from runs taken apart (``--interleave`` tells them apart);
- status: ok in the baseline, and failed, timed out, out of memory or missing now ("missing":
  planned in the current run's own stored plan, but without a record); jobs outside that
  plan are "not compared".

Two tuned runs are compared on their ``select_best`` rows (seed-paired test scores of the
validation-chosen trials), with ``tuning_seconds`` judged as fit time with the runs-apart
threshold; a tuned run against an untuned one is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import FamilybenchError
from .gate_settings import CompareSettings
from .metrics import HIGHER_IS_BETTER, MAIN_METRIC
from .record import BAD_STATUSES
from .select import is_tuned, select_best
from .store import ResultStore, load_results

MATCH = ["config", "dataset", "seed", "fold", "train_size"]
BAD = (*BAD_STATUSES, "missing")  # "missing": planned in the current run, no record


@dataclass
class TimeChange:
    ratio: float
    low: float
    high: float
    p_value: float
    n: int
    threshold: float
    regression: bool
    improvement: bool
    note: str = ""
    seconds: float = math.nan  # the larger of the two mean times

    def cell(self) -> str:
        if not math.isfinite(self.ratio):
            return "–"
        mark = " ▼" if self.regression else (" ▲" if self.improvement else "")
        ci = f" [{self.low:.2f}, {self.high:.2f}]" if math.isfinite(self.low) else ""
        return f"×{self.ratio:.2f}{ci}{mark}"


@dataclass
class Row:
    config: str
    dataset: str
    metric: str
    n_pairs: int
    baseline: float
    current: float
    change: float
    change_se: float
    quality_regression: bool
    quality_improvement: bool
    fit: TimeChange
    predict: TimeChange
    status_regression: str | None = None

    @property
    def regression(self) -> bool:
        return self.quality_regression or self.fit.regression or self.predict.regression or bool(self.status_regression)

    def reasons(self) -> list[str]:
        out = []
        if self.status_regression:
            out.append(self.status_regression)
        if self.quality_regression:
            out.append(f"{self.metric} down {abs(self.change):.4f}")
        if self.fit.regression:
            out.append(f"fit ×{self.fit.ratio:.2f}")
        if self.predict.regression:
            out.append(f"predict ×{self.predict.ratio:.2f}")
        return out


@dataclass
class Comparison:
    baseline: str
    current: str
    rows: list[Row]
    interleaved: bool
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    settings: CompareSettings = field(default_factory=CompareSettings)

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.regression]

    def verdict(self) -> str:
        n = len(self.regressions)
        if n == 0:
            return f"✅ familybench compare: no regression in {len(self.rows)} config × dataset pairs"
        names = "; ".join(f"{r.config} on {r.dataset} ({', '.join(r.reasons())})" for r in self.regressions[:5])
        more = f" and {n - 5} more" if n > 5 else ""
        return f"❌ familybench compare: {n} regression{'s' if n > 1 else ''}: {names}{more}"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "config": r.config, "dataset": r.dataset, "metric": r.metric, "n_pairs": r.n_pairs,
                    "baseline": r.baseline, "current": r.current, "change": r.change,
                    "fit_ratio": r.fit.ratio, "fit_p": r.fit.p_value, "predict_ratio": r.predict.ratio,
                    "predict_p": r.predict.p_value, "regression": r.regression, "reasons": "; ".join(r.reasons()),
                }
                for r in self.rows
            ]
        )

    def markdown(self) -> str:
        s = self.settings
        time_rule = (
            f"+{s.interleaved_time:.0%} (interleaved)" if self.interleaved
            else f"fit +{s.fit_seconds:.0%} / predict +{s.predict_seconds:.0%}"
        )
        lines = [
            f"**{self.verdict()}**",
            "",
            f"Baseline `{self.baseline}` → current `{self.current}`. ▼ worse, ▲ better, beyond both the "
            f"threshold and the noise: quality drop > {s.quality} and > {s.quality_se:g} seed-paired SE; "
            f"time ≥ {time_rule} with a paired test p < {s.p_value} and ≥ {s.min_seconds:g} s"
            + ("" if self.interleaved else f", standing out by > {s.spread:g} robust SD from the other pairs' changes")
            + ". Time cells: current/baseline ratio [95% CI].",
            "",
        ]
        for warning in self.warnings:
            lines.append(f"> ⚠️ {warning}")
        if self.warnings:
            lines.append("")
        lines += [
            "| | config | dataset | metric | baseline | current | Δ | fit time | predict time |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(self.rows, key=lambda r: (not r.regression, r.dataset, r.config)):
            mark = "▼" if r.regression else ("▲" if r.quality_improvement or r.fit.improvement else "")
            if r.status_regression:
                delta = r.status_regression
            else:
                q = " ▼" if r.quality_regression else (" ▲" if r.quality_improvement else "")
                se = f" ± {r.change_se:.4f}" if math.isfinite(r.change_se) else ""
                delta = f"{r.change:+.4f}{se}{q}"
            lines.append(
                f"| {mark} | {_md(r.config)} | {_md(r.dataset)} | {r.metric} | {_num(r.baseline)} | "
                f"{_num(r.current)} | {_md(delta)} | {r.fit.cell()} | {r.predict.cell()} |"
            )
        if self.missing:
            lines += ["", f"Only in the baseline (not compared): {', '.join(map(_md, self.missing))}"]
        if self.added:
            lines += ["", f"Only in the current run (new): {', '.join(map(_md, self.added))}"]
        return "\n".join(lines) + "\n"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4f}"


def _time_change(base: np.ndarray, cur: np.ndarray, threshold: float, alpha: float,
                 base_samples=None, cur_samples=None, min_seconds: float = 0.0) -> TimeChange:
    from scipy import stats

    good = (base > 0) & (cur > 0) & np.isfinite(base) & np.isfinite(cur)
    logs = np.log(cur[good] / base[good])
    n = len(logs)
    if n == 0:
        return TimeChange(math.nan, math.nan, math.nan, math.nan, 0, threshold, False, False, "no timings")
    mean = float(np.mean(logs))
    note = ""
    if n >= 2:
        sd = float(np.std(logs, ddof=1))
        if sd == 0:
            p_more = 0.0 if mean > 0 else 1.0
            p_less = 0.0 if mean < 0 else 1.0
            half = 0.0
        else:
            se = sd / math.sqrt(n)
            p_more = float(stats.t.sf(mean / se, n - 1))
            p_less = float(stats.t.cdf(mean / se, n - 1))
            half = float(stats.t.ppf(0.975, n - 1) * se)
    elif base_samples is not None and cur_samples is not None and min(len(base_samples), len(cur_samples)) >= 2:
        # One pair only: judge the noise from the timing repeats (Welch's test on log times).
        a, b = np.log(base_samples), np.log(cur_samples)
        mean = float(np.mean(b) - np.mean(a))
        test_more = stats.ttest_ind(b, a, equal_var=False, alternative="greater")
        test_less = stats.ttest_ind(b, a, equal_var=False, alternative="less")
        p_more, p_less = float(test_more.pvalue), float(test_less.pvalue)
        se = math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
        half = 1.96 * se
        note = "judged on timing repeats"
    else:
        ratio = math.exp(mean)
        return TimeChange(ratio, math.nan, math.nan, math.nan, n, threshold, False, False,
                          "one pair: not judged (use 2+ seeds or repeats)")
    ratio = math.exp(mean)
    seconds = float(max(np.mean(base[good]), np.mean(cur[good])))
    large = abs(float(np.mean(cur[good]) - np.mean(base[good]))) >= min_seconds
    regression = large and ratio >= 1 + threshold and p_more < alpha
    improvement = large and ratio <= 1 / (1 + threshold) and p_less < alpha
    return TimeChange(ratio, math.exp(mean - half), math.exp(mean + half), p_more, n, threshold,
                      regression, improvement, note, seconds)


def _judge_against_spread(rows: list[Row], kind: str, defaults: CompareSettings,
                          per_config: dict[str, CompareSettings]) -> list[str]:
    """Runs taken apart: keep a time flag only where the change stands out from the others'.

    Seeds of one run share its machine state, so the seed-paired test alone takes drift
    for a change. The spread of the log ratios of the *other* configs' pairs is the
    run-to-run noise of this very comparison (a changed config moves all its datasets, so
    its own pairs are left out); a flagged pair must exceed their median by ``spread``
    robust SDs and by the threshold. Returns warnings (a whole-run shift).
    """
    timed = [(r.config, math.log(getattr(r, kind).ratio)) for r in rows
             if _timed(getattr(r, kind), defaults.min_seconds)]
    for row in rows:
        change = getattr(row, kind)
        if not (change.regression or change.improvement):
            continue
        others = np.array([value for config, value in timed if config != row.config])
        if len(others) < 4:
            continue  # too few other pairs to measure the drift: the seed-paired verdict stands
        center, sd = _center_and_sd(others)
        bound = max(per_config.get(row.config, defaults).spread * sd, math.log(1 + change.threshold))
        deviation = math.log(change.ratio) - center
        if (change.regression and deviation <= bound) or (change.improvement and deviation >= -bound):
            change.regression = change.improvement = False
            change.note = (f"within this comparison's spread: other configs' median ×{math.exp(center):.2f}, "
                           f"robust SD ×{math.exp(sd):.2f}")
    if len(timed) < 5:
        return []
    center, _ = _center_and_sd(np.array([value for _, value in timed]))
    if abs(center) >= math.log(1 + getattr(defaults, f"{kind}_seconds")):
        return [f"{kind} times of all configs moved together: median ×{math.exp(center):.2f} over {len(timed)} "
                "config × dataset pairs — machine drift, or a change that slows everything; runs taken apart "
                "cannot tell these apart (use `familybench compare --interleave`)"]
    return []


def _timed(change: TimeChange, min_seconds: float) -> bool:
    return math.isfinite(change.ratio) and change.ratio > 0 and change.seconds >= min_seconds


def _center_and_sd(logs: np.ndarray) -> tuple[float, float]:
    """Median and robust SD (1.4826 × median absolute deviation)."""
    center = float(np.median(logs))
    return center, 1.4826 * float(np.median(np.abs(logs - center)))


def _settings_by_config(directory: Path, base: CompareSettings) -> tuple[CompareSettings, dict[str, CompareSettings], dict]:
    with ResultStore(directory, create=False) as store:
        runs = store.runs()
    if not runs:
        return base, {}, {}
    suite = runs[-1]["suite"]
    top = base.updated(suite.get("compare"))
    per_config = {m["config"]: top.updated(m.get("compare")) for m in suite.get("models", [])}
    return top, per_config, runs[-1]["meta"]


def _environment_warnings(base_meta: dict, cur_meta: dict) -> list[str]:
    warnings = []
    bv, cv = base_meta.get("versions", {}), cur_meta.get("versions", {})
    differ = [f"{k} {bv.get(k)} → {cv.get(k)}" for k in sorted(set(bv) | set(cv)) if k != "familybench" and bv.get(k) != cv.get(k)]
    if differ:
        warnings.append("library versions differ: " + ", ".join(differ))
    for key, label in (("cpu", "CPU"), ("cpu_count", "CPU count"), ("threads_per_job", "threads per job"),
                       ("device", "device")):
        if base_meta.get(key) != cur_meta.get(key):
            warnings.append(f"{label} differs: {base_meta.get(key)} → {cur_meta.get(key)}")
    bg, cg = base_meta.get("worker", {}).get("gpu"), cur_meta.get("worker", {}).get("gpu")
    if bg != cg:
        warnings.append(f"GPU differs: {bg} → {cg}")
    return warnings


def _with_missing_now(current: pd.DataFrame, baseline: pd.DataFrame, directory: Path) -> pd.DataFrame:
    """Rows with status ``missing`` for what the current run planned but did not record.

    Only jobs in the current run's own stored plan count: one outside it was not asked for
    (it stays "not compared"); one inside it that has no record hung, crashed or was lost.
    """
    with ResultStore(directory, create=False) as store:
        plan = store.plan()
    if not plan:
        return current

    def key(config, dataset, seed, fold, size):
        return (str(config), str(dataset), int(seed), int(fold), -1 if size is None or size != size else int(size))

    have = {key(*r) for r in current[MATCH].itertuples(index=False)}
    base = {key(*r) for r in baseline[MATCH].itertuples(index=False)}
    absent = [k for k in dict.fromkeys(key(*p) for p in plan) if k not in have and k in base]
    if not absent:
        return current
    from .record import empty_record

    rows = [empty_record(config=c, dataset=d, seed=s, fold=f, train_size=(None if t == -1 else t), status="missing",
                         error="planned in the current run, but it left no record (hung, crashed or was lost)")
            for c, d, s, f, t in absent]
    return pd.concat([current, pd.DataFrame(rows).astype({"train_size": "float64"})], ignore_index=True)


def _tuned_view(selected: pd.DataFrame) -> pd.DataFrame:
    return selected.assign(fit_seconds=selected["tuning_seconds"], fit_seconds_samples=None)


def compare_runs(baseline: str | Path, current: str | Path, *, interleaved: bool = False,
                 settings: CompareSettings | None = None) -> Comparison:
    """Compare the results in two directories; see the module docstring for the rules."""
    for directory in (baseline, current):
        if not (Path(directory) / "results.sqlite").is_file():
            raise FamilybenchError(f"{directory}: no results.sqlite here (not a familybench run directory)")
    base_frame, cur_frame = load_results(baseline), load_results(current)
    tuned = (is_tuned(base_frame), is_tuned(cur_frame))
    if tuned[0] != tuned[1]:
        which = f"{baseline if tuned[0] else current} is tuned, {current if tuned[0] else baseline} is not"
        raise FamilybenchError(f"cannot compare a tuned run with an untuned one ({which}): "
                               "their rows are chosen on different terms")
    if tuned[0]:
        # Tuned runs are judged on the validation-chosen rows; "fit time" is the cost of
        # tuning a group (its trials' summed fit seconds), judged like fit time apart.
        base_frame, cur_frame = (_tuned_view(select_best(f)) for f in (base_frame, cur_frame))
        interleaved = False
    cur_frame = _with_missing_now(cur_frame, base_frame, Path(current))
    defaults, per_config, cur_meta = _settings_by_config(Path(current), settings or CompareSettings())
    _, _, base_meta = _settings_by_config(Path(baseline), settings or CompareSettings())
    for frame in (base_frame, cur_frame):
        frame["train_size"] = frame["train_size"].fillna(-1)
    merged = base_frame.merge(cur_frame, on=MATCH, suffixes=("_b", "_c"))
    if merged.empty:
        raise FamilybenchError(f"{baseline} and {current} have no jobs in common (same configs, datasets and seeds)")
    pairs_base = set(map(tuple, base_frame[["config", "dataset"]].to_numpy()))
    pairs_cur = set(map(tuple, cur_frame[["config", "dataset"]].to_numpy()))
    rows = []
    for (config, dataset), group in merged.groupby(["config", "dataset"], sort=True):
        s = per_config.get(config, defaults)
        task = group["task_c"].dropna().iloc[0] if group["task_c"].notna().any() else group["task_b"].dropna().iloc[0]
        metric = MAIN_METRIC[task]
        broke = group[(group["status_b"] == "ok") & group["status_c"].isin(BAD)]
        status = None
        if len(broke):
            status = f"now {broke['status_c'].iloc[0]} ({len(broke)}/{len(group)}): {broke['error_c'].iloc[0]}"
        ok = group[(group["status_b"] == "ok") & (group["status_c"] == "ok")]
        b = ok[f"test_{metric}_b"].to_numpy(float)
        c = ok[f"test_{metric}_c"].to_numpy(float)
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        diff = (c - b) * sign  # > 0: better
        n = len(diff)
        change = float(np.mean(c - b)) if n else math.nan
        se = float(np.std(diff, ddof=1) / math.sqrt(n)) if n > 1 else (0.0 if n == 1 else math.nan)
        gain = float(np.mean(diff)) if n else math.nan
        quality_regression = n > 0 and -gain > s.quality and -gain > s.quality_se * se
        quality_improvement = n > 0 and gain > s.quality and gain > s.quality_se * se
        fit_threshold = s.interleaved_time if interleaved else s.fit_seconds
        predict_threshold = s.interleaved_time if interleaved else s.predict_seconds
        samples_b = ok["fit_seconds_samples_b"].iloc[0] if n == 1 else None
        samples_c = ok["fit_seconds_samples_c"].iloc[0] if n == 1 else None
        fit = _time_change(ok["fit_seconds_b"].to_numpy(float), ok["fit_seconds_c"].to_numpy(float),
                           fit_threshold, s.p_value, samples_b, samples_c, s.min_seconds)
        predict = _time_change(ok["predict_seconds_b"].to_numpy(float), ok["predict_seconds_c"].to_numpy(float),
                               predict_threshold, s.p_value, min_seconds=s.min_seconds)
        rows.append(Row(config, dataset, metric, n, float(np.mean(b)) if n else math.nan,
                        float(np.mean(c)) if n else math.nan, change, se, bool(quality_regression),
                        bool(quality_improvement), fit, predict, status))
    warnings = _environment_warnings(base_meta, cur_meta)
    if not interleaved:
        for kind in ("fit", "predict"):
            warnings += _judge_against_spread(rows, kind, defaults, per_config)
    return Comparison(
        baseline=str(baseline), current=str(current), rows=rows, interleaved=interleaved,
        warnings=warnings,
        missing=[f"{c} on {d}" for c, d in sorted(pairs_base - pairs_cur)],
        added=[f"{c} on {d}" for c, d in sorted(pairs_cur - pairs_base)],
        settings=defaults,
    )


__all__ = ["CompareSettings", "Comparison", "compare_runs"]
