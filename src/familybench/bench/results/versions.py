"""Which versions made which rows: the rows' provenance columns, grouped and resolved.

Plain data for the report and compare, so that both state versions per group of rows
rather than the latest run's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PROVENANCE = ["familybench_version", "libs_digest", "source_commit"]


@dataclass(frozen=True)
class VersionGroup:
    """Rows that came from one familybench version, one set of library versions, one source."""

    rows: int
    familybench: str
    libs_digest: str
    source: str
    libraries: dict | None  # name -> version, where a run in the directory recorded this digest

    def libraries_text(self, leave_out=()) -> str:
        if not self.libraries:
            return f"libraries {self.libs_digest} (versions not recorded)"
        return ", ".join(f"{k} {v}" for k, v in self.libraries.items() if v and k not in leave_out)

    def describe(self) -> str:
        return f"{self.rows} rows: familybench {self.familybench}, {self.libraries_text()}; source {self.source[:20]}"


def version_groups(rows: pd.DataFrame, runs: list[dict]) -> list[VersionGroup]:
    """The rows' provenance, grouped (largest group first); library versions are resolved
    from the runs' metadata (``meta.libraries``: digest → versions, recorded by each run)."""
    if rows.empty or not all(c in rows for c in PROVENANCE) or rows[PROVENANCE].isna().all().all():
        return []
    known: dict[str, dict] = {}
    for run in runs:
        known.update((run.get("meta") or {}).get("libraries") or {})
    counts = rows[PROVENANCE].fillna("unknown").value_counts()
    return [VersionGroup(int(n), str(v), str(d), str(c), known.get(str(d))) for (v, d, c), n in counts.items()]
