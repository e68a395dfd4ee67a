"""Everything a report is made from, read from the results directory once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..bench.store import ResultStore, load_results
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
        One row per job (:func:`familybench.load_results`).
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

    @property
    def suite(self) -> dict:
        """The resolved suite of the latest run (empty when no run was recorded)."""
        return self.runs[-1]["suite"] if self.runs else {}

    @property
    def meta(self) -> dict:
        """The latest run's environment: versions, machine, commit, worker."""
        return self.runs[-1]["meta"] if self.runs else {}

    @cached_property
    def views(self) -> dict[str, dict]:
        """Dataset → arrays for drawing it (grid, sample points, classes or true curve)."""
        with ResultStore(self.directory, create=False) as store:
            return store.dataset_views()

    @cached_property
    def predictions(self) -> dict[str, dict]:
        """Job key → grid predictions (``proba``, ``labels`` or ``values``), fold 0, full size."""
        with ResultStore(self.directory, create=False) as store:
            return store.predictions()

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


def load_context(directory: str | Path) -> ReportContext:
    """Read ``DIR/results.sqlite`` into a :class:`ReportContext`."""
    directory = Path(directory)
    results = load_results(directory)
    with ResultStore(directory, create=False) as store:
        runs = store.runs()
    metrics = runs[-1]["suite"].get("metrics") if runs else None
    summary = summary_table(results, metrics=metrics or None)
    colors = family_colors(results["family"].dropna().unique())
    return ReportContext(directory=directory, results=results, runs=runs, summary=summary, colors=colors)
