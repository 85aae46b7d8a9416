"""minigan.nn: modules with PyTorch's names, argument orders and state-dict keys."""
from __future__ import annotations

import sys

from .. import functional
from . import init
from .layers import (
    ELU,
    BatchNorm1d,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
)
from .mlp import mlp
from .module import Module, Parameter

# `import minigan.nn.functional as F` works as in PyTorch: the module is minigan.functional
sys.modules[__name__ + ".functional"] = functional

__all__ = [
    "ELU",
    "BatchNorm1d",
    "Dropout",
    "Identity",
    "LeakyReLU",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "functional",
    "init",
    "mlp",
]
