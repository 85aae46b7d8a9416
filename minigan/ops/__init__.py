"""Ops, one module per family; each op is a forward on arrays and a backward in Tensor ops.

This module also gives Tensor its operators and methods, all thin calls into the ops.
"""
from __future__ import annotations

from ..tensor import Tensor
from . import activation, arith, linalg, loss, reduce, shape
from .activation import elu, leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh
from .arith import (
    abs,
    add,
    clamp,
    clip,
    div,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from .linalg import linear, matmul
from .reduce import max, mean, min, std, sum, var
from .shape import (
    Clone,
    ToCopy,
    broadcast_to,
    cat,
    expand,
    flatten,
    index,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "activation", "add", "arith", "broadcast_to", "cat", "clamp", "clip", "Clone", "div",
    "elu", "exp", "expand", "flatten", "index", "leaky_relu", "linalg", "linear", "log", "log1p",
    "log_sigmoid", "loss", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg",
    "permute", "pow", "reduce", "relu", "reshape", "shape", "sigmoid", "softplus", "sqrt",
    "squeeze", "stack", "std", "sub", "sum", "tanh", "ToCopy", "transpose", "unsqueeze", "var",
    "where",
]


def _compare(fn):
    def method(self, other):
        other_data = other.array if isinstance(other, Tensor) else other
        return Tensor._wrap(fn(self.array, other_data))

    return method


def _attach() -> None:
    T = Tensor
    T.__add__ = add
    T.__radd__ = lambda self, other: add(other, self)
    T.__sub__ = sub
    T.__rsub__ = lambda self, other: sub(other, self)
    T.__mul__ = mul
    T.__rmul__ = lambda self, other: mul(other, self)
    T.__truediv__ = div
    T.__rtruediv__ = lambda self, other: div(other, self)
    T.__pow__ = pow
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(other, self)
    T.__neg__ = neg
    T.__pos__ = lambda self: self
    T.__abs__ = abs
    T.__getitem__ = index
    T.__lt__ = _compare(lambda a, b: a < b)
    T.__le__ = _compare(lambda a, b: a <= b)
    T.__gt__ = _compare(lambda a, b: a > b)
    T.__ge__ = _compare(lambda a, b: a >= b)
    T.__eq__ = _compare(lambda a, b: a == b)
    T.__ne__ = _compare(lambda a, b: a != b)
    T.__invert__ = lambda self: Tensor._wrap(~self.array)
    T.__and__ = _compare(lambda a, b: a & b)
    T.__or__ = _compare(lambda a, b: a | b)
    for name in ("add", "sub", "mul", "div", "pow", "exp", "log", "log1p", "sqrt", "abs", "neg",
                 "maximum", "minimum", "clip", "clamp", "matmul", "sum", "mean", "max", "min",
                 "var", "std", "reshape", "permute", "transpose", "expand", "broadcast_to",
                 "squeeze", "unsqueeze", "flatten", "relu", "sigmoid", "tanh", "softplus",
                 "log_sigmoid", "elu", "leaky_relu"):
        setattr(T, name, globals()[name])
    T.view = reshape
    T.swapaxes = transpose
    T.expand_as = lambda self, other: expand(self, other.shape)
    T.argmax = lambda self, dim=None, keepdim=False: Tensor._wrap(
        self._xp().argmax(self.array, axis=dim, keepdims=keepdim))
    T.argmin = lambda self, dim=None, keepdim=False: Tensor._wrap(
        self._xp().argmin(self.array, axis=dim, keepdims=keepdim))
    T.square = lambda self: mul(self, self)
    T.isfinite = lambda self: Tensor._wrap(self._xp().isfinite(self.array))
    T.isnan = lambda self: Tensor._wrap(self._xp().isnan(self.array))
    T.all = lambda self: Tensor._wrap(self._xp().asarray(self.array.all()))
    T.any = lambda self: Tensor._wrap(self._xp().asarray(self.array.any()))
    T.norm = lambda self: sqrt(sum(self * self))


_attach()
