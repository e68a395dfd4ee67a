"""The error every bad-input path raises, so the CLI can print one line and exit 2."""

from __future__ import annotations


class FamilybenchError(ValueError):
    """Bad input (unknown name, malformed suite, unreadable data): a one-line message."""


class FeatureCapError(ValueError):
    """A feature expansion refused before allocating (the job is ``skipped``, not failed)."""
