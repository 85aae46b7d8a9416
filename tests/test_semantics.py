"""PyTorch's semantics where minigan once gave a silent wrong answer: max/min(dim) as
(values, indices), the placement of advanced-index axes, reductions' dim arguments, type
promotion, and the gradient conventions at ties, NaN, zeros and clamped logs. Each test
reproduces the old wrong answer and checks it against PyTorch (the test oracle)."""
from __future__ import annotations

import math

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import minigan as mg
from minigan import functional as MF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = {"bool": (mg.bool, torch.bool), "int32": (mg.int32, torch.int32), "int64": (mg.int64, torch.int64),
          "float32": (mg.float32, torch.float32), "float64": (mg.float64, torch.float64)}
TORCH_OF = {np.dtype(m): t for m, t in DTYPES.values()} | {np.dtype(np.float16): torch.float16}


def both(values, dtype=mg.float64, requires_grad=True):
    """The same values as a minigan and a torch tensor."""
    arr = np.asarray(values, dtype=np.dtype(dtype))
    rg = requires_grad and arr.dtype.kind == "f"
    return mg.tensor(arr, requires_grad=rg), torch.tensor(arr, requires_grad=rg)


def grads(lib_grad, out, inputs):
    return [None if g is None else np.asarray(g.detach().numpy() if hasattr(g, "detach") else g.numpy())
            for g in lib_grad(out.sum(), inputs, allow_unused=True)]


def assert_same(fn_mg, fn_torch, *values, dtype=mg.float64, grad=True):
    """Value, dtype and first-order gradients of fn on the same inputs agree with PyTorch,
    NaN and inf included (NaN where PyTorch has NaN, and nowhere else)."""
    pairs = [both(v, dtype, grad) for v in values]
    m_in, t_in = [p[0] for p in pairs], [p[1] for p in pairs]
    m_out, t_out = fn_mg(*m_in), fn_torch(*t_in)
    want = t_out.detach().numpy()
    np.testing.assert_allclose(m_out.numpy(), want, rtol=1e-12, atol=0, err_msg="value")
    assert TORCH_OF[m_out.dtype] == t_out.dtype, f"dtype {m_out.dtype}, PyTorch {t_out.dtype}"
    if grad and t_out.requires_grad:
        gm = grads(mg.grad, m_out, m_in)
        gt = grads(torch.autograd.grad, t_out, t_in)
        for i, (a, b) in enumerate(zip(gm, gt)):
            b = np.zeros(values[i].shape if hasattr(values[i], "shape") else np.shape(values[i])) if b is None else b
            a = np.zeros_like(b) if a is None else a
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=f"gradient of input {i}")


# ---- max / min -----------------------------------------------------------------------------
def test_max_dim_returns_values_and_indices_as_a_named_tuple():
    x = mg.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    v, i = x.max(1)  # the old answer unpacked the two rows
    assert v.tolist() == [5.0, 6.0] and i.tolist() == [1, 2] and i.dtype == mg.int64
    r = x.max(1)
    assert r[0].tolist() == [5.0, 6.0], "x.max(1)[0] must be the values, not row 0's maximum"
    assert r.values is r[0] and r.indices is r[1]
    m = x.min(dim=0, keepdim=True)
    assert m.values.shape == (1, 3) and m.indices.tolist() == [[0, 1, 0]]


def test_max_dim_gradient_goes_to_the_returned_index_and_full_max_splits_ties():
    for keepdim in (False, True):
        assert_same(lambda a: a.max(1, keepdim)[0], lambda a: a.max(1, keepdim)[0],
                    np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]))
        assert_same(lambda a: a.min(0, keepdim).values, lambda a: a.min(0, keepdim).values,
                    np.array([[1.0, 3.0, 3.0], [1.0, 2.0, np.nan]]))
    assert_same(lambda a: a.max(), lambda a: a.max(), np.array([1.0, 3.0, 3.0]))
    assert_same(lambda a: mg.max(a, 0)[0], lambda a: torch.max(a, 0)[0], np.array(2.5))


def test_max_and_min_of_two_tensors_are_elementwise():
    assert_same(lambda a, b: mg.max(a, b), lambda a, b: torch.max(a, b), [1.0, 4.0, 2.0], [3.0, 0.0, 2.0])
    assert_same(lambda a, b: a.min(b), lambda a, b: a.min(b), [1.0, 4.0, 2.0], [3.0, 0.0, 2.0])


