"""The ``cupy`` module of the stand-in: an ndarray that holds a private NumPy array.

What it refuses, as the real CuPy does:

- implicit device-to-host conversion: ``np.asarray(x)`` / ``x.__array__()`` raise TypeError;
- NumPy arrays (and lists) as operands of ufuncs and operators, and as values in
  ``__setitem__``: ``Unsupported type <class 'numpy.ndarray'>``;
- arrays on another device than the current one in anything that launches a kernel
  (the stand-in has two devices and no peer access);
- names and arguments the real CuPy does not have (checked against api_snapshot.json).

What it mirrors: results are always ndarrays (a reduction gives a 0-d array, never a NumPy
scalar); ``flags`` has c_contiguous / f_contiguous / owndata and no ``writeable``;
out-of-range integer-array indices wrap around (CuPy's default) where basic integer indices
raise; float32 results of elementwise kernels and reductions flush subnormals to zero
(CuPy compiles every kernel with ``-ftz=true``); ``copy()`` copies across devices into the
current one, ``asarray`` does not move an array that is already on a device.
"""
from __future__ import annotations

import numbers
import sys

import numpy as np

from . import _api, _cuda, _stats
from ._cuda import current_id

_TINY32 = float(np.finfo(np.float32).tiny)
_SCALARS = (numbers.Number, np.generic, bool)
# functions that make a view (no kernel launch): no device check, the result stays where
# the input is
_VIEWS = {"reshape", "transpose", "swapaxes", "squeeze", "expand_dims", "broadcast_to",
          "moveaxis", "view", "ravel", "atleast_1d", "atleast_2d", "diagonal"}
# functions that run CuPy-compiled elementwise/reduction kernels (built with -ftz=true)
_FTZ_FUNCS = {"sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "cumsum",
              "where", "clip", "nansum", "average", "linalg.norm", "around", "round"}
# the only functions that take host data (lists, NumPy arrays) and copy it to the device
_FROM_HOST = {"array", "asarray", "asanyarray"}


def _unsupported(x) -> TypeError:
    return TypeError(f"Unsupported type {type(x)}")


def _peer_error(dev: int) -> ValueError:
    return ValueError(
        f"The device where the array resides ({dev}) is different from the current device "
        f"({current_id()}). Peer access is unavailable between these devices."
    )


def _flush(a: np.ndarray) -> np.ndarray:
    """Flush float32 subnormals to (signed) zero, in place (a result of a device kernel)."""
    if a.dtype == np.float32 and a.size:
        tiny = (a != 0) & (np.abs(a) < _TINY32)
        if tiny.any():
            a[tiny] = np.copysign(np.float32(0), a[tiny])
    return a


def _daz(a):
    """A float32 input with its subnormals read as zero (a copy only when there are some)."""
    if isinstance(a, np.ndarray) and a.dtype == np.float32 and a.size:
        tiny = (a != 0) & (np.abs(a) < _TINY32)
        if tiny.any():
            a = a.copy()
            a[tiny] = np.copysign(np.float32(0), a[tiny])
    return a


