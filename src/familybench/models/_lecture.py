"""The lecture's hand-made network: two neurons with hand-set weights, no training."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

# z1 = -2 x1 + x2 + 5 ; z2 = 2 x1 + x2 - 5 ; a = sign(z1) + sign(z2) ; class = [a < 0]
HIDDEN_WEIGHTS = np.array([[-2.0, 1.0], [2.0, 1.0]])
HIDDEN_BIAS = np.array([5.0, -5.0])


class LectureWedgeNetwork(ClassifierMixin, BaseEstimator):
    """The lecture's two-neuron network for the ``wedge`` data, weights set by hand.

    ``z1 = -2 x1 + x2 + 5``, ``z2 = 2 x1 + x2 - 5``, sign activations, ``a = b1 + b2``,
    class ``[a < 0]``. ``fit`` learns nothing but the labels: the point is that these
    weights alone separate the wedge. The first two columns are ``x1`` and ``x2``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``classes_[1]`` is the class predicted where ``a < 0``.
    coefs_, intercepts_ : list of ndarray
        The layers in scikit-learn's MLP convention: ``coefs_[0]`` (inputs × 2) holds the
        hidden weights (zero for any column after ``x2``), ``intercepts_[0]`` their
        biases; ``coefs_[1]`` and ``intercepts_[1]`` the output's unit weights and zero
        bias (its sign is flipped: class 1 where ``a < 0``).
    n_params_ : int
        9: two neurons with two weights and a bias each, and the output's two unit
        weights and zero bias.
    """

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"the wedge network is a binary classifier; got {len(self.classes_)} classes")
        if X.shape[1] < 2:
            raise ValueError("the wedge network needs the two columns x1 and x2")
        hidden = np.zeros((X.shape[1], len(HIDDEN_BIAS)))
        hidden[:2] = HIDDEN_WEIGHTS.T
        self.coefs_ = [hidden, np.ones((len(HIDDEN_BIAS), 1))]
        self.intercepts_ = [HIDDEN_BIAS.copy(), np.zeros(1)]
        self.n_params_ = HIDDEN_WEIGHTS.size + HIDDEN_BIAS.size + 3
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        hidden = np.sign(X[:, :2] @ HIDDEN_WEIGHTS.T + HIDDEN_BIAS)
        return -(hidden.sum(axis=1))  # > 0 where a < 0

    def predict_proba(self, X):
        positive = (self.decision_function(X) > 0).astype(float)
        return np.column_stack([1 - positive, positive])

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