def test_max_over_empty_tensors_follows_pytorch():
    r = mg.zeros(0, 3).max(1)
    assert r.values.shape == (0,) and r.indices.shape == (0,)
    assert mg.zeros(0, 3).amax(1).shape == (0,)
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        mg.zeros(0, 3).max(0)
    with pytest.raises(RuntimeError, match="Specify the reduction dim"):
        mg.zeros(0, 3).max()
    with pytest.raises(TypeError, match="must be int, not tuple"):
        mg.ones(2, 3).max(dim=(0, 1))


# ---- indexing -------------------------------------------------------------------------------
def test_integer_with_list_index_places_axes_as_pytorch():
    assert mg.zeros(2, 3, 4)[0, :, [0, 1]].shape == (3, 2)  # NumPy's rule gave (2, 3)


@st.composite
def torch_index(draw, shape):
    """An index mixing ints, slices (positive steps), lists, None, an Ellipsis and masks."""
    items, dim, used_ellipsis = [], 0, False
    while dim < len(shape):
        kind = draw(st.sampled_from(["int", "slice", "list", "none", "mask", "ellipsis"]))
        s = shape[dim]
        if kind == "int":
            items.append(draw(st.integers(-s, s - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.none() | st.integers(-s, s)), draw(st.none() | st.integers(-s, s)),
                               draw(st.sampled_from([None, 1, 2]))))
        elif kind == "list":
            items.append(draw(st.lists(st.integers(-s, s - 1), min_size=1, max_size=3)))
        elif kind == "none":
            items.append(None)
            continue
        elif kind == "mask":
            items.append(np.array(draw(st.lists(st.booleans(), min_size=s, max_size=s))))
        elif not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            dim = len(shape) - draw(st.integers(0, len(shape) - dim))
            continue
        dim += 1
    return tuple(items)


def _to_torch_index(idx):
    return tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in idx)


@settings(max_examples=150)
@given(data=st.data())
def test_indexing_matches_pytorch_in_shape_value_and_gradient(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple), label="shape")
    idx = data.draw(torch_index(shape), label="idx")
    lists = [i for i in idx if isinstance(i, list)]
    if len(lists) > 1:  # lists broadcast together: give them one length
        n = min(len(v) for v in lists)
        idx = tuple(i[:n] if isinstance(i, list) else i for i in idx)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    xm, xt = both(x)
    try:
        want = xt[_to_torch_index(idx)]
    except (IndexError, RuntimeError):
        with pytest.raises((IndexError, ValueError, RuntimeError)):
            xm[idx]
        return
    got = xm[idx]
    assert got.shape == tuple(want.shape), f"index {idx}: shape {got.shape}, PyTorch {tuple(want.shape)}"
    np.testing.assert_array_equal(got.numpy(), want.detach().numpy())
    w = np.random.default_rng(0).standard_normal(got.shape)
    (gm,) = mg.grad((got * mg.tensor(w)).sum(), [xm])
    (gt,) = torch.autograd.grad((want * torch.tensor(w)).sum(), [xt])
    np.testing.assert_allclose(gm.numpy(), gt.numpy(), rtol=1e-12, err_msg=f"gradient of x[{idx}]")


# ---- reductions ----------------------------------------------------------------------------
X23 = np.array([[1.0, 2.0, 4.0], [3.0, 7.0, 5.0]])


@pytest.mark.parametrize("call", [
    "var(True)", "var(False)", "std(True)", "std(False)", "var(1, True)", "var(1, False, True)",
    "std(0, False, True)", "sum(dim=())", "sum(dim=[])", "mean(dim=())", "var(dim=())", "std(dim=[])",
    "amax(dim=())", "var(correction=None)", "var(correction=0)", "std(dim=1, correction=2)",
    "var(unbiased=False)", "sum(1, True)", "mean(-1)", "norm()", "norm(1)", "norm(2, dim=1)",
    "norm(3, 0, True)", "norm(float('inf'), dim=1)", "norm('fro', dim=(0, 1))", "norm(0, 1)",
])
def test_reduction_arguments_are_read_as_pytorch_reads_them(call):
    # PyTorch's var/std backward with dim=() divides by 0 (it counts no reduced elements) and
    # returns +-inf; minigan's gradient is the true one (checked by gradcheck below)
    torch_grad_wrong = call.startswith(("var(dim=()", "std(dim=[]"))
    assert_same(lambda a: eval(f"a.{call}"), lambda a: eval(f"a.{call}"), X23, grad=not torch_grad_wrong)
    if torch_grad_wrong:
        assert mg.gradcheck(lambda a: eval(f"a.{call}"), (mg.tensor(X23, requires_grad=True),))


