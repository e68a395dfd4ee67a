"""The PyTorch half of the MLP: network, device, threads, and the training loop.

Kept apart from the estimator classes (``_torch_mlp``) so that building, cloning and
validating an MLP's parameters never imports torch (~2 s); this module loads on the
first ``fit``. It imports nothing from ``_torch_mlp``: the estimator hands the loop a
:class:`TrainSettings` and gets a :class:`TrainResult` back.
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._devices import AUTO, CPU, CUDA, check_device
from .._hooks import report_transfer
from ._base import _seed, _validation_split
from ._names import ACTIVATION_MODULES


@dataclass(frozen=True)
class TrainSettings:
    """What the training loop (:class:`_Trainer`) reads: the estimator's
    hyperparameters, taken once per fit, and the thread budget."""

    hidden_layer_sizes: tuple
    activation: str
    dropout: float
    optimizer: str
    lr: float
    weight_decay: float
    momentum: float
    batch_size: int
    max_epochs: int
    early_stopping: bool
    patience: int
    validation_fraction: float
    tol: float
    device: str
    random_state: object
    n_threads: int


@dataclass
class TrainResult:
    """What a fit produced; the estimator assigns it to its fitted attributes."""

    module: object  # torch.nn.Sequential, in eval mode
    device: str  # "cpu" or "cuda": where it trained
    loss_curve: list
    validation_loss_curve: list
    best_epoch: int
    n_epochs: int


#: Activation name -> torch module class (the names are defined in ``_names``).
ACTIVATIONS = {name: getattr(nn, module) for name, module in ACTIVATION_MODULES.items()}
_PREDICT_BATCH = 65_536


def resolve_device(device: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"`` without a GPU is an error."""
    check_device(device)
    if device == AUTO:
        return torch.device(CUDA if torch.cuda.is_available() else CPU)
    if device == CUDA and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but torch sees no CUDA device")
    return torch.device(device)


def build_network(
    n_in: int, hidden_layer_sizes, n_out: int, activation: str, dropout: float = 0.0
) -> nn.Sequential:
    """Linear → activation (→ dropout) blocks, then a linear output layer.

    ``dropout > 0`` adds an ``nn.Dropout(dropout)`` after each hidden activation (active in
    training mode only); ``dropout == 0`` adds no module, so the network is the plain one.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}"
        )
    if isinstance(dropout, bool) or not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}")
    layers: list[nn.Module] = []
    width = n_in
    for size in hidden_layer_sizes:
        if int(size) < 1:
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}"
            )
        layers += [nn.Linear(width, int(size)), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(float(dropout)))
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


@contextmanager
def _seeded_rng(seed: int, device: torch.device):
    """torch's global generators seeded with ``seed`` inside, restored on exit (the CPU one,
    and the CUDA device's when training there)."""
    devices = []
    if device.type == CUDA:
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _to_device(array, device, dtype):
    start = time.perf_counter()
    tensor = torch.as_tensor(np.ascontiguousarray(array), dtype=dtype).to(device)
    if device.type == CUDA:
        torch.cuda.synchronize(device)
        report_transfer(time.perf_counter() - start)
    return tensor


_LOSSES = {"mse": nn.MSELoss, "bce": nn.BCEWithLogitsLoss, "ce": nn.CrossEntropyLoss}
_DTYPES = {"float32": torch.float32, "int64": torch.int64}


def make_optimizer(settings: TrainSettings, params):
    """The settings' optimizer, fused (one kernel per step for all tensors) where supported."""
    params = list(params)
    if settings.optimizer == "adam":
        cls, kwargs = torch.optim.Adam, {}
    elif settings.optimizer == "adamw":
        cls, kwargs = torch.optim.AdamW, {}
    elif settings.optimizer == "sgd":
        cls, kwargs = torch.optim.SGD, {"momentum": settings.momentum}
    else:
        raise ValueError(f"unknown optimizer {settings.optimizer!r}; expected one of adam, adamw, sgd")
    try:
        # The fused kernel updates all parameters in one op per step instead of several
        # small ops per tensor: the per-step overhead dominates small MLPs on CPU.
        return cls(params, lr=settings.lr, weight_decay=settings.weight_decay, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, lr=settings.lr, weight_decay=settings.weight_decay, **kwargs)


