"""Reports written from a results directory alone (``DIR/results.sqlite``)."""

from __future__ import annotations

from ._summary import summary_table, write_report

__all__ = ["summary_table", "write_report"]
