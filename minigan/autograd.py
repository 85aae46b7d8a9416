"""Reverse-mode engine: grad mode, the backward pass, ``grad()``, anomaly detection.

A tensor made by an op keeps the op (``_op``), its input tensors (``_parents``) and the
op's non-tensor arguments (``_ctx``); the tensor itself is the graph node, so building
the graph costs no extra object per op. Backward walks the graph in reverse
topological order found by an iterative depth-first search, so a 100,000-op chain
needs no recursion. Each op's backward is written in Tensor ops: run with grad mode on
(``create_graph=True``) it records a graph of its own, which gives double backward.
"""
from __future__ import annotations

import warnings
import weakref
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from .backend.device import get_array_module, on_device_of, ones_like_on_device
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled, state

__all__ = ["backward", "detect_anomaly", "enable_grad", "grad", "is_grad_enabled", "no_grad",
           "set_grad_enabled"]

if TYPE_CHECKING:
    from .tensor import Tensor
else:
    Tensor = None  # set by minigan.tensor once the class exists (tensor imports this module)


def _all_finite(array) -> bool:
    if array.dtype.kind not in "fc" or array.size == 0:
        return True
    return bool(get_array_module(array).isfinite(array).all())


def check_forward(op, out, inputs) -> None:
    if not _all_finite(out):
        bad = "NaN" if bool((out != out).any()) else "inf"
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
        raise RuntimeError(
            f"detect_anomaly: forward of op '{op.name}' produced {bad} "
            f"(input shapes {shapes}, output shape {tuple(out.shape)})"
        )


def _backward_unchecked(op, t, g):
    """``op.backward`` with the per-op forward check off, so that a NaN or inf made inside
    it is blamed on ``op``'s backward (by ``_check_backward``), not on a helper op."""
    state.anomaly = False
    try:
        return op.backward(t, g)
    finally:
        state.anomaly = True


def _check_backward(op, grads) -> None:
    for i, g in enumerate(grads):
        if g is not None and not _all_finite(g.array):
            bad = "NaN" if bool((g.array != g.array).any()) else "inf"
            raise RuntimeError(
                f"detect_anomaly: backward of op '{op.name}' produced {bad} "
                f"in the gradient of its input {i} (shape {tuple(g.shape)})"
            )


_FREED = (
    "Trying to backward through the graph a second time (or to use a graph whose saved "
    "arrays were already freed). Pass retain_graph=True to the first backward() or "
    "grad() call if you need to backward through the graph again."
)


def _topo_order(roots):
    """Tensors reachable from ``roots`` that need a gradient, inputs before the ops that
    use them: the reachable set, sorted by creation order (``_seq``; leaves first)."""
    nodes = []
    seen = set()
    stack = list(roots)
    while stack:
        t = stack.pop()
        tid = id(t)
        if tid in seen:
            continue
        seen.add(tid)
        nodes.append(t)
        parents = t._parents
        if parents is None:
            if t._op is not None:
                raise RuntimeError(_FREED)
            continue
        for p in parents:
            if p._rg and id(p) not in seen:
                stack.append(p)
    nodes.sort(key=_seq_of)
    return nodes


_seq_of = attrgetter("_seq")


def _prune(order, capture) -> list:
    """For grad() without create_graph: mark the tensors from which no requested input can
    be reached as not requiring grad for the duration of the pass, so that ops skip their
    gradients (e.g. D's weight gradients in a generator step). Returns them, to restore."""
    needed = set(capture)
    pruned = []
    for t in order:  # parents come before children
        tid = id(t)
        if tid in needed:
            continue
        parents = t._parents
        if parents is not None:
            for p in parents:
                if id(p) in needed:
                    needed.add(tid)
                    break
        if tid not in needed:
            t._rg = False
            pruned.append(t)
    return pruned


# Ticks once per in-place write anywhere (Tensor._mark_written). A recorded op keeps the
# tick it was made at; if the clock has not moved since, nothing it saved can have changed.
write_clock = [0]


