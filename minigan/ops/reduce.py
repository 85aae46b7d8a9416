"""Reductions over axes: sum, mean, max, min, var, std."""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from ..backend import get_array_module
from ..backend.device import on_device_of
from ..tensor import Tensor, _apply
from . import _util
from ._util import Op, need_tensor, normalize_axes, pick_axis, torch_name
from .arith import where


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
    name = "amax"
    fn = "max"


class Min(_Extremum):
    name = "amin"
    fn = "min"


class TakeAlong(Op):
    """a's elements at ``index`` along ``axis`` (index has a's shape with 1 at axis): the
    values of max(dim)/min(dim), whose gradient goes to the one index returned."""

    name = "take_along_dim"

    @staticmethod
    def forward(ctx, a):
        axis, index, keepdim = ctx
        out = get_array_module(a).take_along_axis(a, index, axis)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(out, g):
        return _apply(PutAlong, (out._ctx, out._parents[0].array.shape), g)


class PutAlong(Op):
    """zeros of a's shape with g put at ``index`` along ``axis``: the adjoint of TakeAlong."""

    name = "put_along_dim"

    @staticmethod
    def forward(ctx, g):
        (axis, index, keepdim), shape = ctx
        xp = get_array_module(g)
        with on_device_of(g):
            z = xp.zeros(shape, dtype=g.dtype)
        xp.put_along_axis(z, index, g if keepdim else xp.expand_dims(g, axis), axis)
        return z

    @staticmethod
    def backward(out, g):
        return _apply(TakeAlong, out._ctx[0], g)


class SqrtOfVar(Op):
    """The square root that makes std from var, with PyTorch's gradient convention at 0."""

    name = "std"

    @staticmethod
    def forward(ctx, v):
        return get_array_module(v).sqrt(v)

    @staticmethod
    def backward(out, g):
        # d sqrt(v)/dv = 1 / (2 sqrt(v)), taken as 0 where std == 0 (a constant sample), as PyTorch
        zero = out.array == 0
        if not zero.any():
            return g / (out * 2.0)
        safe = where(zero, 1.0, out.detach())
        return where(zero, 0.0, g / (safe * 2.0))


MaxMin = namedtuple("max", ["values", "indices"], module="minigan.return_types")
MinMax = namedtuple("min", ["values", "indices"], module="minigan.return_types")


def _dims(name: str, dim, ndim: int):
    """PyTorch's ``dim`` of a reduction: None, an int, or a tuple or list of ints; an empty
    one means every dim (as torch.sum); a bool is never a dim."""
    if dim is None:
        return None
    items = dim if isinstance(dim, (tuple, list)) else (dim,)
    for d in items:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            what = type(d).__name__
            raise TypeError(f"{name}(): argument 'dim' must be tuple of ints, not {what}" if d is dim
                            else f"{name}(): argument 'dim' must be tuple of ints, but found element of type {what}")
    if not items:
        return None
    return normalize_axes(dim, ndim)


def _check_nonempty(name: str, shape: tuple, axes) -> None:
    """PyTorch's errors for max/min over an empty dimension (there is nothing to pick)."""
    if axes is None:
        if 0 in shape:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        return
    for d in axes:
        if shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _reduce(op, name, x: Tensor, dim, keepdim, axis, keepdims) -> Tensor:
    dim, keepdim = pick_axis(dim, keepdim, axis, keepdims)
    return _apply(op, (_dims(name, dim, x.array.ndim), keepdim), x)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
    """Sum over ``dim`` (an int or a tuple; None or () for all); ``axis``/``keepdims`` too;
    ``dtype`` casts the input first (as torch.sum). Integers and bools sum to int64."""
    need_tensor("sum", input)
    if dtype is not None:
        input = input.to(dtype=dtype)
    elif input.array.dtype.kind in "biu" and input.array.dtype != np.int64:
        input = input.to(dtype=np.int64)
    return _reduce(Sum, "sum", input, dim, keepdim, axis, keepdims)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
    """Mean over ``dim`` (None or () for all); the mean of nothing is NaN; ``dtype`` casts first."""
    need_tensor("mean", input)
    if dtype is not None:
        input = input.to(dtype=dtype)
    if input.array.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {torch_name(input.array.dtype)}")
    return _reduce(Mean, "mean", input, dim, keepdim, axis, keepdims)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (an int or a tuple; () for all); ties share the gradient."""
    need_tensor("amax", input)
    axes = _dims("amax", dim, input.array.ndim)
    _check_nonempty("amax", input.array.shape, axes)
    return _apply(Max, (axes, bool(keepdim)), input)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (an int or a tuple; () for all); ties share the gradient."""
    need_tensor("amin", input)
    axes = _dims("amin", dim, input.array.ndim)
    _check_nonempty("amin", input.array.shape, axes)
    return _apply(Min, (axes, bool(keepdim)), input)


