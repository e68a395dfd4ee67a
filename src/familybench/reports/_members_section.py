"""The "Families and their members" section: which member stood for each family, how often.

Shown when some family has two or more members in the run. The choice itself is
``bench.results.members`` (per family × dataset × seed × fold, the best validation score);
this module only says what it chose.
"""

from __future__ import annotations

import pandas as pd

from familybench.bench.results.members import has_members

from ._statistics_section import context_members
from ._tables import full_size_rows
from .sections import Section, make_section, paragraph, plural, table_block

TITLE = "Families and their members"


def members_section(context, *, level: int = 3) -> Section | None:
    """Which member stood for each family how often; None when no family has two members."""
    rows = full_size_rows(context.results)
    if not has_members(rows):
        return None
    members = context_members(context)
    counts = members.chosen_counts()
    several = sorted(rows.groupby("family")["config"].nunique().loc[lambda n: n > 1].index.astype(str))
    blocks = [paragraph(
        "{families} several members. For each dataset, seed and fold, the member with the best validation "
        "score stands for its family (chosen on validation rows, never on test rows); the family-level "
        "comparison and statistics use that member's test score.",
        families=", ".join(several) + (" fields" if len(several) == 1 else " field"),
    )]
    if members.by_order:
        blocks.append(paragraph(
            "In {n} the members had no validation score (an untuned run keeps none), so the family's first member "
            "in the suite stood for it, an order fixed before any score was seen; tune (for the defaults alone: "
            "[tune] trials = 1) to choose on validation.",
            n=plural(members.by_order, "group")))
    if members.unchosen:
        blocks.append(paragraph("{n} had no member chosen and are left out of the family comparison.",
                                n=plural(members.unchosen, "group")))
    shown = counts[counts["family"].isin(several)]
    if not shown.empty:
        frame = pd.DataFrame({
            "family": shown["family"].astype(str),
            "member": shown["member"].astype(str),
            "chosen": [f"{c} of {o}" for c, o in zip(shown["chosen"], shown["of"], strict=True)],
            "share": [f"{c / o:.0%}" for c, o in zip(shown["chosen"], shown["of"], strict=True)],
        })
        blocks.append(table_block(frame, numeric=["chosen", "share"]))
    return make_section(TITLE, blocks, level=level)
