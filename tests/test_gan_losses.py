"""GAN losses and gradient penalties: formulas against PyTorch, float64 gradchecks,
double backward for the penalties, and finiteness where D saturates."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigan as mg
from minigan import nn
from minigan.gan import losses as L
from minigan.gan import regularizers as R

RNG = np.random.default_rng(7)
REAL_LOGITS = RNG.standard_normal((6, 1)) * 3
FAKE_LOGITS = RNG.standard_normal((5, 1)) * 3


def _t(a: np.ndarray) -> mg.Tensor:
    return mg.tensor(a, dtype=mg.float64, requires_grad=True)


def _tt(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _torch_losses(r: torch.Tensor, f: torch.Tensor) -> dict[str, torch.Tensor]:
    bce = TF.binary_cross_entropy_with_logits
    return {
        "d": bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f)),
        "minimax": -bce(f, torch.zeros_like(f)),
        "non-saturating": bce(f, torch.ones_like(f)),
        "least-squares": 0.5 * TF.mse_loss(f, torch.ones_like(f)),
        "ls_d": 0.5 * TF.mse_loss(r, torch.ones_like(r)) + 0.5 * TF.mse_loss(f, torch.zeros_like(f)),
        "value": TF.logsigmoid(r).mean() + TF.logsigmoid(-f).mean(),
        "w_critic": f.mean() - r.mean(),
        "w_gen": -f.mean(),
    }


def _minigan_losses(r: mg.Tensor, f: mg.Tensor) -> dict[str, mg.Tensor]:
    return {
        "d": L.discriminator_loss(r, f),
        "minimax": L.generator_loss(f, "minimax"),
        "non-saturating": L.generator_loss(f, "non-saturating"),
        "least-squares": L.generator_loss(f, "least-squares"),
        "ls_d": L.least_squares_discriminator_loss(r, f),
        "value": L.value_function(r, f),
        "w_critic": L.wasserstein_critic_loss(r, f),
        "w_gen": L.wasserstein_generator_loss(f),
    }


@pytest.mark.parametrize("name", list(_torch_losses(torch.zeros(1), torch.zeros(1))))
def test_loss_and_its_gradients_match_pytorch(name):
    r, f = _t(REAL_LOGITS), _t(FAKE_LOGITS)
    tr, tf = _tt(REAL_LOGITS), _tt(FAKE_LOGITS)
    ours, ref = _minigan_losses(r, f)[name], _torch_losses(tr, tf)[name]
    assert ours.shape == ()
    np.testing.assert_allclose(ours.item(), ref.item(), rtol=1e-12, atol=1e-14,
                               err_msg=f"{name}: value differs from PyTorch")
    gs = mg.grad(ours, [r, f], allow_unused=True)
    tgs = torch.autograd.grad(ref, [tr, tf], allow_unused=True)
    for g, tg, which in zip(gs, tgs, ("real", "fake")):
        want = np.zeros_like(REAL_LOGITS if which == "real" else FAKE_LOGITS) if tg is None else tg.numpy()
        got = np.zeros_like(want) if g is None else g.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14,
                                   err_msg=f"{name}: gradient w.r.t. {which} logits differs")


@pytest.mark.parametrize("name", list(_torch_losses(torch.zeros(1), torch.zeros(1))))
def test_loss_passes_gradcheck_in_float64(name):
    fn = lambda r, f: _minigan_losses(r, f)[name]
    assert mg.gradcheck(fn, (_t(REAL_LOGITS), _t(FAKE_LOGITS)))


def test_saturating_alias_is_minimax():
    f = _t(FAKE_LOGITS)
    assert L.generator_loss(f, "saturating").item() == L.generator_loss(f, "minimax").item()


def test_unknown_generator_loss_names_the_valid_kinds():
    with pytest.raises(ValueError) as e:
        L.generator_loss(_t(FAKE_LOGITS), "hinge")
    for kind in ("minimax", "non-saturating", "least-squares"):
        assert kind in str(e.value), f"{kind!r} missing from: {e.value}"


def test_value_function_is_minus_log4_when_d_is_one_half_everywhere():
    zeros = mg.zeros(8, 1, dtype=mg.float64)
    v = L.value_function(zeros, zeros).item()
    assert v == pytest.approx(-math.log(4.0), abs=1e-15), f"expected -log 4, got {v}"
    assert L.discriminator_loss(zeros, zeros).item() == pytest.approx(math.log(4.0), abs=1e-15)


def test_losses_are_finite_and_exact_when_d_saturates():
    # D sure and right (fakes at logit -60, reals at +60): log(1 - D) must not round to log 0
    real = _t(np.full((4, 1), 60.0))
    fake = _t(np.full((4, 1), -60.0))
    d = L.discriminator_loss(real, fake)
    assert d.item() == pytest.approx(2 * math.exp(-60.0), rel=1e-12), f"got {d.item()}"
    ns = L.generator_loss(fake, "non-saturating")
    assert ns.item() == pytest.approx(60.0, rel=1e-12)
    (g_ns,) = mg.grad(ns, fake)
    mm = L.generator_loss(fake, "minimax")
    (g_mm,) = mg.grad(mm, fake)
    # the minimax gradient vanishes like sigmoid(l) = e^-60; the non-saturating one stays ~1/m
    assert np.all(np.isfinite(g_mm.numpy())) and np.all(np.abs(g_mm.numpy()) < 1e-26)
    np.testing.assert_allclose(g_ns.numpy(), -0.25, rtol=1e-12)


def _critic(seed: int = 0, sizes=(2, 5, 1)) -> nn.Module:
    mg.manual_seed(seed)
    return nn.mlp(list(sizes), activation="tanh").double()


def test_clip_weights_clips_every_parameter_in_place():
    D = _critic()
    with mg.no_grad():
        for p in D.parameters():
            p.array *= 100.0
    ids = [id(p.array) for p in D.parameters()]
    expected = [np.clip(p.numpy(), -0.01, 0.01) for p in D.parameters()]
    R.clip_weights_(D, 0.01)
    for p, i, e in zip(D.parameters(), ids, expected):
        assert id(p.array) == i, "clip_weights_ must work in place"
        np.testing.assert_array_equal(p.numpy(), e)
    with pytest.raises(ValueError):
        R.clip_weights_(D, 0.0)
    assert L.clip_weights_ is R.clip_weights_, "losses.clip_weights_ names the regularizer"


def test_a_graph_that_read_the_weights_before_clipping_refuses_to_backward():
    D = _critic()
    out = D(mg.tensor(X, dtype=mg.float64)).sum()
    R.clip_weights_(D, 0.01)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


X = RNG.standard_normal((4, 2))
Y = RNG.standard_normal((4, 2))


def _torch_critic(D: nn.Module) -> torch.nn.Module:
    tD = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    tD.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in D.state_dict().items()})
    return tD


def test_gradient_penalty_matches_a_pytorch_wgan_gp_with_the_same_eps():
    D = _critic()
    gp = R.gradient_penalty(D, mg.tensor(X), mg.tensor(Y), lambda_=10.0, rng=np.random.default_rng(3))
    gp.backward()
    eps = torch.tensor(np.random.default_rng(3).random((4, 1)))
    tD = _torch_critic(D)
    x_hat = (eps * torch.tensor(X) + (1 - eps) * torch.tensor(Y)).requires_grad_(True)
    (g,) = torch.autograd.grad(tD(x_hat).sum(), x_hat, create_graph=True)
    tgp = 10.0 * ((g.norm(2, dim=1) - 1) ** 2).mean()
    tgp.backward()
    np.testing.assert_allclose(gp.item(), tgp.item(), rtol=1e-10)
    for (name, p), tp in zip(D.named_parameters(), tD.parameters()):
        want = np.zeros(p.shape) if tp.grad is None else tp.grad.numpy()
        got = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12, err_msg=f"grad of '{name}'")


def test_r1_and_r2_match_pytorch_with_the_half_convention():
    D = _critic()
    tD = _torch_critic(D)
    for fn, data in ((R.r1_penalty, X), (R.r2_penalty, Y)):
        D.zero_grad()
        tD.zero_grad()
        pen = fn(D, mg.tensor(data), 3.0)
        pen.backward()
        x = torch.tensor(data, requires_grad=True)
        (g,) = torch.autograd.grad(tD(x).sum(), x, create_graph=True)
        tpen = 3.0 / 2 * (g * g).sum(dim=1).mean()
        tpen.backward()
        np.testing.assert_allclose(pen.item(), tpen.item(), rtol=1e-12)
        for (name, p), tp in zip(D.named_parameters(), tD.parameters()):
            want = np.zeros(p.shape) if tp.grad is None else tp.grad.numpy()
            got = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14,
                                       err_msg=f"{fn.__name__}: grad of '{name}'")


def test_gradient_penalty_passes_gradcheck_wrt_inputs_and_critic_parameters():
    D = _critic()
    params = tuple(D.parameters())
    x, y = _t(X), _t(Y)

    def gp(x, y, *ps):  # ps are D's own parameters: gradcheck perturbs them in place
        return R.gradient_penalty(D, x, y, 10.0, rng=np.random.default_rng(0))

    assert mg.gradcheck(gp, (x, y) + params)


def test_gradient_penalty_passes_gradgradcheck():
    D = _critic()
    x, y = _t(X), _t(Y)
    w = next(iter(D.parameters()))

    def gp(x, y, w):
        return R.gradient_penalty(D, x, y, 10.0, rng=np.random.default_rng(0))

    assert mg.gradgradcheck(gp, (x, y, w))


@pytest.mark.parametrize("penalty", [R.r1_penalty, R.r2_penalty])
def test_r1_r2_pass_gradcheck_wrt_inputs_and_discriminator_parameters(penalty):
    D = _critic()
    params = tuple(D.parameters())

    def fn(x, *ps):
        return penalty(D, x, 10.0)

    assert mg.gradcheck(fn, (_t(X),) + params)


def test_r1_passes_gradgradcheck():
    D = _critic()
    w = next(iter(D.parameters()))
    assert mg.gradgradcheck(lambda x, w: R.r1_penalty(D, x, 10.0), (_t(X), w))


def test_gradient_penalty_draws_eps_from_minigans_generator_by_default():
    D = _critic()
    mg.manual_seed(11)
    a = R.gradient_penalty(D, mg.tensor(X), mg.tensor(Y)).item()
    mg.manual_seed(11)
    b = R.gradient_penalty(D, mg.tensor(X), mg.tensor(Y)).item()
    assert a == b


def test_gradient_penalty_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="must match"):
        R.gradient_penalty(_critic(), mg.tensor(X), mg.tensor(Y[:3]))
