"""Experiments on the theory of Goodfellow et al. 2014 whose outcomes could come out wrong,
shared by ``minigan theory`` and the examples.

- :func:`optimal_discriminator`: train D alone against a fixed p_g; how far is it from
  D* = p_data / (p_data + p_g) (Prop. 1), and how far is V(D, G) below C(G)?
- :func:`converged_1d`: train a whole 1-D GAN (an affine G, so p_g is exactly Gaussian);
  does it end at the global optimum of Thm. 1, D(x) = 1/2 and V = -log 4?
"""
from __future__ import annotations

import numpy as np

from .. import nn, optim
from ..creation import tensor
from ..gan import losses
from ..gan.trainer import Trainer
from ..optim.lr_scheduler import LambdaLR
from ..random import manual_seed
from . import datasets, metrics, theory

__all__ = ["converged_1d", "optimal_discriminator", "ring_run"]


def optimal_discriminator(iterations: int = 1500, seed: int = 0, batch_size: int = 512) -> dict:
    """Train an MLP D (64x64, tanh, Adam(3e-3)) by the BCE loss on p_data = N(0, 1) against a
    fixed p_g = N(1.5, 0.8^2): the inner max of the game. Returns the grid ``x``, ``p_data``,
    ``p_g``, ``d`` (the trained D), ``d_star``, and the numbers: ``max_gap`` and ``mean_gap``
    (|D - D*| on the support, where (p_data + p_g)/2 > 1% of its max; mean weighted by it),
    ``value`` = V(D, G) and ``criterion`` = C(G) = V(D*, G) (exact integrals), ``jsd``."""
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    data, fake = datasets.Gaussian1D(0.0, 1.0), datasets.Gaussian1D(1.5, 0.8)
    d = nn.mlp([1, 64, 64, 1], activation=nn.Tanh())
    opt = optim.Adam(d.parameters(), lr=3e-3)
    for _ in range(iterations):
        x_real = tensor(data.sample(batch_size, rng))
        x_fake = tensor(fake.sample(batch_size, rng))
        loss = losses.discriminator_loss(d(x_real), d(x_fake))  # = -V(D, G) on the minibatch
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, dx = theory.grid_1d(-5.0, 6.0, 2201)
    p_data, p_g = data.density(x), fake.density(x)
    d_star = theory.optimal_discriminator(p_data, p_g)
    d_trained = metrics.probabilities_on(d, x)
    w = 0.5 * (p_data + p_g)
    support = w > 1e-2 * w.max()
    gap = np.abs(d_trained - d_star)
    opt_value = theory.value_at_optimum(p_data, p_g, dx)
    return {"x": x, "p_data": p_data, "p_g": p_g, "d": d_trained, "d_star": d_star,
            "max_gap": float(gap[support].max()), "mean_gap": float((gap * w).sum() / w.sum()),
            "value": theory.value(d_trained, p_data, p_g, dx), "criterion": opt_value["criterion"],
            "jsd": opt_value["jsd"], "discriminator": d}


