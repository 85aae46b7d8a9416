"""User-facing functions with PyTorch's names and signatures (torch.nn.functional)."""
from __future__ import annotations

import numpy as np

from .ops import arith, reduce
from .ops._util import const
from .ops.activation import elu, leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh
from .ops.linalg import linear
from .ops.loss import bce_with_logits
from .random import default_generator
from .tensor import Tensor

logsigmoid = log_sigmoid  # the spelling of torch.nn.functional

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "dropout", "elu", "leaky_relu",
    "linear", "log_sigmoid", "logsigmoid", "mse_loss", "relu", "sigmoid", "softplus", "tanh",
]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return reduce.mean(loss)
    if reduction == "sum":
        return reduce.sum(loss)
    return loss


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _as_target(name: str, target, input: Tensor, what: str = "target") -> Tensor:
    target = const(target, input) if not isinstance(target, Tensor) else target
    if target.dtype != input.dtype and target.dtype.kind in "fiub":
        target = target.to(dtype=input.dtype)
    if target.device != input.device:
        raise RuntimeError(
            f"{name}: input is on device '{input.device}' but {what} is on '{target.device}'"
        )
    return target


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """BCE on logits, as torch.nn.functional.binary_cross_entropy_with_logits.

    l = -w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], computed as a sum of
    non-negative terms (minigan.ops.loss): finite for any finite logit, exact at +-inf,
    and a fused CUDA kernel on the GPU. ``target`` must have the shape of ``input``;
    ``weight`` and ``pos_weight`` broadcast to it.
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor of logits, got {type(input).__name__}")
    target = _as_target(name, target, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}"
        )
    if pos_weight is not None:
        pos_weight = _as_target(name, pos_weight, input, "pos_weight")
        if np.broadcast_shapes(pos_weight.shape, input.shape) != input.shape:
            raise ValueError(
                f"{name}: pos_weight of shape {tuple(pos_weight.shape)} does not broadcast to the "
                f"input shape {tuple(input.shape)}"
            )
    if weight is None:
        return bce_with_logits(input, target, pos_weight, reduction)  # one fused node
    loss = bce_with_logits(input, target, pos_weight)
    if weight is not None:
        weight = _as_target(name, weight, input, "weight")
        if np.broadcast_shapes(weight.shape, input.shape) != input.shape:
            raise ValueError(
                f"{name}: weight of shape {tuple(weight.shape)} does not broadcast to the input "
                f"shape {tuple(input.shape)}"
            )
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    """BCE on probabilities: -w [y log p + (1 - y) log(1 - p)], each log clamped at -100 as
    PyTorch does, so p = 0 or 1 gives a finite loss. Prefer the logits version."""
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    target = _as_target(name, target, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}"
        )
    data = input.array
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        raise ValueError(f"{name}: all elements of input should be between 0 and 1 (they are probabilities)")
    with np.errstate(divide="ignore"):
        log_p = arith.maximum(arith.log(input), -100.0)
        log_q = arith.maximum(arith.log(1.0 - input), -100.0)
    loss = -(target * log_p + (1.0 - target) * log_q)
    if weight is not None:
        loss = loss * _as_target(name, weight, input, "weight")
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)^2, reduced; the shapes must match."""
    name = "mse_loss"
    _check_reduction(name, reduction)
    target = _as_target(name, target, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: input of shape {tuple(input.shape)} and target of shape {tuple(target.shape)} "
            "differ; reshape one so that they match"
        )
    d = input - target
    return _reduce(d * d, reduction)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = default_generator().random(input.shape) >= p
    mask = (keep / (1.0 - p)).astype(input.dtype)
    return input * const(input._xp().asarray(mask) if input._xp() is not np else mask, input)
