"""Tensor: an array of the backend (NumPy or CuPy), its gradient, and the op that made it.

A tensor made by an op records the op (``_op``), its inputs (``_parents``) and the op's
non-tensor arguments (``_ctx``): the tensor is itself the graph node. ``apply`` is the
one place where ops run, so it is kept lean: it is the hot path of every model.
"""
from __future__ import annotations

import builtins
import itertools
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import backend
from .autograd import check_forward, write_clock
from .backend.device import (
    CPU,
    common_cuda_device,
    current_cuda_id,
    device_of,
    on_device_of,
    parse_device,
    to_device,
)
from .grad_mode import state as _grad_mode
from .random import default_generator

_ndarray = np.ndarray
_UNWRITTEN = (0, 0)  # the write counter of a storage never written nor shared (read-only)
_next_seq = itertools.count().__next__
_new = object.__new__
_FLOAT_KINDS = "fc"
_LEGACY_DATA = (list, tuple, int, float, bool, np.ndarray)
_SWAP_LAST = {n: tuple(range(n - 2)) + (n - 1, n - 2) for n in range(2, 8)}


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    Create tensors with :func:`minigan.tensor` and the factories (``zeros``, ``randn``...).
    ``data`` is the raw NumPy/CuPy array; ``grad`` the accumulated gradient (a Tensor).
    """

    # _seq: creation order of recorded tensors (-1 for leaves and constants); a tensor is
    # always made after its inputs, so sorting by _seq is a topological order.
    # _writes: [number of in-place writes to the storage, tick of the last one], shared by
    # every tensor that views the storage (detach(), .data, reshape...); _UNWRITTEN until
    # the storage is written or shared. A recorded op
    # keeps the write clock's tick (_recorded_at); backward raises if its output or an
    # input was written after that tick, as PyTorch does with its version counters.
    __slots__ = ("array", "_writes", "grad", "_rg", "_op", "_parents", "_ctx", "_seq", "_recorded_at",
                 "__weakref__")
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators
    __array_priority__ = 1000

    if TYPE_CHECKING:  # for type checkers: minigan.ops attaches these when it is imported
        array: Any  # a numpy.ndarray or a cupy.ndarray
        _writes: Any  # _UNWRITTEN, or the [count, tick] list shared by views of the storage
        grad: Tensor | None
        _op: Any
        _parents: tuple[Tensor, ...] | None
        _recorded_at: int

        def __getattr__(self, name: str) -> Any: ...  # the methods (t.sum, t.reshape...)
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __getitem__(self, idx: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __and__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...

    def __init__(self, data: Any = (), *size: int, requires_grad: bool = False) -> None:
        if type(self) is Tensor and (size or (isinstance(data, _LEGACY_DATA) and not isinstance(data, np.generic))):
            # PyTorch's legacy constructor: Tensor(2, 3) (zeros here), Tensor() and float32 from
            # lists and NumPy arrays (a float32 array is shared); inside minigan use Tensor._wrap
            from .tensor_types import legacy_array

            data = legacy_array((data, *size))
        if isinstance(data, Tensor):
            data = data.array
        if not isinstance(data, _ndarray) and backend.get_array_module(data) is np:
            data = np.asarray(data)  # lists, numbers, NumPy scalars
        self.array = data
        self._writes = _UNWRITTEN
        self.grad = None
        self._op = None
        self._parents = None
        self._ctx = None
        self._seq = -1
        self._rg = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array) -> "Tensor":
        """A constant (no-grad) tensor around ``array``, with no checks (hot path)."""
        t = _new(Tensor)
        t.array = array if type(array) is _ndarray else _fix_array(array)
        t._writes = _UNWRITTEN
        t.grad = None
        t._rg = False
        t._op = None
        t._parents = None
        t._ctx = None
        t._seq = -1
        return t

    # ---- properties -------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """This tensor's values as a new tensor that shares its storage and records no
        graph, as ``torch.Tensor.data``: ``p.data.clamp_(-c, c)`` changes ``p`` in place.
        Unlike PyTorch's, it shares the write counter too (it is ``detach()``), so a graph
        that still needs the old values refuses to backward. ``array`` is the raw array."""
        return self.detach()

    @data.setter
    def data(self, value) -> None:
        self.array = value.array if isinstance(value, Tensor) else _as_array_like(self, value)

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set whether autograd records ops on this leaf; only floating tensors may."""
        if requires_grad and self.array.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, "
                f"but this tensor has dtype {self.array.dtype}: it must be floating point "
                "(convert it with .float() or .double())"
            )
        if not requires_grad and self._op is not None:
            raise RuntimeError(
                "requires_grad can only be turned off on a leaf tensor; use .detach() instead"
            )
        self._rg = bool(requires_grad)
        return self

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def device(self) -> backend.Device:
        return CPU if type(self.array) is _ndarray else device_of(self.array)

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def grad_fn(self) -> Any:
        """The op that made this tensor (None for a leaf)."""
        return self._op

    @property
    def T(self) -> "Tensor":
        return self.permute(*reversed(range(self.array.ndim)))

    @property
    def mT(self) -> "Tensor":
        nd = self.array.ndim
        if nd < 2:
            raise ValueError(f"mT needs a tensor of at least 2 dimensions, got shape {tuple(self.shape)}")
        return _apply(ops.shape.Permute, _SWAP_LAST[nd] if nd < 8 else
                      tuple(range(nd - 2)) + (nd - 1, nd - 2), self)

    def _xp(self):
        return np if type(self.array) is _ndarray else backend.get_array_module(self.array)

    def size(self, dim: int | None = None) -> Any:  # the shape, or one dimension's length
        """The shape (``size(dim)`` for one dimension), as in PyTorch."""
        return self.array.shape if dim is None else self.array.shape[dim]

    def numel(self) -> int:
        return int(self.array.size)

    def dim(self) -> int:
        return self.array.ndim

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __repr__(self) -> str:
        arr = self.array if type(self.array) is _ndarray else to_device(self.array, CPU)
        body = np.array2string(arr, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.array.dtype != np.float32:
            extras.append(f"dtype={self.array.dtype}")
        if type(self.array) is not _ndarray:
            extras.append(f"device='{self.device}'")
        if self._op is not None:
            extras.append(f"grad_fn=<{self._op.name}>")
        elif self._rg:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous"
            )
        return bool(self.array.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.array.item())

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    # ---- conversion --------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU, like PyTorch)."""
        if type(self.array) is _ndarray:
            return self.array
        raise TypeError(
            f"can't convert a tensor on device '{self.device}' to NumPy; "
            "copy it to the CPU first with .cpu() or .to('cpu')"
        )

    def __array__(self, dtype=None, copy=None):
        if type(self.array) is not _ndarray:
            raise TypeError(
                f"can't convert a tensor on device '{self.device}' to a NumPy array; use .cpu() first"
            )
        if dtype is not None and dtype != self.array.dtype:
            return self.array.astype(dtype)
        return self.array.copy() if copy else self.array

    def tolist(self) -> Any:
        return to_device(self.array, CPU).tolist()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {tuple(self.shape)}"
            )
        return self.array.item()

    def __dlpack__(self, *args, **kwargs):
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (no copy; in-place changes are seen by both)."""
        t = Tensor._wrap(self.array)
        t._writes = self._shared_writes()
        return t

    def detach_(self) -> "Tensor":
        self._op = None
        self._parents = None
        self._ctx = None
        self._rg = False
        return self

    def clone(self) -> "Tensor":
        return _apply(ops.Clone, None, self)

    def to(self, *args, device=None, dtype=None, copy: bool = False) -> "Tensor":
        """Move and/or cast: ``t.to("cuda")``, ``t.to(mg.float64)``, ``t.to("cpu", mg.float32)``.
        Differentiable: the gradient flows back to the original device and dtype."""
        for a in args:
            if isinstance(a, (str, backend.Device)) or type(a).__name__ == "device":
                device = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            else:
                dtype = a
        dev = self.device if device is None else parse_device(device)
        dt = self.array.dtype if dtype is None else np.dtype(dtype)
        if dev == self.device and dt == self.array.dtype and not copy:
            return self
        # only floating tensors carry gradients (PyTorch's rule): an integer or bool copy
        # starts no graph
        src = self if dt.kind in "fc" else self.detach()
        return _apply(ops.ToCopy, (dev, dt), src)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    def float(self) -> "Tensor":
        return self.to(dtype=np.float32)

    def double(self) -> "Tensor":
        return self.to(dtype=np.float64)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(dtype=other.dtype)

    # ---- autograd ------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        """Accumulate d self / d leaf into every leaf's ``.grad``.

        ``gradient`` is needed unless self is a scalar. The graph's saved arrays are freed
        afterwards unless ``retain_graph=True``; ``create_graph=True`` records the backward
        pass itself, for higher-order gradients.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> _HookHandle:
        """Call ``hook(grad)`` each time this tensor's gradient is computed; a tensor it
        returns replaces the gradient (as ``torch.Tensor.register_hook``)."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        autograd.add_hook(self, hook)
        return _HookHandle(self, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._op is not None:
            autograd.retain_grad(self)

    @property
    def retains_grad(self) -> bool:
        return self._op is not None and autograd.retains_grad(self)

    # ---- in place: each write bumps the storage's version (see _version) ----------------
    def _shared_writes(self) -> list:
        """The write counter of this storage, for a new tensor that shares it."""
        if self._writes is _UNWRITTEN:
            self._writes = [0, 0]
        return self._writes

    def _mark_written(self) -> None:
        """Count an in-place write to this tensor's storage (optimizers, init, loaders)."""
        cell = self._shared_writes()
        cell[0] += 1
        write_clock[0] += 1
        cell[1] = write_clock[0]

    @property
    def _version(self) -> int:
        """How many times this tensor's storage was written in place (as PyTorch's)."""
        return self._writes[0]

    def _check_inplace(self, what: str) -> bool:
        """Raise where PyTorch forbids writing into this tensor; True when the write must
        be recorded in the graph (grad mode on and the tensor has a graph)."""
        if not _grad_mode.grad_enabled:
            return False
        if self._rg and self._op is None:
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation "
                f"({what}); do it under mg.no_grad() or on .data")
        return self._rg

    def __setitem__(self, idx, value) -> None:
        value_rg = isinstance(value, Tensor) and value._rg and _grad_mode.grad_enabled
        if self._check_inplace("__setitem__") or value_rg:
            raise RuntimeError(
                "minigan does not record x[idx] = v in the graph (x or v requires grad); "
                "build the result out of place, e.g. with mg.where or mg.cat")
        if isinstance(value, Tensor):
            value = value.array
        arr = self.array
        idx = _index_arrays(idx)
        split = ops.shape.split_index(idx)  # PyTorch's placement of advanced-index axes
        if split is not None:
            arr, idx = arr[split[0]], split[1]  # the first part only selects: a view
        if type(arr) is _ndarray:
            arr[idx] = value
        else:
            # CuPy takes device arrays and scalars only: lists and NumPy arrays are copied over
            if not isinstance(value, (numbers.Number, np.generic)):
                value = to_device(np.asarray(value) if backend.get_array_module(value) is np else value,
                                  self.device)
            with arr.device:
                arr[idx] = value
        self._mark_written()

    def _inplace(self, what: str, fn, *args) -> "Tensor":
        """Write ``fn(self, *args)`` into this tensor's storage, as PyTorch's ``x.op_()``.

        Outside the graph the values are simply overwritten. Inside it (``self`` has a
        graph, or an argument requires grad), the op is recorded: ``self`` becomes the
        op's output, and its previous values live on in a copy that the op (and any
        earlier op whose backward needs them) reads."""
        if type(self.array) is not _ndarray and _off_device(what, (self,)):
            with self.array.device:  # CuPy works on its current device
                return self._inplace(what, fn, *args)
        record = self._check_inplace(what) or (_grad_mode.grad_enabled and any(
            isinstance(a, Tensor) and a._rg for a in args))
        if not record:
            with autograd.no_grad():
                out = fn(self, *args)
            self._write(out.array, what)
            return self
        before = _new(Tensor)  # takes over self's place in the graph, with its old values
        before.array = self.array.copy()
        before._writes = _UNWRITTEN
        before.grad = None
        for slot in ("_rg", "_op", "_parents", "_ctx", "_seq"):
            setattr(before, slot, getattr(self, slot))
        if before._op is not None:
            before._recorded_at = self._recorded_at
        out = fn(before, *args)
        self._write(out.array, what)
        self._rg, self._op, self._parents, self._ctx, self._seq = (
            out._rg, out._op, out._parents, out._ctx, out._seq)
        self._recorded_at = write_clock[0]  # after the write: self holds the op's output
        return self

    def _write(self, values, what: str) -> None:
        """Copy ``values`` (a result computed from this tensor) into its storage."""
        if values.shape != self.array.shape:
            raise RuntimeError(
                f"{what}: output with shape {list(self.shape)} doesn't match the broadcast "
                f"shape {list(values.shape)}")
        if values.dtype != self.array.dtype and not np.can_cast(values.dtype, self.array.dtype, "same_kind"):
            raise RuntimeError(
                f"{what}: result type {values.dtype} can't be cast to the desired output type "
                f"{self.array.dtype}")
        self._xp().copyto(self.array, values, casting="unsafe")
        self._mark_written()

    def add_(self, other, *, alpha=1) -> "Tensor":
        return self._inplace("add_", lambda t, o: t + (o if alpha == 1 else o * alpha), other)

    def sub_(self, other, *, alpha=1) -> "Tensor":
        return self._inplace("sub_", lambda t, o: t - (o if alpha == 1 else o * alpha), other)

    def mul_(self, other) -> "Tensor":
        return self._inplace("mul_", lambda t, o: t * o, other)

    def div_(self, other) -> "Tensor":
        return self._inplace("div_", lambda t, o: t / o, other)

    def pow_(self, exponent) -> "Tensor":
        return self._inplace("pow_", lambda t, e: t ** e, exponent)

    def neg_(self) -> "Tensor":
        return self._inplace("neg_", lambda t: -t)

    def exp_(self) -> "Tensor":
        return self._inplace("exp_", lambda t: t.exp())

    def abs_(self) -> "Tensor":
        return self._inplace("abs_", lambda t: t.abs())

    def sqrt_(self) -> "Tensor":
        return self._inplace("sqrt_", lambda t: t.sqrt())

    def clamp_(self, min=None, max=None) -> "Tensor":
        return self._inplace("clamp_", lambda t: t.clamp(min, max))

    clip_ = clamp_

    def relu_(self) -> "Tensor":
        return self._inplace("relu_", lambda t: t.relu())

    def sigmoid_(self) -> "Tensor":
        return self._inplace("sigmoid_", lambda t: t.sigmoid())

    def tanh_(self) -> "Tensor":
        return self._inplace("tanh_", lambda t: t.tanh())

    def zero_(self) -> "Tensor":
        return self._inplace("zero_", _filled, 0)

    def fill_(self, value) -> "Tensor":
        """Set every element to ``value`` (a number or a 0-d tensor); differentiable in a
        tensor ``value``, and the overwritten values get gradient 0."""
        if isinstance(value, Tensor) and value.array.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.array.ndim} dimensions")
        return self._inplace("fill_", _filled, value)

    def copy_(self, src, non_blocking: bool = False) -> "Tensor":
        """Copy ``src`` (broadcast to this shape, cast to this dtype and device) in place;
        the gradient flows to ``src``."""
        if not isinstance(src, Tensor):
            src = Tensor._wrap(src if backend.get_array_module(src) is not np else np.asarray(src))
        try:
            np.broadcast_shapes(src.shape, self.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the size of tensor src {list(src.shape)} must match the size of "
                f"tensor self {list(self.shape)} (src must broadcast to it)") from None
        return self._inplace("copy_", _copied, src)

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0, *, generator=None) -> "Tensor":
        """Fill with samples of N(mean, std^2) from minigan's generator (or ``generator``)."""
        if std < 0:
            raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
        values = _rng(generator).normal(mean, std, size=self.shape)
        return self._fill_random("normal_", values)

    def uniform_(self, from_: builtins.float = 0.0, to: builtins.float = 1.0, *, generator=None) -> "Tensor":
        """Fill with samples of U[from_, to) from minigan's generator (or ``generator``)."""
        if from_ > to:
            raise RuntimeError(
                f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
        values = _rng(generator).uniform(from_, to, size=self.shape)
        return self._fill_random("uniform_", values)

    def _fill_random(self, what: str, values) -> "Tensor":
        if self.array.dtype.kind != "f":
            raise RuntimeError(f"{what} is only implemented for floating point tensors, got {self.array.dtype}")
        src = Tensor._wrap(to_device(values.astype(self.array.dtype), self.device))
        return self._inplace(what, _copied, src)


def zero_grad(params, set_to_none: bool = True) -> None:
    """``.grad = None`` for each tensor, or with ``set_to_none=False`` its gradient zeroed
    in place (what ``Optimizer.zero_grad`` and ``Module.zero_grad`` do)."""
    for p in params:
        g = p.grad
        if set_to_none or g is None:
            p.grad = None
            continue
        if g._op is not None:  # a gradient recorded with create_graph: cut it off first
            g = p.grad = g.detach()
        with on_device_of(g.array):
            g.array[...] = 0
        g._mark_written()


def _filled(t, value):
    """``t`` with every element replaced by ``value``: a graph node whose gradient to ``t``
    is zero (the old values no longer matter) and to a tensor ``value`` the sum."""
    if isinstance(value, Tensor):
        return ops.where(_false_like(t), t, value.to(dtype=t.dtype).expand(*t.shape))
    full = t._xp().full(t.shape, value, dtype=t.dtype)
    return ops.where(_false_like(t), t, Tensor._wrap(full))


def _copied(t, src):
    src = src.to(device=t.device, dtype=t.dtype)
    if src.shape != t.shape:
        src = src.expand(*t.shape)
    return ops.where(_false_like(t), t, src)


def _false_like(t):
    return t._xp().zeros(t.shape, dtype=bool)


def _rng(generator):
    return default_generator() if generator is None else getattr(generator, "numpy_generator", generator)


class _HookHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, t, hook) -> None:
        self._t, self._hook = t, hook

    def remove(self) -> None:
        autograd.remove_hook(self._t, self._hook)


