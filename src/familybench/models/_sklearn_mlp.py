"""scikit-learn's MLP as a reference for the PyTorch one (same preprocessing)."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .._tasks import check_task
from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor, _seed
from ._space import Float, Int, SearchSpace
from ._torch_mlp import layers_to_params


class _SkMLPMixin:
    def __init__(
        self,
        hidden_layer_sizes=(256, 256),
        activation="relu",
        solver="adam",
        alpha=1e-4,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        n_jobs=None,
        random_state=None,
        preprocessor=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.preprocessor = preprocessor

    def _sk_params(self) -> dict:
        params = self.get_params(deep=False)
        for name in ("n_jobs", "preprocessor"):
            params.pop(name)
        params["hidden_layer_sizes"] = tuple(self.hidden_layer_sizes)
        params["random_state"] = _seed(self.random_state)
        return params

    def _fit_sk(self, estimator, Xt, y):
        if len(Xt) < 20:  # too few rows to carve a validation set from (as in the torch MLP)
            estimator.set_params(early_stopping=False)
        # float32 halves the memory traffic; scikit-learn's MLP keeps the input dtype.
        with threadpool_limits(limits=thread_budget(self.n_jobs), user_api="blas"):
            self.model_ = estimator.fit(Xt.astype(np.float32), y)
        self.n_iter_ = int(self.model_.n_iter_)

    def _call(self, method, Xt):
        with threadpool_limits(limits=thread_budget(self.n_jobs), user_api="blas"):
            return getattr(self.model_, method)(Xt.astype(np.float32)).astype(np.float64)

    def _count_params(self):
        return sum(w.size for w in self.model_.coefs_) + sum(b.size for b in self.model_.intercepts_)


class SkMLPRegressor(_SkMLPMixin, FamilyRegressor):
    """scikit-learn MLPRegressor on standardized inputs and target (a reference)."""

    _multioutput = True

    def _fit_transformed(self, Xt, y):
        from sklearn.neural_network import MLPRegressor

        self.y_mean_ = y.mean(axis=0)
        scale = y.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        self._fit_sk(MLPRegressor(**self._sk_params()), Xt, ((y - self.y_mean_) / self.y_scale_).astype(np.float32))

    def _predict_transformed(self, Xt):
        pred = self._call("predict", Xt)
        pred = pred.reshape(len(Xt), -1) * self.y_scale_ + self.y_mean_
        return pred.ravel() if self._y_ndim == 1 else pred


class SkMLPClassifier(_SkMLPMixin, FamilyClassifier):
    """scikit-learn MLPClassifier on one-hot encoded, scaled inputs (a reference)."""

    def _fit_transformed(self, Xt, y):
        from sklearn.neural_network import MLPClassifier

        self._fit_sk(MLPClassifier(**self._sk_params()), Xt, y)

    def _predict_proba_transformed(self, Xt):
        return self._call("predict_proba", Xt)


def sk_mlp_space(task: str) -> SearchSpace:
    """The ``sk_mlp`` reference's built-in search space (the same for every task).

    Source: the ``mlp`` space (TabArena's NeuralNetTorch, ``autogluon/tabrepo``
    ``tabarena/models/nn_torch/generate.py``) under scikit-learn's names, so the reference
    is tuned like the PyTorch MLP: learning_rate -> ``learning_rate_init`` (log
    1e-4-3e-2), the virtual ``n_layers`` (1-5) and ``width`` (log 8-256) ->
    ``hidden_layer_sizes``. ``alpha`` (log 1e-4-10) is the L2 penalty: scikit-learn adds
    ``alpha * W / batch_size`` to the gradient where torch's weight decay adds
    ``weight_decay * W``, so at the default batch of 256 it spans weight decays of
    ~4e-7-0.04, about the ``mlp`` space's 1e-6-0.1. scikit-learn's MLP has no dropout and
    no ELU, so neither is tuned. Fixed for sampled trials: at most 100 epochs with early
    stopping after 10, as ``mlp``.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}

    Returns
    -------
    SearchSpace
    """
    check_task(task)
    return SearchSpace(
        {
            "learning_rate_init": Float(1e-4, 3e-2, log=True),
            "alpha": Float(1e-4, 10.0, log=True),
            "n_layers": Int(1, 5),
            "width": Int(8, 256, log=True),
        },
        fixed={"max_iter": 100, "early_stopping": True, "n_iter_no_change": 10},
        to_params=layers_to_params,
        virtual=("n_layers", "width"),
        source=(
            "the mlp space (TabArena NeuralNetTorch, autogluon/tabrepo "
            "tabarena/models/nn_torch/generate.py) as learning_rate->learning_rate_init, "
            "weight_decay->alpha (log 1e-4-10, alpha/batch_size is the decay), "
            "n_layers x width->hidden_layer_sizes"
        ),
    )
