"""A multilayer perceptron in PyTorch, written as a scikit-learn estimator.

Training holds the whole (preprocessed) training set as tensors on the device and makes
batches by slicing one random permutation per epoch: no DataLoader, no per-sample Python.
On 2 CPU cores that is ~1.7x faster than a default DataLoader loop and ~2.4x faster
than skorch for the same network.
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._hooks import report_transfer
from .._threads import thread_budget
from ._base import FamilyClassifier, FamilyRegressor, _seed, _validation_split

ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "silu": nn.SiLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}
OPTIMIZERS = ("adam", "adamw", "sgd")
_PREDICT_BATCH = 65_536


def resolve_device(device: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return torch.device(device)


def build_network(n_in: int, hidden_layer_sizes, n_out: int, activation: str) -> nn.Sequential:
    """Linear → activation blocks, then a linear output layer."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    width = n_in
    for size in hidden_layer_sizes:
        if int(size) < 1:
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}")
        layers += [nn.Linear(width, int(size)), ACTIVATIONS[activation]()]
        width = int(size)
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


@contextmanager
def _torch_threads(n_threads: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _to_device(array, device, dtype):
    start = time.perf_counter()
    tensor = torch.as_tensor(np.ascontiguousarray(array), dtype=dtype).to(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        report_transfer(time.perf_counter() - start)
    return tensor


class _TorchMLPMixin:
    """Training loop shared by the regressor and the classifier."""

    def __init__(
        self,
        hidden_layer_sizes=(256, 256),
        activation="relu",
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
        device="auto",
        random_state=None,
        preprocessor=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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

    # -- pieces a task subclass provides: _targets, _loss, _n_outputs, _decode

    def _make_optimizer(self, params):
        params = list(params)
        if self.optimizer == "adam":
            cls, kwargs = torch.optim.Adam, {}
        elif self.optimizer == "adamw":
            cls, kwargs = torch.optim.AdamW, {}
        elif self.optimizer == "sgd":
            cls, kwargs = torch.optim.SGD, {"momentum": self.momentum}
        else:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")
        try:
            # The fused kernel updates all parameters in one op per step instead of several
            # small ops per tensor: the per-step overhead dominates small MLPs on CPU.
            return cls(params, lr=self.lr, weight_decay=self.weight_decay, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            return cls(params, lr=self.lr, weight_decay=self.weight_decay, **kwargs)

    def _train(self, Xt, y_model, stratify_labels=None):
        if int(self.batch_size) < 1 or int(self.max_epochs) < 1:
            raise ValueError("batch_size and max_epochs must be >= 1")
        device = resolve_device(self.device)
        self.device_ = device.type
        seed = _seed(self.random_state)
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        generator = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.module_ = build_network(
                Xt.shape[1], tuple(self.hidden_layer_sizes), self._n_outputs, self.activation
            ).to(device)
        optimizer = self._make_optimizer(self.module_.parameters())
        loss_fn = self._loss()

        use_validation = bool(self.early_stopping) and len(Xt) >= 20
        if use_validation:
            X_fit, X_val, y_fit, y_val = _validation_split(
                Xt, y_model, self.validation_fraction, seed, stratify_labels
            )
        else:
            X_fit, y_fit = Xt, y_model
        X_fit = _to_device(X_fit, device, torch.float32)
        y_fit = _to_device(y_fit, device, self._target_dtype)
        if use_validation:
            X_val = _to_device(X_val, device, torch.float32)
            y_val = _to_device(y_val, device, self._target_dtype)

        n_rows = len(X_fit)
        batch = min(int(self.batch_size), n_rows)
        sizes = [min(batch, n_rows - start) for start in range(0, n_rows, batch)]
        batch_weights = torch.tensor(sizes, dtype=torch.float32, device=device) / n_rows
        self.loss_curve_, self.validation_loss_curve_ = [], []
        best_loss, best_state, stale = math.inf, None, 0
        self.best_epoch_ = 0
        module = self.module_
        for epoch in range(int(self.max_epochs)):
            module.train()
            # One gather per epoch; the batches below are then contiguous views.
            order = torch.randperm(n_rows, generator=generator).to(device)
            X_epoch, y_epoch = X_fit[order], y_fit[order]
            losses = []
            for start in range(0, n_rows, batch):
                loss = loss_fn(module(X_epoch[start : start + batch]), y_epoch[start : start + batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.detach())  # no op per step; one reduction and sync per epoch
            train_loss = float(torch.stack(losses) @ batch_weights)
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"MLP training loss became {train_loss} at epoch {epoch + 1}; "
                    f"lower lr (now {self.lr}) or check the inputs for extreme values"
                )
            self.loss_curve_.append(train_loss)
            monitored = train_loss
            if use_validation:
                module.eval()
                with torch.inference_mode():
                    monitored = float(loss_fn(module(X_val), y_val))
                self.validation_loss_curve_.append(monitored)
            if monitored < best_loss - self.tol:
                best_loss, stale, self.best_epoch_ = monitored, 0, epoch + 1
                if use_validation:
                    best_state = copy.deepcopy(module.state_dict())
            else:
                stale += 1
                if use_validation and stale >= int(self.patience):
                    break
        self.n_epochs_ = epoch + 1
        if best_state is not None:
            module.load_state_dict(best_state)  # early stopping keeps the best weights
        module.eval()

    def _forward(self, Xt) -> np.ndarray:
        device = torch.device(self.device_)
        n_threads = thread_budget(self.n_jobs)
        outputs = []
        with _torch_threads(n_threads), torch.inference_mode():
            for start in range(0, len(Xt), _PREDICT_BATCH):
                chunk = _to_device(Xt[start : start + _PREDICT_BATCH], device, torch.float32)
                outputs.append(self._decode(self.module_(chunk)).cpu().numpy())
        return np.concatenate(outputs).astype(np.float64)

    def _fit_with_threads(self, Xt, y_model, stratify_labels=None):
        with _torch_threads(thread_budget(self.n_jobs)):
            self._train(Xt, y_model, stratify_labels)

    def _count_params(self):
        return sum(p.numel() for p in self.module_.parameters())

    def first_layer_in_input_space(self):
        """First layer ``(W, b)`` acting on the raw numeric inputs, undoing the scaling.

        ``None`` when inputs went through more than scaling (categoricals), so the hidden
        units' lines cannot be drawn in the data's own coordinates.
        """
        check_is_fitted(self, "module_")
        pre = self.preprocessor_
        if getattr(pre, "categorical_columns_", None) or not hasattr(pre, "transformer_"):
            return None
        layer = self.module_[0]
        W = layer.weight.detach().cpu().numpy().astype(np.float64)
        b = layer.bias.detach().cpu().numpy().astype(np.float64)
        steps = pre.transformer_.named_transformers_["numeric"]
        scaler = steps[-1] if hasattr(steps[-1], "scale_") else None
        if scaler is None:
            return W, b
        # w . (x - mean) / scale + b  ==  (w / scale) . x + (b - w . mean / scale)
        return W / scaler.scale_, b - (W / scaler.scale_) @ scaler.mean_


class TorchMLPRegressor(_TorchMLPMixin, FamilyRegressor):
    """PyTorch MLP regressor with standardized inputs and targets; 2-D y for several outputs.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 256)
    activation : str, default="relu"
        One of identity, relu, gelu, softplus, elu, selu, leaky_relu, prelu, silu,
        sigmoid, tanh.
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
    _target_dtype = torch.float32

    def _loss(self):
        return nn.MSELoss()

    def _decode(self, out):
        return out

    def _fit_transformed(self, Xt, y):
        y2 = y.reshape(len(y), -1)
        self._n_outputs = y2.shape[1]
        self.y_mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        self._fit_with_threads(Xt, (y2 - self.y_mean_) / self.y_scale_)

    def _predict_transformed(self, Xt):
        pred = self._forward(Xt) * self.y_scale_ + self.y_mean_
        return pred.ravel() if self._y_ndim == 1 else pred


class TorchMLPClassifier(_TorchMLPMixin, FamilyClassifier):
    """PyTorch MLP classifier (logistic output for two classes, softmax for more).

    Parameters and attributes are those of :class:`TorchMLPRegressor`.
    """

    @property
    def _target_dtype(self):
        return torch.float32 if len(self.classes_) == 2 else torch.int64

    def _loss(self):
        return nn.BCEWithLogitsLoss() if len(self.classes_) == 2 else nn.CrossEntropyLoss()

    def _decode(self, out):
        if out.shape[1] == 1:
            p = torch.sigmoid(out)
            return torch.cat([1 - p, p], dim=1)
        return torch.softmax(out, dim=1)

    def _fit_transformed(self, Xt, y):
        binary = len(self.classes_) == 2
        self._n_outputs = 1 if binary else len(self.classes_)
        targets = y.reshape(-1, 1).astype(np.float32) if binary else y.astype(np.int64)
        self._fit_with_threads(Xt, targets, stratify_labels=y)

    def _predict_proba_transformed(self, Xt):
        return self._forward(Xt)