class _Trainer:
    """The MLP's training loop, built from explicit settings; knows nothing of the estimator.

    Initial weights and dropout masks come from torch's global generator, seeded with the
    settings' seed for the whole fit and restored afterwards, so the same seed gives the
    same fit and the caller's random state is left as it was.

    Parameters
    ----------
    settings : TrainSettings
        The estimator's hyperparameters, read once by the estimator.
    """

    def __init__(self, settings: TrainSettings):
        if int(settings.batch_size) < 1 or int(settings.max_epochs) < 1:
            raise ValueError("batch_size and max_epochs must be >= 1")
        self.settings = settings

    def fit(self, Xt, y_model, *, n_outputs: int, loss: str, target_dtype: str, stratify_labels=None) -> TrainResult:
        """Train a new network on ``(Xt, y_model)``; the estimator assigns the result."""
        device = resolve_device(self.settings.device)
        seed = _seed(self.settings.random_state)
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        with _torch_threads(self.settings.n_threads), _seeded_rng(seed, device):
            return self._fit(Xt, y_model, n_outputs, _LOSSES[loss](), _DTYPES[target_dtype], stratify_labels,
                             seed, device)

    def _fit(self, Xt, y_model, n_outputs, loss_fn, target_dtype, stratify_labels, seed, device) -> TrainResult:
        s = self.settings
        generator = torch.Generator().manual_seed(seed)  # batch order: its own stream
        module = build_network(Xt.shape[1], tuple(s.hidden_layer_sizes), n_outputs, s.activation, s.dropout).to(device)
        optimizer = make_optimizer(s, module.parameters())

        use_validation = bool(s.early_stopping) and len(Xt) >= 20
        if use_validation:
            X_fit, X_val, y_fit, y_val = _validation_split(Xt, y_model, s.validation_fraction, seed, stratify_labels)
        else:
            X_fit, y_fit = Xt, y_model
        X_fit = _to_device(X_fit, device, torch.float32)
        y_fit = _to_device(y_fit, device, target_dtype)
        if use_validation:
            X_val = _to_device(X_val, device, torch.float32)
            y_val = _to_device(y_val, device, target_dtype)

        n_rows = len(X_fit)
        batch = min(int(s.batch_size), n_rows)
        sizes = [min(batch, n_rows - start) for start in range(0, n_rows, batch)]
        batch_weights = torch.tensor(sizes, dtype=torch.float32, device=device) / n_rows
        loss_curve, validation_loss_curve = [], []
        best_loss, best_state, stale, best_epoch = math.inf, None, 0, 0
        for epoch in range(int(s.max_epochs)):
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
                    f"lower lr (now {s.lr}) or check the inputs for extreme values"
                )
            loss_curve.append(train_loss)
            monitored = train_loss
            if use_validation:
                module.eval()
                with torch.inference_mode():
                    monitored = float(loss_fn(module(X_val), y_val))
                validation_loss_curve.append(monitored)
            if monitored < best_loss - s.tol:
                best_loss, stale, best_epoch = monitored, 0, epoch + 1
                if use_validation:
                    best_state = copy.deepcopy(module.state_dict())
            else:
                stale += 1
                if use_validation and stale >= int(s.patience):
                    break
        if best_state is not None:
            module.load_state_dict(best_state)  # early stopping keeps the best weights
        module.eval()
        return TrainResult(module=module, device=device.type, loss_curve=loss_curve,
                           validation_loss_curve=validation_loss_curve, best_epoch=best_epoch, n_epochs=epoch + 1)


def forward(module, device: str, Xt, n_threads: int, *, classifier: bool) -> np.ndarray:
    """Network outputs for ``Xt`` in chunks, as float64: raw for one regression output set,
    probabilities for a classifier (sigmoid for one logit, softmax for several)."""
    device = torch.device(device)
    outputs = []
    with _torch_threads(n_threads), torch.inference_mode():
        for start in range(0, len(Xt), _PREDICT_BATCH):
            out = module(_to_device(Xt[start : start + _PREDICT_BATCH], device, torch.float32))
            if classifier:
                if out.shape[1] == 1:
                    p = torch.sigmoid(out)
                    out = torch.cat([1 - p, p], dim=1)
                else:
                    out = torch.softmax(out, dim=1)
            outputs.append(out.cpu().numpy())
    return np.concatenate(outputs).astype(np.float64)


def count_params(module) -> int:
    return sum(p.numel() for p in module.parameters())
