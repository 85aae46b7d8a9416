"""Ops, one module per family; each op is a forward on arrays and a backward in Tensor ops.

This module also gives Tensor its operators and methods, all thin calls into the ops.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import activation, arith, elementwise, linalg, loss, reduce, shape
from ._util import promote_types, result_type
from .activation import elu, leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh
from .arith import add, clamp, clip, div, floor_divide, mul, neg, pow, remainder, rsub, sub, where
from .elementwise import FUNCTIONS as ELEMENTWISE
from .linalg import linear, matmul
from .reduce import all, amax, amin, any, max, mean, min, norm, std, sum, var
from .shape import (
    Clone,
    ToCopy,
    broadcast_to,
    cat,
    chunk,
    expand,
    flatten,
    index,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

# the elementwise table's functions (exp, log, maximum...) join the hand-written ones
globals().update(ELEMENTWISE)

__all__ = [
    "activation", "add", "all", "amax", "amin", "any", "arith", "floor_divide", "norm",
    "promote_types", "remainder", "result_type", "rsub", "broadcast_to", "cat", "clamp", "clip", "Clone", "div",
    "elementwise", "elu", "expand", "flatten", "index", "leaky_relu", "linalg", "linear",
    "log_sigmoid", "loss", "matmul", "max", "mean", "min", "mul", "neg",
    "permute", "pow", "reduce", "relu", "reshape", "shape", "sigmoid", "softplus",
    "squeeze", "stack", "std", "sub", "sum", "tanh", "ToCopy", "transpose", "unsqueeze", "var",
    "where", "chunk", "repeat", "split", *ELEMENTWISE,
]


def _compare(fn):
    def method(self, other):
        other_data = other.array if isinstance(other, Tensor) else other
        return Tensor._wrap(fn(self.array, other_data))

    return method


# PyTorch's tensor type names, for Tensor.type()
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor"}
_TYPE_DTYPES = {v: k for k, v in _TYPE_NAMES.items()}


def _type(self, dtype=None, non_blocking: bool = False, **kwargs):
    """As torch.Tensor.type: with no dtype, the type's name ("minigan.FloatTensor"); else
    the tensor cast to ``dtype`` (a dtype, or a name like "torch.DoubleTensor")."""
    if dtype is None:
        name = _TYPE_NAMES.get(self.array.dtype.name, self.array.dtype.name)
        return f"minigan.{name}" if self.device.type == "cpu" else f"minigan.cuda.{name}"
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _TYPE_DTYPES or dtype.split(".")[0] not in ("torch", "minigan"):
            raise ValueError(f"invalid type: '{dtype}'")
        dev = "cuda" if ".cuda." in dtype else "cpu"
        return self.to(dev, np.dtype(_TYPE_DTYPES[name]))
    if isinstance(getattr(dtype, "device", None), str):  # mg.FloatTensor, mg.cuda.FloatTensor: dtype and device
        return self.to(dtype.device, dtype.dtype)
    return self.to(dtype=getattr(dtype, "dtype", dtype))


def _t(self):
    """The transpose of a matrix; 0-D and 1-D tensors are returned as is (torch.Tensor.t)."""
    if self.array.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.array.ndim}D")
    return self if self.array.ndim < 2 else transpose(self, 0, 1)


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
    T.__floordiv__ = floor_divide
    T.__rfloordiv__ = lambda self, other: floor_divide(other, self)
    T.__mod__ = remainder
    T.__rmod__ = lambda self, other: remainder(other, self)
    T.__pow__ = pow
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(other, self)
    T.__neg__ = neg
    T.__pos__ = lambda self: self
    T.__abs__ = ELEMENTWISE["abs"]
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
    for name, fn in ELEMENTWISE.items():
        setattr(T, name, fn)
    for name in ("add", "sub", "rsub", "mul", "div", "floor_divide", "remainder", "pow",
                 "neg", "clip", "clamp", "matmul", "sum",
                 "mean", "max", "min", "amax", "amin", "var", "std", "norm", "all", "any", "reshape",
                 "permute", "transpose", "expand", "broadcast_to", "squeeze", "unsqueeze", "flatten",
                 "relu", "sigmoid", "tanh", "softplus", "log_sigmoid", "elu", "leaky_relu"):
        setattr(T, name, globals()[name])
    T.divide, T.multiply, T.subtract = div, mul, sub
    T.view = reshape
    T.repeat, T.split, T.chunk = repeat, split, chunk
    T.contiguous = lambda self, memory_format=None: self  # NumPy/CuPy arrays need no layout change here
    T.swapaxes = transpose
    T.t = _t
    T.type = _type
    # integer and bool results carry no gradient (PyTorch's rule: only floats require grad)
    T.long = lambda self: self.detach().to(dtype=np.int64)
    T.int = lambda self: self.detach().to(dtype=np.int32)
    T.bool = lambda self: self.detach().to(dtype=np.bool_)
    T.half = lambda self: self.to(dtype=np.float16)
    T.expand_as = lambda self, other: expand(self, other.shape)
    T.argmax = lambda self, dim=None, keepdim=False: Tensor._wrap(
        self._xp().argmax(self.array, axis=dim, keepdims=keepdim))
    T.argmin = lambda self, dim=None, keepdim=False: Tensor._wrap(
        self._xp().argmin(self.array, axis=dim, keepdims=keepdim))
    T.square = lambda self: mul(self, self)
    T.isfinite = lambda self: Tensor._wrap(self._xp().isfinite(self.array))
    T.isnan = lambda self: Tensor._wrap(self._xp().isnan(self.array))


_attach()
