"""Hooks the worker passes to models without models knowing about the worker.

A model that copies data between host and an accelerator reports the seconds it spent
through :func:`report_transfer`; the worker installs a receiver with
:func:`transfer_receiver` around ``fit``/``predict`` and records the total apart from
compute time. Outside a job nothing listens and the call costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_receiver: ContextVar[Callable[[float], None] | None] = ContextVar("transfer_receiver", default=None)


def report_transfer(seconds: float) -> None:
    """Tell whoever listens that ``seconds`` went to host<->device copies."""
    receiver = _receiver.get()
    if receiver is not None:
        receiver(seconds)


@contextmanager
def transfer_receiver(callback: Callable[[float], None]) -> Iterator[None]:
    """Route :func:`report_transfer` calls made inside the block to ``callback``."""
    token = _receiver.set(callback)
    try:
        yield
    finally:
        _receiver.reset(token)
