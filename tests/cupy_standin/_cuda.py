"""``cupy.cuda`` of the stand-in: two devices, the current device, streams that are no-ops."""
from __future__ import annotations

import types

from . import _api, _stats

DEVICE_COUNT = 2
COMPUTE_CAPABILITY = "90"  # the kernels are compiled for sm_90 (an H100), as CuPy would there
SM_COUNT = 132
_current = [0]


class CUDARuntimeError(RuntimeError):
    def __init__(self, status):
        self.status = status
        super().__init__(f"cudaErrorInvalidDevice: invalid device ordinal ({status})")


CUDARuntimeError.__module__ = "cupy_backends.cuda.api.runtime"


def current_id() -> int:
    return _current[0]


def _valid(device_id) -> int:
    device_id = int(device_id)
    if not 0 <= device_id < DEVICE_COUNT:
        raise CUDARuntimeError(101)
    return device_id


class Device:
    """``with Device(1): ...`` makes device 1 current, as CuPy's Device."""

    def __init__(self, device=None):
        self._id = _current[0] if device is None else _valid(device)
        self._prev = []

    @property
    def id(self) -> int:
        return self._id

    @property
    def compute_capability(self) -> str:
        return COMPUTE_CAPABILITY

    def use(self) -> None:
        _current[0] = self._id

    def synchronize(self) -> None:
        _stats.syncs += 1

    def __enter__(self):
        self._prev.append(_current[0])
        _current[0] = self._id
        return self

    def __exit__(self, *exc):
        _current[0] = self._prev.pop()
        return False

    def __eq__(self, other):
        return isinstance(other, Device) and other._id == self._id

    def __hash__(self):
        return hash(self._id)

    def __repr__(self):
        return f"<CUDA Device {self._id}>"


Device.__module__ = "cupy.cuda.device"


class Stream:
    """The null stream: work in the stand-in is done when a call returns."""

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        pass

    def synchronize(self) -> None:
        _stats.syncs += 1


Stream.__module__ = "cupy.cuda.stream"
Stream.null = Stream(null=True)


def get_current_stream(device_id=None) -> Stream:
    return Stream.null


def get_device_id() -> int:
    return _current[0]


def is_available() -> bool:
    return True


def _runtime_module() -> types.ModuleType:
    rt = types.ModuleType("cupy.cuda.runtime", "cupy.cuda.runtime of the CuPy stand-in")
    rt.CUDARuntimeError = CUDARuntimeError
    rt.getDeviceCount = lambda: DEVICE_COUNT
    rt.getDevice = lambda: _current[0]

    def setDevice(device):
        _current[0] = _valid(device)

    def getDeviceProperties(device):
        _valid(device)
        return {"name": b"minigan CuPy stand-in (host)", "multiProcessorCount": SM_COUNT,
                "major": int(COMPUTE_CAPABILITY[0]), "minor": int(COMPUTE_CAPABILITY[1]),
                "totalGlobalMem": 1 << 34}

    def deviceSynchronize():
        _stats.syncs += 1

    rt.setDevice = setDevice
    rt.getDeviceProperties = getDeviceProperties
    rt.deviceSynchronize = deviceSynchronize
    for name in ("CUDARuntimeError", "getDeviceCount", "getDevice", "setDevice",
                 "getDeviceProperties", "deviceSynchronize"):
        _api.require("cupy.cuda.runtime", name)
    return rt


runtime = _runtime_module()


def module() -> types.ModuleType:
    """The ``cupy.cuda`` module object: only names the real ``cupy.cuda`` has."""
    m = types.ModuleType("cupy.cuda", "cupy.cuda of the CuPy stand-in")
    for name, value in (("Device", Device), ("Stream", Stream), ("runtime", runtime),
                        ("get_current_stream", get_current_stream),
                        ("get_device_id", get_device_id), ("is_available", is_available)):
        _api.require("cupy.cuda", name)
        setattr(m, name, value)
    return m
