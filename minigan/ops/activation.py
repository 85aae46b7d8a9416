"""Activations. Each stable form is written once on arrays and serves NumPy and CuPy;
log_sigmoid dispatches to the fused CUDA kernel for CuPy arrays."""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _apply
from ._util import Op
from .arith import where


def sigmoid_array(x):
    """1 / (1 + e^-x) without overflow and without np.where (slow on mixed signs):
    a = exp(min(x, 0)), b = exp(-max(x, 0)) (one of them is 1), sigmoid = a / (a + b)."""
    xp = get_array_module(x)
    if x.ndim == 0:  # ufuncs give scalars for 0-d input, which out= cannot take
        return sigmoid_array(x.reshape(1)).reshape(())
    a = xp.minimum(x, 0)
    xp.exp(a, out=a)
    b = xp.maximum(x, 0)
    xp.negative(b, out=b)
    xp.exp(b, out=b)
    b += a
    return xp.divide(a, b, out=a)


def sigmoid_grad_array(x):
    """sigmoid'(x) = sigmoid(x) sigmoid(-x) = e / (1 + e)^2, e = exp(-|x|): exact in both tails."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    d = 1.0 + e
    return (e / (d * d)).astype(x.dtype, copy=False)


def log_sigmoid_array(x):
    """log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): finite for finite x, exact at +-inf."""
    xp = get_array_module(x)
    if xp is not np:
        from ..backend import kernels

        return kernels.log_sigmoid_forward(x)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def sigmoid_neg_array(x):
    """sigmoid(-x), the derivative of log sigmoid(x), without cancellation."""
    xp = get_array_module(x)
    if xp is not np:
        from ..backend import kernels

        return kernels.log_sigmoid_backward(x)
    e = np.exp(-np.abs(x))
    # numerator exp(-max(x, 0)): e for x >= 0, 1 otherwise (as sigmoid_array, no where())
    return (np.exp(-np.maximum(x, 0)) / (1.0 + e)).astype(x.dtype, copy=False)


class Relu(Op):
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).maximum(a, 0)

    @staticmethod
    def backward(out, g):
        return _apply(PiecewiseLinearGrad, 0.0, g, out._parents[0])


class LeakyRelu(Op):
    name = "leaky_relu"

    @staticmethod
    def forward(slope, a):
        xp = get_array_module(a)
        # for 0 <= slope <= 1, max(a, slope a) is the same function in two passes instead of three
        # (slope 0 excluded: inf * 0 would turn +inf into NaN)
        if 0.0 < slope <= 1.0:
            out = xp.multiply(a, slope, out=xp.empty_like(a))  # out=: an array also for 0-d input
            return xp.maximum(a, out, out=out)  # one new array, no temporary
        return xp.where(a > 0, a, a * slope)

    @staticmethod
    def backward(out, g):
        return _apply(PiecewiseLinearGrad, out._ctx, g, out._parents[0])


class PiecewiseLinearGrad(Op):
    """g * [a > 0 ? 1 : slope]: the backward of relu (slope 0) and leaky_relu, in one array.
    Its own derivative in g is itself, and in a zero (the function is piecewise linear)."""

    name = "leaky_relu_grad"

    @staticmethod
    def forward(slope, g, a):
        xp = get_array_module(g)
        if 0.0 <= slope <= 1.0:
            # max([a > 0], slope) then times g, in place: one new array; where() is ~10x slower.
            # relu passes g at NaN (PyTorch masks where x <= 0), leaky_relu gives it the slope
            d = xp.asarray(a > 0 if slope else ~(a <= 0)).astype(g.dtype)  # asarray: 0-d gives a scalar
            xp.maximum(d, slope, out=d)
            return xp.multiply(g, d, out=d) if d.shape == g.shape else g * d
        return g * xp.where(a > 0, xp.asarray(1, dtype=g.dtype), xp.asarray(slope, dtype=g.dtype))

    @staticmethod
    def backward(out, gg):
        return _apply(PiecewiseLinearGrad, out._ctx, gg, out._parents[1]), None


class Sigmoid(Op):
    name = "sigmoid"

    @staticmethod
    def forward(ctx, a):
        return sigmoid_array(a)

    @staticmethod
    def backward(out, g):
        return g * _apply(SigmoidGrad, None, out._parents[0])


class SigmoidGrad(Op):
    """sigmoid'(x) as its own op, so that its tails stay exact and it can be differentiated."""

    name = "sigmoid_grad"

    @staticmethod
    def forward(ctx, a):
        return sigmoid_grad_array(a)

    @staticmethod
    def backward(out, g):
        # sigmoid''(x) = sigmoid'(x) (1 - 2 sigmoid(x)) = -sigmoid'(x) tanh(x/2)
        a = out._parents[0]
        return -(g * out * tanh(a * 0.5))


