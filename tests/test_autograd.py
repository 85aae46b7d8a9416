"""The reverse-mode engine: deep graphs, freeing memory, retain_graph, accumulation,
grad(), create_graph, grad modes, anomaly detection, shared subexpressions, dtypes."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import minigan as mg


def leaf(values, dtype=mg.float64):
    return mg.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


# ---- deep graphs and memory ------------------------------------------------------------
def test_a_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = leaf([0.5, -1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.sum().backward()
    want = 1.0000001 ** 100_000
    np.testing.assert_allclose(x.grad.numpy(), [want, want], rtol=1e-9,
                               err_msg="d/dx of x * c^100000 should be c^100000")


def test_grad_with_create_graph_through_a_20000_op_chain_gives_second_derivative():
    x = leaf(0.3)
    y = x
    for _ in range(20_000):
        y = y + x * 2.5e-5  # y = x (1 + 0.5) after the loop, built as a deep chain
    (g,) = mg.grad((y * y).sum(), x, create_graph=True)
    (gg,) = mg.grad(g, x)
    assert gg.item() == pytest.approx(2 * 1.5**2, rel=1e-9), f"d2/dx2 (1.5x)^2 = 4.5, got {gg.item()}"


def test_intermediate_arrays_are_freed_after_backward():
    x = leaf(np.linspace(-1, 1, 1000))
    h = x.exp()
    alive = weakref.ref(h.array)
    y = (h * h).sum()
    del h
    gc.collect()
    assert alive() is not None, "the forward pass must keep the intermediate while the graph lives"
    y.backward()
    gc.collect()
    assert alive() is None, "backward() should free the graph's saved arrays (intermediate still alive)"


def test_retain_graph_keeps_intermediates_and_allows_a_second_backward():
    x = leaf(np.linspace(-1, 1, 10))
    h = x.exp()
    alive = weakref.ref(h.array)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert alive() is not None, "retain_graph=True must keep the saved arrays"
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-15,
                               err_msg="second backward with retained graph should double .grad")


def test_second_backward_through_a_freed_graph_raises_mentioning_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    z = (x.exp() * x).sum()
    mg.grad(z, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        mg.grad(z, x)


# ---- accumulation and grad() ------------------------------------------------------------
def test_gradients_accumulate_into_leaves_across_backward_calls():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3.0,
                               err_msg="x.grad should be 2x (first call) + 3 (second call)")


def test_grad_returns_none_for_unused_inputs_only_when_allowed():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    y = (x * x).sum()
    gx, gu = mg.grad(y, [x, unused], retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert gu is None, f"an unused input's gradient should be None with allow_unused=True, got {gu}"
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad(y, [x, unused])


def test_grad_does_not_touch_dot_grad_of_leaves():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    before = x.grad.numpy().copy()
    w = leaf([3.0])
    (g,) = mg.grad((x * w).sum(), w)
    np.testing.assert_allclose(x.grad.numpy(), before, err_msg="grad() changed x.grad")
    assert w.grad is None, "grad() set .grad of the input it differentiated"
    assert g.item() == 3.0


def test_grad_with_create_graph_gives_double_backward():
    x = leaf([0.5, -1.5, 2.0])
    (g,) = mg.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad, "a gradient built with create_graph=True must carry a graph"
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (gg,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy(), err_msg="d2/dx2 x^3 should be 6x")
    # the same through backward(create_graph=True) and .grad
    x2 = leaf([0.5, -1.5, 2.0])
    (x2**3).sum().backward(create_graph=True)
    assert x2.grad.requires_grad, ".grad after backward(create_graph=True) must carry a graph"
    (gg2,) = mg.grad(x2.grad.sum(), x2)
    np.testing.assert_allclose(gg2.numpy(), 6 * x2.numpy())


def test_gradient_penalty_style_double_backward_matches_analytic():
    # WGAN-GP style: penalty = (|d f/dx| - 1)^2 with f = sum(w * tanh(x)); d penalty / dw
    x, w = leaf([0.3, -0.7]), leaf([1.5, -2.0])
    (gx,) = mg.grad((w * mg.tanh(x)).sum(), x, create_graph=True)
    penalty = (mg.sqrt((gx * gx).sum()) - 1.0) ** 2
    (gw,) = mg.grad(penalty, w)
    s = 1 - np.tanh(x.numpy()) ** 2
    v = w.numpy() * s
    norm = np.sqrt((v * v).sum())
    want = 2 * (norm - 1) * v * s / norm
    np.testing.assert_allclose(gw.numpy(), want, rtol=1e-12)


def test_diamond_graph_accumulates_shared_subexpressions():
    x = leaf([0.2, -0.4])
    h = x * x  # used by two branches
    y = (h.exp() + h * 3.0 + h).sum()
    y.backward()
    xv = x.numpy()
    want = (np.exp(xv**2) + 4.0) * 2 * xv
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-14,
                               err_msg="the gradient through both branches of h should add up")
    z = leaf([1.5])
    (z + z + z * z).sum().backward()
    assert z.grad.item() == pytest.approx(2 + 2 * 1.5), f"d/dz (2z + z^2) = 5, got {z.grad.item()}"


# ---- grad modes ---------------------------------------------------------------------------
def test_no_grad_records_nothing_and_enable_grad_turns_it_back_on():
    x = leaf([1.0, 2.0])
    with mg.no_grad():
        y = x * 2
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2
        w = x * 2
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None, "an op under no_grad must not be recorded"
    assert z.requires_grad and z.grad_fn is not None, "enable_grad inside no_grad must record"
    assert not w.requires_grad, "no_grad must be back in force after enable_grad exits"


def test_no_grad_works_as_a_decorator():
    @mg.no_grad()
    def double(t):
        return t * 2

    assert not double(leaf([1.0])).requires_grad
    assert mg.is_grad_enabled()


def test_set_grad_enabled_as_context_and_as_call():
    x = leaf([1.0])
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad, "grad mode must be restored after set_grad_enabled(False)"
    with mg.set_grad_enabled(True):
        assert (x * 2).requires_grad
    mg.set_grad_enabled(False)
    try:
        assert not mg.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    assert mg.is_grad_enabled()


def test_grad_mode_is_restored_when_the_block_raises():
    with pytest.raises(KeyError), mg.no_grad():
        raise KeyError("inside no_grad")
    assert mg.is_grad_enabled(), "no_grad must restore grad mode after an exception"


# ---- anomaly detection --------------------------------------------------------------------
def test_detect_anomaly_names_the_op_whose_forward_made_nan():
    x = leaf([1.0, -1.0])
    with np.errstate(invalid="ignore"), mg.detect_anomaly(), pytest.raises(
            RuntimeError, match=r"forward of op 'log' produced NaN"):
        (x * 2.0).log().exp()


def test_detect_anomaly_names_the_op_whose_backward_made_inf():
    x = leaf([0.0, 4.0])
    with np.errstate(divide="ignore"), mg.detect_anomaly():
        y = (mg.sqrt(x) * 3.0).sum()  # forward finite; d sqrt/dx = inf at 0
        with pytest.raises(RuntimeError, match=r"backward of op 'sqrt' produced inf"):
            y.backward()


def test_without_detect_anomaly_nan_passes_silently():
    x = leaf([-1.0])
    with np.errstate(invalid="ignore"):
        y = x.log()
    assert np.isnan(y.item()), "log(-1) is NaN; outside detect_anomaly no error is raised"


# ---- dtypes ---------------------------------------------------------------------------------
def test_float32_stays_float32_through_forward_and_backward():
    x = mg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    w = mg.tensor([1.5, -0.5], requires_grad=True)
    assert x.dtype == np.float32
    h = mg.sigmoid(x @ w) * 2.0 + 1.0
    y = (h.exp().log() - 0.5).sum() / 3.0 + mg.functional.binary_cross_entropy_with_logits(
        x, mg.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert h.dtype == np.float32 and y.dtype == np.float32, f"forward gave {h.dtype}, {y.dtype}"
    y.backward()
    assert x.grad.dtype == np.float32, f"x.grad should be float32, got {x.grad.dtype}"
    assert w.grad.dtype == np.float32, f"w.grad should be float32, got {w.grad.dtype}"
    (g,) = mg.grad((x**2).sum(), x, create_graph=True)
    assert g.dtype == np.float32 and mg.grad(g.sum(), x)[0].dtype == np.float32


def test_float64_leaves_get_float64_gradients():
    x = leaf([1.0, 2.0])
    (x * 0.5).sum().backward()
    assert x.grad.dtype == np.float64


def test_grad_skips_gradients_of_tensors_that_do_not_lead_to_the_inputs(monkeypatch):
    """mg.grad(loss, x) must not compute the weight gradient of a layer it passes through
    (the generator step of a GAN differentiates through D without wanting D's gradients)."""
    import minigan.functional as F

    from minigan.ops import linalg

    rng = np.random.default_rng(0)
    w = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x = mg.tensor(rng.standard_normal((5, 4)), requires_grad=True)

    def no_weight_grad(ctx, g, xx):
        raise AssertionError("the weight gradient was computed although only x was asked for")

    monkeypatch.setattr(linalg.OuterGrad, "forward", staticmethod(no_weight_grad))
    (gx,) = mg.grad(F.linear(x, w).tanh().sum(), x)
    expected = (1 - np.tanh(x.numpy() @ w.numpy().T) ** 2) @ w.numpy()
    np.testing.assert_allclose(gx.numpy(), expected, rtol=1e-12)
    assert w.requires_grad and w.grad is None, "w must keep requires_grad and get no .grad"
    monkeypatch.undo()
    (gw,) = mg.grad(F.linear(x, w).tanh().sum(), w)  # still differentiable in w afterwards
    assert gw.shape == w.shape


def test_leaf_gradients_accumulate_in_place_as_pytorch():
    """A second backward adds into .grad in place (PyTorch's AccumulateGrad): a reference
    taken to .grad sees the sum and stays the leaf's .grad; but a gradient array an op
    passed to two leaves (add) is never shared between their .grad."""
    w = mg.tensor(np.ones(3), requires_grad=True)
    (w * 2.0).sum().backward()
    first = weakref.ref(w.grad.array)
    (w * 3.0).sum().backward()
    assert w.grad.array is first(), "expected the gradient to be accumulated in place"
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 5.0))

    held = w.grad
    (w * 1.0).sum().backward()
    assert held is w.grad, "a held .grad must remain the leaf's .grad"
    np.testing.assert_array_equal(held.numpy(), np.full(3, 6.0), err_msg="a held .grad must see the sum")

    a = mg.tensor(np.zeros(2), requires_grad=True)
    b = mg.tensor(np.zeros(2), requires_grad=True)
    (a + b).sum().backward()  # add hands one gradient array to both inputs
    (a * 2.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0], err_msg="b.grad changed with a's")