class ndarray:
    """A CUDA array of the stand-in: a private NumPy array and the id of its device."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 100

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy stand-in does not take memptr/strides")
        self._a = np.empty(shape, dtype=dtype, order=order)
        self._dev = current_id()

    # ---- attributes ----------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)

    @property
    def device(self):
        return _cuda.Device(self._dev)

    @property
    def flags(self):
        return _Flags(self._a)

    @property
    def base(self):
        b = self._a.base
        return None if b is None or not isinstance(b, np.ndarray) else _wrap(b, self._dev)

    @property
    def T(self):
        return _wrap(self._a.T, self._dev)

    # ---- host transfers (explicit only) --------------------------------------------
    def __array__(self, dtype=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
            "construct a NumPy array explicitly."
        )

    def get(self, stream=None, order="C", out=None, blocking=True):
        _stats.syncs += 1
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self._a.shape or arr.dtype != self._a.dtype:
            raise ValueError("Shape or dtype mismatch")
        self._a[...] = arr

    def item(self):
        _stats.syncs += 1
        return self._a.item()

    def tolist(self):
        _stats.syncs += 1
        return self._a.tolist()

    def __float__(self):
        _stats.syncs += 1
        return float(self._a)

    def __int__(self):
        _stats.syncs += 1
        return int(self._a)

    def __bool__(self):
        _stats.syncs += 1
        return bool(self._a)

    def __complex__(self):
        _stats.syncs += 1
        return complex(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __repr__(self):
        return repr(self._a).replace("array(", "array(", 1)

    def __str__(self):
        return str(self._a)

    def __format__(self, format_spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, format_spec)

    def __dlpack_device__(self):
        return (2, self._dev)  # kDLCUDA

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        raise NotImplementedError("the CuPy stand-in exchanges arrays with from_dlpack only")

    # ---- copies ----------------------------------------------------------------------
    def copy(self, order="C"):
        """A copy on the current device (from any device, as CuPy's copy)."""
        return _wrap(np.array(self._a, order=order, copy=True), current_id())

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        _api.check_call("cupy.ndarray", "astype", (self, dtype, order, casting, subok, copy), {})
        kw = {} if casting is None else {"casting": casting}
        out = self._a.astype(dtype, order=order, copy=copy, **kw)
        if out is self._a:
            return self
        _check_device(self)
        return _wrap(out, current_id())

    def fill(self, value):
        if not isinstance(value, _SCALARS):
            raise _unsupported(value)
        _check_device(self)
        self._a.fill(value)

    # ---- indexing ----------------------------------------------------------------------
    def __getitem__(self, slices):
        idx, advanced = _index(slices, self._a.shape)
        if advanced or _has_mask(idx):
            _check_device(self)
            if _has_mask(idx):
                _stats.syncs += 1  # the result's size is read back from the device
            out = self._a[idx]
            return _wrap(np.array(out, copy=True) if out.base is not None else out, current_id())
        out = self._a[idx]
        if isinstance(out, np.generic):  # NumPy gives a scalar, CuPy a 0-d view
            out = self._a[(*idx, Ellipsis) if isinstance(idx, tuple) else (idx, Ellipsis)]
        return _wrap(out, self._dev)  # a view, on this array's device

    def __setitem__(self, slices, value):
        if isinstance(value, ndarray):
            _check_device(value)
            value = value._a
        elif not isinstance(value, _SCALARS):
            raise _unsupported(value)  # host arrays and lists: copy them with cupy.asarray
        _check_device(self)
        idx, _ = _index(slices, self._a.shape)
        self._a[idx] = value

    # ---- NumPy interop ------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        e = _api.entry("cupy", ufunc.__name__)
        if e is None or e["kind"] != "ufunc" or method != "__call__":
            return NotImplemented
        return attribute(ufunc.__name__)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        if _api.entry("cupy", name) is None:
            return NotImplemented
        return attribute(name)(*args, **kwargs)


ndarray.__module__ = "cupy"


class _Flags:
    """CuPy's flags: c_contiguous, f_contiguous, owndata (no writeable, no aligned)."""

    __slots__ = ("_a",)

    def __init__(self, a):
        self._a = a

    c_contiguous = property(lambda self: bool(self._a.flags.c_contiguous))
    f_contiguous = property(lambda self: bool(self._a.flags.f_contiguous))
    owndata = property(lambda self: bool(self._a.flags.owndata))

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


_Flags.__module__ = "cupy._core.flags"
_Flags.__name__ = "Flags"


def _wrap(a, dev: int):
    if isinstance(a, np.generic):
        a = np.asarray(a)
    t = object.__new__(ndarray)
    t._a = a
    t._dev = dev
    return t


def _check_device(x: ndarray) -> None:
    if x._dev != current_id():
        raise _peer_error(x._dev)


def _has_mask(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, np.ndarray) and i.dtype == bool for i in items)


