"""Optimizer: parameter groups, per-parameter state and checkpointing, as torch.optim.

Updates run on the raw arrays (NumPy/CuPy) in place, with ``out=`` arguments into
state buffers and per-parameter scratch arrays allocated once: no graph, no temporaries
in the steady state. Gradient arrays are only read, never written (the engine may share
one gradient array between several tensors).
"""
from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..backend import get_array_module
from ..backend.device import on_device_of, to_device
from ..serialization import to_array
from ..tensor import Tensor, zero_grad

_required = object()
# torch.optim group flags that choose an implementation, not the update: not copied on load
_TORCH_ONLY = ("foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay")


class Optimizer:
    """Base class: ``param_groups`` (list of dicts with "params" and hyperparameters),
    ``defaults``, ``state`` (param -> dict of arrays and the step count).

    ``params`` is an iterable of Tensors or of dicts ``{"params": [...], "lr": ...}``
    whose missing hyperparameters are taken from ``defaults``.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._scratch: dict[Tensor, list] = {}
        self._flat: dict[int, _FlatGroup | None] = {}  # id(group) -> its flat buffers
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for k, v in self.defaults.items():
            if v is _required and k not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {k}")
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None``, or with ``set_to_none=False`` zero them
        in place (a reference to a ``.grad`` taken earlier sees the zeros), as in PyTorch."""
        for g in self.param_groups:
            zero_grad(g["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = group["params"]
            # CuPy runs on its current device: the group's, when all its parameters share one
            cpu = not params or type(params[0].array) is np.ndarray
            with _NO_DEVICE if cpu or not _one_device(params) else on_device_of(params[0].array):
                flat = self._flat_step(group)
            if not flat:
                self._flat.pop(id(group), None)  # per-parameter steps: rebuild (and re-check) next time
                for p in params:
                    g = p.grad
                    if g is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {}
                    with on_device_of(p.array):
                        self._update(p.array, g.array, state, group, self._scratch_for(p))
            for p in group["params"]:
                if p.grad is not None:
                    p._mark_written()  # a graph that read p before the step can no longer backward
        return loss

    def _update(self, p, g, state: dict, group: dict, scratch: list) -> None:
        raise NotImplementedError

    def _flat_step(self, group: dict) -> bool:
        """Update a whole group with one call of ``_update`` on flat arrays, when every
        parameter has a gradient and all share a dtype, a device and a step count.

        The parameters are gathered into one flat buffer (their state arrays live there
        as views), the same elementwise update runs once over all of them instead of once
        per parameter (what PyTorch calls a "foreach"/fused step), and the new values are
        written back into each parameter's own array, so every reference to a parameter's
        storage (``p.data``, ``p.numpy()``) keeps following it. Returns False when the
        group must be updated parameter by parameter."""
        params = group["params"]
        if len(params) < 2:
            return False
        for p in params:
            if p.grad is None:
                return False
        flat = self._flat.get(id(group))
        if flat is None or not flat.matches(params, self.state):
            flat = self._flat[id(group)] = _FlatGroup.build(params, self.state)
            if flat is None:
                return False
        flat.gather(params)
        self._update(flat.p, flat.g, flat.state, group, flat.scratch)
        flat.scatter(params)
        flat.share_state(params, self.state)
        return True

    def _scratch_for(self, p: Tensor) -> list:
        """Two preallocated work arrays of p's shape, dtype and device (reused every step)."""
        s = self._scratch.get(p)
        if s is None or s[0].shape != p.array.shape or s[0].dtype != p.array.dtype \
                or type(s[0]) is not type(p.array):
            xp = p._xp()
            s = self._scratch[p] = [xp.empty_like(p.array), xp.empty_like(p.array)]
        return s

    # ---- checkpointing ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: Tensor copy or number}}, "param_groups": [{..., "params":
        [indices]}]}, PyTorch's layout: parameters are numbered in group order."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: copy.deepcopy(v) for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: _export(k, v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (arrays are copied, cast
        to each parameter's dtype and moved to its device). Keys may be ints or strings;
        state values may be minigan Tensors, arrays or another library's tensors (a
        ``torch.optim`` state dict of the same optimizer loads).

        Everything is checked before anything changes: a state dict of another optimizer
        (SGD's into Adam: its groups lack this optimizer's hyperparameters), a different
        number of groups or parameters, or a state array whose shape is not its
        parameter's is a ValueError."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            keys = list(state_dict)[:6] if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected an optimizer state dict with 'state' and "
                             f"'param_groups', got {keys}")
        groups = state_dict["param_groups"]
        for saved in groups:
            lacking = [k for k in self.defaults if k not in saved]
            if lacking:
                raise ValueError(
                    f"{name}.load_state_dict: the state dict is not one of {name}: its parameter groups "
                    f"lack {', '.join(repr(k) for k in lacking)} and hold "
                    f"{', '.join(repr(k) for k in saved if k != 'params')} (another optimizer's?)"
                )
            if saved.get("decoupled_weight_decay"):
                raise ValueError(f"{name}.load_state_dict: the state dict asks for decoupled weight decay "
                                 "(AdamW's), which minigan does not implement")
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"({len(groups)} saved, {len(self.param_groups)} here)")
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group ({len(saved['params'])} saved, {len(own['params'])} here)"
                )
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            for i, p in zip(saved["params"], own["params"]):
                by_index[int(i)] = p
        state = {}
        for i, s in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                continue
            state[p] = {k: _import(k, v, p, f"{name}.load_state_dict: state '{k}' of parameter {i}")
                        for k, v in s.items()}
        self.state = state
        for saved, own in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params" and k not in _TORCH_ONLY:
                    own[k] = tuple(v) if isinstance(v, list) else copy.deepcopy(v)


