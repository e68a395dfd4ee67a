"""The job process of a Dask worker.

    python -m familybench.bench.dask_child THREADS MODELS [--no-probe]

A Dask worker cannot interrupt a running task, so :mod:`familybench.bench.dask_worker`
runs every job in one of these reused child processes and kills it when the job's time is
up. The child speaks length-prefixed pickles over its standard input and output:

- on start it warms up (:meth:`JobWorker.warm_up` for the comma-separated ``MODELS``,
  none when the argument is empty) and sends ``("ready", seconds, environment)``, where
  the environment probe (torch, the GPU) is skipped with ``--no-probe`` (all children but
  the one of a run's first job: one probe per run will do, and importing torch costs a
  second);
- then, for each ``Job`` it reads, it sends ``("done", pickled Outcome, cold models)``
  (the outcome pickled once more, so the worker passes bytes on without importing what
  an outcome holds), or ``("unpicklable", why, cold models)``; ``None`` ends it.

The thread budget (``THREADS``) is in the environment before the interpreter starts (the
parent sets ``OMP_NUM_THREADS`` and friends); it is set again here for a hand-started child.
What a model prints goes to standard error: standard output carries only the protocol.

The child watches its parent: a thread owns standard input and exits the process at once
when it reaches end-of-file, which is what a dying parent leaves behind, even mid-job.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import sys
import threading

_HEADER = struct.Struct("!Q")


def write_frame(fd: int, payload: object) -> None:
    """Send ``payload`` pickled, after its 8-byte length, on file descriptor ``fd``."""
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd`` (blocking); ``EOFError`` when the other end is gone first."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> object:
    """One frame written by :func:`write_frame` (blocking)."""
    (size,) = _HEADER.unpack(read_exactly(fd, _HEADER.size))
    return pickle.loads(read_exactly(fd, size))


def _watch_parent(inbox: queue.Queue) -> None:
    """Own standard input: queue each message; at end-of-file the parent is gone, so exit."""
    while True:
        try:
            message = read_frame(0)
        except (EOFError, OSError):
            os._exit(0)
        inbox.put(message)
        if message is None:
            return


def main(argv: list[str]) -> None:
    """Warm up, then run jobs from standard input until told to stop (see the module doc)."""
    threads = max(1, int(argv[0]))
    models = {m for m in (argv[1] if len(argv) > 1 else "").split(",") if m}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    os.environ["FAMILYBENCH_THREADS"] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when a job stops
    out = os.dup(1)
    os.dup2(2, 1)  # prints of models and libraries go to stderr, not into the protocol
    sys.stdout = sys.stderr
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_watch_parent, args=(inbox,), daemon=True, name="parent-watch").start()

    from .executor import _environment_probe
    from .worker import JobWorker

    job_worker = JobWorker(threads)
    seconds = job_worker.warm_up(models)
    info = {"pid": os.getpid()} if "--no-probe" in argv[2:] else _environment_probe()
    write_frame(out, ("ready", seconds, info))
    while True:
        job = inbox.get()
        if job is None:
            break
        # the cold list: a plug-in's warm-up runs before its first job here, so it can grow
        outcome = job_worker.run(job)
        try:  # pickled here, read by the client: the worker passes the bytes on
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an artefact or value that does not pickle
            write_frame(out, ("unpicklable", f"{type(exc).__name__}: {exc}", list(job_worker.cold)))
        else:
            write_frame(out, ("done", data, list(job_worker.cold)))
    sys.stderr.flush()
    os._exit(0)  # nothing to flush: skip the interpreter's teardown (torch's takes ~1 s)


if __name__ == "__main__":
    main(sys.argv[1:])