def _index(slices, shape):
    """The index for the private NumPy array: stand-in arrays unwrapped, lists and NumPy
    arrays accepted (CuPy copies them to the device), integer arrays wrapped modulo the
    axis length (CuPy's default for out-of-range integer-array indices). Returns
    (index, whether it is advanced)."""
    items = slices if isinstance(slices, tuple) else (slices,)
    conv = []
    for s in items:
        if isinstance(s, ndarray):
            _check_device(s)
            s = s._a
        elif isinstance(s, list):
            s = np.asarray(s)
        conv.append(s)
    consumed = sum(
        (s.ndim if isinstance(s, np.ndarray) and s.dtype == bool else
         0 if s is None or s is Ellipsis else 1) for s in conv)
    out, axis, advanced = [], 0, False
    for s in conv:
        if s is Ellipsis:
            axis += len(shape) - consumed
        elif s is None:
            pass
        elif isinstance(s, np.ndarray) and s.dtype == bool:
            advanced = True
            axis += s.ndim
        elif isinstance(s, np.ndarray) and s.dtype.kind in "iu":
            advanced = True
            if axis < len(shape) and shape[axis] > 0:
                s = s % shape[axis]
            axis += 1
        else:
            if isinstance(s, np.ndarray) and s.ndim == 0:
                s = s.item()
            axis += 1
        out.append(s)
    idx = tuple(out) if isinstance(slices, tuple) else out[0]
    return idx, advanced


# ---- calling NumPy on behalf of CuPy ---------------------------------------------------

def _unwrap(x, allow_host: bool, devices: list):
    if isinstance(x, ndarray):
        devices.append(x._dev)
        return x._a
    if isinstance(x, np.ndarray):
        if allow_host:
            return x
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, allow_host, devices) for v in x)
    return x


def _owner(a):
    return a if a.base is None else a.base


def _wrap_result(r, inputs: list, view: bool, ftz: bool):
    if isinstance(r, tuple):
        return tuple(_wrap_result(v, inputs, view, ftz) for v in r)
    if isinstance(r, (np.ndarray, np.generic)):
        if view and isinstance(r, np.ndarray):
            owner = _owner(r)
            for a, dev in inputs:
                if _owner(a) is owner:
                    return _wrap(r, dev)
        if ftz and isinstance(r, np.ndarray):
            _flush(r)
        elif ftz:
            r = _flush(np.asarray(r))
        return _wrap(r, current_id())
    return r


def _run(fn, name: str, args, kwargs, *, allow_host=False, view=False, ftz=False):
    devices: list = []
    uargs = [_unwrap(a, allow_host, devices) for a in args]
    ukw = {k: _unwrap(v, allow_host, devices) for k, v in kwargs.items()}
    if not view:
        for d in devices:
            if d != current_id():
                raise _peer_error(d)
    ins = [(a._a, a._dev) for a in args if isinstance(a, ndarray)]
    out = kwargs.get("out")
    with np.errstate(all="ignore"):
        r = fn(*uargs, **ukw)
    if isinstance(out, ndarray):
        if ftz:
            _flush(out._a)
        return out
    return _wrap_result(r, ins, view, ftz)


class ufunc:
    """A CuPy ufunc: stand-in arrays and Python/NumPy scalars only."""

    def __init__(self, name: str):
        self._np = getattr(np, name)
        self.name = name
        self.__name__ = name
        self.nin = self._np.nin
        self.nout = self._np.nout
        self.nargs = self._np.nargs

    def __call__(self, *args, out=None, dtype=None, casting="same_kind", **kw):
        if kw:
            raise TypeError(f"Wrong arguments {kw}")
        if len(args) != self.nin:
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        arrays = []
        for a in args:
            if isinstance(a, ndarray):
                _check_device(a)
                arrays.append(_daz(a._a))
            elif isinstance(a, _SCALARS):
                arrays.append(a)
            else:
                raise _unsupported(a)
        kwargs = {"casting": casting}
        if dtype is not None:
            kwargs["dtype"] = dtype
        if out is not None:
            if not isinstance(out, ndarray):
                raise TypeError("Output arguments must be cupy.ndarray")
            _check_device(out)
            with np.errstate(all="ignore"):
                self._np(*arrays, out=out._a, **kwargs)
            _flush(out._a)
            return out
        with np.errstate(all="ignore"):  # CuPy does not warn about inf/NaN
            r = self._np(*arrays, **kwargs)
        if isinstance(r, tuple):
            return tuple(_wrap(_flush(np.asarray(v)), current_id()) for v in r)
        return _wrap(_flush(np.asarray(r)), current_id())

    def __repr__(self):
        return f"<ufunc '{self.name}'>"


