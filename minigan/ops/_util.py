"""Helpers shared by every op: constants, axes, and undoing broadcasting (in one place)."""
from __future__ import annotations

import numpy as np

from ..backend.device import on_device_of, scalar_like
from ..tensor import Tensor, _apply

_ndarray = np.ndarray


class Op:
    """An op: ``forward(ctx, *arrays) -> array`` on raw arrays and
    ``backward(out, g) -> grads`` in Tensor ops (out._parents are the inputs)."""

    name = "op"
    is_view = False  # True when the output may share the input's storage (reshape, index...)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__


def const(x, like: Tensor) -> Tensor:
    """A no-grad tensor for a Python number, list or array, on ``like``'s device; a
    number takes ``like``'s dtype where it fits (so float32 stays float32)."""
    if isinstance(x, Tensor):
        return x
    xp = like._xp()
    dt = like.array.dtype
    if isinstance(x, (float, np.floating)):  # made once per device and dtype on a GPU
        return Tensor._wrap(scalar_like(x, dt if dt.kind == "f" else None, like.array))
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return Tensor._wrap(scalar_like(x, dt if dt.kind in "fiu" else None, like.array))
    try:
        with on_device_of(like.array):
            arr = xp.asarray(x)
    except Exception:
        arr = None
    if arr is None or arr.dtype == object:
        raise TypeError(f"unsupported operand type {type(x).__name__} for a Tensor op")
    if isinstance(x, (list, tuple)) and arr.dtype.kind == "f" and dt.kind == "f":
        arr = arr.astype(dt)
    return Tensor._wrap(arr)


def normalize_axes(axis, ndim: int):
    """None, an int or a sequence of ints -> None or a sorted tuple of non-negative axes."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int or a tuple of ints, got {type(a).__name__}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(
                f"dimension {a} is out of range for a tensor of {ndim} dimensions "
                f"(expected to be in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])"
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats a dimension")
    if ndim == 0:
        return ()  # dim 0 or -1 of a 0-d tensor is the tensor itself, as in PyTorch
    return tuple(sorted(out))


def pick_axis(axis, dim, keepdims, keepdim):
    """Accept NumPy's (axis, keepdims) and PyTorch's (dim, keepdim) spellings."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def unbroadcast(g: Tensor, shape: tuple) -> Tensor:
    """Sum ``g`` back to ``shape``: the one place that undoes broadcasting."""
    gshape = g.array.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1
    )
    if axes:
        g = _apply(_Sum, (axes, False), g)
    if g.array.shape != shape:
        g = g.reshape(shape)
    return g


_Sum = None  # the Sum op, set by ops.reduce when it loads (it builds on this module)


def broadcast_shapes(op: str, *shapes) -> tuple:
    """The broadcast shape, or an error that names every shape."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be broadcast together"
        ) from None
