"""Numerics of log_sigmoid and BCE with logits: finite at extreme logits, exact at +-inf,
and in float32 within 4 ulp of a float64 reference wherever the true value is a normal
float32 (loss, and gradient through backward()).

The float64 reference is the sum of non-negative terms
    l = p y softplus(-x) + (1 - y) softplus(x),  softplus(z) = max(z, 0) + log1p(exp(-|z|)),
whose error (~1e-16 relative) is far below a float32 ulp (~6e-8 relative).
"""
from __future__ import annotations

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F

f32 = np.float32
MAX_ULP = 4.0
TINY32 = float(np.finfo(f32).tiny)


def softplus64(z):
    z = np.asarray(z, dtype=np.float64)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid64(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def ulp32(v):
    """The float32 ulp at |v| (v a float64 array)."""
    return np.spacing(np.abs(v).astype(f32)).astype(np.float64)


def max_ulp_error(got, ref, scale=None):
    """Largest |got - ref| in float32 ulps of |scale| (default: of ref), over the points where
    the scale is a normal float32."""
    scale = ref if scale is None else scale
    normal = (np.abs(scale) >= TINY32) & (np.abs(scale) <= np.finfo(f32).max)
    err = np.abs(got.astype(np.float64) - ref) / ulp32(scale)
    assert normal.sum() > 100, "the test grid should contain many normal float32 values"
    return float(np.max(err[normal]))


def logit_grid():
    """Logits spanning [-1e4, 1e4], log-spaced in magnitude (1e-8 .. 1e4), and 0."""
    mag = np.logspace(-8, 4, 1500)
    return np.concatenate([-mag[::-1], [0.0], mag]).astype(f32)


HARD = [0.0, 1.0]
SOFT = [1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999]


def _bce_float32(targets, pos_weight=None):
    """(x, y, p, loss, d sum(loss)/dx) in float32, the gradient through backward()."""
    x, y = np.broadcast_arrays(logit_grid()[:, None], np.asarray(targets, dtype=f32)[None, :])
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    xt = mg.tensor(x, requires_grad=True)
    pw = None if pos_weight is None else mg.tensor(np.full(len(targets), pos_weight, dtype=f32))
    loss = F.binary_cross_entropy_with_logits(xt, mg.tensor(y), reduction="none", pos_weight=pw)
    loss.sum().backward()
    assert loss.dtype == np.float32 and xt.grad.dtype == np.float32
    p = 1.0 if pos_weight is None else float(f32(pos_weight))
    return x.astype(np.float64), y.astype(np.float64), p, loss.numpy(), xt.grad.numpy()


def _reference(x, y, p):
    loss = p * y * softplus64(-x) + (1 - y) * softplus64(x)
    c = 1 + (p - 1) * y
    # dl/dx = c sigmoid(x) - p y; for y = 1 that is -p sigmoid(-x), free of cancellation
    grad = np.where(y == 1, -p * sigmoid64(-x), c * sigmoid64(x) - p * y)
    return loss, grad, np.maximum(c * sigmoid64(x), p * y)


# ---- finite at extreme logits, exact at infinity ------------------------------------------
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_bce_with_logits_is_finite_at_extreme_logits(dtype):
    x = mg.tensor([1e4, 1e4, -1e4, -1e4, 1e4, -1e4], dtype=dtype, requires_grad=True)
    y = mg.tensor([0.0, 1.0, 0.0, 1.0, 0.5, 0.5], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=mg.tensor(2.0, dtype=dtype))
    loss.sum().backward()
    np.testing.assert_array_equal(loss.numpy(), [1e4, 0.0, 0.0, 2e4, 5e3, 1e4],
                                  err_msg="BCE at logits +-1e4 should be exact")
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0, -2.0, 0.5, -1.0],
                                  err_msg="BCE gradient at logits +-1e4 (pos_weight 2)")
    for reduction in ("mean", "sum"):
        value = F.binary_cross_entropy_with_logits(x, y, reduction=reduction).item()
        assert np.isfinite(value), f"{reduction} of BCE at +-1e4 gave {value}"


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_bce_with_logits_is_exact_at_infinite_logits(dtype):
    inf = np.inf
    x = mg.tensor([inf, inf, -inf, -inf, inf, -inf], dtype=dtype, requires_grad=True)
    y = mg.tensor([1.0, 0.0, 0.0, 1.0, 0.25, 0.25], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    loss.sum().backward()
    np.testing.assert_array_equal(loss.numpy(), [0.0, inf, 0.0, inf, inf, inf],
                                  err_msg="BCE at +-inf: 0 when the logit agrees with a hard target, else inf")
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0, -1.0, 0.75, -0.25],
                                  err_msg="BCE gradient at +-inf is sigmoid(x) - y exactly")
    xp = mg.tensor([inf, -inf], dtype=dtype, requires_grad=True)
    lp = F.binary_cross_entropy_with_logits(xp, mg.tensor([1.0, 1.0], dtype=dtype), reduction="none",
                                            pos_weight=mg.tensor([3.0], dtype=dtype))
    lp.sum().backward()
    np.testing.assert_array_equal(lp.numpy(), [0.0, inf])
    np.testing.assert_array_equal(xp.grad.numpy(), [0.0, -3.0], err_msg="pos_weight 3 at +-inf")


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_log_sigmoid_is_finite_at_extreme_logits_and_exact_at_infinity(dtype):
    x = mg.tensor([1e4, -1e4, np.inf, -np.inf], dtype=dtype, requires_grad=True)
    y = F.log_sigmoid(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.0, -1e4, 0.0, -np.inf],
                                  err_msg="log_sigmoid at 1e4, -1e4, inf, -inf")
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0, 1.0],
                                  err_msg="d log_sigmoid/dx = sigmoid(-x) at 1e4, -1e4, inf, -inf")
    assert y.dtype == dtype and x.grad.dtype == dtype


