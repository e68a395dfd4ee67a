"""The executors by name, for ``make_executor`` and ``--executor`` (light: imports nothing).

Name -> ``"module:class"`` under ``familybench.bench.execute``; the class is built with
``n_workers=jobs`` where it takes it and is imported only when chosen (Dask loads on its
start). A new executor is its module plus one entry here.
"""

from __future__ import annotations

EXECUTORS: dict[str, str] = {
    "process": "process:ProcessExecutor",
    "serial": "inprocess:InProcessExecutor",
    "dask": "dask.executor:DaskExecutor",
}
