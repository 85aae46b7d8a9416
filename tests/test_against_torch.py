"""minigan against PyTorch in float64: values, gradients and second-order gradients agree
within relative 1e-10, for every op of the table (tests/op_table.py) and for random
composite expressions drawn by hypothesis."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_draws import draw_broadcast_shapes, draw_rng
from op_table import CASE_IDS, CASES, MG, torch_ns

import minigan as mg

torch = pytest.importorskip("torch")

RTOL = 1e-10


def assert_close(got, want, what: str, rtol: float = RTOL) -> None:
    """|got - want| <= 1e-10 (|want| + 1e-3 max(1, max|want|)): relative, with a floor so
    that values that cancel to ~0 (1e-16 vs 0) are judged fairly."""
    got = np.zeros_like(want) if got is None else np.asarray(got, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, PyTorch gives {want.shape}"
    scale = float(np.max(np.abs(want), initial=0.0))
    tol = rtol * (np.abs(want) + 1e-3 * max(scale, 1.0))
    err = np.abs(got - want)
    if not np.all(err <= tol):
        j = np.unravel_index(int(np.argmax(err - tol)), err.shape) if err.ndim else ()
        raise AssertionError(
            f"{what}: minigan {got[j]!r} vs PyTorch {want[j]!r} at index {j} "
            f"(relative error {err[j] / max(abs(want[j]), 1e-300):.3g}, allowed {rtol:g})"
        )


def _first_and_second(lib, out, inputs, weight, make_const):
    """(value, d<w, out>/dx for x in inputs, d(sum of those gradients)/dx)."""
    loss = (out * make_const(weight)).sum()
    if lib == "torch":
        g1 = torch.autograd.grad(loss, inputs, create_graph=True, allow_unused=True)
    else:
        g1 = mg.grad(loss, inputs, create_graph=True, allow_unused=True)
    live = [g.sum() for g in g1 if g is not None and g.requires_grad]
    if live:
        s = live[0]
        for t in live[1:]:
            s = s + t
        if lib == "torch":
            g2 = torch.autograd.grad(s, inputs, allow_unused=True)
        else:
            g2 = mg.grad(s, inputs, allow_unused=True)
    else:
        g2 = [None] * len(inputs)

    def host(t):
        if t is None:
            return None
        arr = t.detach().numpy(force=True) if lib == "torch" else t.numpy()
        return np.array(arr, dtype=np.float64)

    return host(out), [host(g) for g in g1], [host(g) for g in g2]


def compare_with_torch(name, mg_fn, torch_fn, arrays, rng, const_positions=(), rtol2=RTOL):
    mg_in = [mg.tensor(a, dtype=mg.float64, requires_grad=i not in const_positions)
             for i, a in enumerate(arrays)]
    th_in = [torch.tensor(a, dtype=torch.float64, requires_grad=i not in const_positions)
             for i, a in enumerate(arrays)]
    mg_out = mg_fn(*mg_in)
    th_out = torch_fn(*th_in)
    want_value = np.asarray(th_out.detach().numpy(), dtype=np.float64)
    assert_close(mg_out.numpy(), want_value, f"{name}: value")
    assert mg_out.dtype == np.float64, f"{name}: float64 inputs gave {mg_out.dtype}"
    weight = rng.standard_normal(tuple(th_out.shape))
    diff = [i for i in range(len(arrays)) if i not in const_positions]
    _, tg1, tg2 = _first_and_second("torch", th_out, [th_in[i] for i in diff], weight,
                                    lambda w: torch.tensor(w, dtype=torch.float64))
    _, mg1, mg2 = _first_and_second("minigan", mg_out, [mg_in[i] for i in diff], weight,
                                    lambda w: mg.tensor(w, dtype=mg.float64))
    for k, i in enumerate(diff):
        want1 = np.zeros(arrays[i].shape) if tg1[k] is None else tg1[k]
        want2 = np.zeros(arrays[i].shape) if tg2[k] is None else tg2[k]
        assert_close(mg1[k], want1, f"{name}: gradient w.r.t. input {i}")
        assert_close(mg2[k], want2, f"{name}: second-order gradient w.r.t. input {i}", rtol2)


# ---- every op against its PyTorch twin --------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@settings(max_examples=5)
@given(data=st.data())
def test_op_matches_torch_in_value_and_first_and_second_gradients(case, data):
    arrays, kw = case.draw(data)
    T = torch_ns()
    compare_with_torch(
        case.name,
        lambda *ts: case.fn(MG, *ts, **kw),
        lambda *ts: case.fn(T, *ts, **kw),
        arrays, draw_rng(data), case.torch_const_args, case.torch_second_order_rtol,
    )


def test_bce_with_logits_pos_weight_gradient_matches_its_formula():
    """PyTorch cannot differentiate w.r.t. pos_weight, so its gradient is checked against
    d/dp mean(l) = mean(y softplus(-x)) (computed with PyTorch)."""
    rng = np.random.default_rng(0)
    x, y, p = rng.normal(size=(3, 4)) * 3, rng.random((3, 4)), rng.uniform(0.5, 2, size=4)
    pt = mg.tensor(p, requires_grad=True)
    loss = mg.functional.binary_cross_entropy_with_logits(mg.tensor(x), mg.tensor(y), pos_weight=pt)
    (g,) = mg.grad(loss, pt)
    sp = torch.nn.functional.softplus(-torch.tensor(x)).numpy()
    want = (y * sp).sum(axis=0) / x.size
    assert_close(g.numpy(), want, "d BCE / d pos_weight")


def test_bce_second_derivative_matches_exact_formula():
    """d/dp of (dl/dp + dl/dy) for l = -(y log p + (1 - y) log(1 - p)), exactly:
    y/p^2 + (1-y)/(1-p)^2 - 1/p - 1/(1-p) (mpmath, 50 digits)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    rng = np.random.default_rng(1)
    p, y = rng.uniform(0.05, 0.95, size=6), rng.uniform(0, 1, size=6)
    pt, yt = mg.tensor(p, requires_grad=True), mg.tensor(y, requires_grad=True)
    loss = mg.functional.binary_cross_entropy(pt, yt, reduction="sum")
    gp, gy = mg.grad(loss, [pt, yt], create_graph=True)
    (got,) = mg.grad(gp.sum() + gy.sum(), [pt])
    want = np.array([
        float(Y / P**2 + (1 - Y) / (1 - P) ** 2 - 1 / P - 1 / (1 - P))
        for P, Y in ((mpmath.mpf(float(a)), mpmath.mpf(float(b))) for a, b in zip(p, y))
    ])
    assert_close(got.numpy(), want, "BCE second derivative vs mpmath", rtol=1e-13)


