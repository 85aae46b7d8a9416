"""Keeping the discriminator (critic) in check: the gradient penalties WGAN-GP, R1, R2, and
WGAN's weight clipping.

Each penalty differentiates D's output with respect to D's input with
``grad(..., create_graph=True)``: the input gradient carries a graph of its own, so the
penalty's gradient reaches D's parameters by double backward, as the papers require.
Inputs have shape (m, ...) with the batch first; D returns (m, 1) (or (m,)) scores.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd import grad
from ..backend.device import to_device
from ..ops.reduce import mean, sum
from ..random import default_generator
from ..tensor import Tensor

__all__ = ["clip_weights_", "gradient_penalty", "r1_penalty", "r2_penalty"]

# Added under the square root of ||grad||^2: keeps the norm's derivative finite where a
# sample's input gradient is exactly 0 (a dead ReLU critic); shifts ||g|| by < 1e-6.
_NORM_EPS = 1e-12


def _input_grad(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """d sum(fn(x)) / dx, with a graph (so it can be differentiated again). Shape of x."""
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    (g,) = grad(sum(fn(x)), x, create_graph=True)
    return g


def _sq_norm_per_sample(g: Tensor) -> Tensor:
    """||g_i||^2 for each sample i: (m, ...) -> (m,)."""
    return sum(g * g, axis=tuple(range(1, g.ndim))) if g.ndim > 1 else g * g


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     lambda_: float = 10.0, rng: np.random.Generator | None = None) -> Tensor:
    """The WGAN-GP two-sided penalty on random interpolates of real and generated samples.

    critic: maps (m, ...) -> (m, 1) scores. real, fake: (m, ...) of the same shape.
    eps ~ U[0, 1], one per sample, drawn from ``rng`` (a numpy Generator), or from
    minigan's generator (``mg.manual_seed``) when None. Differentiable in the critic's
    parameters (double backward) and in real and fake (pass ``fake.detach()`` in the
    critic's step, as Algorithm 1 of the paper does). Returns a scalar tensor.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient_penalty: real of shape {tuple(real.shape)} and fake of shape "
            f"{tuple(fake.shape)} must match"
        )
    gen = default_generator() if rng is None else rng
    eps_shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = Tensor._wrap(to_device(gen.random(eps_shape).astype(real.dtype), real.device))
    # x_hat = eps x + (1 - eps) G(z)  (Gulrajani et al. 2017, Algorithm 1, line 6)
    x_hat = eps * real + (1.0 - eps) * fake
    g = _input_grad(critic, x_hat)
    norm = (_sq_norm_per_sample(g) + _NORM_EPS).sqrt()
    # lambda E (||grad_x_hat f(x_hat)||_2 - 1)^2  (Gulrajani et al. 2017, eq. 3)
    return lambda_ * mean((norm - 1.0) * (norm - 1.0))


def r1_penalty(discriminator: Callable[[Tensor], Tensor], real: Tensor, gamma: float) -> Tensor:
    """R1: the squared input-gradient norm of D on real data (Mescheder et al. 2018, eq. 9).

    Convention, as in the paper: gamma/2 E_x ||grad_x D(x)||^2, with the 1/2, where
    D(x) here is the discriminator's raw output (the logit, before the sigmoid).
    discriminator: (m, ...) -> (m, 1); real: (m, ...). Returns a scalar tensor whose
    gradient reaches D's parameters (and ``real``, if it requires grad).
    """
    g = _input_grad(discriminator, real)
    # R1 = gamma/2 E_{p_D} ||grad D(x)||^2  (Mescheder et al. 2018, eq. 9)
    return (0.5 * gamma) * mean(_sq_norm_per_sample(g))


def r2_penalty(discriminator: Callable[[Tensor], Tensor], fake: Tensor, gamma: float) -> Tensor:
    """R2: as R1, on generated samples (Mescheder et al. 2018, eq. 10).

    Convention: gamma/2 E_z ||grad_x D(x)|_{x=G(z)}||^2, with the 1/2, on the raw output.
    fake: (m, ...), usually detached from G. Returns a scalar tensor.
    """
    g = _input_grad(discriminator, fake)
    # R2 = gamma/2 E_{p_theta} ||grad D(x)||^2  (Mescheder et al. 2018, eq. 10)
    return (0.5 * gamma) * mean(_sq_norm_per_sample(g))


def clip_weights_(module, c: float) -> None:
    """Clip every parameter of ``module`` to [-c, c] in place (WGAN weight clipping).

    A crude way to keep the critic K-Lipschitz (Arjovsky et al. 2017, Algorithm 1, c = 0.01).
    Each write is counted, so a graph that read the old weights can no longer backward.
    """
    # w <- clip(w, -c, c)  (Arjovsky et al. 2017, Algorithm 1, line 7)
    if c <= 0:
        raise ValueError(f"clip_weights_: c must be positive, got {c}")
    for p in module.parameters():
        p.data.clamp_(-c, c)
