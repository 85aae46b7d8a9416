"""Arithmetic beyond the table of elementwise.py: pow, clamp, rounding division, remainder,
where, and the wrappers of add/sub/mul/div/neg that take PyTorch's extra arguments."""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _apply
from ._util import (
    _DEFAULT_FLOAT,
    Op,
    _is_number,
    broadcast_shapes,
    cast,
    const,
    need_tensor,
    promote,
    result_type,
    unbroadcast,
)
from .elementwise import OPS


def _binary_forward(name, fn, a, b):
    """``fn(a, b)`` for a NumPy ufunc ``fn`` (CuPy arrays take it through __array_ufunc__),
    with a broadcasting error that names both shapes."""
    try:
        return fn(a, b)
    except ValueError:
        broadcast_shapes(name, a.shape, b.shape)  # raises with both shapes named
        raise


class PowScalar(Op):
    name = "pow"

    @staticmethod
    def forward(p, a):
        return a**p

    @staticmethod
    def backward(out, g):
        (a,) = out._parents
        p = out._ctx
        if p == 0:
            return g * 0.0
        if p == 1:
            return g
        if p == 2:
            return g * (a * 2.0)
        # d(a^p)/da = p a^(p-1)
        return g * (a ** (p - 1)) * float(p)


class Pow(Op):
    name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("pow", get_array_module(a).power, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        ga = gb = None
        if a._rg:
            # d(a^b)/da = b a^(b-1), taken as 0 where b == 0 (so 0 ** 0 has gradient 0, as PyTorch)
            b0 = Tensor._wrap(b.array == 0)
            ga = unbroadcast(where(b0, const(0.0, g), g * b * a ** (b - 1.0)), a.array.shape)
        if b._rg:
            # d(a^b)/db = a^b log a, taken as 0 where a == 0 and b >= 0 (as PyTorch)
            xp = a._xp()
            zero = xp.broadcast_to((a.array == 0) & (b.array >= 0), out.array.shape)
            safe_a = where(Tensor._wrap(zero), const(1.0, a), a)
            gb = unbroadcast(where(Tensor._wrap(zero), const(0.0, g), g * out * safe_a.log()), b.array.shape)
        return ga, gb


class Clip(Op):
    name = "clip"

    @staticmethod
    def forward(ctx, a):
        lo, hi = ctx
        return get_array_module(a).clip(a, lo, hi)

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        lo, hi = out._ctx
        # the gradient passes where lo <= a <= hi, as torch.clamp
        mask = a._xp().ones(a.array.shape, dtype=bool)
        if lo is not None:
            mask &= a.array >= lo
        if hi is not None:
            mask &= a.array <= hi
        return g * Tensor._wrap(mask.astype(g.array.dtype))


class ClampTensor(Op):
    """min(max(a, lo), hi) with tensor bounds; ctx says which of lo, hi are parents."""

    name = "clamp"

    @staticmethod
    def forward(ctx, a, *bounds):
        xp = get_array_module(a)
        has_lo, has_hi = ctx
        out = _binary_forward("clamp", xp.maximum, a, bounds[0]) if has_lo else a
        return _binary_forward("clamp", xp.minimum, out, bounds[-1]) if has_hi else out

    @staticmethod
    def backward(out, g):
        a, *bounds = out._parents
        has_lo, has_hi = out._ctx
        lo = bounds[0].array if has_lo else None
        hi = bounds[-1].array if has_hi else None
        x = a.array
        # PyTorch's rule: x gets g where lo <= x <= hi (ties and all); NaN x passes to no one;
        # lo gets it where x < lo < hi, hi where x > hi or hi < lo (hi wins a crossed pair)
        keep = np.ones(x.shape, dtype=bool) if lo is None else x >= lo
        if hi is not None:
            keep = keep & (x <= hi)
        grads = [unbroadcast(g * _mask(keep, g), x.shape) if a._rg else None]
        if has_lo:
            m = x < lo if hi is None else (x < lo) & (lo < hi)
            grads.append(unbroadcast(g * _mask(m, g), lo.shape) if bounds[0]._rg else None)
        if has_hi:
            m = x > hi if lo is None else (x > hi) | (hi < lo)
            grads.append(unbroadcast(g * _mask(m, g), hi.shape) if bounds[-1]._rg else None)
        return tuple(grads)


def _mask(m, like: Tensor) -> Tensor:
    return Tensor._wrap(get_array_module(like.array).asarray(m).astype(like.array.dtype))


class RoundedDiv(Op):
    """a / b rounded toward zero ("trunc") or down ("floor"): piecewise constant, so its
    gradient is 0 everywhere (as PyTorch's)."""

    name = "div"

    @staticmethod
    def forward(mode, a, b):
        xp = get_array_module(a)
        if a.dtype.kind in "biu":
            _check_int_divisor(b)
            q = _binary_forward("div", xp.floor_divide, a, b)
            if mode == "trunc":  # floor -> trunc: add 1 where the exact quotient is negative and inexact
                q = q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            return q
        if mode == "floor":
            return _binary_forward("div", xp.floor_divide, a, b)
        return xp.trunc(_binary_forward("div", xp.true_divide, a, b))

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        return _zeros_grad(a, out), _zeros_grad(b, out)


def _zeros_grad(t: Tensor, out: Tensor):
    return Tensor._wrap(t._xp().zeros(t.array.shape, dtype=out.array.dtype)) if t._rg else None


def _check_int_divisor(b) -> None:
    if not b.all():
        raise RuntimeError("ZeroDivisionError: integer division or modulo by zero")


class Remainder(Op):
    """a - floor(a / b) b, with the sign of b (Python's %, torch.remainder)."""

    name = "remainder"

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype.kind in "biu":
            _check_int_divisor(b)
        return _binary_forward("remainder", get_array_module(a).remainder, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        # d/da = 1 ; d/db = -floor(a / b)
        return (
            unbroadcast(g, a.array.shape) if a._rg else None,
            unbroadcast(-g * _apply(RoundedDiv, "floor", a.detach(), b.detach()), b.array.shape)
            if b._rg else None,
        )


class Where(Op):
    name = "where"

    @staticmethod
    def forward(cond, a, b):
        return _binary_forward("where", lambda x, y: get_array_module(a).where(cond, x, y), a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        cond = out._ctx
        zero = const(0.0, g)
        return (
            unbroadcast(_apply(Where, cond, g, zero), a.array.shape) if a._rg else None,
            unbroadcast(_apply(Where, cond, zero, g), b.array.shape) if b._rg else None,
        )


# ---- user-facing functions ---------------------------------------------------------
def _check_no_bool(a, b) -> None:
    """PyTorch refuses bool operands in subtraction (before any promotion)."""
    a_bool = a.array.dtype.kind == "b" if isinstance(a, Tensor) else isinstance(a, (bool, np.bool_))
    b_bool = b.array.dtype.kind == "b" if isinstance(b, Tensor) else isinstance(b, (bool, np.bool_))
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _scaled(name: str, a: Tensor, b: Tensor, alpha) -> Tensor:
    """alpha * b for add/sub/rsub's ``alpha`` (PyTorch refuses a float alpha on integers)."""
    if alpha == 1 and type(alpha) is not bool:
        return b
    if isinstance(alpha, float) and a.array.dtype.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return mul(b, alpha)


def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, broadcasting, with PyTorch's type promotion."""
    a, b = promote("add", input, other)
    return _apply(OPS["add"], None, a, _scaled("add", a, b, alpha))


def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other, broadcasting."""
    _check_no_bool(input, other)
    a, b = promote("sub", input, other)
    return _apply(OPS["sub"], None, a, _scaled("sub", a, b, alpha))


def rsub(input, other, *, alpha=1) -> Tensor:
    """other - alpha * input (torch.rsub)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    _check_no_bool(input, other)
    a, b = promote("rsub", input, other, numbers_ok=False)
    return _apply(OPS["sub"], None, b, _scaled("rsub", a, a, alpha))


def mul(input, other) -> Tensor:
    """input * other, broadcasting."""
    a, b = promote("mul", input, other)
    return _apply(OPS["mul"], None, a, b)


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """input / other: true division (integers give the default float dtype), or rounded
    toward zero (``rounding_mode="trunc"``) or down (``"floor"``), as torch.div."""
    a, b = promote("div", input, other)
    if rounding_mode is None:
        if a.array.dtype.kind in "biu":
            a, b = cast(a, _DEFAULT_FLOAT), cast(b, _DEFAULT_FLOAT)
        return _apply(OPS["div"], None, a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    return _apply(RoundedDiv, rounding_mode, a, b)


def floor_divide(input, other) -> Tensor:
    """input // other, rounded down (torch.floor_divide)."""
    return div(input, other, rounding_mode="floor")


def remainder(input, other) -> Tensor:
    """input % other with the sign of other, as Python's % (torch.remainder)."""
    a, b = promote("remainder", input, other, numbers_ok=False)
    return _apply(Remainder, None, a, b)


def neg(a: Tensor) -> Tensor:
    """-a."""
    need_tensor("neg", a)
    if a.array.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.")
    return _apply(OPS["neg"], None, a)


def pow(input, exponent) -> Tensor:
    """input ** exponent; a Python-number exponent is kept out of the graph."""
    if isinstance(input, Tensor) and _is_number(exponent) and not isinstance(exponent, (bool, np.bool_)):
        if isinstance(exponent, np.generic):  # a NumPy scalar would widen float32 (NEP 50): as a number
            exponent = exponent.item()
        dt = input.array.dtype
        if dt.kind != "f":
            input = cast(input, result_type(input, exponent))
        return _apply(PowScalar, exponent, input)
    a, b = promote("pow", input, exponent, numbers_ok=False)
    return _apply(Pow, None, a, b)


def clip(input: Tensor, min=None, max=None) -> Tensor:
    """Clamp into [min, max]; either bound may be None, a number, or a Tensor (broadcasting).
    With min > max every element is max, as in PyTorch."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = tuple(cast(const(v, input), input.array.dtype) for v in (min, max) if v is not None)
        return _apply(ClampTensor, (min is not None, max is not None), input, *bounds)
    # NumPy scalars as Python numbers: np.clip would widen float32 to a float64 bound
    min, max = (v.item() if isinstance(v, np.generic) else v for v in (min, max))
    return _apply(Clip, (min, max), input)


clamp = clip


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (broadcasting, promoting as PyTorch);
    no gradient to the condition."""
    if isinstance(condition, Tensor):
        condition = condition.array
    a, b = promote("where", input, other)
    xp = a._xp()
    cond = xp.asarray(condition)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    try:
        shape = np.broadcast_shapes(cond.shape, a.array.shape, b.array.shape)
    except ValueError:
        broadcast_shapes("where", cond.shape, a.array.shape, b.array.shape)
    if cond.shape != shape:
        cond = xp.broadcast_to(cond, shape)
    return _apply(Where, cond, a, b)
