"""A Markdown summary of a run: per dataset, each config's main score, time and size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..bench.metrics import MAIN_METRIC
from ..bench.store import ResultStore, load_results


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset × config: mean ± std of the main test metric over seeds and folds."""
    rows = []
    for (dataset, config), group in results.groupby(["dataset", "config"], sort=True):
        ok = group[group["status"] == "ok"]
        task = group["task"].dropna().iloc[0] if group["task"].notna().any() else None
        metric = MAIN_METRIC.get(task, "")
        values = ok[f"test_{metric}"].to_numpy(dtype=float) if metric else np.array([])
        failed = group[group["status"].isin(["failed", "timeout"])]
        rows.append(
            {
                "dataset": dataset,
                "task": task,
                "config": config,
                "family": group["family"].dropna().iloc[0] if group["family"].notna().any() else None,
                "metric": metric,
                "mean": float(np.mean(values)) if len(values) else np.nan,
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else np.nan,
                "fit_seconds": float(ok["fit_seconds"].median()) if len(ok) else np.nan,
                "predict_seconds": float(ok["predict_seconds"].median()) if len(ok) else np.nan,
                "n_params": float(ok["n_params"].median()) if len(ok) and ok["n_params"].notna().any() else np.nan,
                "n_ok": len(ok),
                "n_jobs": len(group),
                "status": ", ".join(f"{s} {n}" for s, n in group["status"].value_counts().items()),
                "error": failed["error"].iloc[0] if len(failed) else None,
            }
        )
    return pd.DataFrame(rows)


def _fmt(value, digits=4):
    return "–" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def _md_escape(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_report(directory: str | Path) -> Path:
    """Write ``DIR/report.md`` from ``DIR/results.sqlite``; returns its path."""
    directory = Path(directory)
    results = load_results(directory)
    with ResultStore(directory, create=False) as store:
        runs = store.runs()
    table = summary_table(results)
    lines = ["# familybench report", ""]
    if runs:
        last = runs[-1]
        meta, suite = last["meta"], last["suite"]
        versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items() if v)
        lines += [
            f"Suite **{_md_escape(suite.get('name', '?'))}**, seeds {suite.get('seeds')}, "
            f"split {suite.get('split')}, device {suite.get('device')}; "
            f"{len(results)} jobs in this directory. Models use fixed configurations (defaults or the "
            "suite's params), not tuned.",
            "",
            f"Machine: {meta.get('cpu')} ({meta.get('cpu_count')} CPUs), Python {meta.get('python')}; {versions}. "
            f"Commit {meta.get('git_commit') or 'n/a'}. Last run {last['started_at']}, "
            f"{_fmt(last['wall_seconds'] or float('nan'), 1)} s.",
            "",
        ]
    for dataset, group in table.groupby("dataset", sort=True):
        task = group["task"].dropna().iloc[0] if group["task"].notna().any() else "?"
        metric = group["metric"].iloc[0] or "score"
        lines += [f"## {_md_escape(dataset)} ({task}, test {metric})", ""]
        lines += [f"| config | family | test {metric} | fit s | predict s | params | jobs |", "|---|---|---|---|---|---|---|"]
        ordered = group.sort_values("mean", ascending=False, na_position="last")
        for row in ordered.itertuples():
            score = _fmt(row.mean) + (f" ± {_fmt(row.std)}" if not np.isnan(row.std) else "")
            if row.n_ok == 0:
                score = f"**{_md_escape(row.status)}**"
            params = "–" if np.isnan(row.n_params) else f"{int(row.n_params):,}"
            lines.append(
                f"| {_md_escape(row.config)} | {_md_escape(row.family)} | {score} | {_fmt(row.fit_seconds, 3)} | "
                f"{_fmt(row.predict_seconds, 4)} | {params} | {_md_escape(row.status)} |"
            )
        failures = ordered[ordered["error"].notna()]
        for row in failures.itertuples():
            lines.append(f"\n- `{_md_escape(row.config)}`: {_md_escape(row.error)}")
        lines.append("")
    path = directory / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
