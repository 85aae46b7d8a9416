"""The table of ops under test, shared by the gradient checks (test_ops_gradcheck.py) and the
PyTorch comparison (test_against_torch.py): each ``Case`` draws its inputs (op_draws.py) and
applies the op through a small namespace, ``MG`` or PyTorch's ``torch_ns()``, so that one
lambda serves both libraries. The unary rows of minigan's elementwise table
(minigan/ops/elementwise.py) are cases without a line here: their domain and kinks come
from the row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
from op_draws import (
    MAX_SIDE,
    away_from,
    basic_index,
    distinct,
    draw_axis,
    draw_broadcast_shapes,
    draw_rng,
    draw_shape,
    nonzero,
    reduced_count,
    uniform,
    untied_pair,
)

import minigan as mg
from minigan import functional as MF


# ---- the two namespaces -----------------------------------------------------------------
def _mg_index(x, idx):
    return x[idx]


_TABLE = (*mg.ops.elementwise.UNARY, *mg.ops.elementwise.BINARY)  # the same names in torch

MG = SimpleNamespace(
    **{name: getattr(mg, name) for name in _TABLE},
    name="minigan",
    pow=mg.pow, clip=mg.clip, matmul=mg.matmul, cat=mg.cat, stack=mg.stack,
    sigmoid=mg.sigmoid, tanh=mg.tanh, F=MF,
    where=lambda cond, a, b: mg.where(cond, a, b),
    amax=lambda x, dim, keepdim: mg.amax(x, dim=() if dim is None else dim, keepdim=keepdim),
    amin=lambda x, dim, keepdim: mg.amin(x, dim=() if dim is None else dim, keepdim=keepdim),
    const=lambda arr, like: mg.tensor(arr, dtype=like.dtype),
    index=_mg_index, rsub=mg.rsub,
)


def _flip_negative_steps(torch, x, idx):
    """PyTorch has no negative slice steps: flip those dimensions and slice forwards."""
    items = list(idx) if isinstance(idx, tuple) else [idx]
    if not any(isinstance(i, slice) and (i.step or 1) < 0 for i in items):
        return x, idx
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    dim = 0
    for k, i in enumerate(items):
        if i is Ellipsis:
            dim += x.ndim - consuming
        elif i is None:
            continue
        else:
            if isinstance(i, slice) and (i.step or 1) < 0:
                n = x.shape[dim]
                r = range(n)[i]
                x = torch.flip(x, (dim,))
                items[k] = slice(0, 0) if not r else slice(n - 1 - r[0], n - r[-1], -i.step)
            dim += 1
    return x, tuple(items)


def _torch_namespace():
    import torch
    import torch.nn.functional as TF

    def dims(x, dim):
        return tuple(range(x.ndim)) if dim is None else dim

    def index(x, idx):
        x, idx = _flip_negative_steps(torch, x, idx)

        def conv(i):
            return torch.from_numpy(i) if isinstance(i, np.ndarray) else i
        return x[tuple(conv(i) for i in idx) if isinstance(idx, tuple) else conv(idx)]

    return SimpleNamespace(
        **{name: getattr(torch, name) for name in _TABLE},
        name="torch",
        pow=torch.pow, clip=torch.clip,
        matmul=torch.matmul, cat=torch.cat, stack=torch.stack, sigmoid=torch.sigmoid,
        tanh=torch.tanh, F=TF,
        where=lambda cond, a, b: torch.where(torch.from_numpy(np.asarray(cond)), a, b),
        amax=lambda x, dim, keepdim: torch.amax(x, dim=dims(x, dim), keepdim=keepdim),
        amin=lambda x, dim, keepdim: torch.amin(x, dim=dims(x, dim), keepdim=keepdim),
        const=lambda arr, like: torch.tensor(arr, dtype=like.dtype),
        index=index, rsub=torch.rsub,
    )


_TORCH = []


def torch_ns():
    if not _TORCH:
        _TORCH.append(_torch_namespace())
    return _TORCH[0]


# ---- the table of ops --------------------------------------------------------------------
@dataclass
class Case:
    """An op under test: ``draw(data) -> (arrays, kwargs)``; ``fn(L, *tensors, **kwargs)``
    applies it through namespace L. Every array becomes a float64 input that requires grad;
    in the PyTorch comparison, those at ``torch_const_args`` do not (PyTorch cannot
    differentiate them)."""

    name: str
    fn: Callable
    draw: Callable
    torch_const_args: tuple = field(default=())
    torch_second_order_rtol: float = 1e-10


CASES: list[Case] = []


def case(name, draw, torch_const_args=(), torch_second_order_rtol=1e-10):
    def register(fn):
        CASES.append(Case(name, fn, draw, torch_const_args, torch_second_order_rtol))
        return fn

    return register


def _unary(lo=-2.0, hi=2.0, kinks=(), min_dims=0):
    def draw(data):
        rng = draw_rng(data)
        x = uniform(rng, draw_shape(data, min_dims=min_dims), lo, hi)
        return [away_from(x, kinks)], {}

    return draw


def _binary(make=None, min_dims=0):
    def draw(data):
        rng = draw_rng(data)
        sa, sb = draw_broadcast_shapes(data, 2, min_dims=min_dims)
        if make is None:
            return [uniform(rng, sa), uniform(rng, sb)], {}
        return list(make(rng, sa, sb)), {}

    return draw


# elementwise binary, broadcasting
case("add", _binary())(lambda L, a, b: L.add(a, b))
case("sub", _binary())(lambda L, a, b: L.sub(a, b))
case("mul", _binary())(lambda L, a, b: L.mul(a, b))
case("div", _binary(lambda rng, sa, sb: (uniform(rng, sa), nonzero(rng, sb, 0.5, 2.0))))(
    lambda L, a, b: L.div(a, b))
case("operators_radd_rsub_rmul_rdiv", _unary(0.5, 2.0))(
    lambda L, a: (2.0 + a) * (1.5 - a) + 3.0 / a - a / 4.0 + 0.5 * a)
case("pow_tensor_exponent",
     _binary(lambda rng, sa, sb: (uniform(rng, sa, 0.5, 2.0), uniform(rng, sb, -2.0, 2.0))))(
    lambda L, a, b: L.pow(a, b))
for _p in (2, 3, 0.5, -1.5, 1, 0):
    case(f"pow_scalar_exponent_{_p}", _unary(0.5, 2.0))(lambda L, a, p=_p: a ** p)
case("rpow_scalar_base", _unary())(lambda L, a: 2.5 ** a)
case("maximum", _binary(untied_pair))(lambda L, a, b: L.maximum(a, b))
case("minimum", _binary(untied_pair))(lambda L, a, b: L.minimum(a, b))


def _draw_where(data):
    rng = draw_rng(data)
    sc, sa, sb = draw_broadcast_shapes(data, 3)
    return [uniform(rng, sa), uniform(rng, sb)], {"cond": rng.random(sc) < 0.5}


case("where", _draw_where)(lambda L, a, b, cond: L.where(cond, a, b))
for _name, _rule in mg.ops.elementwise.UNARY.items():
    case(_name, _unary(*_rule.domain, kinks=_rule.kinks))(lambda L, a, n=_name: getattr(L, n)(a))
case("clip_both_bounds", _unary(kinks=(-0.5, 0.7)))(lambda L, a: L.clip(a, -0.5, 0.7))
case("clip_min_only", _unary(kinks=(0.3,)))(lambda L, a: L.clip(a, 0.3, None))
case("clip_max_only", _unary(kinks=(0.3,)))(lambda L, a: L.clip(a, None, 0.3))


def _draw_clip_tensor(data):
    rng = draw_rng(data)
    sx, slo = draw_broadcast_shapes(data, 2)
    lo = uniform(rng, slo, -1.0, 0.0)
    x = uniform(rng, sx)
    x = away_from(x, np.unique(lo), 0.1) if lo.size <= 16 else x
    return [x, lo], {}


case("clip_tensor_bound", _draw_clip_tensor)(lambda L, a, lo: L.clip(a, lo, None))


def _draw_clamp_two_bounds(data):
    rng = draw_rng(data)
    sx, slo, shi = draw_broadcast_shapes(data, 3)
    lo, hi = uniform(rng, slo, -1.0, -0.3), uniform(rng, shi, 0.3, 1.0)
    # x of the broadcast shape: PyTorch's clamp backward fails to reduce x's gradient otherwise
    x = uniform(rng, np.broadcast_shapes(sx, slo, shi))
    if lo.size + hi.size <= 16:
        x = away_from(x, np.concatenate([np.unique(lo), np.unique(hi)]), 0.1)
    return [x, lo, hi], {}


case("clamp_tensor_both_bounds", _draw_clamp_two_bounds)(lambda L, a, lo, hi: a.clamp(lo, hi))
case("add_alpha", _binary())(lambda L, a, b: a.add(b, alpha=-1.5))
case("sub_alpha", _binary())(lambda L, a, b: a.sub(b, alpha=2))
case("rsub", _binary())(lambda L, a, b: L.rsub(a, b, alpha=0.5))


def _draw_rounded(data):
    """a = b (k + u) with u in [0.1, 0.9]: a / b is never near an integer (the jumps)."""
    rng = draw_rng(data)
    shape = draw_shape(data)
    b = nonzero(rng, shape, 0.5, 2.0)
    return [b * (rng.integers(-2, 3, size=shape) + rng.uniform(0.1, 0.9, size=shape)), b], {}


case("remainder", _draw_rounded)(lambda L, a, b: a.remainder(b))
case("operator_mod", _draw_rounded)(lambda L, a, b: a % b + (b * b + 10.0) % 3.0)
case("div_rounding_modes", _draw_rounded)(
    lambda L, a, b: a.div(b, rounding_mode="floor") * a + a.div(b, rounding_mode="trunc") * b)


# matmul: every rank combination, batch dims broadcasting
def _draw_matmul(data):
    rng = draw_rng(data)
    kind = data.draw(st.sampled_from(["1x1", "2x2", "batched", "1xN", "Nx1", "2x1", "1x2"]),
                     label="kind")
    n, m, k = (data.draw(st.integers(1, MAX_SIDE), label=s) for s in "nmk")
    ba, bb = draw_broadcast_shapes(data, 2, min_dims=0, max_dims=2)
    shapes = {
        "1x1": ((m,), (m,)),
        "2x2": ((n, m), (m, k)),
        "batched": (ba + (n, m), bb + (m, k)),
        "1xN": ((m,), bb + (m, k)),
        "Nx1": (ba + (n, m), (m,)),
        "2x1": ((n, m), (m,)),
        "1x2": ((m,), (m, k)),
    }[kind]
    return [uniform(rng, s) for s in shapes], {}


case("matmul", _draw_matmul)(lambda L, a, b: L.matmul(a, b))
case("matmul_operator_and_rmatmul", _draw_matmul)(lambda L, a, b: a @ b)


# reductions
def _draw_reduce(values=uniform, min_count=1):
    def draw(data):
        rng = draw_rng(data)
        shape = draw_shape(data, 0, 3)
        axis = draw_axis(data, len(shape))
        if isinstance(axis, tuple) and not axis:
            axis = None
        keep = data.draw(st.booleans(), label="keepdim")
        if reduced_count(shape, axis) < min_count:
            axis = None
            if reduced_count(shape, None) < min_count:
                shape = shape + (2,) if len(shape) < 3 else (2,)
        return [values(rng, shape)], {"axis": axis, "keep": keep}

    return draw


case("sum", _draw_reduce())(lambda L, a, axis, keep: a.sum(dim=axis, keepdim=keep))
case("mean", _draw_reduce())(lambda L, a, axis, keep: a.mean(dim=axis, keepdim=keep))
case("sum_numpy_spelling", _draw_reduce())(
    lambda L, a, axis, keep: mg.sum(a, axis=axis, keepdims=keep) if L is MG
    else a.sum(dim=axis, keepdim=keep))
case("max", _draw_reduce(distinct))(lambda L, a, axis, keep: L.amax(a, axis, keep))
case("min", _draw_reduce(distinct))(lambda L, a, axis, keep: L.amin(a, axis, keep))
case("var", _draw_reduce(min_count=2))(lambda L, a, axis, keep: a.var(dim=axis, keepdim=keep))
case("std", _draw_reduce(min_count=2))(lambda L, a, axis, keep: a.std(dim=axis, keepdim=keep))
case("std_unbiased_false", _draw_reduce(min_count=1))(
    lambda L, a, axis, keep: a.std(axis, False, keep) if axis is not None else a.std(False))


def _draw_max_dim(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1), label="dim")
    return [distinct(rng, shape)], {"dim": dim, "keep": data.draw(st.booleans(), label="keepdim")}


case("max_dim_values", _draw_max_dim)(lambda L, a, dim, keep: a.max(dim, keep)[0])
case("min_dim_values", _draw_max_dim)(lambda L, a, dim, keep: a.min(dim=dim, keepdim=keep).values)


def _draw_norm(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    p = data.draw(st.sampled_from([1, 2, 3, 1.5, float("inf"), "fro"]), label="p")
    dim = draw_axis(data, len(shape))
    if p != "fro" and isinstance(dim, tuple) and len(dim) > 1 and len(shape) > 2:
        dim = dim[:1]
    x = distinct(rng, shape) if p == float("inf") else nonzero(rng, shape)
    return [x], {"p": p, "dim": dim, "keep": data.draw(st.booleans(), label="keepdim")}


case("norm", _draw_norm)(lambda L, a, p, dim, keep: a.norm(p, dim, keep))
case(".t()", _unary(min_dims=1))(lambda L, a: a.t() if a.ndim <= 2 else a)
case("var_biased", _draw_reduce(min_count=1))(
    lambda L, a, axis, keep: a.var(dim=axis, keepdim=keep, correction=0))


# shape ops
def _draw_reshape(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    n = int(np.prod(shape))
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    d = data.draw(st.sampled_from(divisors), label="d")
    target = data.draw(st.sampled_from([(d, n // d), (n // d, -1), (-1,), (1, n, 1), (d, 1, n // d)]),
                       label="target")
    return [uniform(rng, shape)], {"target": target}


case("reshape", _draw_reshape)(lambda L, a, target: a.reshape(target))


def _draw_permute(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    perm = tuple(data.draw(st.permutations(range(len(shape))), label="perm"))
    return [uniform(rng, shape)], {"perm": perm}


case("permute", _draw_permute)(lambda L, a, perm: a.permute(*perm))


def _draw_transpose(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    d0 = data.draw(st.integers(-len(shape), len(shape) - 1), label="d0")
    d1 = data.draw(st.integers(-len(shape), len(shape) - 1), label="d1")
    return [uniform(rng, shape)], {"d0": d0, "d1": d1}


case("transpose", _draw_transpose)(lambda L, a, d0, d1: a.transpose(d0, d1))
case(".T_of_matrix", _unary(min_dims=2))(lambda L, a: a.T if a.ndim == 2 else a.mT)
case(".mT", _unary(min_dims=2))(lambda L, a: a.mT)


def _draw_expand(data):
    rng = draw_rng(data)
    small, big = draw_broadcast_shapes(data, 2)
    target = np.broadcast_shapes(small, big)
    use_minus_one = data.draw(st.booleans(), label="minus_one")
    lead = len(target) - len(small)
    sizes = tuple(-1 if use_minus_one and i >= lead and s == small[i - lead] else s
                  for i, s in enumerate(target))
    return [uniform(rng, small)], {"sizes": sizes, "target": target}


case("expand", _draw_expand)(
    lambda L, a, sizes, target: a.expand(*sizes) if sizes else a.expand(sizes))
case("broadcast_to", _draw_expand)(
    lambda L, a, sizes, target: mg.broadcast_to(a, target) if L is MG else a.broadcast_to(target))


def _draw_squeeze(data):
    rng = draw_rng(data)
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2), label="shape")
    dim = data.draw(st.none() | st.integers(-max(len(shape), 1), max(len(shape), 1) - 1), label="dim")
    return [uniform(rng, shape)], {"dim": dim}


case("squeeze", _draw_squeeze)(lambda L, a, dim: a.squeeze() if dim is None else a.squeeze(dim))


def _draw_unsqueeze(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)), label="dim")
    return [uniform(rng, shape)], {"dim": dim}


case("unsqueeze", _draw_unsqueeze)(lambda L, a, dim: a.unsqueeze(dim))


def _draw_flatten(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    nd = len(shape)
    s = data.draw(st.integers(-nd, nd - 1), label="start")
    e = data.draw(st.integers(s % nd, nd - 1), label="end")
    return [uniform(rng, shape)], {"s": s, "e": e}


case("flatten", _draw_flatten)(lambda L, a, s, e: a.flatten(s, e))


def _draw_cat(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sizes")
    arrays = []
    for s in sizes:
        sh = list(shape)
        sh[dim] = s
        arrays.append(uniform(rng, tuple(sh)))
    return arrays, {"dim": dim}


case("cat", _draw_cat)(lambda L, *xs, dim: L.cat(list(xs), dim))


def _draw_stack(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)), label="dim")
    k = data.draw(st.integers(1, 3), label="k")
    return [uniform(rng, shape) for _ in range(k)], {"dim": dim}


case("stack", _draw_stack)(lambda L, *xs, dim: L.stack(list(xs), dim))


def _draw_basic_index(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    return [uniform(rng, shape)], {"idx": data.draw(basic_index(shape), label="idx")}


def _draw_array_index(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    n = data.draw(st.integers(1, 6), label="length")

    def ints(size, dim):  # negative indices too; repeats are likely and must accumulate
        return rng.integers(-shape[dim], shape[dim], size=size)

    kinds = ["first", "last_after_ellipsis", "matrix_of_indices"]
    kinds += ["two_adjacent"] if len(shape) >= 2 else []
    kinds += ["two_separated_by_slice"] if len(shape) == 3 else []
    kind = data.draw(st.sampled_from(kinds), label="kind")
    idx = {
        "first": lambda: (ints(n, 0),),
        "last_after_ellipsis": lambda: (Ellipsis, ints(n, -1)),
        "matrix_of_indices": lambda: (ints((2, n), 0),),
        "two_adjacent": lambda: (ints(n, 0), ints(n, 1)),
        "two_separated_by_slice": lambda: (ints(n, 0), slice(None), ints(n, 2)),
    }[kind]()
    return [uniform(rng, shape)], {"idx": idx}


def _draw_mask_index(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 1, 3)
    lead = data.draw(st.integers(1, len(shape)), label="lead")
    mask = rng.random(shape[:lead]) < 0.5
    return [uniform(rng, shape)], {"idx": mask}


case("index_basic", _draw_basic_index)(lambda L, a, idx: L.index(a, idx))
case("index_integer_arrays_with_repeats", _draw_array_index)(lambda L, a, idx: L.index(a, idx))
case("index_boolean_mask", _draw_mask_index)(lambda L, a, idx: L.index(a, idx))

# activations
case("relu", _unary(kinks=(0.0,)))(lambda L, a: L.F.relu(a))
case("leaky_relu", _unary(kinks=(0.0,)))(lambda L, a: L.F.leaky_relu(a, 0.2))
case("sigmoid", _unary(-6.0, 6.0))(lambda L, a: L.sigmoid(a))
case("tanh", _unary())(lambda L, a: L.tanh(a))
case("softplus_threshold", _unary(-4.0, 4.0, kinks=(1.5,)))(lambda L, a: L.F.softplus(a, beta=2.0, threshold=3.0))
for _beta in (1.0, 0.5, 3.0):
    case(f"softplus_beta_{_beta}", _unary(-4.0, 4.0))(lambda L, a, b=_beta: L.F.softplus(a, beta=b))
case("log_sigmoid", _unary(-8.0, 8.0))(lambda L, a: L.F.logsigmoid(a))
case("elu", _unary(kinks=(0.0,)))(lambda L, a: L.F.elu(a))
case("elu_alpha", _unary(kinks=(0.0,)))(lambda L, a: L.F.elu(a, alpha=0.7))


# linear and losses
def _draw_linear(data):
    rng = draw_rng(data)
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), label="lead")
    fin = data.draw(st.integers(1, MAX_SIDE), label="in")
    fout = data.draw(st.integers(1, MAX_SIDE), label="out")
    arrays = [uniform(rng, lead + (fin,)), uniform(rng, (fout, fin))]
    if data.draw(st.booleans(), label="bias"):
        arrays.append(uniform(rng, (fout,)))
    return arrays, {}


case("F.linear", _draw_linear)(lambda L, x, w, *b: L.F.linear(x, w, *b))

_REDUCTION = st.sampled_from(["mean", "sum", "none"])


def _draw_bce_logits(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    x = uniform(rng, shape, -4.0, 4.0)
    y = rng.uniform(0.0, 1.0, size=shape)
    kw = {"reduction": data.draw(_REDUCTION, label="reduction")}
    arrays = [x, y]
    if data.draw(st.booleans(), label="weight"):
        keep = len(shape) - data.draw(st.integers(0, len(shape)), label="weight_dims")
        ones = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
        ws = tuple(1 if one else s for s, one in zip(shape, ones))[len(shape) - keep:]
        kw["weight"] = rng.uniform(0.2, 2.0, size=ws)
    if data.draw(st.booleans(), label="pos_weight"):
        ps = shape[-1:] if shape and data.draw(st.booleans(), label="per_class") else ()
        arrays.append(rng.uniform(0.2, 3.0, size=ps))
    return arrays, kw


def _bce_logits(L, x, y, *p, reduction, weight=None):
    w = None if weight is None else L.const(weight, x)
    return L.F.binary_cross_entropy_with_logits(x, y, weight=w, reduction=reduction,
                                                pos_weight=p[0] if p else None)


case("F.binary_cross_entropy_with_logits", _draw_bce_logits, torch_const_args=(2,))(_bce_logits)


def _draw_bce(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    kw = {"reduction": data.draw(_REDUCTION, label="reduction")}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = rng.uniform(0.2, 2.0, size=shape)
    return [rng.uniform(0.05, 0.95, size=shape), rng.uniform(0.0, 1.0, size=shape)], kw


def _bce(L, p, y, reduction, weight=None):
    w = None if weight is None else L.const(weight, p)
    return L.F.binary_cross_entropy(p, y, weight=w, reduction=reduction)


# PyTorch's double backward of binary_cross_entropy is off by ~2e-10 relative (minigan's is
# within 1e-15 of an mpmath reference: test_bce_second_derivative_matches_exact_formula)
case("F.binary_cross_entropy", _draw_bce, torch_second_order_rtol=1e-8)(_bce)


def _draw_mse(data):
    rng = draw_rng(data)
    shape = draw_shape(data, 0, 3)
    return [uniform(rng, shape), uniform(rng, shape)], {"reduction": data.draw(_REDUCTION)}


case("F.mse_loss", _draw_mse)(lambda L, a, b, reduction: L.F.mse_loss(a, b, reduction=reduction))

CASE_IDS = [c.name for c in CASES]
