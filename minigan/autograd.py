"""Reverse-mode engine: grad mode, the backward pass, ``grad()``, anomaly detection.

A tensor made by an op keeps the op (``_op``), its input tensors (``_parents``) and the
op's non-tensor arguments (``_ctx``); the tensor itself is the graph node, so building
the graph costs no extra object per op. Backward walks the graph in reverse
topological order found by an iterative depth-first search, so a 100,000-op chain
needs no recursion. Each op's backward is written in Tensor ops: run with grad mode on
(``create_graph=True``) it records a graph of its own, which gives double backward.
"""
from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from operator import attrgetter

from .backend.device import get_array_module

Tensor = None  # set by minigan.tensor once the class exists (tensor imports this module)


class _Mode:
    """Process-wide switches read on every op (class attributes: one lookup each)."""

    grad_enabled = True
    anomaly = False


class no_grad:
    """Context manager (and decorator) that records no graph, as ``torch.no_grad``."""

    def __enter__(self):
        self._prev = _Mode.grad_enabled
        _Mode.grad_enabled = False

    def __exit__(self, *exc):
        _Mode.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        wrapper.__wrapped__ = fn
        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class enable_grad(no_grad):
    """Context manager that turns graph recording back on inside ``no_grad``."""

    def __enter__(self):
        self._prev = _Mode.grad_enabled
        _Mode.grad_enabled = True


class set_grad_enabled(no_grad):
    """``with set_grad_enabled(flag):`` records a graph only when ``flag`` is true."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = _Mode.grad_enabled
        _Mode.grad_enabled = self._mode  # also works as a plain call, as in PyTorch

    def __enter__(self):
        pass

    def __call__(self, fn):
        raise TypeError("set_grad_enabled is a context manager, not a decorator")


def is_grad_enabled() -> bool:
    return _Mode.grad_enabled


@contextmanager
def detect_anomaly():
    """Within this context, the first op whose forward or backward makes a NaN or inf
    raises a RuntimeError that names the op (slower: every result is checked)."""
    prev = _Mode.anomaly
    _Mode.anomaly = True
    try:
        yield
    finally:
        _Mode.anomaly = prev


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
    _Mode.anomaly = False
    try:
        return op.backward(t, g)
    finally:
        _Mode.anomaly = True


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


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, capture=None):
    """Propagate ``root_grads`` from ``roots`` down the graph.

    With ``capture`` (a dict id(tensor) -> None), gradients of those tensors are stored
    there and no leaf ``.grad`` is touched (that is ``grad()``); otherwise they
    accumulate into the ``.grad`` of every leaf that requires it (that is ``backward()``).
    """
    grads = {}
    for r, g in zip(roots, root_grads):
        if id(r) in grads:
            grads[id(r)] = grads[id(r)] + g
        else:
            grads[id(r)] = g
    order = _topo_order(roots)
    pruned = _prune(order, capture) if capture is not None and not create_graph else ()
    owned = set()  # ids of gradient sums made in this pass: safe to add into in place
    prev = _Mode.grad_enabled
    _Mode.grad_enabled = create_graph
    anomaly = _Mode.anomaly
    try:
        for i in range(len(order) - 1, -1, -1):
            t = order[i]
            order[i] = None  # let intermediates go as soon as their gradient has passed
            g = grads.pop(id(t), None)
            if owned and g is not None:
                owned.discard(id(g))  # handed to an op now: it may pass it on to several inputs
            if g is None:
                if not retain_graph and t._op is not None:
                    t._parents = None
                    t._ctx = None
                continue
            if capture is not None and id(t) in capture:
                prev_g = capture[id(t)]
                capture[id(t)] = g if prev_g is None else prev_g + g
            op = t._op
            if op is None:
                if capture is None:
                    _accumulate_leaf(t, g, create_graph, Tensor)
                continue
            parents = t._parents
            if parents is None:
                raise RuntimeError(_FREED)
            pgrads = op.backward(t, g) if not anomaly else _backward_unchecked(op, t, g)
            if type(pgrads) is not tuple:
                pgrads = (pgrads,)
            if anomaly:
                _check_backward(op, pgrads)
            if not retain_graph:
                t._parents = None
                t._ctx = None
            for p, pg in zip(parents, pgrads):
                if pg is None or not p._rg:
                    continue
                pdt = p.array.dtype
                if pg.array.dtype is not pdt and pg.array.dtype != pdt:
                    pg = pg.to(dtype=pdt)
                pid = id(p)
                old = grads.get(pid)
                if old is None:
                    grads[pid] = pg
                elif create_graph:
                    grads[pid] = old + pg
                elif id(old) in owned and old.array.shape == pg.array.shape:
                    old.array += pg.array  # a sum this pass made: no one else holds it
                else:
                    acc = grads[pid] = Tensor._wrap(old.array + pg.array)
                    owned.add(id(acc))
    finally:
        _Mode.grad_enabled = prev
        for t in pruned:
            t._rg = True


def _sole_owner(old) -> bool:
    """True when ``old`` (a leaf's .grad) and its array are referenced only by the leaf:
    then adding into it in place, as PyTorch does, changes nothing anyone else can see,
    and the old and the new gradient need not be held at once. Called from
    _accumulate_leaf only; the counts are those of that call path: for the tensor, the
    .grad slot, the two frames' names and getrefcount's argument; for the array, the
    tensor's slot, the name ``a`` and the argument. The array must own its memory (no
    views of it exist: a view holds its base)."""
    a = old.array
    return (sys.getrefcount(old) <= 4 and getattr(a, "base", None) is None
            and sys.getrefcount(a) <= 3 and a.flags.writeable)


def _accumulate_leaf(t, g, create_graph, Tensor):
    if g.shape != t.shape:
        raise RuntimeError(
            f"internal error: gradient of shape {tuple(g.shape)} for a leaf of shape {tuple(t.shape)}"
        )
    old = t.grad
    if old is None:
        # a fresh gradient may alias another leaf's (add passes g to both inputs);
        # _sole_owner tells later whether it can be added into in place
        t.grad = g if create_graph else (g if g._op is None else g.detach())
    elif create_graph:
        t.grad = old + g
    elif old.array.dtype == g.array.dtype and _sole_owner(old):
        old.array += g.array
    else:
        t.grad = Tensor._wrap(old.array + g.array)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad`` (torch.autograd.backward)."""
    if grad_tensors is None and isinstance(tensors, Tensor) and tensors._rg and tensors.array.size == 1:
        # fast path: the usual loss.backward() on a scalar
        ones = tensors._xp().ones(tensors.array.shape, dtype=tensors.array.dtype)
        retain = create_graph if retain_graph is None else retain_graph
        run_backward((tensors,), (Tensor._wrap(ones),), retain, create_graph)
        return
    tensors, grads = _roots_and_grads(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
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
    result = []
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
            xp = t._xp()
            g = Tensor._wrap(xp.ones(t.array.shape, dtype=t.array.dtype))
        else:
            if not isinstance(g, Tensor):
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
