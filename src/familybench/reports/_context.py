"""Everything a report is made from, read from the results directory once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from familybench.bench.results.select import is_tuned, normalised_scores, select_best
from familybench.bench.results.store import ResultStore, load_results

from ._style import NEUTRAL, family_colors
from ._tables import dataset_tasks, summary_table


@dataclass
class ReportContext:
    """The results of one directory, as report sections (built-in or a suite's) see them.

    Attributes
    ----------
    directory : pathlib.Path
        The results directory.
    results : pandas.DataFrame
        One row per config × dataset × seed × fold × train size: for a tuned run the
        validation-chosen trial (:func:`familybench.select_best`), otherwise every job.
    all_results : pandas.DataFrame
        Every stored row, trials included (:func:`familybench.load_results`).
    runs : list of dict
        Every run that wrote to the directory, oldest first (suite, meta, times).
    summary : pandas.DataFrame
        Per dataset × config scores and marks (:func:`familybench.reports.summary_table`).
    colors : dict
        Family → colour used in every figure.
    """

    directory: Path
    results: pd.DataFrame
    runs: list[dict]
    summary: pd.DataFrame
    colors: dict[str, str] = field(default_factory=dict)
    all_results: pd.DataFrame | None = None
    protocol: str = "tuned"  # tuned runs: which rows ``results`` holds (default | tuned | ensembled)
    chosen: pd.DataFrame | None = None  # the validation-chosen rows (``select_best``), whatever ``results`` is
    #: the verdict's cost limits: ``max_fit_seconds_per_1k``, ``max_predict_ms_per_row``
    #: (None: the default, within 10x the fastest fit)
    cost_limits: dict = field(default_factory=dict)
    _artefact_cache: dict = field(default_factory=dict, repr=False)
    _ensemble_cache: dict = field(default_factory=dict, repr=False)
    _derived: dict = field(default_factory=dict, repr=False)  # computed once per report (statistics)

    def __post_init__(self):
        if self.all_results is None:
            self.all_results = self.results
        if self.chosen is None:
            self.chosen = self.results

    @property
    def tuned(self) -> bool:
        """True when the directory holds tuning trials."""
        return is_tuned(self.all_results)

    @cached_property
    def tune_settings(self) -> dict:
        """The latest tuned run's ``[tune]`` table (empty when no run tuned)."""
        for run in reversed(self.runs):
            if run["suite"].get("tune"):
                return dict(run["suite"]["tune"])
        return {}

    @cached_property
    def normalised(self) -> pd.Series:
        """Each row of ``results``'s normalised score (one definition: ``bench.select``)."""
        return normalised_scores(self.results, self.all_results)

    @property
    def suite(self) -> dict:
        """The resolved suite of the latest run (empty when no run was recorded)."""
        return self.runs[-1]["suite"] if self.runs else {}

    @property
    def meta(self) -> dict:
        """The latest run's environment: versions, machine, commit, worker."""
        return self.runs[-1]["meta"] if self.runs else {}

    def artefacts(self, name: str, scope: str = "job") -> dict[str, dict]:
        """Stored artefact ``name`` (see :mod:`familybench.artefacts`): key -> its arrays.

        For ``scope="job"`` the keys are job keys (rows of ``results``); for a tuned run
        a selected row's key maps to the arrays of the job that drew its chosen params
        (its refit or plot job). For ``scope="dataset"`` they are dataset names. Read once
        per name; empty when nothing was stored under that name.
        """
        cache = self._artefact_cache
        if (name, scope) not in cache:
            with ResultStore(self.directory, create=False) as store:
                stored = store.artefacts(name, scope)
            if scope == "job" and "plot_key" in self.results:
                for key, plot_key in zip(self.results["job_key"], self.results["plot_key"], strict=True):
                    if isinstance(plot_key, str) and plot_key in stored:
                        stored[key] = stored[plot_key]
            cache[(name, scope)] = stored
        return cache[(name, scope)]

    @cached_property
    def predictions(self) -> dict:
        """The kept predictions of every job (:func:`familybench.load_predictions`), read once."""
        from familybench.bench.results.predictions import load_predictions

        return load_predictions(self.directory)

    def ensembles(self, scope: str) -> pd.DataFrame:
        """The post-hoc ensemble rows of ``scope`` ("config", "family" or "portfolio";
        :func:`familybench.post_hoc_ensembles`), computed once; empty without kept predictions."""
        from familybench.bench.results.ensemble import ensemble_rows

        if scope not in self._ensemble_cache:
            kept = self.predictions
            self._ensemble_cache[scope] = (ensemble_rows(self.all_results, kept, scope=scope) if kept
                                           else pd.DataFrame())
        return self._ensemble_cache[scope]

    @cached_property
    def tasks(self) -> dict[str, str | None]:
        return dataset_tasks(self.results)

    def family_color(self, family) -> str:
        return self.colors.get(str(family), NEUTRAL) if family is not None else NEUTRAL

    @cached_property
    def datasets(self) -> list[str]:
        """Dataset names in the suite's order, then any others (earlier runs) by name."""
        present = set(self.results["dataset"].dropna().astype(str))
        listed = [d["name"] for d in self.suite.get("datasets", []) if d.get("name") in present]
        return list(dict.fromkeys(listed + sorted(present - set(listed))))

    @cached_property
    def configs(self) -> list[str]:
        """Config names in the suite's order, then any others by name."""
        present = set(self.results["config"].dropna().astype(str))
        listed = [m["config"] for m in self.suite.get("models", []) if m.get("config") in present]
        return list(dict.fromkeys(listed + sorted(present - set(listed))))

    def config_family(self, config: str):
        rows = self.results.loc[self.results["config"] == config, "family"].dropna()
        return rows.iloc[0] if len(rows) else None


def _protocol_rows(directory: Path, all_results: pd.DataFrame, chosen: pd.DataFrame, protocol: str,
                   tune: dict | None, predictions: dict | None = None) -> pd.DataFrame:
    """The rows the report is about under ``protocol`` (a tuned run's defaults or ensembles)."""
    from familybench._errors import FamilybenchError
    from familybench.bench.results.ensemble import protocol_rows
    from familybench.bench.results.record import Protocol

    if protocol == Protocol.TUNED.value:
        return chosen
    if not is_tuned(all_results) and protocol in (Protocol.DEFAULT.value, Protocol.ENSEMBLED.value):
        if protocol == Protocol.DEFAULT.value:
            return chosen
        raise FamilybenchError(f"{directory}: an untuned run has only the default protocol, not {protocol!r}")
    return protocol_rows(directory, all_results, protocol, trials=tune.get("trials") if tune else None,
                         time_budget=tune.get("time_budget") if tune else None, predictions=predictions)


def load_context(directory: str | Path, *, protocol: str | None = None,
                 cost_limits: dict | None = None) -> ReportContext:
    """Read ``DIR/results.sqlite`` into a :class:`ReportContext`.

    ``protocol`` (tuned runs): the rows the report ranks and tests — ``"tuned"`` (the
    default: the validation-chosen trials), ``"default"`` (each config's trial 0) or
    ``"ensembled"`` (each config's post-hoc ensemble of its trials). ``cost_limits``: the
    verdict's ``max_fit_seconds_per_1k`` and ``max_predict_ms_per_row``.
    """
    directory = Path(directory)
    all_results = load_results(directory)
    with ResultStore(directory, create=False) as store:
        runs = store.runs()
    tune = next((r["suite"]["tune"] for r in reversed(runs) if r["suite"].get("tune")), None)
    chosen = select_best(all_results, trials=tune.get("trials") if tune else None,
                         time_budget=tune.get("time_budget") if tune else None)
    protocol = protocol or "tuned"
    context_cache: dict = {}
    predictions = None
    if protocol == "ensembled" and is_tuned(all_results):
        from familybench.bench.results.predictions import load_predictions

        predictions = load_predictions(directory)
    results = _protocol_rows(directory, all_results, chosen, protocol, tune, predictions)
    if predictions is not None:  # the report's own sections reuse these ensembles
        context_cache["config"] = results
    metrics = runs[-1]["suite"].get("metrics") if runs else None
    summary = summary_table(results, metrics=metrics or None)
    colors = family_colors(all_results["family"].dropna().unique())
    context = ReportContext(directory=directory, results=results, runs=runs, summary=summary, colors=colors,
                            all_results=all_results, protocol=protocol, chosen=chosen,
                            cost_limits=dict(cost_limits or {}), _ensemble_cache=context_cache)
    if predictions is not None:
        context.__dict__["predictions"] = predictions
    return context
