"""The run metadata block: what ran, where, when, and how models were configured."""

from __future__ import annotations

import json

import pandas as pd

from familybench.bench.results.record import BAD_STATUSES, Role, Status
from familybench.bench.results.versions import version_groups

from ._format import fmt_seconds, html_text, md_text
from ._render import html_table, markdown_table
from .sections import Section

UNTUNED = (
    "Models were not tuned. Each config ran with fixed hyperparameters: the model's defaults, "
    "overridden only by the params the suite sets (listed below). No search over "
    "hyperparameters was done on these data, so this compares defaults, not each family at "
    "its best; a tuned comparison could rank them differently."
)


def _protocol_statement(context) -> str:
    if not context.tuned or context.protocol == "tuned":
        return ""
    if context.protocol == "default":
        return (" This report ranks and tests each config's defaults (trial 0, fitted on the inner-train rows), "
                "not its tuned trial (report --protocol tuned).")
    return (" This report ranks and tests each config's post-hoc ensemble of its trials (greedy selection on "
            "validation predictions; fit time = its members' summed fits), not its single tuned trial "
            "(report --protocol tuned).")


def tuning_statement(context) -> str:
    """How the configs were tuned (or that they were not), from the run's settings and rows."""
    if not context.tuned:
        return UNTUNED
    from familybench.bench.suite.spec import TuneSettings

    settings = TuneSettings(**{k: v for k, v in context.tune_settings.items() if k in TuneSettings.__dataclass_fields__})
    text = f"Tuned: {settings.describe()}; trial 0 is each config's own params, the chosen trial is the best on " \
           "validation rows (never on test rows)."
    trials = context.all_results[context.all_results["role"] == Role.TRIAL]
    selected = context.chosen
    once = selected[(selected["n_trials"] == 1) & (selected["tune_trials"] == 1)]
    single = []
    for config, rows in once.groupby("config", sort=False):
        tasks = sorted(set(rows["task"].dropna()))
        everywhere = set(selected.loc[selected["config"] == config, "task"].dropna()) == set(tasks)
        single.append(str(config) if everywhere else f"{config} on {' and '.join(tasks)} datasets")
    if single:
        text += (" Ran trial 0 only (nothing to tune there: no search space, a one-point space or tune = false): "
                 f"{', '.join(single)}.")
    ran_out = sorted(set(selected.loc[selected["stop_reason"] == "time_budget", "config"].astype(str)))
    if ran_out:
        text += f" Stopped by the time budget on some datasets: {', '.join(ran_out)}."
    cut = sorted(set(selected.loc[selected["stop_reason"] == "incomplete", "config"].astype(str)))
    if cut:
        text += f" Fewer trials than asked (interrupted run): {', '.join(cut)}."
    bad = trials["status"].isin(BAD_STATUSES)
    if bad.any():
        text += f" {int(bad.sum())} of {len(trials)} trials failed, timed out or ran out of memory"
        skipped = int((trials["status"] == Status.SKIPPED).sum())
        text += f" and {skipped} were skipped." if skipped else "."
    return text


def _versions(rows: pd.DataFrame, runs: list[dict], meta: dict) -> str:
    """Versions per group of rows (their provenance), not the latest run's alone."""
    python = f"Python {meta['python']}; " if meta.get("python") else ""
    groups = version_groups(rows, runs)
    if len(groups) == 1 and groups[0].libraries:
        g = groups[0]
        # the families' own distributions follow under their names (only the run's families)
        from familybench.bench.results.provenance import SHARED_RESULT_PACKAGES

        # (a store from before family_versions lists them all here)
        own = set(g.libraries) - set(SHARED_RESULT_PACKAGES) if meta.get("family_versions") is not None else set()
        return f"{python}familybench {g.familybench}, {g.libraries_text(leave_out=own)} (source {g.source[:20]})"
    if groups:
        return python + "; ".join(g.describe() for g in groups)
    versions = meta.get("versions") or {}  # rows without provenance (an old store): the latest run's
    if not meta.get("python"):
        return "unknown"
    return python + ", ".join(f"{name} {v}" for name, v in versions.items() if v) + " (the latest run's)"


def machine_text(meta: dict) -> str:
    if not meta.get("cpu"):
        return "unknown"
    memory = meta.get("memory_bytes")
    parts = [str(meta.get("cpu") or "?"), f"{meta.get('cpu_count', '?')} CPUs"]
    if memory:
        parts.append(f"{memory / 2**30:.0f} GiB RAM")
    return ", ".join(parts) + f" — {meta.get('platform') or '?'}"


def device_text(suite: dict, meta: dict) -> str:
    worker = meta.get("worker") or {}
    gpu = worker.get("gpu") or worker.get("gpu_name") or worker.get("device_name")
    text = f"requested {suite.get('device', '?')}"
    if gpu:
        text += f"; GPU {gpu}"
    elif "cuda_available" in worker:
        text += "; CUDA " + ("available" if worker["cuda_available"] else "not available (CPU only)")
    devices = sorted({str(d) for d in meta.get("_devices", []) if d})
    if devices:
        text += f"; models ran on {', '.join(devices)}"
    threads, parallel = meta.get("threads_per_job"), meta.get("parallel_jobs")
    if threads or parallel:
        text += f"; {parallel or 1} parallel job(s), {threads or '?'} thread(s) each"
    return text


def _family_versions(meta: dict, families) -> str:
    """Each of the run's families with the distributions its spec declares
    (``boosting: lightgbm 4.7.0``), as the latest run found them (a plug-in family's are
    not in the rows' library digest)."""
    by_family = meta.get("family_versions") or {}
    parts = [f"{family}: " + ", ".join(f"{dist} {version or 'not installed'}" for dist, version in by_family[family].items())
             for family in families if by_family.get(family)]
    return "; ".join(parts)