def _extremum(name, input, dim, keepdim, axis, keepdims, binary, whole, result):
    if isinstance(dim, Tensor) and isinstance(input, Tensor):  # max(a, b): the elementwise maximum
        return binary(input, dim)
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    dim, keepdim = pick_axis(dim, keepdim, axis, keepdims)
    if dim is None:  # the whole tensor, ties sharing the gradient
        _check_nonempty(name, input.array.shape, None)
        return _apply(whole, (None, False), input)
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    nd = input.array.ndim
    axes = normalize_axes(dim, nd)
    xp = input._xp()
    if nd == 0:
        return result(_apply(TakeAlong, (0, xp.zeros((1,), dtype=np.int64), True), input.reshape(1)).reshape(()),
                      Tensor._wrap(xp.zeros((), dtype=np.int64)))
    _check_nonempty(name, input.array.shape, axes)
    (d,) = axes
    # the index of the first extreme element (a NaN if there is one, as PyTorch)
    index = getattr(xp, "arg" + whole.fn)(input.array, axis=d, keepdims=True)
    values = _apply(TakeAlong, (d, index, keepdim), input)
    return result(values, Tensor._wrap(index if keepdim else index.squeeze(d)))


def max(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """As torch.max: ``max(x)`` the largest value (ties share the gradient); ``max(x, dim)``
    a named tuple (values, indices) along ``dim`` (the gradient goes to the index returned);
    ``max(x, other)`` the elementwise maximum."""
    return _extremum("max", input, dim, keepdim, axis, keepdims, Tensor.maximum, Max, MaxMin)


def min(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """As torch.min: the smallest value, (values, indices) along ``dim``, or the elementwise minimum."""
    return _extremum("min", input, dim, keepdim, axis, keepdims, Tensor.minimum, Min, MinMax)


def _var_args(name, input, dim, unbiased, keepdim, correction, axis, keepdims):
    need_tensor(name, input)
    if isinstance(dim, (bool, np.bool_)):  # var(x, True): PyTorch's (input, unbiased) overload
        if unbiased is not None:
            raise TypeError(f"{name}(): got both unbiased={dim} (as the second argument) and unbiased={unbiased}")
        dim, unbiased = None, bool(dim)
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    dim, keepdim = pick_axis(dim, keepdim, axis, keepdims)
    if input.array.dtype.kind not in "fc":
        raise RuntimeError(f"{name}(): input dtype should be either floating point or complex dtypes. "
                           f"Got {torch_name(input.array.dtype)} instead.")
    return _dims(name, dim, input.array.ndim), keepdim, correction


def _var(x: Tensor, axes, keepdim: bool, correction) -> Tensor:
    n = _count(x.array.shape, axes)
    mu = _apply(Mean, (axes, True), x)
    d = x - mu
    ss = _apply(Sum, (axes, keepdim), d * d)
    # sum / max(0, N - correction), as PyTorch: inf for a spread sample with correction >= N,
    # NaN when there is nothing to spread (an empty dim, or a constant one with correction >= N)
    dof = builtins.max(0.0, n - correction)
    return ss * (1.0 / dof) if dof else ss * float("inf")


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims=None) -> Tensor:
    """Variance sum((x - mean)^2) / (N - correction) over ``dim`` (None or () for all);
    correction 1 (unbiased) by default, as torch.var; ``var(x, False)`` is the biased one."""
    axes, keepdim, correction = _var_args("var", input, dim, unbiased, keepdim, correction, axis, keepdims)
    return _var(input, axes, keepdim, correction)


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None, axis=None, keepdims=None) -> Tensor:
    """Standard deviation, the square root of ``var`` (gradient 0 where it is 0, as PyTorch)."""
    axes, keepdim, correction = _var_args("std", input, dim, unbiased, keepdim, correction, axis, keepdims)
    return _apply(SqrtOfVar, None, _var(input, axes, keepdim, correction))


