"""Families as groups of members: per family × dataset × seed × fold × train size, the
member (config) that stands for the family is the one with the best *validation* score.

A pure stage after :func:`~familybench.bench.results.select.select_best`: it reads only the
selected rows' validation metrics, never a test metric, so a family's row is what a user
who picks the family's member on held-out training rows would get. Where a group's members
have no validation score (an untuned run keeps none; ``[tune] trials = 1`` gives each
default one), the member that comes first in ``order`` (the suite's, fixed before any score
is seen) stands for the family and ``by_order`` counts such groups; without an ``order``
the group is left out (``unchosen``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from familybench.bench.results.record import Status
from familybench.bench.results.select import validation_score

MEMBER_GROUP = ["family", "dataset", "seed", "fold", "train_size"]


@dataclass(frozen=True)
class FamilyRows:
    """The outcome of member selection.

    ``rows``: one row per family group, the chosen member's row with ``config`` set to the
    family's name and the member in ``member`` (``members`` lists the configs considered);
    ``unchosen``: groups with several members and no validation score to choose by.
    """

    rows: pd.DataFrame
    unchosen: int
    by_order: int = 0

    def chosen_counts(self) -> pd.DataFrame:
        """How often each member stood for its family: family, member, chosen, of (members
        never chosen included, with 0)."""
        if self.rows.empty:
            return pd.DataFrame(columns=["family", "member", "chosen", "of"])
        chosen = self.rows.groupby(["family", "member"]).size()
        considered = {(f, m) for f, ms in zip(self.rows["family"], self.rows["members"], strict=True)
                      for m in str(ms).split(",")}
        counts = pd.DataFrame(sorted(considered), columns=["family", "member"])
        counts["chosen"] = [int(chosen.get((f, m), 0)) for f, m in zip(counts["family"], counts["member"], strict=True)]
        totals = self.rows.groupby("family").size()
        counts["of"] = counts["family"].map(totals).astype(int)
        return counts.sort_values(["family", "chosen", "member"], ascending=[True, False, True], ignore_index=True)


def has_members(selected: pd.DataFrame) -> bool:
    """True when some family has two or more configs in these rows."""
    return "family" in selected and bool((selected.groupby("family")["config"].nunique() > 1).any())


def select_members(selected: pd.DataFrame, order: list[str] | None = None) -> FamilyRows:
    """The validation-chosen member of every family group (see the module docstring).

    Parameters
    ----------
    selected : pandas.DataFrame
        ``select_best`` output (one row per config × dataset × seed × fold × train size).
    order : list of str, optional
        The configs in the suite's order: without validation scores, the first member stands.

    Returns
    -------
    FamilyRows
        The chosen rows keep their index in ``selected``.
    """
    if selected.empty or "family" not in selected:
        return FamilyRows(selected.iloc[0:0].assign(member=[], members=[]), 0)
    rows = selected.assign(train_size=selected["train_size"].astype(float))
    score = validation_score(rows)
    rank = {str(c): i for i, c in enumerate(order or [])}
    chosen, unchosen, by_order = [], 0, 0
    for _, group in rows.groupby(MEMBER_GROUP, dropna=False, sort=True):
        members = sorted(group["config"].astype(str).unique())
        scores = score.loc[group.index]
        if len(members) == 1:
            index = group.index[0]
        elif scores.notna().any():
            best = scores.max()
            # ties go to the config that sorts first, so the choice is reproducible
            index = group.loc[scores[scores == best].index].sort_values("config").index[0]
        elif (group["status"] != Status.OK).all():
            index = group.sort_values("config").index[0]  # nothing ran: the family failed here
        elif order is not None:
            by_order += 1
            index = min(group.index, key=lambda i: (rank.get(str(group.at[i, "config"]), len(rank)),
                                                     str(group.at[i, "config"])))
        else:
            unchosen += 1
            continue
        row = group.loc[index].copy()
        row["member"], row["members"] = row["config"], ",".join(members)
        row["config"] = row["family"]
        chosen.append(row)
    out = pd.DataFrame(chosen) if chosen else rows.iloc[0:0].assign(member=[], members=[])
    return FamilyRows(out, unchosen, by_order)
