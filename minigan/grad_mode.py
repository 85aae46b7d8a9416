"""Grad mode: whether ops record a graph, per thread (as PyTorch's grad_mode.py).

``no_grad`` in one thread never stops recording in another, and ``backward()`` turns
recording off only in the thread that runs it. The state is a ``threading.local`` whose
class attributes are each new thread's defaults: reading it is one attribute lookup, so
the hot path (every op) stays cheap.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["detect_anomaly", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]


class _ThreadState(threading.local):
    grad_enabled = True  # record ops on tensors that require grad
    anomaly = False      # check every forward and backward result for NaN/inf


state = _ThreadState()


class no_grad:
    """Context manager (and decorator) that records no graph, as ``torch.no_grad``."""

    _enabled = False

    def __enter__(self) -> None:
        self._prev = state.grad_enabled
        state.grad_enabled = self._enabled

    def __exit__(self, *exc) -> None:
        state.grad_enabled = self._prev

    def __call__(self, fn):
        cls = self.__class__

        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)

        wrapper.__wrapped__ = fn
        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class enable_grad(no_grad):
    """Context manager (and decorator) that turns recording back on inside ``no_grad``."""

    _enabled = True


class set_grad_enabled(no_grad):
    """``with set_grad_enabled(flag):`` records a graph only when ``flag`` is true; as a
    plain call ``set_grad_enabled(False)`` sets this thread's mode, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        self._prev = state.grad_enabled
        state.grad_enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __call__(self, fn):
        raise TypeError("set_grad_enabled is a context manager, not a decorator")


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread."""
    return state.grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Within this context (in this thread), the first op whose forward or backward makes a
    NaN or inf raises a RuntimeError that names the op (slower: every result is checked)."""
    prev = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = prev