ufunc.__module__ = "cupy"


def _method(name: str):
    ftz = name in _FTZ_FUNCS
    view = name in _VIEWS
    fn = getattr(np.ndarray, name)

    def method(self, *args, **kwargs):
        _api.check_call("cupy.ndarray", name, (self, *args), kwargs)
        return _run(fn, name, (self, *args), kwargs, view=view, ftz=ftz)

    method.__name__ = name
    return method


def _function(name: str):
    target = getattr(np, name)
    ftz = name in _FTZ_FUNCS
    view = name in _VIEWS
    host = name in _FROM_HOST

    def function(*args, **kwargs):
        _api.check_call("cupy", name, args, kwargs)
        return _run(target, name, args, kwargs, allow_host=host, view=view, ftz=ftz)

    function.__name__ = name
    return function


_OPS = {
    "add": ("__add__", "__radd__", "__iadd__"), "subtract": ("__sub__", "__rsub__", "__isub__"),
    "multiply": ("__mul__", "__rmul__", "__imul__"), "true_divide": ("__truediv__", "__rtruediv__", "__itruediv__"),
    "floor_divide": ("__floordiv__", "__rfloordiv__", "__ifloordiv__"), "power": ("__pow__", "__rpow__", "__ipow__"),
    "remainder": ("__mod__", "__rmod__", "__imod__"), "bitwise_and": ("__and__", "__rand__", "__iand__"),
    "bitwise_or": ("__or__", "__ror__", "__ior__"), "bitwise_xor": ("__xor__", "__rxor__", "__ixor__"),
}
_CMP = {"less": "__lt__", "less_equal": "__le__", "greater": "__gt__", "greater_equal": "__ge__",
        "equal": "__eq__", "not_equal": "__ne__"}
_UNARY = {"negative": "__neg__", "positive": "__pos__", "absolute": "__abs__", "invert": "__invert__"}


def _defers(other) -> bool:
    """CuPy lets an operand of higher __array_priority__ (that is not an ndarray) answer."""
    return (not isinstance(other, ndarray)
            and getattr(other, "__array_priority__", 0) > ndarray.__array_priority__)


def _binary(uf: ufunc, reflected: bool, inplace: bool):
    def op(self, other):
        if _defers(other):
            return NotImplemented
        if inplace:
            return uf(self, other, out=self)
        return uf(other, self) if reflected else uf(self, other)
    return op


for _name, (_fwd, _ref, _inp) in _OPS.items():
    _uf = ufunc(_name)
    setattr(ndarray, _fwd, _binary(_uf, False, False))
    setattr(ndarray, _ref, _binary(_uf, True, False))
    setattr(ndarray, _inp, _binary(_uf, False, True))
for _name, _dunder in _CMP.items():
    setattr(ndarray, _dunder, _binary(ufunc(_name), False, False))
for _name, _dunder in _UNARY.items():
    setattr(ndarray, _dunder, (lambda uf: lambda self: uf(self))(ufunc(_name)))
ndarray.__hash__ = None


def _matmul(self, other, reflected=False):
    if _defers(other):
        return NotImplemented
    return matmul(other, self) if reflected else matmul(self, other)


ndarray.__matmul__ = _matmul
ndarray.__rmatmul__ = lambda self, other: _matmul(self, other, True)