def _check_writes(t) -> None:
    """Raise PyTorch's error if ``t`` (the op's output) or one of its inputs was written in
    place after the op ran: its backward would read the new values and be silently wrong."""
    at = t._recorded_at
    if t._writes[1] > at:
        _raise_modified(t._op, "its output", t)
    for i, p in enumerate(t._parents):
        if p._writes[1] > at:
            _raise_modified(t._op, f"its input {i}", p)


def _raise_modified(op, which, t):
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {which} of op '{op.name}', a {t.array.dtype} tensor of shape "
        f"{tuple(t.shape)}, is at version {t._writes[0]}, written after the op used it. "
        "Hint: do the in-place change (optimizer.step(), x[...] = v, x.add_(...)) after "
        "backward(), or work on a .clone()."
    )


# ---- tensor hooks (register_hook, retain_grad): kept apart so that an op pays nothing ----
_hooks: dict[int, list] = {}  # id(tensor) -> [weakref to it, [hook, ...], retains_grad]


def _hook_entry(t) -> list:
    entry = _hooks.get(id(t))
    if entry is None or entry[0]() is not t:
        key = id(t)

        def forget(_ref: weakref.ref, key: int = key) -> None:  # t was collected
            _hooks.pop(key, None)

        entry = _hooks[key] = [weakref.ref(t, forget), [], False]
    return entry


def add_hook(t, fn) -> None:
    """``t.register_hook(fn)``: ``fn(grad)`` runs when ``t``'s gradient is computed; a
    returned tensor replaces the gradient."""
    _hook_entry(t)[1].append(fn)


def remove_hook(t, fn) -> None:
    entry = _hooks.get(id(t))
    if entry is not None and entry[0]() is t and fn in entry[1]:
        entry[1].remove(fn)


def retain_grad(t) -> None:
    """``t.retain_grad()``: a non-leaf ``t`` keeps its gradient in ``t.grad``."""
    _hook_entry(t)[2] = True


def retains_grad(t) -> bool:
    entry = _hooks.get(id(t))
    return entry is not None and entry[0]() is t and entry[2]


def _run_hooks(t, g, create_graph: bool):
    """``t``'s hooks in the order registered, then (for a non-leaf that retains its
    gradient) the accumulation into ``t.grad``, as PyTorch orders them."""
    entry = _hooks.get(id(t))
    if entry is None or entry[0]() is not t:
        return g
    for fn in entry[1]:
        out = fn(g)
        if out is not None:
            if getattr(out, "shape", None) != g.shape:
                raise RuntimeError(
                    f"hook {getattr(fn, '__name__', fn)!r} returned a gradient of shape "
                    f"{tuple(getattr(out, 'shape', ()))} for a tensor of shape {tuple(g.shape)}")
            g = out
    if entry[2] and t._op is not None:
        _accumulate_into_grad(t, g, True, create_graph)
    return g


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, capture=None) -> None:
    """The backward pass (see _run_backward), run on the roots' CUDA device: CuPy allocates
    and launches on its current device, not on its operands'."""
    if type(roots[0].array) is np.ndarray:
        _run_backward(roots, root_grads, retain_graph, create_graph, capture)
        return
    with on_device_of(roots[0].array):
        _run_backward(roots, root_grads, retain_graph, create_graph, capture)