def _as_array_like(t, value):
    """``value`` as an array on ``t``'s device (for ``t.data = value``)."""
    return to_device(np.asarray(value) if backend.get_array_module(value) is np else value, t.device)


def _fix_array(array):
    """Results of NumPy ufuncs on 0-d arrays are scalars: make them 0-d arrays again."""
    if isinstance(array, np.generic):
        return np.asarray(array)
    if isinstance(array, (numbers.Number,)):
        return np.asarray(array)
    return array


def type_name(x) -> str:
    """``numpy.ndarray``, ``list``: a type as PyTorch's argument errors name it."""
    t = type(x)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__qualname__}"


def not_tensor_error(fn: str, arg: str, position: int, value) -> TypeError:
    """The TypeError for a non-Tensor argument, in PyTorch's words."""
    return TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not {type_name(value)}")


def _input_error(op, inputs) -> TypeError:
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            return not_tensor_error(op.name, "input" if i == 0 else f"input{i}", i + 1, t)
    return TypeError(f"{op.name}(): every input must be a Tensor")


def _device_error(op, inputs):
    devs = [str(t.device) for t in inputs]
    return RuntimeError(
        f"op '{op.name}' got tensors on different devices ({', '.join(devs)}): "
        "move them to one device with .to(device) first"
    )


