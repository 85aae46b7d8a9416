"""PyTorch's legacy tensor constructors: ``mg.Tensor(2, 3)``, ``mg.FloatTensor(x)``,
``mg.LongTensor([1, 2])``, ``mg.cuda.FloatTensor(n, 1)``, still common in GAN code.

    Tensor = mg.cuda.FloatTensor if cuda else mg.FloatTensor
    valid = Tensor(imgs.size(0), 1).fill_(1.0)

Sizes give a tensor of that shape, filled with zeros (PyTorch leaves the memory
uninitialised); data (lists, NumPy arrays) is cast to the type's dtype (``mg.Tensor``:
float32), copied unless a NumPy array has that dtype already.
``isinstance(t, mg.FloatTensor)`` is true for float32 tensors on the CPU, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .backend.device import parse_device, to_device
from .tensor import Tensor

__all__ = [
    "BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor", "LongTensor",
    "cuda_types", "is_tensor",
]


def _is_int(a) -> bool:
    return isinstance(a, (int, np.integer)) and not isinstance(a, bool)


def legacy_array(args: tuple, dtype=np.float32) -> np.ndarray:
    """The NumPy array for a legacy constructor call ``T(*args)``: ``()`` -> empty,
    ints -> zeros of that shape, one list/tuple/array -> its values cast to ``dtype``."""
    dtype = np.dtype(dtype)
    if not args:
        return np.zeros(0, dtype=dtype)
    if all(_is_int(a) for a in args):
        for a in args:
            if a < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {a}: {[int(s) for s in args]}")
        return np.zeros(tuple(int(a) for a in args), dtype=dtype)  # PyTorch: uninitialised memory
    if len(args) > 1:
        pos = next(i for i, a in enumerate(args) if not _is_int(a))
        raise TypeError(f"new(): argument 'size' must be a tuple of ints, but found element of type "
                        f"{type(args[pos]).__name__} at pos {pos}")
    data = args[0]
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, (float, bool, complex, np.generic)) or not hasattr(data, "__len__"):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    try:
        arr = np.asarray(data.get() if hasattr(data, "get") and not isinstance(data, np.ndarray) else data)
    except ValueError as exc:
        raise ValueError(f"new(): could not make a tensor from the data: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"new(): could not make a tensor from {type(data).__name__} (are its elements numbers?)")
    return arr.astype(dtype, copy=False)  # an array of the dtype already is shared, as in PyTorch


class _LegacyType(type):
    """The metaclass of FloatTensor & co.: calling makes a Tensor, isinstance checks dtype
    and device."""

    dtype: np.dtype
    device: str

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == cls.device

    def __call__(cls, *args, device=None) -> Tensor:
        dev = parse_device(device or cls.device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            t = args[0]
            if t.dtype != cls.dtype or t.device.type != dev.type:
                raise TypeError(f"{cls.__name__}: expected a tensor of dtype {cls.dtype} on '{cls.device}', "
                                f"got one of dtype {t.dtype} on '{t.device}' (use .to() to convert it)")
            return t.detach()
        return Tensor._wrap(to_device(legacy_array(args, cls.dtype), dev))

    def __repr__(cls) -> str:
        return f"<class 'minigan.{'cuda.' if cls.device == 'cuda' else ''}{cls.__name__}'>"


def _make(name: str, dtype, device: str) -> _LegacyType:
    doc = f"``{name}(*sizes)`` or ``{name}(data)``: a {np.dtype(dtype)} tensor on '{device}' (legacy constructor)."
    return _LegacyType(name, (), {"dtype": np.dtype(dtype), "device": device, "__doc__": doc})


_DTYPES = {
    "FloatTensor": np.float32, "DoubleTensor": np.float64, "HalfTensor": np.float16,
    "LongTensor": np.int64, "IntTensor": np.int32, "ByteTensor": np.uint8, "BoolTensor": np.bool_,
}
FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ByteTensor, BoolTensor = (
    _make(n, dt, "cpu") for n, dt in _DTYPES.items())
cuda_types = {n: _make(n, dt, "cuda") for n, dt in _DTYPES.items()}


def is_tensor(obj) -> bool:
    """True for a minigan Tensor (or Parameter), as torch.is_tensor."""
    return isinstance(obj, Tensor)
