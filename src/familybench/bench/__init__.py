"""The benchmark pipeline, one subpackage per stage (see ARCHITECTURE.md).

``suite`` (the suite language) -> ``plan`` (jobs, tuning, samplers) -> ``execute`` (where
jobs run: in process, local processes, Dask) -> ``results`` (records, the store, selection)
-> ``compare`` (two stores, the gate); ``run`` drives them. Nothing here imports heavily.
"""

from familybench.bench import _moved

_moved.install()
