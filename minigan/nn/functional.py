"""User-facing functions with PyTorch's names and signatures (torch.nn.functional)."""
from __future__ import annotations

import numpy as np

from ..backend.device import to_device
from ..ops import loss as loss_ops
from ..ops import reduce
from ..ops._util import const
from ..ops.activation import elu, leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh
from ..ops.linalg import linear
from ..ops.loss import bce_with_logits
from ..ops.shape import Embedding
from ..random import default_generator
from ..tensor import Tensor, _apply, not_tensor_error

logsigmoid = log_sigmoid  # the spelling of torch.nn.functional

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "dropout", "elu", "embedding", "leaky_relu",
    "l1_loss", "linear", "log_sigmoid", "logsigmoid", "mse_loss", "relu", "sigmoid", "softplus", "tanh",
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
    if not isinstance(input, Tensor):
        raise not_tensor_error(name, "input", 1, input)
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
    loss = loss_ops.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * _as_target(name, weight, input, "weight")
    return _reduce(loss, reduction)


def _difference(name: str, input: Tensor, target, reduction: str) -> Tensor:
    """input - target for the regression losses, whose shapes must match (PyTorch only warns
    and broadcasts, which silently averages the wrong pairs)."""
    _check_reduction(name, reduction)
    target = _as_target(name, target, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: input of shape {tuple(input.shape)} and target of shape {tuple(target.shape)} "
            "differ; reshape one so that they match"
        )
    return input - target


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)^2, reduced; the shapes must match."""
    d = _difference("mse_loss", input, target, reduction)
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input - target|, reduced; the shapes must match."""
    return _reduce(_difference("l1_loss", input, target, reduction).abs(), reduction)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input`` (*): output (*, dim).

    The row ``padding_idx`` gets no gradient. ``sparse`` is accepted (the gradient is dense);
    ``max_norm`` and ``scale_grad_by_freq`` are not supported.
    """
    if not isinstance(input, Tensor):
        raise not_tensor_error("embedding", "indices", 2, input)
    if not isinstance(weight, Tensor):
        raise not_tensor_error("embedding", "weight", 1, weight)
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError("embedding: max_norm and scale_grad_by_freq are not supported in minigan")
    if input.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)"
        )
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}"
        )
    n = weight.shape[0]
    idx = input.array
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError(
            f"index out of range in self: embedding indices must be in [0, {n}), "
            f"got values from {int(idx.min())} to {int(idx.max())}"
        )
    if padding_idx is not None:
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    idx = weight._xp().asarray(idx)
    return _apply(Embedding, (idx, padding_idx), weight)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(input, Tensor):
        raise not_tensor_error("dropout", "input", 1, input)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = default_generator().random(input.shape) >= p
    mask = (keep / (1.0 - p)).astype(input.dtype)
    return input * const(mask if type(input.array) is np.ndarray else to_device(mask, input.device), input)