_util._Sum = Sum  # unbroadcast sums with this op


def _logical(name, input: Tensor, dim, keepdim: bool) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    arr = input.array
    if isinstance(dim, (tuple, list)) and not dim:  # no dims: each element on its own
        return Tensor._wrap(arr.astype(bool))
    axes = _dims(name, dim, arr.ndim)
    return Tensor._wrap(get_array_module(arr).asarray(getattr(arr.astype(bool, copy=False), name)(
        axis=axes, keepdims=bool(keepdim))))


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (along ``dim``) is nonzero, as a bool tensor (torch.all)."""
    return _logical("all", input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether some element (along ``dim``) is nonzero, as a bool tensor (torch.any)."""
    return _logical("any", input, dim, keepdim)


class Norm(Op):
    """The vector p-norm (sum |x|^p)^(1/p) over axes; ctx (p, axes, keepdim)."""

    name = "norm"

    @staticmethod
    def forward(ctx, a):
        p, axes, keepdim = ctx
        xp = get_array_module(a)
        m = xp.abs(a)
        if p == 2:
            return xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        if p == 1:
            return m.sum(axis=axes, keepdims=keepdim)
        if p == math.inf:
            return m.max(axis=axes, keepdims=keepdim)
        if p == -math.inf:
            return m.min(axis=axes, keepdims=keepdim)
        if p == 0:
            return (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        return (m**p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)

    @staticmethod
    def backward(out, g):
        x = out._parents[0]
        p, axes, keepdim = out._ctx
        kshape = _keep_shape(x.array.shape, axes)
        n = out if keepdim else out.reshape(kshape)
        gk = g if keepdim else g.reshape(kshape)
        xa = x.array
        sgn = Tensor._wrap((xa > 0).astype(xa.dtype) - (xa < 0))  # sign, 0 at 0 and NaN
        if p == 0:
            return Tensor._wrap(x._xp().zeros(xa.shape, dtype=g.array.dtype))
        if p == 1:
            return gk * sgn
        if p in (math.inf, -math.inf):
            # all to the elements of largest (smallest) |x|, split evenly among ties, as PyTorch
            mask = x._xp().abs(xa) == n.array
            w = mask / x._xp().sum(mask, axis=axes, keepdims=True)
            return gk * sgn * Tensor._wrap(w.astype(xa.dtype))
        # d/dx = x |x|^(p-2) / n^(p-1), taken as 0 where the norm is 0 (PyTorch's subgradient)
        zero = n.array == 0
        safe = where(zero, 1.0, n) if zero.any() else n
        r = x * (gk / safe) if p == 2 else x * x.abs() ** (p - 2) * (gk / safe ** (p - 1))
        return where(zero, 0.0, r) if zero.any() else r


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The p-norm over ``dim`` (all elements when None), as torch.norm: p a number (inf,
    -inf and 0 included) or "fro" (the 2-norm of the elements)."""
    need_tensor("norm", input)
    if dtype is not None:
        input = input.to(dtype=dtype)
    if input.array.dtype.kind not in "fc":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {torch_name(input.array.dtype)} instead.")
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported by minigan (only numbers and 'fro')")
    axes = _dims("norm", dim, input.array.ndim)
    if p in (math.inf, -math.inf):
        _check_nonempty("norm", input.array.shape, axes)
    return _apply(Norm, (float(p), axes, bool(keepdim)), input)
