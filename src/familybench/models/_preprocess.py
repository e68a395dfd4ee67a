"""Per-model preprocessing: imputation, scaling and categorical encoding.

The preprocessor is a component of every familybench model (``preprocessor`` parameter,
built copy in ``preprocessor_``), so it is fit on the training rows only and a pandas
DataFrame with numeric, categorical and missing values can go straight into ``fit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

_ENCODINGS = ("onehot", "ordinal", "native")
_MISSING_LEVEL = "__missing__"


def split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Return (numeric, categorical) column names; booleans count as numeric 0/1."""
    numeric, categorical = [], []
    for name, dtype in X.dtypes.items():
        if is_bool_dtype(dtype) or (is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)):
            numeric.append(name)
        else:
            categorical.append(name)
    return numeric, categorical


def _as_text(X):
    # Categorical levels may be ints, strings or a mix; encoders need one comparable type,
    # and a missing value is a level of its own rather than a row to drop.
    frame = pd.DataFrame(X)
    return frame.astype("object").where(frame.notna(), _MISSING_LEVEL).astype(str).to_numpy()


class Preprocessor(TransformerMixin, BaseEstimator):
    """Impute, scale and encode a table for one model family.

    Parameters
    ----------
    categorical : {"onehot", "ordinal", "native"}, default="onehot"
        How categorical columns are encoded. ``"native"`` keeps them as pandas
        ``category`` columns (levels fixed at fit, unseen levels become missing) for
        models that split on categories themselves (LightGBM, HistGradientBoosting);
        numeric columns then pass through with their missing values.
    scale : bool, default=True
        Standardize numeric columns (and one-hot columns are left 0/1). Ignored for
        ``"native"``.
    min_frequency : int or float, default=None
        Levels rarer than this are grouped into one "infrequent" level.
    max_categories : int, default=64
        At most this many levels per categorical column (the rest are grouped).
    impute : bool, default=False
        With ``"native"``: fill numeric missing values with the training rows' medians and
        give categorical missing values a level of their own (for models that keep
        categories but refuse NaN, as pytabkit's networks do). The other encodings always
        impute.
    """

    def __init__(self, categorical="onehot", scale=True, min_frequency=None, max_categories=64, impute=False):
        self.categorical = categorical
        self.scale = scale
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.impute = impute

    def fit(self, X, y=None):
        if self.categorical not in _ENCODINGS:
            raise ValueError(
                f"categorical={self.categorical!r} is not one of {', '.join(_ENCODINGS)}"
            )
        X = _frame(X)
        self.numeric_columns_, self.categorical_columns_ = split_columns(X)
        if self.categorical == "native":
            self.categories_ = {
                col: _top_levels(X[col], self.max_categories, missing_level=self.impute)
                for col in self.categorical_columns_
            }
            if self.impute:
                medians = X[self.numeric_columns_].astype(np.float64).median() if self.numeric_columns_ else {}
                self.medians_ = {col: float(medians[col]) if pd.notna(medians[col]) else 0.0
                                 for col in self.numeric_columns_}
            self.n_output_features_ = X.shape[1]
            self.feature_names_out_ = np.asarray(list(X.columns), dtype=object)
            return self
        numeric_steps = [SimpleImputer(strategy="median", keep_empty_features=True)]
        if self.scale:
            numeric_steps.append(StandardScaler())
        if self.categorical == "onehot":
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=self.min_frequency,
                max_categories=self.max_categories,
                sparse_output=False,
            )
        else:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                min_frequency=self.min_frequency,
                max_categories=self.max_categories,
            )
        self.transformer_ = ColumnTransformer(
            [
                ("numeric", make_pipeline(*numeric_steps), self.numeric_columns_),
                (
                    "categorical",
                    make_pipeline(FunctionTransformer(_as_text, feature_names_out="one-to-one"), encoder),
                    self.categorical_columns_,
                ),
            ],
            verbose_feature_names_out=False,
        )
        self.transformer_.fit(X)
        self.feature_names_out_ = self.transformer_.get_feature_names_out()
        self.n_output_features_ = len(self.feature_names_out_)
        return self

    def transform(self, X):
        check_is_fitted(self, "n_output_features_")
        X = _frame(X)
        if self.categorical != "native":
            return np.asarray(self.transformer_.transform(X), dtype=np.float64)
        out = X.copy()
        for col in self.numeric_columns_:
            out[col] = out[col].astype(np.float64)
            if self.impute:
                out[col] = out[col].fillna(self.medians_[col])
        for col, levels in self.categories_.items():
            values = out[col].astype("object")
            if self.impute:  # missing and unseen values are the missing level
                values = values.where(values.notna() & values.isin(levels), _MISSING_LEVEL)
            out[col] = pd.Categorical(values.where(values.isin(levels), None), categories=levels)
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_


def _frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    X = np.asarray(X)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def _top_levels(column: pd.Series, max_levels: int | None, *, missing_level: bool = False) -> list:
    counts = column.astype("object").value_counts(dropna=True)
    levels = list(counts.index)
    if max_levels is not None and len(levels) > max_levels:
        levels = levels[:max_levels]  # rarer levels become missing, which trees handle
    try:
        levels = sorted(levels)
    except TypeError:  # mixed types: keep frequency order
        pass
    return [*levels, _MISSING_LEVEL] if missing_level and _MISSING_LEVEL not in levels else levels
