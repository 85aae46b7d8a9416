"""Making tensors: from data, filled, random, ranges, and zero-copy exchange (DLPack)."""
from __future__ import annotations

import numpy as np

from . import backend
from .backend.device import on_device_of, parse_device, to_device
from .random import default_generator
from .tensor import Tensor

float16, float32, float64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
int8, int16, int32, int64, bool_ = (np.dtype(n) for n in ("int8", "int16", "int32", "int64", "bool"))
uint8 = np.dtype("uint8")
default_dtype = float32


def _device(device):
    return backend.default_device() if device is None else parse_device(device)


def _finish(array, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    t = Tensor._wrap(to_device(array, _device(device)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"sizes must be non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, NumPy/CuPy arrays, tensors).

    Python floats become float32 (``mg.float32`` is the default dtype), Python ints int64 and
    bools bool; a NumPy array keeps its dtype. ``device`` defaults to MINIGAN_DEVICE or "cpu".
    """
    if isinstance(data, Tensor):
        with on_device_of(data.array):  # CuPy's copy() lands on the current device
            arr = data.array.copy()
        dev = data.device if device is None else parse_device(device)
    elif isinstance(data, np.ndarray):
        arr = data.copy()
        dev = _device(device)
    elif backend.get_array_module(data) is not np:  # a CuPy array stays on its GPU by default
        with data.device:
            arr = data.copy()
        dev = backend.device_of(data) if device is None else parse_device(device)
    else:
        if isinstance(data, (list, tuple)):
            data = _on_host(data)  # tensors or CuPy arrays in a list: copied to the host
        try:
            arr = np.array(data)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"tensor(): could not make a tensor from {type(data).__name__}: {exc}") from None
        if arr.dtype == object or arr.dtype.kind in "USV":
            raise TypeError(
                f"tensor(): could not make a tensor from {type(data).__name__} "
                f"(got a NumPy array of dtype {arr.dtype}; is it ragged, or not numbers?)"
            )
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(default_dtype)
        dev = _device(device)
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    t = Tensor._wrap(to_device(arr, dev))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _on_host(data):
    """A nested list/tuple with every Tensor and device array in it replaced by a NumPy array."""
    if isinstance(data, (list, tuple)):
        return [_on_host(v) for v in data]
    if isinstance(data, Tensor):
        data = data.array
    if not isinstance(data, np.ndarray) and backend.get_array_module(data) is not np:
        return to_device(data, backend.device.CPU)
    return data


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array of matching dtype and device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if device or dtype else data
    if (isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype)
            and _device(device).type == "cpu"):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array`` (as torch.from_numpy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def from_dlpack(x) -> Tensor:
    """A tensor sharing memory with any DLPack producer (PyTorch, CuPy, JAX, NumPy), no copy."""
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack: {type(x).__name__} does not implement __dlpack__")
    dev_type, _ = x.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        return Tensor._wrap(np.from_dlpack(x))
    if int(dev_type) in (2, 3, 13):  # kDLCUDA, kDLCUDAHost, kDLCUDAManaged
        return Tensor._wrap(backend.cuda.require().from_dlpack(x))
    raise RuntimeError(f"from_dlpack: DLPack device type {dev_type} is neither CPU nor CUDA")


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype``)."""
    return _finish(np.zeros(_size(size), dtype=dtype or default_dtype), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype``)."""
    return _finish(np.ones(_size(size), dtype=dtype or default_dtype), None, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``."""
    return _finish(np.full(_size((size,)), fill_value, dtype=dtype or default_dtype), None, device, requires_grad)


def _random_dtype(dtype):
    dt = np.dtype(dtype or default_dtype)
    if dt not in (float32, float64):
        raise TypeError(f"random tensors are float32 or float64, not {dt}")
    return dt


def randn(*size, dtype=None, device=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal samples from minigan's generator (``manual_seed`` makes them repeatable)."""
    gen = generator or default_generator()
    arr = gen.standard_normal(_size(size), dtype=_random_dtype(dtype))
    return _finish(arr, None, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    gen = generator or default_generator()
    arr = gen.random(_size(size), dtype=_random_dtype(dtype))
    return _finish(arr, None, device, requires_grad)


def randint(low: int, high: int, size, dtype=None, device=None, generator=None) -> Tensor:
    """Integers uniform on [low, high)."""
    gen = generator or default_generator()
    return _finish(gen.integers(low, high, size=_size((size,))), dtype or int64, device, False)


def _like(fn, t: Tensor, dtype, device, requires_grad):
    return fn(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(zeros, t, dtype, device, requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(ones, t, dtype, device, requires_grad)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(randn, t, dtype, device, requires_grad)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(rand, t, dtype, device, requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for int arguments, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = int64 if ints else default_dtype
    return _finish(np.arange(start, end, step, dtype=np.dtype(dtype)), None, device, requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    return _finish(np.linspace(start, end, steps, dtype=np.dtype(dtype or default_dtype)), None, device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix."""
    return _finish(np.eye(n, m, dtype=np.dtype(dtype or default_dtype)), None, device, requires_grad)


def randperm(n: int, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64), from minigan's generator or ``generator``."""
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative integer, got {n!r}")
    return _finish((generator or default_generator()).permutation(int(n)), dtype or int64, device, requires_grad)


# ---- t.new_*: tensors with t's dtype and device (as torch.Tensor.new_zeros & co.) --------
def _new(fn):
    def method(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return fn(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    method.__name__ = "new_" + fn.__name__
    method.__doc__ = f"``{fn.__name__}(*size)`` with this tensor's dtype and device."
    return method


def _new_full(self: Tensor, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``full(size, fill_value)`` with this tensor's dtype and device."""
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new_tensor(self: Tensor, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``tensor(data)`` with this tensor's dtype and device."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


for _name, _method in {
    "new_zeros": _new(zeros),
    "new_ones": _new(ones),
    "new_empty": _new(zeros),  # zero-filled where PyTorch leaves memory uninitialised
    "new_full": _new_full,
    "new_tensor": _new_tensor,
}.items():
    setattr(Tensor, _name, _method)
