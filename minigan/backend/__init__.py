"""Device registry: "cpu" runs on NumPy, "cuda" on CuPy.

One op body serves both devices through ``get_array_module`` (the xp idiom of
Chainer/CuPy). CuPy is optional and imported lazily, the first time a CUDA
device is asked for.
"""
from __future__ import annotations

import os

from . import cuda
from .device import Device, device_of, get_array_module, parse_device, to_device

__all__ = [
    "Device", "cuda", "default_device", "device_of", "get_array_module", "parse_device",
    "set_default_device", "to_device",
]

_default: Device | None = None


def default_device() -> Device:
    """The device new tensors go to: ``MINIGAN_DEVICE`` (read once), else "cpu"."""
    global _default
    if _default is None:
        name = os.environ.get("MINIGAN_DEVICE", "cpu") or "cpu"
        try:
            _default = parse_device(name)
        except ValueError:
            raise ValueError(
                f"the environment variable MINIGAN_DEVICE={name!r} names no device: "
                "expected 'cpu', 'cuda' or 'cuda:N'"
            ) from None
        if _default.type == "cuda":
            cuda.require()
    return _default


def set_default_device(device: str | Device) -> None:
    """Set the device that factories such as ``mg.zeros`` use when none is given."""
    global _default
    dev = parse_device(device)
    if dev.type == "cuda":
        cuda.require()
    _default = dev

