"""The linear family: plain linear models and polynomial-feature linear models."""

from __future__ import annotations

from math import comb

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from .._errors import FeatureCapError
from .._tasks import is_classification
from ._base import FamilyClassifier, FamilyRegressor
from ._space import Categorical, Float, Int, SearchSpace


def _coef_count(model) -> int:
    return int(np.size(model.coef_) + np.size(model.intercept_))


class LinearRegressor(FamilyRegressor):
    """Ordinary least squares, ``a(x) = w0 + sum_j wj xj``, after one-hot encoding and scaling.

    Parameters
    ----------
    preprocessor : Preprocessor, default=None
        Imputation/scaling/encoding; ``None`` means one-hot with standardized numerics.

    Attributes
    ----------
    model_ : LinearRegression
    n_params_ : int
        ``(d + 1)`` per output, ``d`` the number of columns after preprocessing.
    """

    _multioutput = True

    def __init__(self, preprocessor=None):
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt, y):
        self.model_ = LinearRegression().fit(Xt, y)

    def _predict_transformed(self, Xt):
        return self.model_.predict(Xt)

    def _count_params(self):
        return _coef_count(self.model_)


class LinearClassifier(FamilyClassifier):
    """Logistic regression on one-hot encoded, scaled inputs.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 regularization strength.
    max_iter : int, default=1000
    preprocessor : Preprocessor, default=None
    """

    def __init__(self, C=1.0, max_iter=1000, preprocessor=None):
        self.C = C
        self.max_iter = max_iter
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt, y):
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(Xt, y)
        self.n_iter_ = int(np.max(self.model_.n_iter_))

    def _predict_proba_transformed(self, Xt):
        return self.model_.predict_proba(Xt)

    def _count_params(self):
        return _coef_count(self.model_)


def n_polynomial_features(n_inputs: int, degree: int, interaction_only: bool = False) -> int:
    """Features PolynomialFeatures makes from ``n_inputs`` columns (bias excluded).

    ``C(d + k, k) - 1`` for all monomials of degree 1..k; ``sum_i C(d, i)`` with
    ``interaction_only``.
    """
    if interaction_only:
        return sum(comb(n_inputs, i) for i in range(1, min(degree, n_inputs) + 1))
    return comb(n_inputs + degree, degree) - 1


class _PolynomialMixin:
    def _expand_fit(self, Xt):
        if int(self.degree) != self.degree or self.degree < 1:
            raise ValueError(f"degree must be an integer >= 1, got {self.degree!r}")
        n_out = n_polynomial_features(Xt.shape[1], int(self.degree), self.interaction_only)
        if self.max_features is not None and n_out > self.max_features:
            # Checked before PolynomialFeatures allocates the n_rows x n_out matrix; the
            # worker records the job as skipped ("feature cap: ..."), never as selectable.
            raise FeatureCapError(
                f"poly: degree={self.degree} on {Xt.shape[1]} input columns would make "
                f"{n_out:,} features, above max_features={self.max_features:,}; lower the degree, "
                "set interaction_only=True or raise max_features"
            )
        self.n_poly_features_ = n_out
        self.poly_ = PolynomialFeatures(
            degree=int(self.degree), interaction_only=self.interaction_only, include_bias=False
        )
        self.scaler_ = StandardScaler()
        return self.scaler_.fit_transform(self.poly_.fit_transform(Xt))

    def _expand(self, Xt):
        return self.scaler_.transform(self.poly_.transform(Xt))

    def _count_params(self):
        return _coef_count(self.model_)


class PolynomialRegressor(_PolynomialMixin, FamilyRegressor):
    """PolynomialFeatures → scaling → Ridge.

    Parameters
    ----------
    degree : int, default=2
    interaction_only : bool, default=False
    alpha : float, default=1.0
        Ridge penalty.
    max_features : int or None, default=10_000
        Refuse (with a ValueError, before allocating) an expansion beyond this many columns.
    preprocessor : Preprocessor, default=None

    Attributes
    ----------
    n_poly_features_ : int
        Columns the expansion produced.
    n_params_ : int
        ``n_poly_features_ + 1`` per output.
    """

    _multioutput = True

    def __init__(self, degree=2, interaction_only=False, alpha=1.0, max_features=10_000, preprocessor=None):
        self.degree = degree
        self.interaction_only = interaction_only
        self.alpha = alpha
        self.max_features = max_features
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt, y):
        self.model_ = Ridge(alpha=self.alpha).fit(self._expand_fit(Xt), y)

    def _predict_transformed(self, Xt):
        return self.model_.predict(self._expand(Xt))


class PolynomialClassifier(_PolynomialMixin, FamilyClassifier):
    """PolynomialFeatures → scaling → logistic regression with ``C = 1 / alpha``.

    Parameters are those of :class:`PolynomialRegressor`, plus ``max_iter``.
    """

    def __init__(
        self, degree=2, interaction_only=False, alpha=1.0, max_features=10_000, max_iter=1000, preprocessor=None
    ):
        self.degree = degree
        self.interaction_only = interaction_only
        self.alpha = alpha
        self.max_features = max_features
        self.max_iter = max_iter
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt, y):
        self.model_ = LogisticRegression(C=1.0 / self.alpha, max_iter=self.max_iter)
        self.model_.fit(self._expand_fit(Xt), y)
        self.n_iter_ = int(np.max(self.model_.n_iter_))

    def _predict_proba_transformed(self, Xt):
        return self.model_.predict_proba(self._expand(Xt))


def linear_space(task: str) -> SearchSpace | None:
    """The ``linear`` family's built-in search space for ``task``.

    Source: TabArena's linear model (``autogluon/tabrepo``,
    ``tabarena/models/lr/generate.py``): ``C`` log-uniform in [0.1, 1e3]. Its other
    dimensions (L1 or L2 penalty, imputation, skew threshold) are not ours to tune: the
    estimator has an L2 penalty and a fixed preprocessing.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}

    Returns
    -------
    SearchSpace or None
        ``C`` for classification; ``None`` for regression, where least squares has no
        hyperparameter.
    """
    if not is_classification(task):
        return None
    return SearchSpace(
        {"C": Float(0.1, 1e3, log=True)},
        source="TabArena LR (autogluon/tabrepo tabarena/models/lr/generate.py): C log 0.1-1e3",
    )


def poly_space(task: str) -> SearchSpace:
    """The ``poly`` family's built-in search space for ``task``.

    Source: familybench's own (neither TabArena nor Grinsztajn et al. tune a polynomial
    model). ``degree`` 1-3; an expansion past ``max_features`` (left as configured) is
    refused with a ValueError in ``fit``, which a tuning run records as a skipped trial.
    ``interaction_only`` True or False (it changes the model from degree 2 on).
    ``alpha`` log-uniform: the Ridge penalty in [1e-3, 1e3] for regression; for
    classification ``C = 1 / alpha``, so alpha in [1e-3, 10] is TabArena's LR range
    C in [0.1, 1e3].

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}

    Returns
    -------
    SearchSpace
    """
    if is_classification(task):
        alpha = Float(1e-3, 10.0, log=True)
        alpha_source = "1e-3-10 (C = 1/alpha: TabArena LR's C 0.1-1e3)"
    else:
        alpha, alpha_source = Float(1e-3, 1e3, log=True), "1e-3-1e3 (Ridge)"
    return SearchSpace(
        {"degree": Int(1, 3), "alpha": alpha, "interaction_only": Categorical((False, True))},
        source=f"familybench: degree 1-3, interaction_only True/False, alpha log {alpha_source}",
    )