_NO_DEVICE = contextlib.nullcontext()


def _one_device(params) -> bool:
    """All parameters on the CPU, or all on one CUDA device (then they may be laid out flat)."""
    devices = {str(p.device) for p in params}
    return len(devices) == 1


class _FlatGroup:
    """One parameter group laid out flat: ``p`` and ``g`` hold every parameter and
    gradient (gathered before and written back after each step), ``state`` every state
    array, of which each parameter's state holds views. ``matches`` tells whether the
    layout still fits (a load_state_dict, a .to(device) or a per-parameter step changes it)."""

    def __init__(self, p, views, state, state_views, xp) -> None:
        self.p, self.views, self.state, self.state_views, self.xp = p, views, state, state_views, xp
        self.g = xp.empty_like(p)
        self.scratch = [xp.empty_like(p), xp.empty_like(p)]
        self.dicts: list[dict] | None = None  # each parameter's state dict, in order

    @staticmethod
    def build(params: list, states: dict) -> _FlatGroup | None:
        first = params[0].array
        xp = xp_of(first)
        if not _one_device(params):
            return None
        for p in params:
            if p.array.dtype != first.dtype or type(p.array) is not type(first) or p.array.size == 0:
                return None
        own = [states.get(p) or {} for p in params]
        keys = set(own[0])
        for s in own:
            if set(s) != keys or any(not hasattr(s[k], "shape") and s[k] != own[0][k] for k in keys):
                return None  # the parameters' states are out of step: update one by one
        shapes = [p.array.shape for p in params]
        flat_p = xp.concatenate([p.array.reshape(-1) for p in params])
        views = _split(flat_p, shapes)
        flat_state, state_views = {}, {}
        for k in keys:
            if hasattr(own[0][k], "shape"):
                flat_state[k] = xp.concatenate([s[k].reshape(-1) for s in own]).astype(first.dtype, copy=False)
                state_views[k] = _split(flat_state[k], shapes)
            else:
                flat_state[k] = own[0][k]
        flat = _FlatGroup(flat_p, views, flat_state, state_views, xp)
        flat.share_state(params, states)
        return flat

    def matches(self, params: list, states: dict) -> bool:
        """The parameters still use the flat views, and their state dicts are the ones
        laid out here (load_state_dict makes new ones; a per-parameter step drops the
        layout, see Optimizer.step)."""
        dicts, views, first = self.dicts, self.views, self.p
        if dicts is None:
            return False
        for i, p in enumerate(params):
            a = p.array
            if states.get(p) is not dicts[i] or a.shape != views[i].shape or a.dtype != first.dtype \
                    or type(a) is not type(first):
                return False
        return True

    def gather(self, params: list) -> None:
        xp = self.xp
        xp.concatenate([p.array.reshape(-1) for p in params], out=self.p)
        xp.concatenate([p.grad.array.reshape(-1) for p in params], out=self.g)

    def scatter(self, params: list) -> None:
        copyto = self.xp.copyto
        for p, v in zip(params, self.views):
            copyto(p.array, v)

    def share_state(self, params: list, states: dict) -> None:
        """Give every parameter its slice of the flat state: views of the arrays (set up
        again only when a new state array appeared, on the first step) and the numbers."""
        new = [k for k, v in self.state.items() if hasattr(v, "shape") and k not in self.state_views]
        if new or self.dicts is None:
            shapes = [p.array.shape for p in params]
            for k in new:
                self.state_views[k] = _split(self.state[k], shapes)
            self.dicts = []
            for i, p in enumerate(params):
                d = states.get(p)
                if d is None:
                    d = states[p] = {}
                for k, vs in self.state_views.items():
                    d[k] = vs[i]
                self.dicts.append(d)
        for k, v in self.state.items():
            if k not in self.state_views:
                for d in self.dicts:
                    d[k] = v


