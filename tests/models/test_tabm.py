"""The ``tabm`` member: pytabkit's TabM-D behind the base preprocessing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from familybench.models import TabMClassifier, TabMRegressor, check_family, get_model
from familybench.models._tabm import tabm_space


@pytest.fixture(scope="module", autouse=True)
def pytabkit():
    """The library, imported when these tests run (not when the suite is collected)."""
    return pytest.importorskip("pytabkit")


TINY = {"n_epochs": 4, "d_block": 16, "n_blocks": 1, "tabm_k": 4, "d_embedding": 4}


def _table(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(-1, 1, n),
                      "c": pd.Categorical(rng.choice(["u", "v", "w"], n))})
    y = np.sin(2 * X["a"]) + X["b"] ** 2 + (X["c"] == "u") + rng.normal(size=n) * 0.05
    return X, y.to_numpy()


def test_missing_numbers_fit_where_pytabkit_alone_refuses(pytabkit, mixed_frame):
    X, y = mixed_frame
    with pytest.raises(ValueError, match="NaN"):
        pytabkit.TabM_D_Regressor(n_epochs=1, verbosity=0).fit(X, y)
    model = TabMRegressor(**TINY, random_state=0).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_same_seed_same_predictions_as_pytabkit_called_directly(pytabkit):
    X, y = _table()
    ours = TabMRegressor(**TINY, random_state=3, n_jobs=1, device="cpu").fit(X, y).predict(X)
    direct = pytabkit.TabM_D_Regressor(**TINY, random_state=3, n_threads=1, device="cpu", verbosity=0,
                                           val_fraction=0.2)
    np.testing.assert_allclose(ours, direct.fit(X, y).predict(X), rtol=1e-6)


def test_the_parameter_count_is_the_fitted_networks_weights():
    X, y = _table()
    model = TabMRegressor(**TINY, random_state=0).fit(X, y)
    import torch

    modules = [m for m in vars(model.model_.alg_interface_).values() if isinstance(m, torch.nn.Module)]
    if modules:  # where pytabkit keeps the module as an attribute, count it independently
        assert model.n_params_ == sum(p.numel() for m in modules for p in m.parameters())
    wider = TabMRegressor(**{**TINY, "d_block": 32}, random_state=0).fit(X, y)
    assert model.n_params_ > 0 and wider.n_params_ > model.n_params_  # wider blocks, more weights


def test_threads_and_device_reach_pytabkit(monkeypatch):
    monkeypatch.setenv("FAMILYBENCH_THREADS", "1")
    X, y = _table(80)
    model = TabMRegressor(**TINY, random_state=0).fit(X, y)
    assert model.model_.n_threads == 1 and model.model_.device in ("cpu", "cuda")
    assert model.device_ == model.model_.device


def test_classes_and_probabilities():
    X, y = _table()
    labels = np.where(y > np.median(y), "high", "low")
    model = TabMClassifier(**{**TINY, "n_epochs": 16}, random_state=0).fit(X, labels)
    proba = model.predict_proba(X)
    assert list(model.classes_) == ["high", "low"] and proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_a_sampled_trial_of_the_space_fits():
    space = tabm_space("regression")
    point = space.sample(np.random.default_rng(0))
    params = {**space.params(point), "n_epochs": 2, "d_block": 16, "tabm_k": 4}  # small: a test
    assert params["arch_type"] == "tabm-mini" and {"lr", "weight_decay", "dropout", "num_emb_n_bins"} <= set(params)
    model = get_model("tabm", task="regression", **params, random_state=0).fit(*_table(100))
    assert model.n_params_ > 0


@pytest.mark.slow  # scikit-learn's whole battery; tests/models/test_estimator_checks.py runs a part in every run
def test_check_family():
    check_family("tabm", params={**TINY, "n_epochs": 32, "lr": 0.01, "random_state": 0})


@pytest.mark.gpu
def test_cuda_fits_on_the_gpu_and_agrees_with_the_cpu():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, y = _table()
    gpu = TabMRegressor(n_epochs=32, device="cuda", random_state=0).fit(X, y)
    cpu = TabMRegressor(n_epochs=32, device="cpu", random_state=0).fit(X, y)
    assert gpu.device_ == "cuda"
    assert np.corrcoef(gpu.predict(X), cpu.predict(X))[0, 1] > 0.95