def _run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, capture=None):
    """Propagate ``root_grads`` from ``roots`` down the graph.

    The tensors to visit are sorted by creation order (a topological order) and walked
    from the newest back: each one's summed incoming gradient goes through its hooks, then
    to its op's backward (``_backward_one``), whose results are summed into its inputs'
    incoming gradients. With ``capture`` (a dict id(tensor) -> None), the gradients of
    those tensors are stored there and no ``.grad`` is touched (that is ``grad()``);
    otherwise they accumulate into the ``.grad`` of every leaf that requires it.
    """
    pending = _Pending(create_graph)
    for r, g in zip(roots, root_grads):
        pending.add(id(r), g, True)
    order = _topo_order(roots)
    pruned = _prune(order, capture) if capture is not None and not create_graph else ()
    grads, owned, aliased = pending.grads, pending.owned, pending.aliased
    prev = state.grad_enabled
    state.grad_enabled = create_graph  # this thread only
    try:
        for i in range(len(order) - 1, -1, -1):
            t = order[i]
            order[i] = None  # let intermediates go as soon as their gradient has passed
            g = grads.pop(id(t), None)
            if g is None:
                if not retain_graph and t._op is not None:
                    t._parents = None
                    t._ctx = None
                continue
            if owned:
                owned.discard(id(g))  # handed on now: an op may pass it to several inputs
            if _hooks:
                g = _run_hooks(t, g, create_graph)
            if capture is not None and id(t) in capture:
                prev_g = capture[id(t)]
                capture[id(t)] = g if prev_g is None else prev_g + g
            if t._op is not None:
                if type(t.array) is np.ndarray:
                    _backward_one(t, g, pending, retain_graph)
                else:
                    with t.array.device:  # CuPy allocates on its current device
                        _backward_one(t, g, pending, retain_graph)
            elif capture is None:
                _accumulate_into_grad(t, g, id(t) in aliased, create_graph)
    finally:
        state.grad_enabled = prev
        for t in pruned:
            t._rg = True


def _backward_one(t, g, pending, retain_graph) -> None:
    """Run ``t``'s op backward on ``g`` and add the results to its inputs' pending sums."""
    op, parents = t._op, t._parents
    if parents is None:
        raise RuntimeError(_FREED)
    if t._recorded_at != write_clock[0]:
        _check_writes(t)
    if state.anomaly:
        pgrads = _backward_unchecked(op, t, g)
    else:
        pgrads = op.backward(t, g)
    if type(pgrads) is not tuple:
        pgrads = (pgrads,)
    if state.anomaly:
        _check_backward(op, pgrads)
    if not retain_graph:
        t._parents = None
        t._ctx = None
    seq, garr, grads = t._seq, g.array, pending.grads
    for p, pg in zip(parents, pgrads):
        if pg is None or not p._rg:
            continue
        if p._seq > seq:
            _raise_rebound(op, p)
        a = pg.array
        if a.dtype != p.array.dtype:
            pg = pg.to(dtype=p.array.dtype)
        # an op may hand the same array to several inputs (add) or a view of g (reshape)
        aliased = a is garr or a.base is not None
        pid = id(p)
        if pid not in grads:  # the first gradient to reach p (the usual case), inline
            grads[pid] = pg
            if aliased:
                pending.aliased.add(pid)
        else:
            pending.add(pid, pg, aliased)


def _raise_rebound(op, p):
    raise RuntimeError(
        f"an input of op '{op.name}' (shape {tuple(p.shape)}) was changed by an in-place "
        "operation after the op used it; minigan cannot route its gradient. Do the "
        "in-place change on a .clone(), or before the tensor is used.")


class _Pending:
    """The gradients waiting for each tensor of a backward pass, summed as they arrive.

    A sum made here is a new array that only this pass holds, so later additions go into
    it in place; a gradient an op returned may be shared (``aliased``) and is never written.
    """

    __slots__ = ("aliased", "create_graph", "grads", "owned")

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph
        self.grads: dict = {}       # id(tensor) -> its gradient so far
        self.owned: set = set()     # ids of the sums made here
        self.aliased: set = set()   # ids of tensors whose gradient an op may share

    def add(self, tid: int, g, aliased: bool) -> None:
        old = self.grads.get(tid)
        if old is None:
            self.grads[tid] = g
            if aliased:
                self.aliased.add(tid)
        elif self.create_graph:
            self.grads[tid] = old + g
        elif id(old) in self.owned and old.array.shape == g.array.shape:
            old.array += g.array
        else:
            acc = self.grads[tid] = Tensor._wrap(old.array + g.array)
            self.owned.add(id(acc))
            self.aliased.discard(tid)


