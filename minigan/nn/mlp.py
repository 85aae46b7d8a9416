"""mlp(): the multilayer perceptrons of GAN generators and discriminators, as a Sequential."""
from __future__ import annotations

import copy
import itertools

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
from .module import Module

_BY_NAME = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "leakyrelu": LeakyReLU, "tanh": Tanh,
    "sigmoid": Sigmoid, "elu": ELU, "softplus": Softplus, "identity": Identity, "linear": Identity,
}


def _make(activation) -> Module | None:
    """A fresh activation module from a Module (copied), a Module class, or a name."""
    if activation is None:
        return None
    if isinstance(activation, Module):
        return copy.deepcopy(activation)
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if isinstance(activation, str):
        key = activation.lower()
        if key not in _BY_NAME:
            raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(_BY_NAME)}")
        return _BY_NAME[key]()
    raise TypeError(f"activation must be a Module, a Module class or a name, got {activation!r}")


def mlp(sizes, activation=LeakyReLU(0.2), out_activation=None, bias: bool = True,  # noqa: B008
        batch_norm: bool = False, dropout: float = 0.0) -> Sequential:
    """A perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]`` as one flat Sequential.

    Each hidden block is Linear, [BatchNorm1d], activation, [Dropout(dropout)]; the last
    Linear is followed by ``out_activation`` if given. The layers sit at the indices a
    torch.nn.Sequential built the same way has, so state dicts move between the two.
    ``activation`` may be a Module (copied per layer), a Module class, or a name ("relu",
    "leaky_relu" (slope 0.01), "tanh", ...). Input (N, sizes[0]) -> output (N, sizes[-1]).
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got sizes={sizes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers: list[Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(a, b, bias=bias))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(BatchNorm1d(b))
            act = _make(activation)
            if act is not None:
                layers.append(act)
            if dropout > 0:
                layers.append(Dropout(dropout))
    out = _make(out_activation)
    if out is not None:
        layers.append(out)
    return Sequential(*layers)