# every public ndarray method of NumPy that the real cupy.ndarray also has, and that is not
# defined above, forwards to NumPy with the argument check
for _name, _entry in _api.snapshot()["classes"]["cupy.ndarray"].items():
    if _name.startswith("_") or _name in ndarray.__dict__ or _entry["kind"] != "function":
        continue
    if callable(getattr(np.ndarray, _name, None)):
        setattr(ndarray, _name, _method(_name))


# ---- module-level functions ----------------------------------------------------------------

def asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    """Host data is copied to the current device; a device array is returned as it is
    (on whatever device it lives), cast when ``dtype`` asks for it."""
    if isinstance(a, ndarray):
        if dtype is None or np.dtype(dtype) == a.dtype:
            return a.copy() if copy else a
        return a.astype(dtype)
    if isinstance(a, (list, tuple)) and any(isinstance(v, ndarray) for v in a):
        return stack_or_array(a, dtype)
    return _wrap(np.array(a, dtype=dtype, order=order or "K", copy=True), current_id())


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    if isinstance(obj, ndarray):
        out = obj.astype(dtype or obj.dtype, order=order, copy=True)
        return out
    if isinstance(obj, (list, tuple)) and any(isinstance(v, ndarray) for v in obj):
        return stack_or_array(obj, dtype)
    return _wrap(np.array(obj, dtype=dtype, order=order, ndmin=ndmin, copy=True), current_id())


def stack_or_array(seq, dtype):
    """cupy.array([cupy_a, cupy_b]): CuPy stacks device arrays (on the current device)."""
    devices: list = []
    host = [_unwrap(v, False, devices) for v in seq]
    for d in devices:
        if d != current_id():
            raise _peer_error(d)
    return _wrap(np.array(host, dtype=dtype), current_id())


def from_dlpack(array, *, device=None, copy=None):
    if isinstance(array, ndarray):
        return array
    dev = array.__dlpack_device__() if hasattr(array, "__dlpack_device__") else None
    raise BufferError(f"the CuPy stand-in only imports its own arrays, not a DLPack device {dev}")


def get_array_module(*args):
    return sys.modules["cupy"] if any(isinstance(a, ndarray) for a in args) else np


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def ascontiguousarray(a, dtype=None):
    if not isinstance(a, ndarray):
        raise _unsupported(a)
    _check_device(a)
    out = np.ascontiguousarray(a._a, dtype=dtype)
    if out is a._a:
        return a
    return _wrap(out, current_id())


def matmul(x1, x2, out=None, **kw):
    return _run(np.matmul, "matmul", (x1, x2), {"out": out} if out is not None else {})


_EXPLICIT = {
    "ndarray": ndarray, "ufunc": ufunc, "asarray": asarray, "array": array,
    "from_dlpack": from_dlpack, "get_array_module": get_array_module, "asnumpy": asnumpy,
    "ascontiguousarray": ascontiguousarray, "matmul": matmul,
}
for _name in _EXPLICIT:
    _api.require("cupy", _name)


def attribute(name: str):
    """``cupy.<name>``: defined above, or NumPy's counterpart behind the argument check;
    AttributeError for what the real CuPy does not have."""
    if name in _EXPLICIT:
        return _EXPLICIT[name]
    e = _api.entry("cupy", name)
    if e is None:
        raise AttributeError(f"module 'cupy' has no attribute {name!r}")
    if e["kind"] == "ufunc":
        return ufunc(name)
    npobj = getattr(np, name, None)
    if e["kind"] == "function" and callable(npobj):
        return _function(name)
    if e["kind"] == "class" and isinstance(npobj, type) and issubclass(npobj, np.generic):
        return npobj  # the dtypes (cupy.float32 is numpy.float32)
    if e["kind"] == "value" and npobj is not None:
        return npobj  # cupy.inf, cupy.pi, cupy.newaxis...
    raise AttributeError(f"the CuPy stand-in does not implement cupy.{name}")
