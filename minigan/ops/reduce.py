"""Reductions over axes: sum, mean, max, min, var, std."""
from __future__ import annotations

import builtins
import math

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _apply
from . import _util
from ._util import Op, normalize_axes, pick_axis


def _keep_shape(in_shape: tuple, axes) -> tuple:
    """The shape of a reduction's result with keepdims=True."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else s for i, s in enumerate(in_shape))


def _expand_back(g: Tensor, in_shape: tuple, axes, scale: float = 1.0) -> Tensor:
    """Undo a reduction's shape: the reduced axes back as 1s, then broadcast, times
    ``scale`` (1/n for a mean), in one op."""
    return _apply(ExpandReduced, (_keep_shape(in_shape, axes), in_shape, axes, scale), g)


class ExpandReduced(Op):
    """g of a reduction's output shape, broadcast back to the input's shape."""

    name = "expand_reduced"

    @staticmethod
    def forward(ctx, g):
        kshape, in_shape, _, scale = ctx
        g = g.reshape(kshape)
        if scale != 1.0:
            g = g * scale
        if g.size == 1 and type(g) is np.ndarray and math.prod(in_shape) <= 4096:
            # for small arrays a filled array is cheaper than np.broadcast_to's view
            out = np.empty(in_shape, dtype=g.dtype)
            out.fill(g.item())
            return out
        return get_array_module(g).broadcast_to(g, in_shape)

    @staticmethod
    def backward(out, g):
        _, _, axes, scale = out._ctx
        red = _apply(Sum, (axes, True), g)
        if scale != 1.0:
            red = red * scale
        src_shape = out._parents[0].array.shape
        return red if red.array.shape == src_shape else red.reshape(src_shape)


def _count(shape, axes) -> int:
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


class Sum(Op):
    name = "sum"

    @staticmethod
    def forward(ctx, a):
        axes, keepdims = ctx
        return a.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(out, g):
        axes, _ = out._ctx
        return _expand_back(g, out._parents[0].array.shape, axes)


class Mean(Op):
    name = "mean"

    @staticmethod
    def forward(ctx, a):
        axes, keepdims = ctx
        n = _count(a.shape, axes)
        s = a.sum(axis=axes, keepdims=keepdims)
        return s / n if n else s * float("nan")

    @staticmethod
    def backward(out, g):
        axes, _ = out._ctx
        shape = out._parents[0].array.shape
        return _expand_back(g, shape, axes, 1.0 / builtins.max(_count(shape, axes), 1))


class _Extremum(Op):
    fn = "max"

    @classmethod
    def forward(cls, ctx, a):
        axes, keepdims = ctx
        if a.size == 0:
            raise ValueError(f"{cls.fn}(): cannot reduce an empty tensor of shape {tuple(a.shape)}")
        return getattr(get_array_module(a), cls.fn)(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        axes, keepdims = out._ctx
        xp = a._xp()
        ref = out.array if keepdims else out.array.reshape(_keep_shape(a.array.shape, axes))
        # the gradient goes to the extreme elements, split evenly among ties (as torch.amax)
        mask = a.array == ref
        w = mask / xp.sum(mask, axis=axes, keepdims=True)
        return _expand_back(g, a.array.shape, axes) * Tensor._wrap(w.astype(a.array.dtype))


class Max(_Extremum):
    name = "max"
    fn = "max"


class Min(_Extremum):
    name = "min"
    fn = "min"


def _reduce(op, x: Tensor, axis, keepdims, dim, keepdim) -> Tensor:
    axis, keepdims = pick_axis(axis, dim, keepdims, keepdim)
    return _apply(op, (normalize_axes(axis, x.array.ndim), keepdims), x)


def sum(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Sum over ``axis`` (all axes when None); ``dim``/``keepdim`` are accepted too."""
    return _reduce(Sum, x, axis, keepdims, dim, keepdim)


def mean(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Mean over ``axis`` (all axes when None)."""
    return _reduce(Mean, x, axis, keepdims, dim, keepdim)


def max(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Largest value over ``axis``; ties share the gradient. (Returns values only, like torch.amax.)"""
    return _reduce(Max, x, axis, keepdims, dim, keepdim)


def min(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Smallest value over ``axis``; ties share the gradient."""
    return _reduce(Min, x, axis, keepdims, dim, keepdim)


def var(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None,
        correction: int = 1, unbiased: bool | None = None) -> Tensor:
    """Variance sum((x - mean)^2) / (N - correction); correction=1 (unbiased) as PyTorch."""
    axis, keepdims = pick_axis(axis, dim, keepdims, keepdim)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes = normalize_axes(axis, x.array.ndim)
    n = _count(x.array.shape, axes)
    mu = _apply(Mean, (axes, True), x)
    d = x - mu
    return _apply(Sum, (axes, keepdims), d * d) * (1.0 / (n - correction) if n > correction else float("nan"))


def std(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None,
        correction: int = 1, unbiased: bool | None = None) -> Tensor:
    """Standard deviation, the square root of ``var``."""
    return var(x, axis, keepdims, dim=dim, keepdim=keepdim, correction=correction, unbiased=unbiased).sqrt()


_util._Sum = Sum  # unbroadcast sums with this op
