"""What travels with a Dask run besides its jobs, both sides: the modules its models and
plug-ins name and a user's data files, sent by content as worker plugins (every worker
stores them now, and each worker that joins later), where a worker keeps them, and the
client's :class:`Shipment` that sends each once.

Imported by Dask workers (pickled plugin references): light, like
:mod:`familybench.bench.execute.dask.worker`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import uuid
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from familybench._errors import one_line
from familybench.bench.execute.dask.cluster import (
    CODE_WARNING_BYTES,
    DATA_WARNING_BYTES,
    _digest,
    _warn,
    local_code_files,
)

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


def _sha256_of(path: str) -> str | None:
    """The file's SHA-256 (hex), ``None`` when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


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
    local directory, keyed by its SHA-256; a worker that joins later (a replacement) gets it
    too. Each run checks every worker's stored copy (:func:`check_data`) and sends the file
    again where it changed (:func:`store_data`).

    Parameters
    ----------
    sha256 : str
        Full hex SHA-256 of ``data``, checked on the worker when the bytes arrive, and of a
        copy an earlier run stored there (rewritten when it differs).
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
        path = data_path(local_directory, self.sha256, self.filename)
        if os.path.isdir(os.path.dirname(path)) and _sha256_of(path) != self.sha256:
            # a copy stored by an earlier run and changed (or cut short) since: replaced
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)

        def fill(tmp):
            with open(os.path.join(tmp, self.filename), "wb") as fh:
                fh.write(self.data)

        _atomic_directory(os.path.dirname(path), fill)
        self.data = b""  # written and verified: the worker need not hold it in memory

    async def setup(self, worker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._write, worker.local_directory)


async def check_data(sha256: str, filename: str, dask_worker=None) -> bool:
    """Whether this worker's stored copy of a shipped data file has content hash ``sha256``
    (``Client.run`` calls it on every worker, once per run; hashed off the event loop)."""
    path = data_path(dask_worker.local_directory, sha256, filename)
    return await asyncio.get_running_loop().run_in_executor(None, _sha256_of, path) == sha256


async def store_data(sha256: str, filename: str, data: bytes, dask_worker=None) -> None:
    """Store a data file on this worker, verified, replacing a stale copy."""
    ship = ShipData(sha256, filename, data)
    await asyncio.get_running_loop().run_in_executor(None, ship._write, dask_worker.local_directory)


class Shipment:
    """The client's side: what one run sends to its cluster's workers, each piece once.

    The local, not-installed modules the run's models name (``"module:callable"``), with the
    local modules they import, are known
    at once (:attr:`code_plugins`, registered by :meth:`send_code`, or given to a local
    cluster's workers at their start); a suite's plug-ins and a user's data files go when
    the first job that needs them is submitted.

    Parameters
    ----------
    models : iterable of str
        The run's model names.

    Attributes
    ----------
    code_plugins : list of ShipCode
    code : list of str
        Digests of the shipped code, in the order job processes put it on their path.
    modules : set of str
        Top-level names of the shipped modules.
    """

    def __init__(self, models):
        self.modules: set[str] = set()
        ships: dict[str, ShipCode] = {}
        for name in models:
            if ":" not in name:
                continue
            module = name.partition(":")[0]
            files = local_code_files(module)
            if files is None:
                continue
            size = sum(len(b) for b in files.values())
            if size > CODE_WARNING_BYTES:
                _warn(f"module {module!r}: {size / 1024**2:.0f} MB of files are sent to every worker")
            digest = _digest(files)
            ships.setdefault(digest, ShipCode(digest, files))
            self.modules.add(module.split(".")[0])
        self.code_plugins = list(ships.values())
        self.code = [ship.digest for ship in self.code_plugins]
        self._plugins: dict[str, tuple[str, str] | str] = {}
        self._data: dict[str, tuple[str, str] | str] = {}

    def send_code(self, client) -> None:
        """Register the models' modules with the scheduler: every worker stores them, now and
        when it joins later."""
        for ship in self.code_plugins:
            try:
                client.register_plugin(ship)
            except Exception as exc:  # the import fails in those workers' jobs, naming it
                modules = sorted({path.split("/")[0].removesuffix(".py") for path in ship.files})
                _warn(f"module {', '.join(modules)!r}: a worker could not store it ({one_line(exc)})")

    def plugins(self, client, plugins: tuple[str, ...]) -> dict[str, tuple[str, str]] | str:
        """Send a suite's plug-ins to every worker: files by content (the job names them by
        their worker-side path), local modules like the models' (on the path of job
        processes started from now on). Returns plug-in file → ``(digest, filename)``, or
        why a file cannot be sent."""
        from familybench.models._plugins import _is_file

        refs = {}
        for plugin in plugins:
            if plugin not in self._plugins:
                if _is_file(plugin):
                    try:
                        files = {Path(plugin).name: Path(plugin).read_bytes()}
                    except OSError as exc:
                        self._plugins[plugin] = f"plugin {plugin}: cannot be read ({one_line(exc)})"
                        continue
                    digest = _digest(files)
                    self._plugins[plugin] = (digest, Path(plugin).name)
                else:
                    files = local_code_files(plugin)
                    self._plugins[plugin] = ""
                    if files is None:
                        continue
                    digest = _digest(files)
                    if digest not in self.code:
                        self.code.append(digest)
                    self.modules.add(plugin.split(".")[0])
                try:
                    client.register_plugin(ShipCode(digest, files))
                except Exception as exc:  # the import fails in those workers' jobs, naming it
                    _warn(f"plugin {plugin!r}: a worker could not store it ({one_line(exc)})")
            ref = self._plugins[plugin]
            if isinstance(ref, str) and ref:
                return ref
            if ref:
                refs[plugin] = ref
        return refs

    def data(self, client, source) -> tuple[str, str] | str:
        """``(sha256, filename)`` of a user's file (``source.path``) sent to every worker, or
        why it cannot be."""
        if source.path in self._data:
            return self._data[source.path]
        try:
            data = Path(source.path).read_bytes()
        except OSError as exc:
            ref: tuple[str, str] | str = f"data file {source.path} cannot be read ({one_line(exc)})"
        else:
            if len(data) > DATA_WARNING_BYTES:
                _warn(
                    f"{source.name}: {len(data) / 1024**2:.0f} MB are sent to every worker (and "
                    "kept by the scheduler for workers that join later)"
                )
            sha256 = hashlib.sha256(data).hexdigest()
            filename = Path(source.path).name
            try:
                client.register_plugin(ShipData(sha256, filename, data))
                # a worker that stored it for an earlier run keeps it (the plugin is sent to
                # each worker once): its copy is checked, and sent again where it changed
                stored = client.run(check_data, sha256, filename, on_error="ignore")
                stale = [address for address, ok in stored.items() if ok is not True]
                if stale:
                    client.run(store_data, sha256, filename, data, workers=stale, on_error="ignore")
            except Exception as exc:  # those workers' jobs of this dataset fail, naming the file
                _warn(f"{source.name}: a worker could not store {filename} ({one_line(exc)})")
            ref = (sha256, filename)
        self._data[source.path] = ref
        return ref
