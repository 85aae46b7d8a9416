"""Vanishing gradients (Goodfellow et al. 2014, sec. 3): when D confidently rejects G's
samples, the minimax generator loss log(1 - D(G(z))) saturates and G gets almost no
gradient, while the non-saturating loss -log D(G(z)) still gives it a strong one.

What it shows:
1. the derivative of each loss with respect to D's logit l, as a function of D(G(z)):
   analytically |dL/dl| = D for minimax and 1 - D for non-saturating; measured here by
   backpropagating through minigan's own loss functions, at D(G(z)) from 1e-8 to 0.9.
2. in a real network: a freshly initialized generator (its samples sit near 0) and a
   discriminator trained alone on the 8-mode ring until it is strong. Both losses are
   backpropagated through D into G; the norm of the gradient on G's parameters is printed.

What it prints: the two per-sample gradients at D(G(z)) = 1e-4 (minimax ~1e-4, non-
saturating ~1), then, for the strong D, mean D(G(z)) and ||grad_theta L_G|| for each loss
and their ratio.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import losses
from minigan.lab import datasets, theory
from minigan.viz import vanishing_gradients_figure


def generator_grad_norm(g, d, z, kind: str) -> tuple[float, float]:
    """||d L_G / d theta_G|| (all of G's parameters) and mean D(G(z)) for one loss kind."""
    params = list(g.parameters())
    logits = d(g(z))
    loss = losses.generator_loss(logits, kind)
    grads = mg.grad(loss, params)
    norm = float(np.sqrt(sum(float((gr.to("cpu").numpy().astype(np.float64) ** 2).sum()) for gr in grads)))
    d_fake = float(mg.sigmoid(logits).mean().item())
    return norm, d_fake


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/vanishing_gradients")
    p.add_argument("--iterations", type=int, default=300, help="steps of training D alone")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    # 1. the derivative of each loss with respect to the logit, measured by autograd
    d_values = np.logspace(-8, np.log10(0.9), 25)
    measured = {kind: theory.generator_logit_gradient(d_values, kind) for kind in ("minimax", "non-saturating")}
    at = theory.generator_logit_gradient(np.array([1e-4]), "minimax")[0], \
        theory.generator_logit_gradient(np.array([1e-4]), "non-saturating")[0]
    vanishing_gradients_figure(d_values, measured, os.path.join(args.out, "vanishing_gradients.png"))

    # 2. a strong discriminator against an untrained generator
    mg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    ring = datasets.GaussianMixture.ring()
    g = nn.mlp([2, 64, 64, 2], activation=nn.LeakyReLU(0.2))
    d = nn.mlp([2, 64, 64, 1], activation=nn.LeakyReLU(0.2))
    opt_d = optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(args.iterations):
        x = mg.tensor(ring.sample(256, rng))
        with mg.no_grad():
            fake = g(mg.randn(256, 2))
        loss = losses.discriminator_loss(d(x), d(fake))
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
    z = mg.randn(1024, 2)
    sat, d_fake = generator_grad_norm(g, d, z, "minimax")
    ns, _ = generator_grad_norm(g, d, z, "non-saturating")

    result = {"logit_grad_minimax_at_1e-4": float(at[0]), "logit_grad_ns_at_1e-4": float(at[1]),
              "d_fake": d_fake, "grad_norm_minimax": sat, "grad_norm_ns": ns, "ratio": ns / max(sat, 1e-300)}
    print(f"at D(G(z)) = 1e-4, |dL/dlogit| measured by autograd: minimax {at[0]:.3e}, non-saturating {at[1]:.6f}")
    print(f"strong D after {args.iterations} steps alone: mean D(G(z)) = {d_fake:.2e}")
    print(f"||grad_theta_G L_G||: minimax (saturating) {sat:.3e}   non-saturating {ns:.3e}   "
          f"ratio {result['ratio']:.1f}x")
    print(f"wrote {os.path.join(args.out, 'vanishing_gradients.png')}")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