# ---- float32 within 4 ulp ---------------------------------------------------------------
@pytest.mark.parametrize("targets, pos_weight", [
    (HARD, None), (SOFT, None), (HARD, 2.5), (SOFT, 0.3),
], ids=["hard", "soft", "hard-pos_weight", "soft-pos_weight"])
def test_bce_with_logits_loss_in_float32_is_within_4_ulp(targets, pos_weight):
    x, y, p, loss, _ = _bce_float32(targets, pos_weight)
    ref, _, _ = _reference(x, y, p)
    err = max_ulp_error(loss, ref)
    assert err <= MAX_ULP, f"float32 BCE loss: max error {err:.2f} ulp, expected <= {MAX_ULP}"


@pytest.mark.parametrize("pos_weight", [None, 2.5], ids=["plain", "pos_weight"])
def test_bce_with_logits_gradient_for_hard_targets_in_float32_is_within_4_ulp(pos_weight):
    x, y, p, _, grad = _bce_float32(HARD, pos_weight)
    _, ref, _ = _reference(x, y, p)
    err = max_ulp_error(grad, ref)
    assert err <= MAX_ULP, f"float32 BCE gradient (hard targets): max error {err:.2f} ulp, expected <= {MAX_ULP}"


@pytest.mark.parametrize("pos_weight", [None, 0.3], ids=["plain", "pos_weight"])
def test_bce_with_logits_gradient_for_soft_targets_is_within_4_ulp_of_the_larger_term(pos_weight):
    x, y, p, _, grad = _bce_float32(SOFT, pos_weight)
    _, ref, scale = _reference(x, y, p)
    err = max_ulp_error(grad, ref, scale)
    assert err <= MAX_ULP, (
        f"float32 BCE gradient (soft targets): max error {err:.2f} ulp of max(c sigmoid(x), p y), "
        f"expected <= {MAX_ULP}")


def test_log_sigmoid_and_its_gradient_in_float32_are_within_4_ulp():
    x = logit_grid()
    xt = mg.tensor(x, requires_grad=True)
    y = F.log_sigmoid(xt)
    y.sum().backward()
    err = max_ulp_error(y.numpy(), -softplus64(-x))
    gerr = max_ulp_error(xt.grad.numpy(), sigmoid64(-x))
    assert err <= MAX_ULP, f"float32 log_sigmoid: max error {err:.2f} ulp, expected <= {MAX_ULP}"
    assert gerr <= MAX_ULP, f"float32 d log_sigmoid/dx: max error {gerr:.2f} ulp, expected <= {MAX_ULP}"


def test_bce_with_logits_keeps_tiny_losses_documented_example():
    # x = -20, y = 0: l = log1p(e^-20) = 2.0611536e-9. PyTorch's formula
    # (1 - y) x + max(-x, 0) + log(e^-max + e^(-x-max)) cancels to 0 in float32.
    loss = F.binary_cross_entropy_with_logits(mg.tensor([-20.0]), mg.tensor([0.0]), reduction="none")
    ref = float(np.log1p(np.exp(-20.0)))
    err = max_ulp_error(np.repeat(loss.numpy(), 101), np.full(101, ref))
    assert loss.dtype == np.float32
    assert err <= MAX_ULP, f"x=-20, y=0: expected {ref:.8g} (within 4 ulp), got {loss.item():.8g}"
    assert loss.item() == pytest.approx(2.06e-9, rel=1e-3)
