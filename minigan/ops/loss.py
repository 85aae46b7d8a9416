"""Binary cross-entropy with logits, fused: one op for the loss and one for its gradient.

Per element, with pos_weight p (1 when absent) and c = 1 + (p - 1) y = (1 - y) + p y, the loss
    l(x, y) = -[p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
            = (x >= 0 ? x (1 - y) : -x p y) + c log1p(exp(-|x|))
is a sum of non-negative terms, so nothing cancels and a tiny loss keeps its relative
precision (the textbook (1 - y) x - log sigmoid(x) loses it all for x << 0, y = 0).
Its gradient, with e = exp(-|x|) and s = e / (1 + e),
    dl/dx = x >= 0 ? (1 - y) - c s : c s - p y
is free of cancellation for hard targets. CuPy arrays go to the CUDA kernels in kernels/.
"""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _apply
from ._util import Op, unbroadcast
from .activation import SigmoidGrad, SigmoidNeg, softplus


def _scaled_linear(k, x):
    """k * x, but 0 wherever k == 0 (so x = +-inf with k = 0 gives 0, not NaN)."""
    out = np.zeros(np.broadcast_shapes(k.shape, x.shape), dtype=np.result_type(k, x))
    return np.multiply(k, x, out=out, where=k != 0)


def bce_with_logits_array(x, y, p=None):
    """Elementwise BCE-with-logits loss on NumPy arrays (the formula of the module docstring)."""
    xp = get_array_module(x)
    if xp is not np:
        from ..backend import kernels

        x, y, p = _same_shape(xp, x, y, p)
        return kernels.bce_with_logits_forward(x, y, pos_weight=p)
    one = x.dtype.type(1)
    py = y if p is None else p * y
    if np.isfinite(x).all():
        # max(x, 0)(1 - y) + max(-x, 0) p y: the same terms, one of them exactly 0, without
        # np.where (which is ~10x slower on mixed signs)
        lin = np.maximum(x, 0) * (one - y) + np.maximum(-x, 0) * py
    else:
        lin = _scaled_linear(np.where(x >= 0, one - y, -py), x)
    sp = np.log1p(np.exp(-np.abs(x)))
    # c = 1 + (p - 1) y written as (1 - y) + p y: both terms >= 0, nothing cancels for small p
    c = one if p is None else (one - y) + py
    return (lin + c * sp).astype(x.dtype, copy=False)


def bce_with_logits_grad_array(x, y, p=None):
    """d loss / dx on NumPy arrays: (1 - y) sigmoid(x) - p y sigmoid(-x), which equals
    (1 - y) - c s for x >= 0 and c s - p y otherwise."""
    xp = get_array_module(x)
    if xp is not np:
        from ..backend import kernels

        x, y, p = _same_shape(xp, x, y, p)
        return kernels.bce_with_logits_backward(x, y, pos_weight=p)
    if x.ndim == 0:  # ufuncs give scalars for 0-d input, which out= cannot take
        return bce_with_logits_grad_array(
            x.reshape(1), y.reshape(1), None if p is None else p.reshape(1)).reshape(())
    one = x.dtype.type(1)
    # the same gradient as (1 - y) sigmoid(x) - p y sigmoid(-x), a difference of two
    # non-negative terms (exact for hard targets), each sigmoid as exp(min(+-x, 0)) / (1 + e)
    d = np.exp(-np.abs(x))
    d += one
    a = np.minimum(x, 0)
    np.exp(a, out=a)
    a *= one - y
    b = np.minimum(-x, 0)
    np.exp(b, out=b)
    b *= y if p is None else p * y
    a -= b
    a /= d
    return a


def _same_shape(xp, x, y, p):
    """y and p broadcast to x's shape and dtype (the kernels make them contiguous, keeping
    a 0-d shape, which ascontiguousarray would make 1-d)."""
    y = xp.broadcast_to(y, x.shape).astype(x.dtype, copy=False)
    if p is not None:
        p = xp.broadcast_to(p, x.shape).astype(x.dtype, copy=False)
    return x, y, p


class BCEWithLogits(Op):
    """The loss l(x, y[, p]), unweighted, reduced in the same node (ctx: "none", "mean" or
    "sum"): one node forward and one backward for the usual mean loss."""

    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(reduction, x, y, p=None):
        loss = bce_with_logits_array(x, y, p)
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return total
        return total / loss.size if loss.size else total * float("nan")  # the mean of nothing is NaN

    @staticmethod
    def backward(out, g):
        parents = out._parents
        x, y = parents[0], parents[1]
        p = parents[2] if len(parents) == 3 else None
        scale = 1.0 / max(x.array.size, 1) if out._ctx == "mean" else 1.0
        gx = _apply(BCEWithLogitsBackward, scale, g, *parents) if x._rg else None
        gy = gp = None
        if y._rg or (p is not None and p._rg):
            gs = g * scale if scale != 1.0 else g
            sp = softplus(-x, threshold=None)  # -log sigmoid(x)
            if y._rg:
                # dl/dy = -x + (p - 1) softplus(-x)
                gy = unbroadcast(gs * (-x if p is None else (p - 1.0) * sp - x), y.array.shape)
            if p is not None and p._rg:
                # dl/dp = y softplus(-x)
                gp = unbroadcast(gs * y * sp, p.array.shape)
        return (gx, gy) if p is None else (gx, gy, gp)