def _accumulate_into_grad(t, g, aliased: bool, create_graph: bool) -> None:
    """Add ``g`` into ``t.grad`` as PyTorch's AccumulateGrad does: the first gradient is
    stored (copied if an op may share its array), later ones are added in place, so a
    reference ``h = t.grad`` taken earlier sees the sum; with ``create_graph`` the sum is
    recorded (out of place) so it can be differentiated."""
    if g.shape != t.shape:
        raise RuntimeError(
            f"internal error: gradient of shape {tuple(g.shape)} for a tensor of shape {tuple(t.shape)}"
        )
    old = t.grad
    if old is None:
        if create_graph:
            t.grad = g
        else:
            t.grad = Tensor._wrap(g.array.copy() if aliased else g.array)
    elif create_graph or old._rg:
        t.grad = old + g
    elif old.array.dtype == g.array.dtype:
        old.array += g.array
        old._mark_written()
    else:
        t.grad = Tensor._wrap(old.array + g.array)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad`` (torch.autograd.backward)."""
    if grad_tensors is None and isinstance(tensors, Tensor) and tensors._rg and tensors.array.size == 1:
        # fast path: the usual loss.backward() on a scalar
        ones = ones_like_on_device(tensors.array)
        retain = create_graph if retain_graph is None else retain_graph
        run_backward((tensors,), (Tensor._wrap(ones),), retain, create_graph)
        return
    tensors, grads = _roots_and_grads(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple[Tensor, ...]:  # None where unused (typed as PyTorch types it)
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple.

    Leaves' ``.grad`` are left untouched. With ``create_graph=True`` the gradients carry a
    graph of their own, so they can be differentiated again (gradient penalties, R1).
    An input that ``outputs`` does not depend on raises unless ``allow_unused=True``,
    in which case its gradient is None (zeros with ``materialize_grads=True``).
    ``only_inputs`` is accepted and ignored, as in PyTorch.
    """
    if is_grads_batched:
        raise NotImplementedError("grad(): is_grads_batched=True is not supported in minigan")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    outputs, grads = _roots_and_grads(outputs, grad_outputs, "grad")
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad(): inputs[{i}] does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {id(t): None for t in inputs}
    run_backward(outputs, grads, retain_graph, create_graph, capture)
    result: list = []  # Tensors, and None for an unused input with allow_unused
    for i, t in enumerate(inputs):
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): inputs[{i}] (shape {tuple(t.shape)}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        if g is not None and g.shape != t.shape:
            raise RuntimeError(f"internal error: gradient shape {g.shape} for input shape {t.shape}")
        if g is None and materialize_grads:
            g = Tensor._wrap(t._xp().zeros_like(t.array))
        result.append(g)
    return tuple(result)


def _roots_and_grads(tensors, grad_tensors, who):
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
        if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
            grad_tensors = (grad_tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    grad_tensors = tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"{who}(): got {len(tensors)} outputs but {len(grad_tensors)} gradients")
    out = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}(): outputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t.requires_grad:
            raise RuntimeError(
                f"{who}(): element {i} of the outputs does not require grad and has no graph "
                "(was it computed under no_grad, or from tensors without requires_grad=True?)"
            )
        if g is None:
            if t.array.size != 1:
                raise RuntimeError(
                    f"{who}(): gradient can be implicitly created only for scalar outputs, "
                    f"but the output has shape {tuple(t.shape)}; pass a gradient of that shape"
                )
            g = Tensor._wrap(ones_like_on_device(t.array))
        else:
            if not isinstance(g, Tensor):
                with on_device_of(t.array):
                    g = Tensor._wrap(t._xp().asarray(g, dtype=t.array.dtype))
            if g.shape != t.shape:
                raise RuntimeError(
                    f"{who}(): gradient has shape {tuple(g.shape)} but the output has shape "
                    f"{tuple(t.shape)}"
                )
        out.append(g)
    return tensors, out


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)

    def __call__(cls, data, requires_grad: bool = False, volatile: bool = False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            if requires_grad:
                raise RuntimeError("Variable can't be volatile and require_grad at the same time!")
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        return data.detach().requires_grad_(bool(requires_grad))


class Variable(metaclass=_VariableMeta):
    """PyTorch's deprecated wrapper, kept so old code runs: ``Variable(t, requires_grad=False)``
    returns ``t.detach()`` (sharing storage) with ``requires_grad`` set, exactly what PyTorch
    does today; ``volatile`` is accepted and ignored with a warning; every Tensor is an
    instance of Variable."""
