"""What every familybench model shares: input checks, the preprocessor, ``n_params_``.

A family only implements ``_fit_transformed`` / ``_predict_transformed`` (and, for
classifiers, ``_predict_proba_transformed``) on the preprocessed matrix; the rest of the
scikit-learn contract lives here, once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from ._preprocess import Preprocessor, split_columns


def _check_X(estimator, X, *, reset: bool):
    """Validate X, keeping a DataFrame a DataFrame (its categorical columns matter)."""
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape=(0, {X.shape[1]})) while a minimum of 1 is required."
            )
        if X.shape[1] == 0:
            raise ValueError("Found array with 0 feature(s) while a minimum of 1 is required.")
        if X.columns.duplicated().any():
            dup = X.columns[X.columns.duplicated()][0]
            raise ValueError(f"duplicate column name {dup!r} in X")
        numeric, _ = split_columns(X)
        if numeric:
            values = X[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(values).any():
                bad = [c for c in numeric if np.isinf(X[c].to_numpy(dtype=np.float64, na_value=np.nan)).any()]
                raise ValueError(f"Input X contains infinity in column(s) {bad}")
        # feature names and counts only: the frame stays a frame for the preprocessor
        return validate_data(estimator, X, reset=reset, skip_check_array=True)
    return validate_data(estimator, X, reset=reset, dtype="numeric", ensure_all_finite="allow-nan",
                         ensure_min_samples=1)


def _validation_split(Xt, y, fraction, seed, labels=None):
    """Carve a validation set from the training rows (stratified by ``labels`` when given)."""
    try:
        return train_test_split(Xt, y, test_size=fraction, random_state=seed, stratify=labels)
    except ValueError:  # a class too rare to stratify: fall back to a plain split
        return train_test_split(Xt, y, test_size=fraction, random_state=seed)


def _seed(random_state):
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    return int(np.random.RandomState(random_state).randint(2**31 - 1))


class FamilyModel(BaseEstimator):
    """Base for all familybench models; subclasses set ``_preprocessor_defaults``."""

    _preprocessor_defaults: dict = {"categorical": "onehot", "scale": True}
    _multioutput = False

    def _make_preprocessor(self):
        if self.preprocessor is None:
            return Preprocessor(**self._preprocessor_defaults)
        return clone(self.preprocessor)

    def _preprocess_fit(self, X):
        self.preprocessor_ = self._make_preprocessor()
        return self.preprocessor_.fit_transform(X)

    def _preprocess(self, X):
        check_is_fitted(self, "preprocessor_")
        X = _check_X(self, X, reset=False)
        return self.preprocessor_.transform(X)

    def fit(self, X, y):
        """Fit the preprocessor and the model on the training rows ``X, y``.

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X = _check_X(self, X, reset=True)
        y = self._check_y(y, n_rows=X.shape[0])
        Xt = self._preprocess_fit(X)
        self._fit_transformed(Xt, y)
        self._n_params = None
        return self

    def _count_params(self) -> int:
        """Learned parameters of the fitted model; every family implements it."""
        raise NotImplementedError(f"{type(self).__name__} does not count its parameters (_count_params)")

    @property
    def n_params_(self) -> int:
        """Learned parameters (counted on first access, so the count is not timed as fit)."""
        check_is_fitted(self, "preprocessor_")
        if getattr(self, "_n_params", None) is None:
            self._n_params = int(self._count_params())
        return self._n_params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.multi_output = self._multioutput
        return tags


class FamilyRegressor(RegressorMixin, FamilyModel):
    """Regression side: float targets, 1-D (or 2-D when the family supports it)."""

    def _check_y(self, y, n_rows):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim == 2 and not self._multioutput:
            y = column_or_1d(y, warn=True)
        if y.shape[0] != n_rows:
            raise ValueError(f"X has {n_rows} rows but y has {y.shape[0]}")
        self._y_ndim = y.ndim
        return y

    def predict(self, X):
        """Predict targets for ``X`` (same columns as in ``fit``)."""
        return self._predict_transformed(self._preprocess(X))


class FamilyClassifier(ClassifierMixin, FamilyModel):
    """Classification side: labels encoded to 0..K-1, ``classes_`` kept."""

    def _check_y(self, y, n_rows):
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_rows:
            raise ValueError(f"X has {n_rows} rows but y has {y.shape[0]}")
        check_classification_targets(y)
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}"
            )
        return self._label_encoder.transform(y)

    def predict_proba(self, X):
        """Class probabilities for ``X``, columns ordered as ``classes_``."""
        return self._predict_proba_transformed(self._preprocess(X))

    def predict(self, X):
        """Predict class labels for ``X``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