def converged_1d(iterations: int = 3000, seed: int = 0, mu: float = 2.0, sigma: float = 0.5) -> dict:
    """A 1-D GAN trained to its end: p_data = N(mu, sigma^2), G(z) = a z + b (z ~ N(0, 1), so
    p_g = N(b, a^2) exactly), D an MLP 32x32 (LeakyReLU(0.2)); non-saturating loss,
    Adam(2e-3, (0.5, 0.999)), batch 256, the learning rate decayed linearly to 2% over the
    second half. Thm. 1's optimum is p_g = p_data, D = 1/2 everywhere, V = -log 4.

    Returns the learned ``mu_g``, ``sigma_g``; ``jsd`` (exact, on a grid) and ``criterion``
    C(G) = -log 4 + 2 JSD; ``d_max_dev``: max |D(x) - 1/2| over [mu - 2 sigma, mu + 2 sigma];
    ``value``: V(D, G) by Monte Carlo on 20,000 samples of each; ``minus_log4``;
    ``curve``: (iterations, exact C(G)) at about 150 points of the run."""
    manual_seed(seed)
    data = datasets.Gaussian1D(mu, sigma)
    g = nn.Linear(1, 1)
    d = nn.mlp([1, 32, 32, 1], activation=nn.LeakyReLU(0.2))
    opt_g = optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999))
    half = iterations // 2
    factor = lambda it: 1.0 if it <= half else 1.0 - 0.98 * min(1.0, (it - half) / max(1, iterations - half))
    schedulers = [LambdaLR(opt_g, factor), LambdaLR(opt_d, factor)]
    trainer = Trainer(g, d, opt_g, opt_d, data, z_dim=1, batch_size=256, seed=seed)
    x, dx = theory.grid_1d(mu - 8 * sigma, mu + 8 * sigma, 4001)
    p_data = data.density(x)

    def affine() -> tuple[float, float, float]:
        a = float(np.asarray(g.weight.cpu().numpy()).reshape(-1)[0])
        b = float(np.asarray(g.bias.cpu().numpy()).reshape(-1)[0])
        return a, b, theory.jsd(p_data, datasets.Gaussian1D(b, max(abs(a), 1e-6)).density(x), dx)

    every = max(1, iterations // 150)
    curve = [(0, -theory.LOG4 + 2 * affine()[2])]

    def step(tr, rec):
        for s in schedulers:
            s.step()
        if rec["iteration"] % every == 0:
            curve.append((rec["iteration"], -theory.LOG4 + 2 * affine()[2]))

    trainer.train(iterations, callback=step)
    a, b, jsd = affine()
    near = np.linspace(mu - 2 * sigma, mu + 2 * sigma, 401)
    rng = np.random.default_rng(seed + 1)
    d_real = metrics.probabilities_on(d, data.sample(20_000, rng))
    d_fake = metrics.probabilities_on(d, trainer.sample(20_000, rng))
    return {"mu_g": b, "sigma_g": abs(a), "jsd": jsd, "criterion": -theory.LOG4 + 2 * jsd,
            "d_max_dev": float(np.abs(metrics.probabilities_on(d, near) - 0.5).max()),
            "value": theory.value_monte_carlo(d_real, d_fake), "minus_log4": -theory.LOG4,
            "iterations": iterations, "curve": np.array(curve)}


def ring_run(iterations: int, seed: int, *, k_d: int = 1, k_g: int = 1, hidden: int = 128, layers: int = 2,
             lr: float = 5e-4, batch_size: int = 256, snapshots: int = 0):
    """A small GAN on the 8-mode ring (MLPs ``layers`` x ``hidden``, non-saturating loss,
    Adam(lr, (0.5, 0.999)), no regularizer), for sweeps over one knob. Returns
    (trainer, taken), ``taken`` the [(iteration, 1000 samples)] at ``snapshots`` evenly
    spaced iterations, and the final statistics in ``trainer.stats`` (mode_statistics on
    2,500 samples, plus ``top_share``: the largest share of samples nearest one mode)."""
    manual_seed(seed)
    ring = datasets.GaussianMixture.ring()
    g = nn.mlp([2] + [hidden] * layers + [2], activation=nn.LeakyReLU(0.2))
    d = nn.mlp([2] + [hidden] * layers + [1], activation=nn.LeakyReLU(0.2))
    trainer = Trainer(g, d, optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999)),
                      optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999)), ring,
                      z_dim=2, batch_size=batch_size, k_d=k_d, k_g=k_g, seed=seed)
    marks = set(np.linspace(0, iterations, snapshots + 1).astype(int)[1:].tolist()) if snapshots else set()
    taken = []
    trainer.train(iterations, callback=lambda tr, r: taken.append((r["iteration"], tr.sample(1000)))
                  if r["iteration"] in marks else None)
    fake = trainer.sample(2500, np.random.default_rng(seed + 12346))
    nearest = ((fake[:, None, :] - ring.means[None]) ** 2).sum(-1).argmin(1)
    trainer.stats = {"coverage": metrics.mode_statistics(fake, ring.means, ring.std),
                     "top_share": float(np.bincount(nearest, minlength=ring.n_modes).max() / len(fake)),
                     "jsd": metrics.jsd_estimate(fake, ring)}
    return trainer, taken
