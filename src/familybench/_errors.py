"""The error every bad-input path raises, so the CLI can print one line and exit 2, and the
one a run raises when its cluster goes away (exit 3)."""

from __future__ import annotations


class FamilybenchError(ValueError):
    """Bad input (unknown name, malformed suite, unreadable data): a one-line message."""


class FeatureCapError(ValueError):
    """A feature expansion refused before allocating (the job is ``skipped``, not failed)."""


class ExecutorLost(FamilybenchError):
    """The cluster a run was using went away mid-run (the Dask scheduler disappeared).

    Every result that had arrived is in the store and the run is marked interrupted; the
    CLI prints this one line and exits 3. Running the same command again resumes.
    """


def one_line(exc: BaseException) -> str:
    """``"TypeName: first line of the message"`` (the form every recorded error takes)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def exit_description(code: int | None) -> str:
    """How a child process ended, for a message: ``"signal SIGKILL"`` or ``"exit code 3"``."""
    if code is not None and code < 0:
        import signal

        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
