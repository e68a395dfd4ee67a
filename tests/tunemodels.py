"""Plug-in models for the tuning tests, named in suites as "tunemodels:NAME"."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge


class Canary(RegressorMixin, BaseEstimator):
    """Ridge that records the row labels it is fitted on and predicts for."""

    fitted_on: list = []  # noqa: RUF012 - class-level log, read by the test
    predicted_on: list = []  # noqa: RUF012

    def __init__(self, alpha=1.0, random_state=None):
        self.alpha = alpha
        self.random_state = random_state  # the runner passes the job seed here

    def fit(self, X, y):
        Canary.fitted_on.append((self.random_state, set(X.index)))
        self.model_ = Ridge(alpha=self.alpha).fit(X.to_numpy(float), y)
        return self

    def predict(self, X):
        Canary.predicted_on.append(set(X.index))
        return self.model_.predict(X.to_numpy(float))


class Quadratic(RegressorMixin, BaseEstimator):
    """Predicts the training mean shifted by a smooth bowl in (a, b): best at a=0.73, b=0.21.

    Its validation R² is a smooth function of the two params, so a sampler that learns
    from earlier trials (TPE) should find the top faster than random search.
    """

    def __init__(self, a=0.0, b=0.0):
        self.a = a
        self.b = b

    def fit(self, X, y):
        self.offset_ = float(np.std(y)) * 3.0 * ((self.a - 0.73) ** 2 + (self.b - 0.21) ** 2)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_ + self.offset_)


class Sleepy(RegressorMixin, BaseEstimator):
    """Sleeps a fixed time in fit, then predicts the mean (for time budgets)."""

    def __init__(self, seconds=0.1, alpha=1.0):
        self.seconds = seconds
        self.alpha = alpha

    def fit(self, X, y):
        time.sleep(self.seconds)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_ + 0.0 * self.alpha)