@pytest.mark.parametrize("call", ["var(dim=1, correction=3)", "std(dim=1, correction=4)", "var(correction=6)"])
def test_correction_at_least_n_gives_inf_as_pytorch(call):
    m = eval(f"mg.tensor(X23).{call}")
    t = eval(f"torch.tensor(X23).{call}")
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert np.isinf(m.numpy()).all()


def test_bool_is_never_a_dim():
    for name in ("sum", "mean", "amax"):
        with pytest.raises(TypeError, match="must be tuple of ints, not bool"):
            getattr(mg.tensor(X23), name)(True)


@pytest.mark.parametrize("call", ["sum(0)", "sum(1)", "mean(1)", "mean(0)", "amax(1)", "var(1)", "std(0)",
                                  "max(1).values", "norm(2, 1)", "all(1)", "any(0)"])
def test_empty_tensors_reduce_along_their_nonempty_axes(call):
    with np.errstate(all="ignore"):
        m = eval(f"mg.zeros(0, 3).{call}")
    with pytest.warns(UserWarning) if call.startswith(("var(0", "std(0")) else _nothing():
        t = eval(f"torch.zeros(0, 3).{call}")
    assert m.shape == tuple(t.shape)
    np.testing.assert_array_equal(m.numpy(), t.numpy())


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("call", ["all()", "any()", "all(dim=0)", "any(1, keepdim=True)", "all(dim=())",
                                  "any(-1)"])
def test_all_and_any_take_dim_and_keepdim(call):
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 5.0]])
    m, t = eval(f"mg.tensor(x).{call}", {"mg": mg, "x": x}), eval(f"torch.tensor(x).{call}", {"torch": torch, "x": x})
    assert m.dtype == mg.bool and m.shape == tuple(t.shape)
    np.testing.assert_array_equal(m.numpy(), t.numpy())


# ---- type promotion --------------------------------------------------------------------------
def _operand(kind, dtype_name, rng):
    m_dt, t_dt = DTYPES[dtype_name]
    if kind == "number":
        py = {"bool": True, "int32": 3, "int64": -2, "float32": 0.5, "float64": 1.5}[dtype_name]
        return py, py
    shape = () if kind == "0-d" else (2, 3)
    arr = (rng.standard_normal(shape) * 3).astype(np.dtype(m_dt))
    return mg.tensor(arr, dtype=m_dt), torch.tensor(arr, dtype=t_dt)


KINDS = st.sampled_from(["tensor", "0-d", "number"])
NAMES = st.sampled_from(sorted(DTYPES))


@settings(max_examples=300)
@given(ka=KINDS, da=NAMES, kb=KINDS, db=NAMES)
def test_result_type_matches_torch(ka, da, kb, db):
    rng = np.random.default_rng(0)
    a, ta = _operand(ka, da, rng)
    b, tb = _operand(kb, db, rng)
    if ka == "number" and kb == "number":
        return
    want = torch.result_type(ta, tb)
    got = mg.result_type(a, b)
    assert TORCH_OF[got] == want, f"result_type({ka} {da}, {kb} {db}): {got}, PyTorch {want}"


@settings(max_examples=300)
@given(ka=KINDS, da=NAMES, kb=KINDS, db=NAMES, op=st.sampled_from(["+", "*", "-", "/", "max", "where"]))
def test_binary_ops_promote_as_pytorch(ka, da, kb, db, op):
    rng = np.random.default_rng(1)
    a, ta = _operand(ka, da, rng)
    b, tb = _operand(kb, db, rng)
    if ka == "number" and kb == "number" and op in ("max",):
        return
    fns = {"+": lambda L, x, y: x + y if hasattr(x, "shape") or hasattr(y, "shape") else L.add(x, y),
           "*": lambda L, x, y: L.mul(x, y), "-": lambda L, x, y: L.sub(x, y),
           "/": lambda L, x, y: L.div(x, y),
           "max": lambda L, x, y: L.maximum(*(v if hasattr(v, "shape") else L.tensor(v) for v in (x, y))),
           "where": lambda L, x, y: L.where(L.tensor(True), x, y)}
    try:
        want = fns[op](torch, ta, tb)
    except (RuntimeError, TypeError):
        with pytest.raises((RuntimeError, TypeError)):
            fns[op](mg, a, b)
        return
    got = fns[op](mg, a, b)
    assert TORCH_OF[got.dtype] == want.dtype, f"{ka} {da} {op} {kb} {db}: {got.dtype}, PyTorch {want.dtype}"
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=1e-6)


