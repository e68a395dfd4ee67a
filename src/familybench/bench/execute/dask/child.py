"""The job process of a Dask worker, and the worker's handle on it (:class:`JobProcess`).

    python -m familybench.bench.execute.dask.child THREADS MODELS [--no-probe]

A Dask worker cannot interrupt a running task, so :mod:`familybench.bench.execute.dask.worker`
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

:class:`JobProcess` starts one (in its own session, so a kill takes whatever the job
started too), waits for its messages under a deadline and a memory limit, and kills it.
"""

from __future__ import annotations

import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time

from familybench.bench.execute.memory import MEMORY_POLL, ProcessTree

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


# -- the worker's side


class JobProcess:
    """The worker's handle on one job process (``python -m familybench.bench.execute.dask.child``),
    started at construction; warming up until :meth:`wait_ready`."""

    def __init__(self, settings: tuple, cwd: str, *, warm: bool = True, probe: bool = True):
        self.settings = settings
        token, threads, models, pythonpath, client_env = settings
        env = dict(os.environ)
        for var, value in client_env:  # what the nanny set for its worker, as the client has it
            if value is None:
                env.pop(var, None)
            else:
                env[var] = value
        for var in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "FAMILYBENCH_THREADS",
        ):
            env[var] = str(threads)
        env["PYTHONPATH"] = os.pathsep.join(
            [*pythonpath, *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        command = [
            sys.executable,
            "-m",
            "familybench.bench.execute.dask.child",
            str(threads),
            ",".join(models) if warm else "",
        ]
        self.process = subprocess.Popen(
            command + ([] if probe else ["--no-probe"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        self.started = time.monotonic()
        self._reap_lock = threading.Lock()
        self.warm = warm
        self.probe = probe
        self.ready = False
        self.warm_up_seconds: float | None = None
        self.info: dict = {}
        self.cold_noted: set[str] = set()  # models whose failed warm-up was reported already
        self._tree: ProcessTree | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message) -> None:
        write_frame(self.process.stdin.fileno(), message)

    def receive(self, deadline: float):
        """The child's next message; ``TimeoutError`` at ``deadline``, ``EOFError`` if it died."""
        fd = self.process.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            readable, _, _ = select.select([fd], [], [], min(left, 3600.0))
            if readable:
                return read_frame(fd)

    def receive_supervised(self, deadline: float, memory_limit: int | None):
        """The job's answer, polling the child's process tree every 50 ms meanwhile:
        ``TimeoutError`` at ``deadline``, ``MemoryError(used)`` once it holds more than
        ``memory_limit`` bytes above its resident memory at the start."""
        if memory_limit and self._tree is None:
            self._tree = ProcessTree(self.pid)  # kept: it rescans the descendants once a second
        tree = self._tree if memory_limit else None
        start_rss = tree.rss() if tree else 0
        while True:
            now = time.monotonic()
            try:
                return self.receive(min(deadline, now + MEMORY_POLL) if memory_limit else deadline)
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise
            used = tree.rss() - start_rss
            if used > memory_limit:
                raise MemoryError(used)

    def wait_ready(self, timeout: float) -> None:
        """Block until the warm-up is done; ``TimeoutError`` or ``EOFError`` otherwise."""
        if self.ready:
            return
        message = self.receive(self.started + timeout)
        if message[0] != "ready":
            raise EOFError(f"unexpected message {message[0]!r}")
        self.ready = True
        self.warm_up_seconds = time.monotonic() - self.started  # spawn + imports + warm-up fits
        self.info = message[2]

    def exit_code(self, wait: float = 5.0) -> int | None:
        with self._reap_lock:
            try:
                return self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                return None

    def kill(self, *, close_pipes: bool = True) -> None:
        """Kill the child and anything it started (its own session), and reap it.

        From another thread than the one waiting on the child, leave its pipes open
        (``close_pipes=False``): that thread sees end-of-file and closes them itself.
        """
        with self._reap_lock:
            # Signal only a child not yet reaped: a reaped one's pid (and so its group id) may
            # already belong to another process. Unreaped, even a dead child keeps it.
            if self.process.returncode is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # pragma: no cover - ignores SIGKILL
                    pass
        if not close_pipes:
            return
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass


# -- the job process's side


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

    from familybench.bench.execute.worker import JobWorker, environment_probe

    job_worker = JobWorker(threads)
    seconds = job_worker.warm_up(models)
    info = {"pid": os.getpid()} if "--no-probe" in argv[2:] else environment_probe()
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
