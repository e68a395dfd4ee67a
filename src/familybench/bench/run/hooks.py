"""Run events and the hooks that listen to them (progress bar, logging).

The base :class:`Hook` does nothing; subscribers override what they need. Events are sent by
:func:`notify` as keyword arguments, and a hook method receives only the ones its signature
names (all of them with ``**kwargs``): a hook written for this version keeps working when a
later one sends more.
"""

from __future__ import annotations

import inspect
import sys
import time

from familybench.bench.results.record import BAD_STATUSES, Status


def _clock_text(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Hook:
    """Receives run events; every method is a no-op here.

    Override the events you need, naming the details you use (or ``**kwargs`` for all of them).
    """

    def on_run_start(self, total: int, already_done: int, suite_name: str, out: str, *, bound: bool = False,
                     **kwargs) -> None:
        """``total`` jobs to run; with ``bound``, at most that many (tuning can stop early)."""

    def on_job_end(self, record: dict, **kwargs) -> None:
        """A job finished; ``record`` is its stored row."""

    def on_run_end(self, records: list[dict], wall_seconds: float, **kwargs) -> None:
        """The run ended (finished or interrupted) after ``wall_seconds``."""


def notify(hooks, event: str, **details) -> None:
    """Call ``event`` on every hook with the details its method accepts."""
    for hook in hooks:
        method = getattr(hook, event, None)
        if method is not None:
            method(**_accepted(method, details))


def _accepted(method, details: dict) -> dict:
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: give it everything
        return details
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return details
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in details.items() if k in names}


class ProgressBar(Hook):
    """Jobs done/total, failures, elapsed and ETA on one line (a line per job when not a TTY)."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def on_run_start(self, total, already_done, suite_name, out, *, bound=False, **kwargs):
        self.total, self.done, self.failed = total, 0, 0
        self.prefix = "≤ " if bound else ""
        self.start = time.perf_counter()
        resumed = f", {already_done} already done (resuming)" if already_done else ""
        jobs = "job" if total == 1 else "jobs"
        self._write(f"familybench: {suite_name}: {self.prefix}{total} {jobs} to run{resumed} -> {out}\n")

    def on_job_end(self, record, **kwargs):
        self.done += 1
        if record["status"] in BAD_STATUSES:
            self.failed += 1
        now = time.perf_counter()
        elapsed = now - self.start
        # The rate after the first job: the workers' one-time warm-up (seconds) would
        # otherwise inflate every ETA of the run.
        if self.done == 1:
            self.first_end = now
            per_job = record.get("job_seconds") or elapsed
        else:
            per_job = (now - self.first_end) / (self.done - 1)
        eta = per_job * max(0, self.total - self.done)
        filled = min(self.width, int(self.width * self.done / max(self.total, 1)))
        bar = "#" * filled + "-" * (self.width - filled)
        status = record["status"]
        what = f"{record['config']} on {record['dataset']} seed {record['seed']}"
        if record.get("trial") is not None:
            what += f" {record.get('role') or 'trial'} {record['trial']}"
        if status != Status.OK:
            what += f": {status}" + (f" ({record['error']})" if record.get("error") else "")
        line = (
            f"[{bar}] {self.done}/{self.prefix}{self.total} | failed {self.failed} | "
            f"{_clock_text(elapsed)} elapsed | ETA {_clock_text(eta)} | {what}"
        )
        if self.tty:
            self._write("\r\033[K" + line[:200] + ("\n" if self.done >= self.total else ""))
        else:
            self._write(line + "\n")

    def on_run_end(self, records, wall_seconds, **kwargs):
        if self.tty and self.done != self.total:
            self._write("\n")

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()
