"""minigan.nn: modules with PyTorch's names, argument orders and state-dict keys."""
from __future__ import annotations

from . import functional, init
from .containers import ModuleDict, ModuleList
from .layers import (
    ELU,
    BatchNorm1d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    Unflatten,
)
from .loss import BCELoss, BCEWithLogitsLoss, L1Loss, MSELoss
from .mlp import mlp
from .module import Module, Parameter

__all__ = [
    "ELU",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "L1Loss",
    "MSELoss",
    "LeakyReLU",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "Unflatten",
    "functional",
    "init",
    "mlp",
]
