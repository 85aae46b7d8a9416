"""Devices, moving arrays between them, and running on the device an array lives on."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import cuda


class Device:
    """A device, compared equal to its name: ``Device("cpu") == "cpu"``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str, index: int | None = None) -> None:
        self.type = type
        self.index = index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = parse_device(other)
            except ValueError:
                return False
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))


CPU = Device("cpu")
_CUDA0 = Device("cuda", 0)


def parse_device(device) -> Device:
    """Turn "cpu", "cuda", "cuda:0" or a Device into a Device; anything else is an error."""
    if isinstance(device, Device):
        return device
    if device is None:
        return CPU
    if not isinstance(device, str):
        # torch.device and friends print as "cpu" / "cuda:0"
        device = str(device)
    name = device.strip().lower()
    if name == "cpu":
        return CPU
    if name == "cuda":
        return _CUDA0
    if name.startswith("cuda:") and name[5:].isdigit():
        idx = int(name[5:])
        return _CUDA0 if idx == 0 else Device("cuda", idx)
    raise ValueError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'")


def device_of(array) -> Device:
    """The device an array lives on (NumPy -> cpu, CuPy -> cuda)."""
    if isinstance(array, (np.ndarray, np.generic)):
        return CPU
    dev = getattr(array, "device", None)
    idx = getattr(dev, "id", 0)
    return _CUDA0 if not idx else Device("cuda", idx)


def is_cupy_array(a) -> bool:
    """True for a CuPy ndarray (checked by module name: CuPy need not be importable)."""
    return type(a).__module__.startswith("cupy")


def get_array_module(*arrays: Any) -> Any:
    """numpy, unless one of ``arrays`` is a CuPy array: then cupy (the xp idiom)."""
    for a in arrays:
        if type(a) is not np.ndarray and is_cupy_array(a):
            return cuda.require()
    return np


def to_device(array: Any, device: Device) -> Any:
    """Copy ``array`` to ``device`` (no copy if it is already there)."""
    if device.type == "cpu":
        if isinstance(array, np.ndarray):
            return array
        if isinstance(array, np.generic):
            return np.asarray(array)
        return array.get()
    cp = cuda.require()
    if isinstance(array, (np.ndarray, np.generic)):
        with cp.cuda.Device(device.index or 0):
            return cp.asarray(array)
    if (array.device.id or 0) == (device.index or 0):
        return array
    # cupy.asarray would return the array where it is; copy() copies from any device into
    # the current one
    with cp.cuda.Device(device.index or 0):
        return array.copy()


_NULL = contextlib.nullcontext()


def on_device_of(array: Any) -> contextlib.AbstractContextManager:
    """A context in which CuPy allocates and launches on ``array``'s device (a no-op for
    NumPy). CuPy works on its *current* device, not on its operands' one."""
    return _NULL if isinstance(array, np.ndarray) else array.device


def current_cuda_id() -> int:
    return cuda.require().cuda.runtime.getDevice()


def common_cuda_device(arrays: Sequence[Any], what: Callable[[], Exception]) -> int:
    """The id of the CUDA device every array in ``arrays`` (all CuPy arrays) lives on;
    RuntimeError from ``what()`` when they are on several."""
    dev = arrays[0].device.id
    for a in arrays:
        if type(a) is np.ndarray or a.device.id != dev:
            raise what()
    return dev


_SCALARS: dict = {}


def scalar_like(value: Any, dtype: Any, like: Any) -> Any:
    """``value`` as a 0-d array of ``dtype`` (None: inferred) on ``like``'s device. On a
    GPU each one is a host-to-device copy, so they are made once per device, dtype and
    value (at most a few thousand distinct ones are kept)."""
    if isinstance(like, np.ndarray):
        return np.asarray(value, dtype=dtype)
    key = (like.device.id, dtype, type(value), repr(value))
    arr = _SCALARS.get(key)
    if arr is None:
        if len(_SCALARS) > 4096:
            _SCALARS.clear()
        with like.device:
            arr = _SCALARS[key] = cuda.require().asarray(value, dtype=dtype)
    return arr


def ones_like_on_device(array: Any) -> Any:
    """Ones of ``array``'s shape and dtype, on its device."""
    if isinstance(array, np.ndarray):
        return np.ones(array.shape, dtype=array.dtype)
    with array.device:
        return cuda.require().ones(array.shape, dtype=array.dtype)
