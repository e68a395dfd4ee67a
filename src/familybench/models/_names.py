"""The MLP's activation names, shared by its estimator (``_torch_mlp``, no torch), its
torch core (``_torch_core``) and the public ``familybench.models.ACTIVATIONS``, kept here so
that reading them imports neither scikit-learn nor torch.
"""

from __future__ import annotations

#: Activation name -> the ``torch.nn`` module class it builds (``_torch_core`` resolves it).
ACTIVATION_MODULES: dict[str, str] = {
    "identity": "Identity",
    "relu": "ReLU",
    "gelu": "GELU",
    "softplus": "Softplus",
    "elu": "ELU",
    "selu": "SELU",
    "leaky_relu": "LeakyReLU",
    "prelu": "PReLU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
}
ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATION_MODULES)
