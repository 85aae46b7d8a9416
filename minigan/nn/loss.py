"""Loss modules, as torch.nn: BCELoss, BCEWithLogitsLoss, MSELoss, L1Loss.

Each holds its options and calls the function of the same name in ``nn.functional``;
``weight`` and ``pos_weight`` are buffers (saved in the state dict and moved by ``to``),
as in PyTorch. The legacy ``size_average`` and ``reduce`` arguments map to ``reduction``.
"""
from __future__ import annotations

import warnings

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "L1Loss", "MSELoss"]


def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's mapping of the deprecated (size_average, reduce) pair to ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


def _optional_buffer(module: Module, name: str, value) -> None:
    if value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{type(module).__name__}: {name} must be a Tensor or None, not {type(value).__name__}")
    module.register_buffer(name, value)


class BCELoss(_Loss):
    """-w [y log p + (1 - y) log(1 - p)] on probabilities ``p`` (after a sigmoid), reduced.

    Input and target have the same shape; ``weight`` broadcasts to it. Each log is clamped
    at -100 as in PyTorch. ``BCEWithLogitsLoss`` on the logits is the stable choice.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        _optional_buffer(self, "weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """-w [p_c y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] on logits ``x``, reduced.

    Finite for any finite logit (one fused node; a CUDA kernel on the GPU). ``pos_weight``
    weighs the positive term per class (broadcast along the last dimension).
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        _optional_buffer(self, "weight", weight)
        _optional_buffer(self, "pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class MSELoss(_Loss):
    """(input - target)^2, reduced; input and target have the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|input - target|, reduced; input and target have the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)