def _stamp(text) -> str:
    """``2026-11-27T03:52:54+00:00`` → ``2026-11-27 03:52:54`` (the label says UTC)."""
    return str(text).replace("T", " ").removesuffix("+00:00") if text else "?"


def _when(runs: list[dict]) -> str:
    start, end = _stamp(runs[0].get("started_at")), runs[-1].get("finished_at")
    end = _stamp(end) if end else "(not finished)"
    if end[:10] == start[:10]:
        end = end[11:]
    return (f"{len(runs)} runs, " if len(runs) > 1 else "") + f"{start} → {end}"


def _plan(suite: dict) -> str:
    split = suite.get("split")
    if isinstance(split, dict):
        split = f"{split['kfold']}-fold cross-validation"
    else:
        split = f"holdout, test size {suite.get('test_size')}"
    sizes = [s for s in suite.get("train_sizes", [None]) if s is not None]
    text = f"{split}; repeats {suite.get('repeats', 1)}; timeout {suite.get('timeout', 0):g} s per job"
    return text + (f"; training sizes capped at {', '.join(map(str, sizes))}" if sizes else "")


def metadata_items(context) -> list[tuple[str, str]]:
    """(label, plain text) pairs describing the run; values are escaped when rendered."""
    results, suite, meta, runs = context.results, context.suite, dict(context.meta), context.runs
    meta["_devices"] = results["device"].dropna().unique().tolist()
    every = context.all_results
    counts = every["status"].value_counts()
    jobs = ", ".join(f"{counts[s.value]} {s.value}" for s in Status if s.value in counts)
    seeds = sorted({int(s) for s in results["seed"].dropna()})
    items = [
        ("Suite", f"{suite.get('name', '?')} ({suite.get('source', '?')})"
         + (f" — {suite['description']}" if suite.get("description") else "")),
        ("Date (UTC)", _when(runs) if runs else "unknown"),
        ("Total time", fmt_seconds(sum(r.get("wall_seconds") or 0 for r in runs)) + " s wall clock"
         + (f" ({len(runs)} runs)" if len(runs) > 1 else "")),
        ("Jobs", (f"{len(every)} ({jobs})" + (" — trials, refits and plot jobs included" if context.tuned else ""))
         if len(every) else "none"),
        ("Seeds", f"{len(seeds)}: {', '.join(map(str, seeds))}" if seeds else "none"),
        ("Plan", _plan(suite) if suite else "unknown"),
        ("Datasets", f"{len(context.datasets)}: {', '.join(context.datasets)}"),
        ("Configs", f"{len(context.configs)}: {', '.join(context.configs)}"),
        ("Model configuration", tuning_statement(context) + _protocol_statement(context)),
        ("Machine", machine_text(meta)),
        ("Device", device_text(suite, meta)),
        ("Versions", "; ".join(filter(None, [_versions(every, runs, meta), _family_versions(
            meta, list(every["family"].dropna().unique()) if "family" in every else [])]))),
        ("Commit", str(meta.get("git_commit") or "not a git checkout")),
    ]
    groups = version_groups(every, runs)
    if len(groups) > 1:
        items.append(("Warning", f"These rows come from {len(groups)} different versions (listed under Versions): "
                                 "numbers of one group may not be comparable with another's."))
    if not runs:  # results written without `familybench run` (e.g. copied in): say so, once
        unknown = {"Suite", "Date (UTC)", "Total time", "Plan", "Device", "Commit"}
        items = [(label, "unknown" if label in unknown else value) for label, value in items]
        items.append(("Warning", "This directory holds no run metadata; the results' origin is unknown."))
    if meta.get("command"):
        items.append(("Command", str(meta["command"])))
    cold = (meta.get("worker") or {}).get("cold_start")
    if cold:
        items.append(("Warning", f"The warm-up of {', '.join(cold)} failed or overran its time limit: the first "
                                 "job of each worker on them started cold (imports inside its clock)."))
    if meta.get("interrupted"):
        items.append(("Warning", "The latest run was interrupted: not every job finished."))
    return items


def configs_table(context) -> pd.DataFrame:
    """Each config's model, family and the params the suite set (the rest are defaults)."""
    rows = []
    listed = {m["config"]: m for m in context.suite.get("models", [])}
    for config in context.configs:
        entry = listed.get(config)
        if entry is None:  # from an earlier run: the stored params are the record's
            record = context.results[context.results["config"] == config].iloc[0]
            entry = {"model": record["model"], "params": record["params"] or {}}
        params = entry.get("params") or {}
        rows.append({
            "config": config,
            "model": entry.get("model"),
            "family": context.config_family(config) or "?",
            "params set by the suite": json.dumps(params, sort_keys=True, default=str) if params else "(defaults)",
        })
    return pd.DataFrame(rows, columns=["config", "model", "family", "params set by the suite"])


def metadata_section(context) -> Section:
    items = metadata_items(context)
    configs = configs_table(context)
    md = "\n".join(f"- **{md_text(label)}:** {md_text(value)}" for label, value in items)
    html = "<dl class=meta>" + "".join(
        f"<dt>{html_text(label)}</dt><dd{' class=note' if label == 'Model configuration' else ''}>"
        f"{html_text(value)}</dd>"
        for label, value in items
    ) + "</dl>"
    md += "\n\nModel configurations (hyperparameters not listed are the model's defaults):\n\n"
    md += markdown_table(configs)
    html += "<p>Model configurations (hyperparameters not listed are the model's defaults):</p>"
    html += html_table(configs)
    return Section(title="Run", markdown=md, html=html)
