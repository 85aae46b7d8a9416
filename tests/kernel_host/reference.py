"""float64 NumPy references for the log-sigmoid and BCE-with-logits kernels, and ulp helpers.

The references evaluate the same closed forms as the kernels, in float64 on the (exactly
representable) float32 inputs; tests/test_kernels.py checks them against the definitions
(softplus form, mpmath at 50 digits) so they are not just the kernel re-typed.
"""

from __future__ import annotations

import numpy as np


def _f64(a: np.ndarray | None, like: np.ndarray, fill: float) -> np.ndarray:
    return np.full(like.shape, fill) if a is None else np.asarray(a, dtype=np.float64)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) = min(x, 0) - log1p(exp(-|x|))."""
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid_grad(x: np.ndarray, grad: np.ndarray | None = None) -> np.ndarray:
    """g σ(-x)."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, e / (1 + e), 1 / (1 + e))
    return _f64(grad, x, 1.0) * s


def bce_with_logits(x, y, weight=None, pos_weight=None) -> np.ndarray:
    """w ((x >= 0 ? x (1 - y) : -x p y) + c log1p(exp(-|x|))), c = (1 - y) + p y."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    p = _f64(pos_weight, x, 1.0)
    c = (1 - y) + p * y
    with np.errstate(invalid="ignore"):  # inf * 0 is replaced by 0 below
        linear = np.where(x >= 0, x * (1 - y), -x * p * y)
    linear = np.where(np.where(x >= 0, 1 - y, p * y) == 0, 0.0, linear)
    return _f64(weight, x, 1.0) * (linear + c * np.log1p(np.exp(-np.abs(x))))


def bce_with_logits_grad(x, y, weight=None, pos_weight=None, grad=None, scale=1.0):
    """scale g w (x >= 0 ? (1 - y) - c s : c s - p y), s = e / (1 + e), e = exp(-|x|)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    p = _f64(pos_weight, x, 1.0)
    c = (1 - y) + p * y
    e = np.exp(-np.abs(x))
    s = e / (1 + e)
    d = np.where(x >= 0, (1 - y) - c * s, c * s - p * y)
    return float(scale) * _f64(grad, x, 1.0) * _f64(weight, x, 1.0) * d


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x), stable in float64."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def ulp(v: np.ndarray, dtype: type) -> np.ndarray:
    """The spacing of ``dtype`` floats in the binade of each |v| (v exact, in float64), with
    the subnormal spacing below the normal range."""
    info = np.finfo(dtype)
    v = np.abs(np.asarray(v, dtype=np.float64))
    _, exponent = np.frexp(v)  # v = m 2**exponent, m in [0.5, 1)
    spacing = np.ldexp(1.0, exponent - info.nmant - 1)
    return np.maximum(spacing, float(info.smallest_subnormal))


def is_normal(v: np.ndarray, dtype: type) -> np.ndarray:
    """Whether each float64 value lies in ``dtype``'s normal range (finite, nonzero)."""
    info = np.finfo(dtype)
    a = np.abs(np.asarray(v, dtype=np.float64))
    return (a >= float(info.smallest_normal)) & (a <= float(info.max))
