"""What travels with a Dask run besides its jobs: the modules its models name and a user's
data files, sent by content as worker plugins (every worker stores them now, and each
worker that joins later), and where a worker keeps them.

Imported by Dask workers (pickled plugin references): light, like
:mod:`familybench.bench.dask_worker`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import uuid

from distributed.diagnostics.plugin import WorkerPlugin

CODE_DIR = "familybench-code"
DATA_DIR = "familybench-data"


def _atomic_directory(target: str, fill) -> None:
    """Create directory ``target`` by filling a temporary sibling and renaming it."""
    if os.path.isdir(target):
        return
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".tmp-{uuid.uuid4().hex}")
    os.makedirs(tmp)
    try:
        fill(tmp)
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isdir(target):  # another worker thread may have won the race
            raise


def code_path(local_directory: str, digest: str) -> str:
    """Where :class:`ShipCode` ``digest`` lives on a worker (an entry for ``PYTHONPATH``)."""
    return os.path.join(local_directory, CODE_DIR, digest)


def data_path(local_directory: str, sha256: str, filename: str) -> str:
    """Where :class:`ShipData` puts the file with content hash ``sha256`` on a worker."""
    return os.path.join(local_directory, DATA_DIR, sha256, filename)


class ShipCode(WorkerPlugin):
    """Modules named by a suite's models that the workers do not have installed.

    Registered once per content (``name`` holds the digest): the scheduler gives it to
    every worker now and to each worker that joins later, which writes the files under
    its local directory; job processes get that directory on their ``PYTHONPATH``.

    Parameters
    ----------
    digest : str
        Hash of every path and content in ``files``.
    files : dict of str to bytes
        Relative path (``pkg/mod.py`` or ``mod.py``) to file content.
    """

    idempotent = True

    def __init__(self, digest: str, files: dict[str, bytes]):
        self.digest = digest
        self.files = files
        self.name = f"familybench-code-{digest}"

    def _write(self, local_directory: str) -> None:
        def fill(tmp):
            for relative, content in self.files.items():
                path = os.path.join(tmp, relative)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(content)

        _atomic_directory(code_path(local_directory, self.digest), fill)

    async def setup(self, worker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._write, worker.local_directory)


class ShipData(WorkerPlugin):
    """A user's data file, sent by content: each worker writes it once, verified, under its
    local directory, keyed by its SHA-256; a worker that joins later (a replacement) gets it too.

    Parameters
    ----------
    sha256 : str
        Full hex SHA-256 of ``data``, checked on the worker before the file is used.
    filename : str
        The file's base name (its suffix tells CSV from Parquet).
    data : bytes
    """

    idempotent = True

    def __init__(self, sha256: str, filename: str, data: bytes):
        self.sha256 = sha256
        self.filename = filename
        self.data = data
        self.name = f"familybench-data-{sha256[:32]}"

    def _write(self, local_directory: str) -> None:
        if hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise ValueError(
                f"{self.filename}: the bytes received do not match their SHA-256 {self.sha256}"
            )

        def fill(tmp):
            with open(os.path.join(tmp, self.filename), "wb") as fh:
                fh.write(self.data)

        _atomic_directory(
            os.path.dirname(data_path(local_directory, self.sha256, self.filename)), fill
        )
        self.data = b""  # written and verified: the worker need not hold it in memory

    async def setup(self, worker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._write, worker.local_directory)
