"""The one exception type every bad dataset input raises."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .._errors import FamilybenchError


class DatasetError(FamilybenchError):
    """A dataset name, parameter, file or column that familybench cannot use.

    The message is one line and names the dataset or file and, where one is at fault,
    the column. As a :class:`~familybench._errors.FamilybenchError` (a ``ValueError``)
    the command line prints it without a traceback.
    """

    def __init__(self, message: str) -> None:
        # Messages embed user-supplied names and values; keep them on one line so a
        # log or a terminal shows the whole error.
        super().__init__(re.sub(r"\s*[\r\n]+\s*", " ", str(message)))


def short_list(items: Iterable[object], limit: int = 12) -> str:
    """``'a', 'b', ... (+3 more)``: a list that stays readable inside a one-line message."""
    quoted = [repr(str(item)) for item in items]
    shown = ", ".join(quoted[:limit])
    if len(quoted) > limit:
        shown += f", ... (+{len(quoted) - limit} more)"
    return shown