def test_promotion_cases_of_the_issue():
    assert (mg.tensor([1, 2]) + 0.5).dtype == mg.float32
    assert (mg.tensor([3]) / 2).dtype == mg.float32 and (mg.tensor([3]) / 2).item() == 1.5
    assert (mg.ones(3) * mg.tensor(2.0, dtype=mg.float64)).dtype == mg.float32
    assert (mg.ones(3, dtype=mg.float64) * mg.tensor(2.0)).dtype == mg.float64
    x = mg.ones(2)  # NumPy scalars count as Python numbers (PyTorch's rule), not as float64 arrays
    for out in (x ** np.float64(2.0), x.clamp(np.float64(0.0), np.float64(0.5)), x * np.float64(2.0),
                mg.where(x > 0, x, np.float64(1.0)), np.float64(3.0) - x):
        assert out.dtype == mg.float32


def test_float32_tensor_times_0d_float64_keeps_the_gradient_dtypes():
    w = mg.ones(3, requires_grad=True)
    s = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    (w * s).sum().backward()
    assert w.grad.dtype == mg.float32 and s.grad.dtype == mg.float64
    assert s.grad.item() == 3.0 and w.grad.tolist() == [2.0, 2.0, 2.0]


def test_linear_with_a_mismatched_dtype_names_both_dtypes():
    layer = mg.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        layer(mg.ones(4, 3, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="same dtype"):
        mg.ones(2, 3) @ mg.ones(3, 2, dtype=mg.float64)


def test_parameter_with_python_scalars():
    w = mg.nn.Parameter(mg.tensor([-1.0, 2.0]))
    for out, want in [(w * 2, [-2.0, 4.0]), (w + 1.0, [0.0, 3.0]), (w / 2, [-0.5, 1.0]),
                      (2 - w, [3.0, 0.0]), (mg.maximum(w, 0.0), [0.0, 2.0]),
                      (mg.where(mg.tensor([True, False]), w, 0.0), [-1.0, 0.0])]:
        assert out.tolist() == want and out.dtype == mg.float32 and out.requires_grad


def test_two_numbers_and_wrong_arguments_get_pytorchs_answers():
    assert mg.add(1.0, 2.0).item() == 3.0 and mg.add(1.0, 2.0).dtype == mg.float32
    with pytest.raises(TypeError, match=r"maximum\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        mg.maximum(1.0, 2.0)
    with pytest.raises(TypeError, match="must be Tensor, not str"):
        mg.add(mg.ones(2), "a")
    with pytest.raises(RuntimeError, match="two bool tensors is not supported"):
        mg.tensor([True]) - mg.tensor([False])


# ---- gradients at the edges ------------------------------------------------------------------
NAN = float("nan")


@pytest.mark.parametrize("name, fm, ft, values", [
    ("relu at NaN", mg.relu, torch.relu, [[NAN, 1.0, -1.0, 0.0]]),
    ("leaky_relu at NaN", lambda a: MF.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2), [[NAN, 0.0, -1.0]]),
    ("abs at NaN and 0", mg.abs, torch.abs, [[NAN, 0.0, -2.0]]),
    ("elu at NaN and far left", MF.elu, TF.elu, [[NAN, -20.0, -800.0, 0.0, 1.0]]),
    ("maximum at NaN and ties", mg.maximum, torch.maximum, [[NAN, 1.0, 0.0, 2.0], [0.0, NAN, 0.0, 1.0]]),
    ("minimum at NaN and ties", mg.minimum, torch.minimum, [[NAN, 1.0, 0.0, 2.0], [0.0, NAN, 0.0, 1.0]]),
    ("clamp with a tensor min at a tie", lambda a, lo: mg.clamp(a, lo), lambda a, lo: torch.clamp(a, lo),
     [[1.0, 0.0, NAN, 2.0], [1.0, 1.0, 0.0, 1.0]]),
    ("clamp with tensor bounds at ties and crossed", lambda a, lo, hi: mg.clamp(a, lo, hi),
     lambda a, lo, hi: torch.clamp(a, lo, hi),
     [[1.0, 0.0, 2.0, NAN, 3.0], [1.0, 1.0, 0.0, 0.0, 0.0], [2.0, 0.5, 2.0, 1.0, 3.0]]),
    ("clamp with numbers at the bounds", lambda a: mg.clamp(a, 0.0, 1.0), lambda a: torch.clamp(a, 0.0, 1.0),
     [[0.0, 1.0, NAN, 2.0, 0.5]]),
    ("a ** b at a = b = 0", mg.pow, torch.pow, [[0.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 2.0]]),
    ("std of a constant", lambda a: a.std(1), lambda a: a.std(1), [[[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]]),
    ("norm of zeros", lambda a: a.norm(2, 1), lambda a: a.norm(2, 1), [[[0.0, 0.0], [3.0, 4.0]]]),
    ("softplus past its threshold", lambda a: MF.softplus(a, 2.0, 5.0), lambda a: TF.softplus(a, 2.0, 5.0),
     [[-3.0, 2.4, 2.6, 40.0]]),
])
def test_gradient_conventions_at_the_edges_match_pytorch(name, fm, ft, values):
    assert_same(fm, ft, *[np.array(v) for v in values])


def test_elu_gradient_is_alpha_exp_x_in_float32_far_left():
    x = mg.tensor([-20.0, -30.0], requires_grad=True)
    MF.elu(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([-20.0, -30.0]).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("p, y", [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.5), (1e-30, 1.0)])
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_bce_on_probabilities_at_0_and_1_follows_pytorchs_clamped_rule(p, y, dtype):
    def f(L, F, pt, yt):
        return F.binary_cross_entropy(pt, yt, reduction="sum")

    pm, pt = both([p, 0.3], dtype)
    ym, yt = both([y, 0.6], dtype)
    lm, lt = f(mg, MF, pm, ym), f(torch, TF, pt, yt)
    np.testing.assert_allclose(lm.item(), lt.item(), rtol=1e-6)
    gm = [g.numpy() for g in mg.grad(lm, [pm, ym])]
    gt = [g.numpy() for g in torch.autograd.grad(lt, [pt, yt])]
    for a, b in zip(gm, gt):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    if p == y:
        assert lm.item() == pytest.approx(-math.log(0.7) * 0.4 - math.log(0.3) * 0.6, rel=1e-6)
        assert gm[0][0] == 0.0, "an exact, agreeing prediction has gradient 0 (it was NaN)"


def test_bce_sigmoid_saturated_discriminator_keeps_training():
    """float32 sigmoid reaches 1.0 at logits >= 17: the loss and gradient stay finite."""
    logits = mg.tensor([17.0, 20.0, -120.0], requires_grad=True)
    loss = MF.binary_cross_entropy(mg.sigmoid(logits), mg.tensor([1.0, 1.0, 0.0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad.numpy()).all()


# ---- names of issue 12 ------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "x.t()", "v.t()", "x.norm()", "x.norm(1)", "x.norm(p=2, dim=0, keepdim=True)", "L.norm(x, dim=1)",
    "x.long()", "x.int()", "x.bool()", "x.half()", "x.double().float()",
    "x.div(y, rounding_mode='trunc')", "x.div(y, rounding_mode='floor')", "L.div(x, 2, rounding_mode='floor')",
    "x.add(y, alpha=2)", "x.sub(y, alpha=-0.5)", "L.rsub(x, y)", "L.rsub(x, 3, alpha=2)", "x % y", "x // y",
    "7.5 % y", "7.5 // y", "x % -2", "L.remainder(x, y)", "L.floor_divide(x, y)", "xi // 3", "xi % -3",
    "xi.div(-3, rounding_mode='trunc')", "xi / 4", "L.max(x, y)", "L.min(x, y)",
])
def test_issue_12_names_match_pytorch(expr):
    xs = np.array([[5.5, -7.25, 3.0], [-1.5, 0.5, 9.0]])
    ys = np.array([[2.0, 2.5, -1.5], [-4.0, 1.0, 3.0]])
    vs = np.array([1.0, 2.0])

    def run(L, grad):
        x, y = both(xs)[0 if L is mg else 1], both(ys)[0 if L is mg else 1]
        v = both(vs)[0 if L is mg else 1]
        xi = (mg if L is mg else torch).tensor([7, -7, 8, -9])
        out = eval(expr, {"L": L, "x": x, "y": y, "v": v, "xi": xi})
        g = None
        # PyTorch has no derivative for floor_divide, nor for remainder with a number first;
        # minigan's is 0 (and d/dother of remainder -floor(x/y)), as torch.div(rounding_mode="floor")
        if grad and out.requires_grad and "//" not in expr and "floor_divide" not in expr and "7.5 %" not in expr:
            lib = mg.grad if L is mg else torch.autograd.grad
            g = [np.zeros(xs.shape) if t is None else np.asarray(t.detach().numpy() if L is torch else t.numpy())
                 for t in lib(out.double().sum(), [x, y], allow_unused=True)]
        return out, g

    m, gm = run(mg, True)
    t, gt = run(torch, True)
    assert m.shape == tuple(t.shape) and TORCH_OF[m.dtype] == t.dtype, f"{expr}: {m.dtype} vs {t.dtype}"
    np.testing.assert_allclose(m.numpy().astype(np.float64), t.detach().numpy().astype(np.float64), rtol=1e-6)
    assert m.requires_grad == t.requires_grad
    if gt is not None:
        for a, b in zip(gm, gt):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_type_names_and_casts():
    x = mg.ones(2)
    assert x.type() == "minigan.FloatTensor"
    assert x.type(mg.float64).dtype == mg.float64 and x.type("torch.DoubleTensor").dtype == mg.float64
    assert x.type("torch.LongTensor").dtype == mg.int64 and x.long().type() == "minigan.LongTensor"
    assert mg.bool == np.dtype(bool) and mg.long == mg.int64 and mg.half == mg.float16
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.FooTensor")
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        mg.ones(1, 2, 3).t()


def test_bad_arguments_get_pytorchs_words():
    x = mg.ones(2, 3)
    with pytest.raises(ValueError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        x.div(2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="alpha must not be a floating point number"):
        mg.tensor([1, 2]).add(1, alpha=0.5)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        mg.tensor([1, 2]) // 0
    with pytest.raises(TypeError, match="unexpected keyword argument 'dims'"):
        x.all(dims=0)
    with pytest.raises(TypeError, match=r"add\(\): argument 'input' \(position 1\) must be Tensor, not str"):
        mg.add("1", 2.0)


def test_sum_and_mean_take_a_dtype_and_integers_sum_to_int64():
    x = mg.tensor([[1.5, 2.25], [3.0, 4.0]])
    s = x.sum(dim=1, dtype=mg.float64)
    assert s.dtype == mg.float64 and s.tolist() == [3.75, 7.0]
    assert mg.tensor([1, 2], dtype=mg.int32).sum().dtype == mg.int64 == mg.tensor([True, True]).sum().dtype
    assert mg.tensor([1, 2]).mean(dtype=mg.float32).item() == 1.5
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*Got: Long"):
        mg.tensor([1, 2]).mean()


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "norm", "exp", "log", "neg", "max", "all"])
def test_a_number_where_a_tensor_belongs_gets_pytorchs_words(name):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        getattr(mg, name)(1.0)


@pytest.mark.cuda
def test_the_new_rules_give_the_same_values_and_gradients_on_cuda():
    """max(dim), PyTorch's index placement, promotion with numbers, clamp with tensor bounds,
    norm, %, rounding division, clamped BCE and std at 0: CPU and CUDA agree."""
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((3, 4))
    results = {}
    for device in ("cpu", "cuda"):
        x = mg.tensor(xs, dtype=mg.float64, device=device, requires_grad=True)
        lo = mg.tensor(np.full(4, -0.5), dtype=mg.float64, device=device)
        p = mg.tensor([[0.0, 1.0, 0.5, 1.0]], dtype=mg.float64, device=device, requires_grad=True)
        y = mg.tensor([[0.0, 1.0, 0.3, 0.0]], dtype=mg.float64, device=device)
        ints = mg.tensor([7, -7, 9], device=device)
        parts = [x.max(1)[0], x.min(0, keepdim=True).values.flatten(), x[0, :, None][[1, 2]].flatten(),
                 mg.where(x > 0, x, 0.0).flatten(), mg.clamp(x, lo, 0.5).flatten(), x.norm(2, dim=1),
                 (x % 0.7).flatten(), x.div(0.3, rounding_mode="floor").flatten(),
                 MF.binary_cross_entropy(p, y, reduction="none").flatten(), (x * 0.0 + 1.0).std(1),
                 (ints / 2).to(mg.float64), (ints // 2).to(mg.float64)]
        out = mg.cat(parts)
        (g,) = mg.grad((out * mg.arange(out.shape[0], dtype=mg.float64, device=device)).sum(), [x])
        results[device] = (out.to("cpu").numpy(), g.to("cpu").numpy())
        assert str(out.device).startswith(device)
    for got, want in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
