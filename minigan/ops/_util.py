"""Helpers shared by every op: constants, axes, and undoing broadcasting (in one place)."""
from __future__ import annotations

import numpy as np

from ..backend.device import on_device_of, scalar_like
from ..tensor import Tensor, _apply, not_tensor_error

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


# ---- type promotion (torch.result_type), the one place that decides a result's dtype ----
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_DEFAULT_FLOAT = np.dtype(np.float32)  # PyTorch's default dtype
_INT64, _BOOL = np.dtype(np.int64), np.dtype(np.bool_)
_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def torch_name(dtype) -> str:
    """PyTorch's short name of a dtype, as its error messages write it ("Float", "Double")."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def promote_types(a, b) -> np.dtype:
    """torch.promote_types: within a category (bool < integer < floating) the wider type;
    across categories the higher category wins outright (int64 with float16 is float16)."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _number_dtype(x) -> np.dtype:
    """The dtype PyTorch gives a Python (or NumPy) number: bool, int64, or the default float."""
    if isinstance(x, (bool, np.bool_)):
        return _BOOL
    if isinstance(x, (int, np.integer)):
        return _INT64
    if isinstance(x, (float, np.floating)):
        return _DEFAULT_FLOAT
    raise TypeError(f"unsupported operand type {type(x).__name__} for a Tensor op")


def _combine(higher, lower):
    """PyTorch's combine_categories: a lower-priority operand (a 0-d tensor, a number) only
    changes the result when it is of a higher category (or the higher one is bool)."""
    if lower is None:
        return higher
    if higher is None:
        return lower
    if higher.kind in "fc":
        return higher
    if higher.kind == "b" or lower.kind in "fc":
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> np.dtype:
    """torch.result_type over tensors and numbers: tensors with dimensions decide first, then
    0-d tensors, then Python numbers; a lower tier only counts when its category is higher
    (float32 tensor * 0-d float64 tensor is float32; int tensor + 0.5 is float32)."""
    dim = zero = number = None
    for x in operands:
        if isinstance(x, Tensor) or isinstance(x, _ndarray):
            arr = x.array if isinstance(x, Tensor) else x
            dt = arr.dtype
            if arr.ndim:
                dim = dt if dim is None else promote_types(dim, dt)
            else:
                zero = dt if zero is None else promote_types(zero, dt)
        else:
            dt = _number_dtype(x)
            number = dt if number is None else promote_types(number, dt)
    return _combine(dim, _combine(zero, number))


def cast(t: Tensor, dtype) -> Tensor:
    """``t`` as ``dtype``, differentiably (the gradient goes back in t's dtype)."""
    return t if t.array.dtype == dtype else t.to(dtype=dtype)


def number(x, dtype, like: Tensor) -> Tensor:
    """A no-grad 0-d tensor holding the number ``x`` as ``dtype`` on ``like``'s device."""
    return Tensor._wrap(scalar_like(x, dtype, like.array))


def promote(name: str, a, b, numbers_ok: bool = True) -> tuple:
    """The two operands of a binary op as tensors of their result_type (PyTorch's rule).
    The usual cases (same dtypes; a float tensor with a Python number) take a short path.
    Two numbers make a 0-d tensor when ``numbers_ok`` (``torch.add(1.0, 2.0)``)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a.array.dtype == b.array.dtype:
                return a, b
        elif type(b) is float or type(b) is int:
            dt = a.array.dtype
            if dt.kind == "f":
                return a, number(b, dt, a)
        elif not _is_number(b):
            b = _array_operand(name, b, 2, a)
    elif isinstance(b, Tensor):
        if type(a) is float or type(a) is int:
            dt = b.array.dtype
            if dt.kind == "f":
                return number(a, dt, b), b
        elif not _is_number(a):
            a = _array_operand(name, a, 1, b)
    elif numbers_ok and _is_number(a) and _is_number(b):
        a = Tensor._wrap(np.asarray(a, dtype=result_type(a, b)))
    else:
        bad, pos, arg = (b, 2, "other") if numbers_ok and _is_number(a) else (a, 1, "input")
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(bad).__name__}")
    dt = result_type(a, b)
    a = cast(a, dt) if isinstance(a, Tensor) else number(a, dt, b)
    b = cast(b, dt) if isinstance(b, Tensor) else number(b, dt, a)
    return a, b


def _array_operand(name: str, x, position: int, like: Tensor) -> Tensor:
    """A NumPy array or a list as an operand (a constant tensor); anything else is an error."""
    if isinstance(x, (_ndarray, list, tuple)) or hasattr(x, "__cuda_array_interface__"):
        t = const(x, like)
        if t.array.dtype.kind in "biuf":
            return t
    arg = "input" if position == 1 else "other"
    raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(x).__name__}")


def need_tensor(name: str, x) -> None:
    """PyTorch's TypeError when ``x``, an op's input, is not a Tensor."""
    if not isinstance(x, Tensor):
        raise not_tensor_error(name, "input", 1, x)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating, np.bool_))


def const(x, like: Tensor) -> Tensor:
    """A no-grad tensor for a Python number, list or array, on ``like``'s device. A number
    takes ``like``'s dtype where PyTorch's promotion keeps it; a list follows mg.tensor's
    rules (Python floats are float32) and an array keeps its dtype."""
    if isinstance(x, Tensor):
        return x
    xp = like._xp()
    if _is_number(x):  # made once per device and dtype on a GPU
        return Tensor._wrap(scalar_like(x, result_type(like, x), like.array))
    try:
        with on_device_of(like.array):
            arr = xp.asarray(x)
    except Exception:
        arr = None
    if arr is None or arr.dtype == object:
        raise TypeError(f"unsupported operand type {type(x).__name__} for a Tensor op")
    if isinstance(x, (list, tuple)) and arr.dtype == np.float64:
        arr = arr.astype(_DEFAULT_FLOAT)
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


def pick_axis(dim, keepdim, axis, keepdims):
    """PyTorch's (dim, keepdim), also spelled as NumPy's (axis, keepdims) (PyTorch accepts both)."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass either dim= or axis=, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


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