def _apply(op, ctx, *inputs):
    """Run ``op`` on the inputs' arrays and, if grad mode is on and an input requires
    grad, record the op on the result. On CUDA it runs on the inputs' device."""
    if type(getattr(inputs[0], "array", None)) is not _ndarray and _off_device(op, inputs):
        return _apply_on_device(op, ctx, inputs)
    if len(inputs) == 1:
        try:
            arr = inputs[0].array
        except AttributeError:
            raise _input_error(op, inputs) from None
        out = op.forward(ctx, arr)
        rg = inputs[0]._rg
    else:
        try:
            arrays = [t.array for t in inputs]
        except AttributeError:
            raise _input_error(op, inputs) from None
        t0 = type(arrays[0])
        for a in arrays:
            if type(a) is not t0:
                raise _device_error(op, inputs)
        out = op.forward(ctx, *arrays)
        rg = False
        for t in inputs:
            if t._rg:
                rg = True
                break
    if type(out) is not _ndarray:
        out = _fix_array(out)
    mode = _grad_mode
    if mode.anomaly:
        check_forward(op, out, inputs)
    t = _new(Tensor)
    t.array = out
    # a view shares its input's storage, so it shares the count of writes to it
    t._writes = inputs[0]._shared_writes() if op.is_view and out.base is not None else _UNWRITTEN
    t.grad = None
    if rg and mode.grad_enabled:
        t._rg = True
        t._op = op
        t._parents = inputs
        t._ctx = ctx
        t._seq = _next_seq()
        t._recorded_at = write_clock[0]
    else:
        t._rg = False
        t._op = None
        t._parents = None
        t._ctx = None
        t._seq = -1
    return t


def _off_device(op, inputs) -> bool:
    """True when CUDA inputs live on another device than CuPy's current one (always
    False on a single GPU); a device error when they are on several devices."""
    try:
        arrays = [t.array for t in inputs]
    except AttributeError:  # not a Tensor: _apply names the argument
        return False
    if isinstance(arrays[0], _ndarray) or not backend.device.is_cupy_array(arrays[0]):
        return False
    dev = common_cuda_device(arrays, lambda: _device_error(op, inputs))
    return dev != current_cuda_id()


def _apply_on_device(op, ctx, inputs):
    with inputs[0].array.device:
        return _apply(op, ctx, *inputs)


def _index_arrays(idx):
    """Replace tensors and lists inside an index by arrays."""
    if isinstance(idx, tuple):
        return tuple(_index_arrays(i) for i in idx)
    if isinstance(idx, Tensor):
        return idx.array
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


from . import autograd  # noqa: E402

autograd.Tensor = Tensor  # type: ignore[misc]  # autograd declares it for type checkers only
from . import ops  # noqa: E402  (ops build on Tensor and _apply)