class Tanh(Op):
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        return get_array_module(a).tanh(a)

    @staticmethod
    def backward(out, g):
        return _apply(TanhGrad, None, g, out)


class TanhGrad(Op):
    """g (1 - t^2) with t = tanh(x), in one new array."""

    name = "tanh_grad"

    @staticmethod
    def forward(ctx, g, t):
        xp = get_array_module(g)
        d = xp.multiply(t, t, out=xp.empty_like(t))  # out=: stays an array for 0-d input
        xp.subtract(1, d, out=d)
        return xp.multiply(g, d, out=d) if d.shape == g.shape else g * d

    @staticmethod
    def backward(out, gg):
        g, t = out._parents
        # d/dg = 1 - t^2 ; d/dt = -2 g t
        return (
            _apply(TanhGrad, None, gg, t) if g._rg else None,
            gg * g * t * -2.0 if t._rg else None,
        )


class Softplus(Op):
    name = "softplus"

    @staticmethod
    def forward(ctx, a):
        beta, threshold = ctx
        xp = get_array_module(a)
        z = a * beta if beta != 1 else a
        # log(1 + e^z) = max(z, 0) + log1p(exp(-|z|))
        out = xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        out = out / beta if beta != 1 else out
        # PyTorch reverts to the identity where beta x > threshold
        return xp.where(z > threshold, a, out) if threshold is not None else out

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        beta, threshold = out._ctx
        d = g * sigmoid(a * beta if beta != 1 else a)
        if threshold is None:
            return d
        return where((a.array * beta) > threshold, g, d)


class LogSigmoid(Op):
    name = "log_sigmoid"

    @staticmethod
    def forward(ctx, a):
        return log_sigmoid_array(a)

    @staticmethod
    def backward(out, g):
        return g * _apply(SigmoidNeg, None, out._parents[0])


class SigmoidNeg(Op):
    """sigmoid(-x): the derivative of log_sigmoid, kept exact for large |x|."""

    name = "sigmoid_neg"

    @staticmethod
    def forward(ctx, a):
        return sigmoid_neg_array(a)

    @staticmethod
    def backward(out, g):
        # d sigmoid(-x)/dx = -sigmoid'(x)
        return -(g * _apply(SigmoidGrad, None, out._parents[0]))


class Elu(Op):
    name = "elu"

    @staticmethod
    def forward(alpha, a):
        xp = get_array_module(a)
        # alpha (e^x - 1) on the negative side; expm1 of min(x, 0) never overflows
        return xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, 0)))

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        alpha = out._ctx
        # d elu/dx = 1 for x > 0 (and at NaN, as PyTorch), alpha e^x otherwise: exp(min(x, 0))
        # itself, not out + alpha, which cancels to 0 for x < -17 in float32
        # (at x = 0 exactly: alpha, with second derivative 0, as PyTorch)
        neg = a.array <= 0
        return where(neg, g * (where(a.array < 0, a, 0.0).exp() * alpha), g)


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return _apply(Relu, None, x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _apply(LeakyRelu, float(negative_slope), x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), stable for any x."""
    return _apply(Sigmoid, None, x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _apply(Tanh, None, x)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, computed without overflow; x itself where beta x >
    threshold, as torch.nn.functional.softplus (threshold=None: never)."""
    return _apply(Softplus, (float(beta), None if threshold is None else float(threshold)), input)


def log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for finite x and exact at +-inf."""
    return _apply(LogSigmoid, None, x)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    return _apply(Elu, float(alpha), x)
