"""Export a tuned run's chosen parameters as a suite, so a tuned result can be reused.

``familybench export DIR best.toml --best-params`` writes one config per tuned config ×
dataset, restricted to that dataset, whose ``params`` are the validation-chosen ones. Over
seeds and folds, the chosen row with the best validation score decides (the lowest seed
on a tie); untuned configs are written as they ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from familybench._errors import FamilybenchError
from familybench.bench.results.metrics import HIGHER_IS_BETTER, MAIN_METRIC
from familybench.bench.results.record import Status
from familybench.bench.results.select import is_tuned, select_best
from familybench.bench.results.store import ResultStore, load_results


def _dataset_table(entry: dict) -> dict:
    """A stored DataSource (``Suite.to_dict``) back in the suite file's form."""
    if entry.get("loader") == "file":
        table = {"path": entry["path"], "target": entry["target"]}
        if entry.get("task"):
            table["task"] = entry["task"]
        return table
    table = dict(entry.get("params") or {})
    if entry.get("loader") and entry["loader"] != entry["name"]:
        table["generator"] = entry["loader"]
    return table


def _plain(value):
    """TOML has no None: drop it (the estimator default applies); tuples become lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def best_params(results: pd.DataFrame) -> pd.DataFrame:
    """Per config × dataset: the model, the chosen params and where they came from."""
    selected = select_best(results)
    selected = selected[selected["status"] == Status.OK]
    rows = []
    for (config, dataset), group in selected.groupby(["config", "dataset"], sort=True):
        task = group["task"].dropna().iloc[0] if group["task"].notna().any() else None
        metric = MAIN_METRIC.get(task)
        column = f"valid_{metric}" if metric else None
        if column and group[column].notna().any():
            sign = 1 if HIGHER_IS_BETTER[metric] else -1
            pick = (group.assign(_v=sign * group[column]).sort_values(["_v", "seed"], ascending=[False, True])).iloc[0]
        else:
            pick = group.sort_values("seed").iloc[0]
        params = pick["params"] if isinstance(pick["params"], dict) else json.loads(pick["params"] or "{}")
        rows.append({"config": config, "dataset": dataset, "model": pick["model"], "params": params,
                     "trial": pick["trial"], "seed": pick["seed"]})
    return pd.DataFrame(rows, columns=["config", "dataset", "model", "params", "trial", "seed"])


def export_best_params(directory: str | Path, path: str | Path) -> Path:
    """Write ``path`` (.toml): a suite of the chosen params per config × dataset."""
    import tomli_w

    path = Path(path)
    if path.suffix != ".toml":
        raise FamilybenchError(f"{path}: --best-params writes a suite file ending in .toml")
    results = load_results(directory)
    if not is_tuned(results):
        raise FamilybenchError(f"{directory}: not a tuned run (no trials); there are no chosen params to export")
    with ResultStore(directory, create=False) as store:
        runs = store.runs()
    suite = runs[-1]["suite"] if runs else {}
    chosen = best_params(results)
    datasets = {d["name"]: _dataset_table(d) for d in suite.get("datasets", []) if d["name"] in set(chosen["dataset"])}
    models = {}
    for row in chosen.itertuples():
        name = f"{row.config}@{row.dataset}"
        models[name] = {"model": row.model, "params": _plain(row.params), "datasets": [row.dataset]}
    document = {
        "name": f"{suite.get('name', 'run')}-best",
        "description": f"Validation-chosen params of {suite.get('name', 'a tuned run')} (familybench export --best-params)",
        "seeds": suite.get("seeds", [0]),
        "split": suite.get("split", "holdout"),
        "test_size": suite.get("test_size", 0.2),
        "datasets": _plain(datasets),
        "models": models,
    }
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    return path