# ---- random composite expressions -------------------------------------------------------
UNARY = {
    "neg": lambda L, a: -a,
    "exp": lambda L, a: L.exp(a),
    "tanh": lambda L, a: L.tanh(a),
    "sigmoid": lambda L, a: L.sigmoid(a),
    "softplus": lambda L, a: L.F.softplus(a),
    "softplus_beta": lambda L, a: L.F.softplus(a, beta=2.0),
    "log_sigmoid": lambda L, a: L.F.logsigmoid(a),
    "elu": lambda L, a: L.F.elu(a),
    "leaky_relu": lambda L, a: L.F.leaky_relu(a, 0.1),
    "relu": lambda L, a: L.F.relu(a),
    "abs": lambda L, a: L.abs(a),
    "log_of_positive": lambda L, a: L.log(a * a + 0.5),
    "log1p_of_positive": lambda L, a: L.log1p(L.abs(a)),
    "sqrt_of_positive": lambda L, a: L.sqrt(a * a + 0.25),
    "square": lambda L, a: a ** 2,
    "cube": lambda L, a: a ** 3,
    "pow_1.5": lambda L, a: (L.abs(a) + 0.5) ** 1.5,
    "rpow": lambda L, a: 1.5 ** a,
    "reciprocal": lambda L, a: 1.0 / (a * a + 1.0),
    "clip": lambda L, a: L.clip(a, -1.0, 1.5),
    "sum_last_keepdim": lambda L, a: a.sum(dim=-1, keepdim=True),
    "mean_first_keepdim": lambda L, a: a.mean(dim=0, keepdim=True),
    "amax_last_keepdim": lambda L, a: L.amax(a, -1, True),
    "transpose_last_two": lambda L, a: a.mT if a.ndim >= 2 else a,
}
BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / (b * b + 0.5),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b),
    "pow": lambda L, a, b: (a * a + 0.5) ** L.tanh(b),
    "where": lambda L, a, b: L.where_gt(a, b, a, b * 2.0),
}


