"""Matrix products: matmul (1-D, 2-D, batched, broadcasting) and the fused affine map."""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor, _apply
from ._util import Op, cast, const, torch_name, unbroadcast


def _matmul_error(a_shape, b_shape) -> ValueError:
    return ValueError(
        f"matmul: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be multiplied "
        f"(the last dimension of the first, {a_shape[-1] if a_shape else None}, must equal "
        f"the {'only' if len(b_shape) == 1 else 'second-to-last'} dimension of the second, "
        f"{(b_shape[0] if len(b_shape) == 1 else b_shape[-2]) if b_shape else None})"
    )


class MatMul(Op):
    name = "matmul"

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
        try:
            return (np.matmul if type(a) is np.ndarray else get_array_module(a).matmul)(a, b)
        except ValueError:
            raise _matmul_error(a.shape, b.shape) from None

    @staticmethod
    def backward(out, g):
        a, b = out._parents
        ga = gb = None
        na, nb = a.array.ndim, b.array.ndim
        if na == 1 and nb == 1:  # dot product
            ga = g * b if a._rg else None
            gb = g * a if b._rg else None
        elif na == 1:  # (n,) @ (..., n, k) -> (..., k)
            if a._rg:
                ga = unbroadcast(matmul(g.unsqueeze(-2), b.mT).squeeze(-2), a.array.shape)
            if b._rg:
                gb = unbroadcast(matmul(a.unsqueeze(-1), g.unsqueeze(-2)), b.array.shape)
        elif nb == 1:  # (..., m, n) @ (n,) -> (..., m)
            if a._rg:
                ga = unbroadcast(matmul(g.unsqueeze(-1), b.unsqueeze(-2)), a.array.shape)
            if b._rg:
                gb = unbroadcast(matmul(a.mT, g.unsqueeze(-1)).squeeze(-1), b.array.shape)
        else:  # d(AB) = dA B + A dB
            if a._rg:
                ga = unbroadcast(matmul(g, b.mT), a.array.shape)
            if b._rg:
                gb = unbroadcast(matmul(a.mT, g), b.array.shape)
        return ga, gb


class Linear(Op):
    """y = x W^T + b in one op (W of shape (out, in), as torch.nn.functional.linear)."""

    name = "linear"

    @staticmethod
    def forward(ctx, x, w, b=None):
        if x.ndim == 0 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"linear: input of shape {tuple(x.shape)} has {x.shape[-1] if x.ndim else 0} features "
                f"but the weight of shape {tuple(w.shape)} expects {w.shape[1]}"
            )
        y = (np.matmul if type(x) is np.ndarray else get_array_module(x).matmul)(x, w.T)
        if b is not None:
            if b.shape[-1:] != (w.shape[0],) or b.ndim > 1:
                raise ValueError(f"linear: bias of shape {tuple(b.shape)} does not match {w.shape[0]} output features")
            if b.dtype == y.dtype:
                y += b
            else:
                y = y + b
        return y

    @staticmethod
    def backward(out, g):
        x, w = out._parents[0], out._parents[1]
        gx = matmul(g, w) if x._rg else None
        gw = gb = None
        if w._rg:
            gw = _apply(OuterGrad, None, g, x)
        if len(out._parents) == 3 and out._parents[2]._rg:
            gb = unbroadcast(g, out._parents[2].array.shape)
        return (gx, gw, gb) if len(out._parents) == 3 else (gx, gw)


class OuterGrad(Op):
    """G^T X over all leading dimensions: Linear's weight gradient, (N, o), (N, i) -> (o, i),
    in one node (no transpose node per layer and step)."""

    name = "linear_weight_grad"

    @staticmethod
    def forward(ctx, g, x):
        if g.ndim != 2:
            g = g.reshape(-1, g.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        return (np.matmul if type(g) is np.ndarray else get_array_module(g).matmul)(g.T, x)

    @staticmethod
    def backward(out, gg):
        g, x = out._parents
        # d(G^T X) = dG^T X + G^T dX  ->  dL/dG = X gg^T, dL/dX = G gg
        gg_t = gg.mT
        return (
            matmul(x, gg_t) if g._rg else None,
            matmul(g, gg) if x._rg else None,
        )


_CPP_NAMES = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are promoted, batch dimensions
    broadcast. Both must have one dtype (no promotion, as in PyTorch)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):  # an array or list: as other's dtype
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"matmul(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        input, other = ((input, cast(const(other, input), input.array.dtype)) if isinstance(input, Tensor)
                        else (cast(const(input, other), other.array.dtype), other))
    da, db = input.array.dtype, other.array.dtype
    if da != db:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP_NAMES.get(da.name, da.name)} != {_CPP_NAMES.get(db.name, db.name)}")
    return _apply(MatMul, None, input, other)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias; weight has shape (out_features, in_features). The dtypes
    must agree: a float64 input to float32 weights is an error naming both, as in PyTorch."""
    dt = weight.array.dtype
    if input.array.dtype != dt:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{torch_name(input.array.dtype)} and {torch_name(dt)}")
    if bias is None:
        return _apply(Linear, None, input, weight)
    if bias.array.dtype != dt:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{torch_name(bias.array.dtype)} and {torch_name(dt)}")
    return _apply(Linear, None, input, weight, bias)
