"""Elementwise arithmetic and math: forward on arrays, backward in Tensor ops."""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _apply
from ._util import Op, broadcast_shapes, const, unbroadcast


def _binary_forward(name, fn, a, b):
    """``fn(a, b)`` for a NumPy ufunc ``fn`` (CuPy arrays take it through __array_ufunc__),
    with a broadcasting error that names both shapes."""
    try:
        return fn(a, b)
    except ValueError:
        broadcast_shapes(name, a.shape, b.shape)  # raises with both shapes named
        raise


class Add(Op):
    name = "add"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("add", np.add, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        return unbroadcast(g, a.array.shape), unbroadcast(g, b.array.shape)


class Sub(Op):
    name = "sub"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("sub", np.subtract, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        return unbroadcast(g, a.array.shape), (unbroadcast(-g, b.array.shape) if b._rg else None)


class Mul(Op):
    name = "mul"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("mul", np.multiply, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        return (
            unbroadcast(g * b, a.array.shape) if a._rg else None,
            unbroadcast(g * a, b.array.shape) if b._rg else None,
        )


class Div(Op):
    name = "div"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("div", np.true_divide, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        # d(a/b)/da = 1/b ; d(a/b)/db = -a/b^2 = -out/b
        return (
            unbroadcast(g / b, a.array.shape) if a._rg else None,
            unbroadcast(-(g * out) / b, b.array.shape) if b._rg else None,
        )


class Neg(Op):
    name = "neg"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(out, g):
        return -g


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
            # d(a^b)/da = b a^(b-1)
            ga = unbroadcast(g * b * a ** (b - 1.0), a.array.shape)
        if b._rg:
            # d(a^b)/db = a^b log a, taken as 0 where a == 0 and b >= 0 (as PyTorch)
            xp = a._xp()
            zero = xp.broadcast_to((a.array == 0) & (b.array >= 0), out.array.shape)
            safe_a = where(Tensor._wrap(zero), const(1.0, a), a)
            gb = unbroadcast(where(Tensor._wrap(zero), const(0.0, g), g * out * log(safe_a)), b.array.shape)
        return ga, gb


class Exp(Op):
    name = "exp"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).exp(a)

    @staticmethod
    def backward(out, g):
        return g * out


class Log(Op):
    name = "log"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).log(a)

    @staticmethod
    def backward(out, g):
        return g / out._parents[0]


class Log1p(Op):
    name = "log1p"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).log1p(a)

    @staticmethod
    def backward(out, g):
        return g / (out._parents[0] + 1.0)


class Sqrt(Op):
    name = "sqrt"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).sqrt(a)

    @staticmethod
    def backward(out, g):
        # d sqrt(a)/da = 1 / (2 sqrt(a))
        return g / (out * 2.0)


class Abs(Op):
    name = "abs"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).abs(a)

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        return g * Tensor._wrap(a._xp().sign(a.array).astype(a.array.dtype, copy=False))


class Maximum(Op):
    name = "maximum"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("maximum", get_array_module(a).maximum, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        # ties split the gradient evenly, as PyTorch
        wa = (a.array > b.array) + 0.5 * (a.array == b.array)
        wa = Tensor._wrap(wa.astype(g.array.dtype, copy=False))
        return (
            unbroadcast(g * wa, a.array.shape) if a._rg else None,
            unbroadcast(g * (1.0 - wa), b.array.shape) if b._rg else None,
        )


class Minimum(Op):
    name = "minimum"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("minimum", get_array_module(a).minimum, a, b)

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        wa = (a.array < b.array) + 0.5 * (a.array == b.array)
        wa = Tensor._wrap(wa.astype(g.array.dtype, copy=False))
        return (
            unbroadcast(g * wa, a.array.shape) if a._rg else None,
            unbroadcast(g * (1.0 - wa), b.array.shape) if b._rg else None,
        )


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
def _pair(a, b):
    if type(a) is not Tensor:
        a = const(a, b)
    elif type(b) is not Tensor:
        b = const(b, a)
    return a, b


def add(a, b) -> Tensor:
    """a + b, broadcasting."""
    a, b = _pair(a, b)
    return _apply(Add, None, a, b)


def sub(a, b) -> Tensor:
    """a - b, broadcasting."""
    a, b = _pair(a, b)
    return _apply(Sub, None, a, b)


def mul(a, b) -> Tensor:
    """a * b, broadcasting."""
    a, b = _pair(a, b)
    return _apply(Mul, None, a, b)


def div(a, b) -> Tensor:
    """a / b, broadcasting."""
    a, b = _pair(a, b)
    return _apply(Div, None, a, b)


def neg(a: Tensor) -> Tensor:
    """-a."""
    return _apply(Neg, None, a)


def pow(a, b) -> Tensor:
    """a ** b; a Python-number exponent is kept out of the graph."""
    if isinstance(a, Tensor) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return _apply(PowScalar, b, a)
    a, b = _pair(a, b)
    return _apply(Pow, None, a, b)


def exp(a: Tensor) -> Tensor:
    """e ** a."""
    return _apply(Exp, None, a)


def log(a: Tensor) -> Tensor:
    """Natural logarithm."""
    return _apply(Log, None, a)


def log1p(a: Tensor) -> Tensor:
    """log(1 + a), accurate for small a."""
    return _apply(Log1p, None, a)


def sqrt(a: Tensor) -> Tensor:
    """Square root."""
    return _apply(Sqrt, None, a)


def abs(a: Tensor) -> Tensor:
    """|a| (gradient 0 at 0, as PyTorch)."""
    return _apply(Abs, None, a)


def maximum(a, b) -> Tensor:
    """Elementwise maximum (ties share the gradient)."""
    a, b = _pair(a, b)
    return _apply(Maximum, None, a, b)


def minimum(a, b) -> Tensor:
    """Elementwise minimum (ties share the gradient)."""
    a, b = _pair(a, b)
    return _apply(Minimum, None, a, b)


def clip(a: Tensor, min=None, max=None) -> Tensor:
    """Clamp into [min, max]; either bound may be None, or a Tensor."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = a
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return _apply(Clip, (min, max), a)


clamp = clip


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (broadcasting); no gradient to the condition."""
    if isinstance(condition, Tensor):
        condition = condition.array
    if type(a) is not Tensor and type(b) is not Tensor:
        raise TypeError("where: at least one of the two values must be a Tensor")
    a, b = _pair(a, b)
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