def _tree(n_inputs):
    leaves = st.one_of(
        st.integers(0, n_inputs - 1).map(lambda i: ("input", i)),
        st.sampled_from([0.5, -1.25, 2.0]).map(lambda c: ("const", c)),
    )

    def extend(children):
        return st.one_of(
            st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY)), children),
            st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), children, children),
        )

    return st.recursive(leaves, extend, max_leaves=6).filter(lambda t: _uses_input(t))


def _uses_input(tree) -> bool:
    if tree[0] == "input":
        return True
    if tree[0] == "const":
        return False
    return any(_uses_input(c) for c in tree[2:])


def _evaluate(tree, L, inputs):
    kind = tree[0]
    if kind == "input":
        return inputs[tree[1]]
    if kind == "const":
        return tree[1]
    args = [_evaluate(c, L, inputs) for c in tree[2:]]
    if kind == "unary":
        if not hasattr(args[0], "shape"):  # op on a constant: keep it a constant
            return args[0]
        return UNARY[tree[1]](L, args[0])
    a, b = args
    if not hasattr(a, "shape") and not hasattr(b, "shape"):
        return a
    if not hasattr(a, "shape"):
        a = L.const(np.asarray(a), b)
    if not hasattr(b, "shape"):
        b = L.const(np.asarray(b), a)
    return BINARY[tree[1]](L, a, b)


def _with_where_gt(L):
    ns = type(L)(**vars(L))
    if L is MG:
        ns.where_gt = lambda x, y, a, b: mg.where(x > y, a, b)
    else:
        ns.where_gt = lambda x, y, a, b: torch.where(x > y, a, b)
    return ns


def _format(tree) -> str:
    if tree[0] == "input":
        return "xyz"[tree[1]]
    if tree[0] == "const":
        return repr(tree[1])
    return f"{tree[1]}(" + ", ".join(_format(c) for c in tree[2:]) + ")"


@settings(max_examples=200)
@given(data=st.data())
def test_random_expressions_match_torch_to_second_order(data):
    n = data.draw(st.integers(2, 3), label="n_inputs")
    tree = data.draw(_tree(n), label="expression")
    shapes = draw_broadcast_shapes(data, n, max_dims=3)
    rng = draw_rng(data)
    arrays = [rng.uniform(-2, 2, size=s) for s in shapes]
    MGW, THW = _with_where_gt(MG), _with_where_gt(torch_ns())
    with np.errstate(all="ignore"):
        probe = _evaluate(tree, MGW, [mg.tensor(a, dtype=mg.float64) for a in arrays])
    assume(bool(np.all(np.isfinite(probe.numpy()))) and float(np.max(np.abs(probe.numpy()))) < 1e6)
    compare_with_torch(
        f"expression {_format(tree)} on shapes {shapes}",
        lambda *ts: _evaluate(tree, MGW, ts),
        lambda *ts: _evaluate(tree, THW, ts),
        arrays, rng,
    )