def _split(flat, shapes: list) -> list:
    """Views of ``flat`` with the given shapes, one after another."""
    views, start = [], 0
    for shape in shapes:
        n = 1
        for d in shape:
            n *= d
        views.append(flat[start:start + n].reshape(shape))
        start += n
    return views


def _export(key: str, value):
    if key == "step":
        return Tensor._wrap(np.asarray(float(value), dtype=np.float32))
    if hasattr(value, "shape") and not isinstance(value, Tensor):
        with on_device_of(value):  # CuPy's copy() lands on the current device
            return Tensor._wrap(value.copy())
    return copy.deepcopy(value)


def _import(key: str, value, p: Tensor, what: str):
    if key == "step":
        return int(float(to_array(value, what).item()))
    if isinstance(value, (bool, int, float, str)) or value is None:
        return copy.deepcopy(value)
    arr = to_array(value, what)
    if arr.shape != p.shape:
        raise ValueError(f"{what} has shape {tuple(arr.shape)}, the parameter {tuple(p.shape)}")
    with on_device_of(p.array):
        return to_device(arr, p.device).astype(p.dtype, copy=True)


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


def xp_of(a: Any) -> Any:
    """numpy for a NumPy array, cupy for a CuPy one (fast path for NumPy)."""
    return np if type(a) is np.ndarray else get_array_module(a)


def effective_grad(p: Any, g: Any, weight_decay: float, maximize: bool, out: Any) -> Any:
    """The gradient the update uses: g' = -g if maximize; g' = g' + weight_decay p (L2).

    Returns ``g`` itself when nothing changes (it is then only read), else ``out``.
    """
    xp = xp_of(out)
    if maximize:
        xp.negative(g, out=out)
        g = out
    if weight_decay != 0:
        if g is out:
            g += weight_decay * p  # rare (maximize and weight decay): one temporary
        else:
            # torch: grad.add(param, alpha=weight_decay)
            xp.multiply(p, weight_decay, out=out)
            out += g
            g = out
    return g


def running_average_(xp: Any, avg: Any, x: Any, beta: float, tmp: Any) -> None:
    """avg = beta avg + (1 - beta) x, in place, computed as avg += (1 - beta)(x - avg) (torch's
    lerp): Adam's first moment, centered RMSprop's mean gradient. ``tmp`` is scratch."""
    xp.subtract(x, avg, out=tmp)
    tmp *= 1 - beta
    avg += tmp


def running_average_of_square_(xp: Any, avg: Any, g: Any, beta: float, tmp: Any) -> None:
    """avg = beta avg + (1 - beta) g^2, in place: Adam's second moment, RMSprop's square_avg."""
    avg *= beta
    xp.multiply(g, 1 - beta, out=tmp)
    tmp *= g
    avg += tmp
