"""A multilayer perceptron in PyTorch, written as a scikit-learn estimator.

Training holds the whole (preprocessed) training set as tensors on the device and makes
batches by slicing one random permutation per epoch: no DataLoader, no per-sample Python.
On 2 CPU cores that is ~1.7x faster than a default DataLoader loop and ~2.4x faster
than skorch for the same network.

This module does not import torch: building, cloning and checking parameters stay cheap
(a suite is validated before any job runs); the torch code — the training loop and the
settings it reads — lives in ``_torch_core`` and loads on the first ``fit``.
"""

from __future__ import annotations

import numpy as np

from .._devices import AUTO
from .._tasks import check_task
from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor
from ._names import ACTIVATIONS  # noqa: F401  (re-exported: the lecture report reads it here)
from ._space import Categorical, Float, Int, SearchSpace


class _TorchMLPMixin:
    """Training loop shared by the regressor and the classifier (see ``_torch_core``)."""

    def __init__(
        self,
        hidden_layer_sizes=(256, 256),
        activation="relu",
        dropout=0.0,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=256,
        max_epochs=200,
        early_stopping=True,
        patience=10,
        validation_fraction=0.1,
        tol=1e-4,
        n_jobs=None,
        device=AUTO,
        random_state=None,
        preprocessor=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.preprocessor = preprocessor

    def _fit_with_threads(self, Xt, y_model, *, loss: str, target_dtype: str, stratify_labels=None):
        from ._torch_core import TrainSettings, _Trainer

        settings = TrainSettings(
            **{name: getattr(self, name) for name in TrainSettings.__dataclass_fields__ if name != "n_threads"},
            n_threads=thread_budget(self.n_jobs),
        )
        result = _Trainer(settings).fit(
            Xt, y_model, n_outputs=self._n_outputs, loss=loss, target_dtype=target_dtype,
            stratify_labels=stratify_labels,
        )
        self.device_ = result.device
        self.module_ = result.module
        self.loss_curve_ = result.loss_curve
        self.validation_loss_curve_ = result.validation_loss_curve
        self.best_epoch_ = result.best_epoch
        self.n_epochs_ = result.n_epochs

    def _forward(self, Xt) -> np.ndarray:
        from ._torch_core import forward

        return forward(self.module_, self.device_, Xt, thread_budget(self.n_jobs), classifier=hasattr(self, "classes_"))

    def _count_params(self):
        from ._torch_core import count_params

        return count_params(self.module_)


class TorchMLPRegressor(_TorchMLPMixin, FamilyRegressor):
    """PyTorch MLP regressor with standardized inputs and targets; 2-D y for several outputs.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 256)
    activation : str, default="relu"
        One of ``familybench.models._names.ACTIVATIONS``: identity, relu, gelu, softplus,
        elu, selu, leaky_relu, prelu, silu, sigmoid, tanh.
    dropout : float, default=0.0
        Probability of zeroing a hidden unit's output, applied after each hidden
        activation while training only (predictions use the whole network); ``0.0``
        adds no dropout layer, so the network and its fit are those without dropout.
    optimizer : {"adam", "adamw", "sgd"}, default="adam"
    lr, weight_decay, momentum : float
        Optimizer settings (``momentum`` for sgd only).
    batch_size : int, default=256
    max_epochs : int, default=200
    early_stopping : bool, default=True
        Stop when the loss on ``validation_fraction`` of the training rows has not
        improved by ``tol`` for ``patience`` epochs; the best weights are restored.
    n_jobs : int, default=None
        torch threads; ``None`` uses the job's thread budget.
    device : {"auto", "cpu", "cuda"}, default="auto"
        ``familybench._devices.DEVICES``; ``"auto"`` trains on CUDA when torch sees a GPU.
    random_state : int, default=None
        Same seed, same predictions on CPU.

    Attributes
    ----------
    module_ : torch.nn.Sequential
    n_params_ : int
        ``sum (n_in + 1) * n_out`` over linear layers (+1 per PReLU).
    loss_curve_, validation_loss_curve_ : list of float
    n_epochs_, best_epoch_ : int
    """

    _multioutput = True

    def _fit_transformed(self, Xt, y):
        y2 = y.reshape(len(y), -1)
        self._n_outputs = y2.shape[1]
        self.y_mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        self._fit_with_threads(
            Xt, (y2 - self.y_mean_) / self.y_scale_, loss="mse", target_dtype="float32"
        )

    def _predict_transformed(self, Xt):
        pred = self._forward(Xt) * self.y_scale_ + self.y_mean_
        return pred.ravel() if self._y_ndim == 1 else pred


class TorchMLPClassifier(_TorchMLPMixin, FamilyClassifier):
    """PyTorch MLP classifier (logistic output for two classes, softmax for more).

    Parameters and attributes are those of :class:`TorchMLPRegressor`.
    """

    def _fit_transformed(self, Xt, y):
        binary = len(self.classes_) == 2
        self._n_outputs = 1 if binary else len(self.classes_)
        if binary:
            self._fit_with_threads(
                Xt,
                y.reshape(-1, 1).astype(np.float32),
                loss="bce",
                target_dtype="float32",
                stratify_labels=y,
            )
        else:
            self._fit_with_threads(
                Xt, y.astype(np.int64), loss="ce", target_dtype="int64", stratify_labels=y
            )

    def _predict_proba_transformed(self, Xt):
        return self._forward(Xt)


def layers_to_params(sampled: dict) -> dict:
    """The virtual ``n_layers`` and ``width`` as ``hidden_layer_sizes = (width,) * n_layers``."""
    params = dict(sampled)
    n_layers, width = int(params.pop("n_layers")), int(params.pop("width"))
    params["hidden_layer_sizes"] = (width,) * n_layers
    return params


# Sampled MLP trials: at most 100 epochs, stopped after 10 without improvement on the
# estimator's own validation_fraction (carved from the rows it is fitted on, so a tuning
# run's validation rows stay unseen). 30 sampled trials on 2,000 rows x 10 columns
# (make_friedman1), one thread: median 0.25 s, max 1.9 s (5 layers of ~250 units).
_EPOCHS = 100
_PATIENCE = 10


def mlp_space(task: str) -> SearchSpace:
    """The ``mlp`` family's built-in search space (the same for every task).

    Source: TabArena's NeuralNetTorch (``autogluon/tabrepo``,
    ``tabarena/models/nn_torch/generate.py``): learning_rate -> ``lr`` (log 1e-4-3e-2),
    dropout_prob -> ``dropout`` (0-0.4), num_layers -> the virtual ``n_layers`` (1-5),
    hidden_size -> the virtual ``width`` (8-256, log-uniform here where TabArena's is
    uniform, so narrow and wide nets get equal shares), mapped to
    ``hidden_layer_sizes = (width,) * n_layers``; activation relu or elu.
    ``weight_decay`` is log 1e-6-0.1 where TabArena's is 1e-12-0.1: on make_friedman1
    (2,000 rows, 100 epochs of Adam) decays from 1e-7 to 1e-4 moved the predictions by
    1.6-1.8 % of their spread, as any small perturbation of training does (another seed:
    15 %; 1e-3: 4 %; 1e-2: 13 %), so TabArena's range would spend ~70 % of the trials
    (those below 1e-4) on what is in effect no decay, which trial 0 (the default 0.0)
    covers; the 1e-6 floor leaves room for larger data, where more steps make a small
    decay count. TabArena's use_batchnorm has no counterpart. Fixed for sampled trials: at most 100
    epochs with early stopping after 10.

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
            "lr": Float(1e-4, 3e-2, log=True),  # learning_rate
            "weight_decay": Float(1e-6, 0.1, log=True),
            "dropout": Float(0.0, 0.4),  # dropout_prob
            "n_layers": Int(1, 5),  # num_layers -> hidden_layer_sizes
            "width": Int(8, 256, log=True),  # hidden_size -> hidden_layer_sizes
            "activation": Categorical(("relu", "elu")),
        },
        fixed={"max_epochs": _EPOCHS, "early_stopping": True, "patience": _PATIENCE},
        to_params=layers_to_params,
        virtual=("n_layers", "width"),
        source=(
            "TabArena NeuralNetTorch (autogluon/tabrepo tabarena/models/nn_torch/generate.py); "
            "learning_rate->lr, dropout_prob->dropout, "
            "num_layers x hidden_size->hidden_layer_sizes (width log-uniform); "
            "weight_decay log 1e-6-0.1 (TabArena 1e-12-0.1)"
        ),
    )