class BCEWithLogitsBackward(Op):
    """g * scale * dl/dx(x, y[, p]) in one node: exact in the tails (the gradient formula of
    the module docstring), and differentiable in g, x, y and p (double backward). g is the
    incoming gradient: 0-d for a reduced loss, x's shape otherwise."""

    name = "binary_cross_entropy_with_logits_backward"

    @staticmethod
    def forward(scale, g, x, y, p=None):
        xp = get_array_module(x)
        if xp is not np:
            from ..backend import kernels  # CuPy only

            x, y, p = _same_shape(xp, x, y, p)
            g = g.astype(x.dtype, copy=False)  # as the CPU path: the result has x's dtype
            if g.shape == x.shape:
                return kernels.bce_with_logits_backward(x, y, pos_weight=p, grad=g, scale=scale)
            return kernels.bce_with_logits_backward(x, y, pos_weight=p, scale=scale) * g
        d = bce_with_logits_grad_array(x, y, p)
        d *= g if scale == 1.0 else g * d.dtype.type(scale)
        return d

    @staticmethod
    def backward(out, gg):
        parents = out._parents
        g, x, y = parents[0], parents[1], parents[2]
        p = parents[3] if len(parents) == 4 else None
        scale = out._ctx
        gg_g = gg * g if scale == 1.0 else gg * g * scale
        rest = parents[1:]
        # d/dg: the same node with gg as the incoming gradient, summed to g's shape
        dg = unbroadcast(_apply(BCEWithLogitsBackward, scale, gg, *rest), g.array.shape) if g._rg else None
        dx = dy = dp = None
        if x._rg:
            # d2l/dx2 = c sigmoid'(x), c = 1 + (p - 1) y
            d2 = _apply(SigmoidGrad, None, x)
            dx = gg_g * d2 if p is None else gg_g * d2 * ((p - 1.0) * y + 1.0)
        if y._rg or (p is not None and p._rg):
            sn = _apply(SigmoidNeg, None, x)  # sigmoid(-x)
            if y._rg:
                # d/dy [(1 - y) - c sigmoid(-x)] = -1 - (p - 1) sigmoid(-x)
                dy = unbroadcast(-gg_g if p is None else -(gg_g * ((p - 1.0) * sn + 1.0)), y.array.shape)
            if p is not None and p._rg:
                # d/dp = -y sigmoid(-x)
                dp = unbroadcast(-(gg_g * y * sn), p.array.shape)
        return (dg, dx, dy) if p is None else (dg, dx, dy, dp)


def bce_with_logits(x: Tensor, y: Tensor, pos_weight: Tensor | None = None, reduction: str = "none") -> Tensor:
    """Unweighted BCE with logits, reduced by ``reduction``; inputs already checked by the caller."""
    if pos_weight is None:
        return _apply(BCEWithLogits, reduction, x, y)
    return _apply(BCEWithLogits, reduction, x, y, pos_weight)


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON (a float32 constant) in the BCE gradient


def _clamped_log_array(xp, a):
    """log(a) clamped below at -100, as PyTorch's binary_cross_entropy (so log 0 = -100)."""
    with np.errstate(divide="ignore"):
        return xp.maximum(xp.log(a), -100.0)


class BinaryCrossEntropy(Op):
    """l(p, y) = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100)) elementwise: PyTorch's
    clamped rule, finite at p = 0 and 1 (0 where y agrees)."""

    name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, p, y):
        xp = get_array_module(p)
        return -(y * _clamped_log_array(xp, p) + (1 - y) * _clamped_log_array(xp, -p + 1))

    @staticmethod
    def backward(out, g):
        p, y = out._parents
        # PyTorch's rule: dl/dp = (p - y) / max(p (1 - p), 1e-12), so p = y = 1 gives 0, not NaN
        gp = g * (p - y) / (p * (1.0 - p)).maximum(_BCE_EPS) if p._rg else None
        # dl/dy = log(1 - p) - log(p), unclamped as PyTorch's (infinite at p = 0 or 1)
        if y._rg:
            with np.errstate(divide="ignore"):
                gy = g * ((-p).log1p() - p.log())
        else:
            gy = None
        return gp, gy


def binary_cross_entropy(p: Tensor, y: Tensor) -> Tensor:
    """Elementwise BCE on probabilities (unreduced); inputs already checked by the caller."""
    return _apply(BinaryCrossEntropy, None, p, y)
