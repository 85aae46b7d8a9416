"""Lazy CuPy: detect once whether a usable CUDA device exists, and say why not."""
from __future__ import annotations

from typing import Any

_state: dict = {}


def _probe() -> tuple[Any, str]:
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken install
        return None, f"CuPy is not installed ({type(exc).__name__}: {exc}); install minigan[cuda]"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            return None, "CuPy found no CUDA device"
        cupy.zeros(1).sum().item()  # a real allocation and kernel launch
    except Exception as exc:  # driver missing, no device, toolkit mismatch
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"no usable CUDA device ({first})"
    return cupy, ""


def _get() -> tuple[Any, str]:
    if "cupy" not in _state:
        _state["cupy"], _state["reason"] = _probe()
    return _state["cupy"], _state["reason"]


def is_available() -> bool:
    """True when CuPy imports and a CUDA device answers (checked once per process)."""
    return _get()[0] is not None


def unavailable_reason() -> str:
    """Why CUDA cannot be used here ("" when it can)."""
    return _get()[1]


def require() -> Any:
    """The cupy module; raises a clear error when no CUDA device can be used."""
    mod, reason = _get()
    if mod is None:
        raise RuntimeError(
            f"device 'cuda' was requested but {reason}. Use device='cpu' "
            "(or unset MINIGAN_DEVICE) to run on the CPU."
        )
    return mod


def device_count() -> int:
    mod = _get()[0]
    return 0 if mod is None else int(mod.cuda.runtime.getDeviceCount())
