"""A model that kills the Dask worker running it ("dask_badmodels:KillWorker", tests/e2e/test_dask.py).

Under the Dask executor a job runs in a child process of its worker, so the worker is the
job process's parent.
"""

from __future__ import annotations

import os
import signal
import time

from sklearn.base import BaseEstimator, RegressorMixin


class KillWorker(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(60)  # the job process itself ends when it sees its parent gone
        return self
