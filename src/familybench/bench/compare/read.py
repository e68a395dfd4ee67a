"""Compare two result directories and gate on speed and quality regressions.

Three steps joined by plain data: the evidence (``compare_evidence``: pure functions of the
two runs' rows), one policy step that decides every verdict once (``compare_policy``), and
the text (``compare_render``: Markdown for a pull request, a terminal summary). This module
only reads the two directories and hands their rows along.

Jobs are matched by config, dataset, seed, fold and train size; the rules are in
``compare_policy``'s docstring. The versions that made the compared rows are stated per
group of rows (their provenance columns), and library differences are judged on them.

Two tuned runs are compared under one protocol, like with like: ``tuned`` (the default:
their ``select_best`` rows, seed-paired test scores of the validation-chosen trials, with
``tuning_seconds`` judged as fit time with the runs-apart threshold), ``default`` (each
group's trial 0, its own fit time) or ``ensembled`` (each config's post-hoc ensemble of its
trials, from the kept predictions; fit time = its members' summed fits). A tuned run against
an untuned one is refused; untuned runs have only the ``default`` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from familybench._errors import FamilybenchError
from familybench.bench.compare import render as compare_render
from familybench.bench.compare.evidence import (
    MATCH,
    MISSING,
    environment_differences,
    gather,
    missing_now,
    only_in,
)
from familybench.bench.compare.policy import Row, TimeChange, decide
from familybench.bench.results.ensemble import protocol_rows
from familybench.bench.results.record import Protocol
from familybench.bench.results.select import is_tuned
from familybench.bench.results.store import ResultStore, load_results
from familybench.bench.results.versions import VersionGroup, version_groups
from familybench.bench.suite.gate import CompareSettings


@dataclass(frozen=True)
class Comparison:
    baseline: str
    current: str
    rows: list[Row]
    interleaved: bool
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # config × dataset only in the baseline
    added: list[str] = field(default_factory=list)  # only in the current run
    settings: CompareSettings = field(default_factory=CompareSettings)
    versions: dict[str, list[VersionGroup]] = field(default_factory=dict)  # side -> groups of compared rows
    protocol: str | None = None  # tuned runs: the protocol both sides' rows come from

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.regression]

    def sorted_rows(self) -> list[Row]:
        return sorted(self.rows, key=lambda r: (not r.regression, r.dataset, r.config))

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
        return compare_render.markdown(self)

    def terminal(self) -> str:
        return compare_render.terminal(self)


def _read(directory: Path, base: CompareSettings) -> tuple[CompareSettings, dict[str, CompareSettings], list, list]:
    """A directory's gate settings (its latest run's suite), runs and stored plan."""
    with ResultStore(directory, create=False) as store:
        runs, plan = store.runs(), store.plan()
    if not runs:
        return base, {}, [], plan
    suite = runs[-1]["suite"]
    top = base.updated(suite.get("compare"))
    per_config = {m["config"]: top.updated(m.get("compare")) for m in suite.get("models", [])}
    return top, per_config, runs, plan


def _library_warning(base: list[VersionGroup], cur: list[VersionGroup]) -> list[str]:
    """Library versions that differ between the compared rows (not just the latest runs)."""
    def versions(groups):
        out: dict[str, set] = {}
        for g in groups:
            for name, version in (g.libraries or {}).items():
                out.setdefault(name, set()).add(version)
        return out

    if {g.libs_digest for g in base} == {g.libs_digest for g in cur}:
        return []
    bv, cv = versions(base), versions(cur)
    differ = [f"{k} {'/'.join(sorted(map(str, bv.get(k, {None}))))} → {'/'.join(sorted(map(str, cv.get(k, {None}))))}"
              for k in sorted(set(bv) | set(cv)) if bv.get(k) != cv.get(k)]
    if differ:
        return ["library versions of the compared rows differ: " + ", ".join(differ)]
    return ["library versions of the compared rows differ (digests "
            f"{', '.join(sorted({g.libs_digest for g in base}))} → {', '.join(sorted({g.libs_digest for g in cur}))})"]


def _protocol_rows(directory, frame: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """A tuned run's rows under ``protocol`` (see the module docstring)."""
    rows = protocol_rows(directory, frame, protocol).assign(fit_seconds_samples=None)
    if protocol == Protocol.TUNED.value:
        # the validation-chosen rows; "fit time" is the cost of tuning a group (its trials'
        # summed fit seconds), judged like fit time apart
        rows["fit_seconds"] = rows["tuning_seconds"]
    return rows


def compare_runs(baseline: str | Path, current: str | Path, *, interleaved: bool = False,
                 settings: CompareSettings | None = None, protocol: str | None = None) -> Comparison:
    """Compare the results in two directories; see ``compare_policy`` for the rules.

    ``protocol`` (tuned runs): ``"tuned"`` (default), ``"default"`` or ``"ensembled"``.
    """
    names = [p.value for p in Protocol]
    if protocol is not None and protocol not in names:
        raise FamilybenchError(f"unknown protocol {protocol!r}; expected one of {', '.join(names)}")
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
        protocol = protocol or Protocol.TUNED.value
        base_frame = _protocol_rows(baseline, base_frame, protocol)
        cur_frame = _protocol_rows(current, cur_frame, protocol)
        interleaved = False
    elif protocol not in (None, Protocol.DEFAULT.value):
        raise FamilybenchError(f"untuned runs have only the default protocol, not {protocol!r}")
    defaults, per_config, cur_runs, plan = _read(Path(current), settings or CompareSettings())
    _, _, base_runs, _ = _read(Path(baseline), settings or CompareSettings())
    cur_frame = missing_now(cur_frame, base_frame, plan)
    evidence = gather(base_frame, cur_frame)
    if not evidence:
        raise FamilybenchError(f"{baseline} and {current} have no jobs in common (same configs, datasets and seeds)")
    rows, warnings = decide(evidence, interleaved=interleaved, defaults=defaults, per_config=per_config)
    compared = {(e.config, e.dataset) for e in evidence}

    def shared(frame):
        return frame[[(c, d) in compared for c, d in zip(frame["config"], frame["dataset"], strict=True)]]

    versions = {"baseline": version_groups(shared(base_frame), base_runs),
                "current": version_groups(shared(cur_frame[~cur_frame[MISSING]]), cur_runs)}
    base_meta = base_runs[-1]["meta"] if base_runs else {}
    cur_meta = cur_runs[-1]["meta"] if cur_runs else {}
    facts = environment_differences(base_meta, cur_meta)
    if versions["baseline"] and versions["current"]:  # rows say where they came from: trust them over the meta
        facts = [f for f in facts if not f.startswith("library versions differ")]
        facts += _library_warning(versions["baseline"], versions["current"])
    return Comparison(
        baseline=str(baseline), current=str(current), rows=rows, interleaved=interleaved,
        warnings=facts + warnings, missing=only_in(base_frame, cur_frame), added=only_in(cur_frame, base_frame),
        settings=defaults, versions=versions, protocol=protocol,
    )


__all__ = ["MATCH", "MISSING", "CompareSettings", "Comparison", "Row", "TimeChange", "compare_runs"]
