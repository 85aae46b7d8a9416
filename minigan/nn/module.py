"""Module and Parameter: the containers that hold a model's weights, as torch.nn.Module.

A Module registers the Parameters, buffers and sub-Modules assigned to its attributes,
so that ``parameters()``, ``state_dict()`` and ``to()`` find them. Registered values are
also kept in the instance ``__dict__``: reading ``self.weight`` in ``forward`` is a plain
attribute lookup (the hot path), while assignment goes through ``__setattr__``.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..backend.device import CPU, on_device_of, parse_device, to_device
from ..serialization import to_array
from ..tensor import Tensor, zero_grad


class Parameter(Tensor):
    """A Tensor that is a module's weight: it requires grad, and a Module registers it.

    ``Parameter(data)`` shares ``data``'s array (a Tensor's, or a raw NumPy/CuPy array).
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (self.array, self.requires_grad))


class _IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


def _copy_into(t: Tensor, value) -> None:
    """Write ``value`` (an array of t's shape) into ``t``'s array in place, cast to its dtype:
    optimizers and views keep pointing at it. The one place load_state_dict writes."""
    with on_device_of(t.array):
        t.array[...] = to_device(value, t.device)
    t._mark_written()


class Module:
    """Base class of all layers and models (as torch.nn.Module).

    Subclasses set Parameters and sub-Modules as attributes in ``__init__`` (after
    ``super().__init__()``) and define ``forward``; call the module itself to run it.
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["training"] = True

    # ---- registration ------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} '{name}' before Module.__init__() call"
                )
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(a minigan.nn.Parameter or None is expected)"
                )
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(a minigan.Tensor or None is expected)"
                )
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}'")
            modules[name] = None
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only reached when __dict__ lacks ``name`` (e.g. entries put into _parameters directly)
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for store in (d["_parameters"], d["_buffers"], d["_modules"]):
            store.pop(name, None)
        d["_non_persistent"].discard(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' as parameter '{name}'")
        self.__dict__["_parameters"][name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a non-trainable tensor (e.g. BatchNorm's ``running_mean``) saved in the
        state dict (unless ``persistent=False``) and moved by ``to()``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' as buffer '{name}'")
        if "." in name or not name:
            raise KeyError(f"buffer name can't be empty or contain \".\", got {name!r}")
        self.__dict__["_buffers"][name] = tensor
        if persistent:
            self.__dict__["_non_persistent"].discard(name)
        else:
            self.__dict__["_non_persistent"].add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child named ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self.__dict__["_modules"][name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # ---- traversal -----------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and all below it, depth first ("" is self)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, v in getattr(m, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs, e.g. ("0.weight", ...), each parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The Parameters of this module (and of its descendants, if ``recurse``)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- modes, gradients, devices ---------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise TypeError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode, ``train(False)``; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients: ``.grad = None`` (PyTorch's default), or with
        ``set_to_none=False`` zero them in place."""
        zero_grad(self.parameters(), set_to_none)

    def to(self, *args, device=None, dtype=None) -> Module:
        """Move (and/or cast floating) parameters and buffers in place; returns self.

        ``m.to("cuda")``, ``m.to(mg.float64)``, ``m.to("cpu", mg.float32)``.
        """
        for a in args:
            if isinstance(a, str) or type(a).__name__ == "Device" or type(a).__name__ == "device":
                device = a
            else:
                dtype = a
        dev = None if device is None else parse_device(device)
        dt = None if dtype is None else np.dtype(dtype)

        def move(t: Tensor) -> None:
            data = t.array
            if dt is not None and data.dtype.kind in "fc" and data.dtype != dt:
                data = data.astype(dt)
            if dev is not None:
                data = to_device(data, dev)
            t.array = data
            if t.grad is not None:
                move(t.grad)

        for p in self.parameters():
            move(p)
        for b in self.buffers():
            move(b)
        return self

    def cpu(self) -> Module:
        return self.to(CPU)

    def cuda(self) -> Module:
        return self.to("cuda")

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- state dict --------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """name -> Tensor for every parameter and persistent buffer, with PyTorch's key names
        ("0.weight", "net.2.bias", "running_mean"). Values are detached and share memory."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy values into the parameters and buffers in place, cast to their dtype.

        Values may be minigan Tensors, NumPy/CuPy arrays, numbers, or another library's
        tensors: PyTorch's (``torch_model.state_dict()`` loads as it is), or anything with
        ``__dlpack__`` or ``__array__``. With ``strict`` every key must match; a shape
        mismatch or a value that is not array-like (a str, None) is always an error. Errors
        name the missing, unexpected or misshapen keys (and both shapes). Nothing is copied
        unless every value fits. Returns (missing_keys, unexpected_keys) as PyTorch does.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"expected a mapping for state_dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        values = {}
        for k, t in own.items():
            if k not in state_dict:
                continue
            try:
                v = to_array(state_dict[k], f'While copying the parameter named "{k}"')
            except TypeError as e:
                errors.append(f"{e}.")
                continue
            if tuple(v.shape) != tuple(t.shape):
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {tuple(v.shape)} from "
                    f"checkpoint, the shape in current model is {tuple(t.shape)}."
                )
                continue
            values[k] = v
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        for k, v in values.items():
            _copy_into(own[k], v)
        return _IncompatibleKeys(missing, unexpected)

    # ---- calling and printing ---------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (its configuration)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
