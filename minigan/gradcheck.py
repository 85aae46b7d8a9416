"""gradcheck / gradgradcheck: analytic gradients against float64 central differences.

As torch.autograd.gradcheck: every input that requires grad is perturbed element by
element, (f(x + eps) - f(x - eps)) / (2 eps) is compared with the vector-Jacobian
products from backward, and a failure names the input, the output, the worst element,
and both values.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import autograd
from .backend.device import on_device_of, to_device
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic and a numeric gradient disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _outputs(fn, inputs):
    out = _as_tuple(fn(*inputs))
    return [o for o in out if isinstance(o, Tensor)]


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check the first derivatives of ``fn`` at ``inputs`` (a Tensor or a tuple of them).

    Each output is projected on random directions u: the analytic d<u, f>/dx from
    ``grad()`` is compared with central differences. Use float64 inputs; float32 ones
    are checked but warned about, as their differences are too coarse.
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 inputs, "
                "finite differences in lower precision are unreliable",
                stacklevel=2,
            )
    outs = _outputs(fn, inputs)
    rng = np.random.default_rng(0)
    for k, out in enumerate(outs):
        if not out.requires_grad:
            # output does not depend on any input: numeric gradient must be zero
            analytic = {i: np.zeros(inputs[i].shape) for i in diff}
            u = np.ones(out.shape)
        else:
            u = rng.standard_normal(out.shape)
            with on_device_of(out.array):
                u_out = Tensor._wrap(out._xp().asarray(u, dtype=out.dtype))
            grads = autograd.grad(out, [inputs[i] for i in diff], grad_outputs=u_out,
                                  allow_unused=True, retain_graph=True)
            analytic = {
                i: (np.zeros(inputs[i].shape) if g is None else _host(g.array).astype(np.float64))
                for i, g in zip(diff, grads)
            }
        for i in diff:
            numeric = _numeric(fn, inputs, i, k, u, eps)
            a = analytic[i]
            err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
            if err.size and err.max() > 0:
                j = np.unravel_index(int(np.argmax(err)), err.shape)
                msg = (
                    f"gradcheck: gradient of output {k} with respect to input {i} (shape "
                    f"{tuple(inputs[i].shape)}) differs at index {tuple(int(v) for v in j)}: "
                    f"analytic {a[j]!r}, numeric {numeric[j]!r} (atol={atol}, rtol={rtol})"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()


def _numeric(fn, inputs, i, k, u, eps):
    x = inputs[i]
    if not x.array.flags.c_contiguous:  # reshape(-1) must be a view, on NumPy and CuPy alike
        with on_device_of(x.array):
            x.array = x._xp().ascontiguousarray(x.array)
    flat = x.array.reshape(-1)  # a view: perturb in place, restore after
    num = np.zeros(x.array.size)
    # grad mode stays on: fn may itself call grad() (as gradgradcheck's does)
    for j in range(flat.size):
        orig = flat[j].item()
        flat[j] = orig + eps
        fp = _host(_outputs(fn, inputs)[k].array).astype(np.float64)
        flat[j] = orig - eps
        fm = _host(_outputs(fn, inputs)[k].array).astype(np.float64)
        flat[j] = orig
        num[j] = np.sum(u * (fp - fm)) / (2 * eps)
    return num.reshape(x.shape)


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> <v, d fn / d inputs>, built with
    ``grad(..., create_graph=True)``; the random output directions v are checked too."""
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outs = _outputs(fn, inputs)
    rng = np.random.default_rng(1)
    if grad_outputs is None:
        grad_outputs = tuple(
            Tensor._wrap(to_device(rng.standard_normal(out.shape).astype(out.dtype), out.device)).requires_grad_(True)
            for out in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_grads(*args):
        xs, vs = args[:n], args[n:]
        os = _outputs(fn, xs)
        live = [(o, v) for o, v in zip(os, vs) if o.requires_grad]
        if not live:
            return tuple()
        gs = autograd.grad([o for o, _ in live], [xs[i] for i in diff], grad_outputs=[v for _, v in live],
                           create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
