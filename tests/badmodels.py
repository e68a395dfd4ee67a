"""Misbehaving models for runner tests, named in suites as "badmodels:NAME"."""

from __future__ import annotations

import os
import time

from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.dummy import DummyRegressor

from familybench.models import get_model


class _Base(RegressorMixin, BaseEstimator):
    def __init__(self, seconds=0.0):
        self.seconds = seconds

    def predict(self, X):
        return self.model_.predict(X)


class Crash(_Base):
    """Kills its own process, like a segfault in native code."""

    def fit(self, X, y):
        os._exit(3)


class Hang(_Base):
    def fit(self, X, y):
        time.sleep(3600)
        return self


class Boom(_Base):
    def fit(self, X, y):
        raise RuntimeError("boom: this model always fails\nsecond line of detail")


class Sleepy(_Base):
    def fit(self, X, y):
        time.sleep(self.seconds)
        self.model_ = DummyRegressor().fit(X, y)
        return self


def diverging_mlp(task, **params):
    return get_model("mlp", task=task, optimizer="sgd", lr=1e4, max_epochs=20, early_stopping=False, **params)


class MemoryBomb(_Base):
    """Allocates (and touches) 50 MB chunks until it holds ``seconds`` x 1 GB, slowly."""

    def fit(self, X, y):
        import numpy as np

        chunks = []
        for _ in range(int(self.seconds * 20)):
            chunks.append(np.ones(50 * 2**20 // 8))
            time.sleep(0.02)
        self.model_ = DummyRegressor().fit(X, y)
        return self
