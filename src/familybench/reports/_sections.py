"""Old home of :class:`Section`, :class:`Figure` and ``extra_sections``, now in the public
:mod:`familybench.reports.sections` (or ``from familybench.reports import Section``).

Kept for one release: reading a name from here warns (``DeprecationWarning``) and gives the
one from ``sections``. Remove in familybench 0.3.
"""

from __future__ import annotations

import warnings

from . import sections as new_home

MOVED = ("Figure", "Section", "extra_sections")


def __getattr__(name: str):
    if name in MOVED:
        warnings.warn(f"familybench.reports._sections.{name} moved to familybench.reports.sections.{name}; "
                      "the old path is removed in familybench 0.3", DeprecationWarning, stacklevel=2)
        return getattr(new_home, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
