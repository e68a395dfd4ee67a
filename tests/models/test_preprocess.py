"""The preprocessor's native mode with imputation (for models that keep categories but refuse NaN)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from familybench.models._preprocess import Preprocessor


def test_native_with_impute_fills_numbers_with_training_medians_and_gives_missing_categories_a_level():
    train = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "c": pd.Categorical(["x", None, "y", "x"])})
    pre = Preprocessor(categorical="native", impute=True).fit(train)
    test = pd.DataFrame({"a": [np.nan, 2.0], "c": pd.Categorical(["z", None])})  # z: unseen in training
    out = pre.transform(test)
    assert out["a"].tolist() == [3.0, 2.0]  # the training rows' median, not the test rows'
    assert out["c"].tolist() == ["__missing__", "__missing__"] and not out.isna().any().any()
    assert list(out["c"].cat.categories) == ["x", "y", "__missing__"]
    assert str(out["c"].dtype) == "category"


def test_native_without_impute_keeps_missing_values_for_the_trees():
    train = pd.DataFrame({"a": [1.0, np.nan, 3.0], "c": pd.Categorical(["x", None, "y"])})
    out = Preprocessor(categorical="native").fit(train).transform(train)
    assert out.isna().sum().to_dict() == {"a": 1, "c": 1}
