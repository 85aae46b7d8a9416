"""The Wasserstein critic (Arjovsky et al. 2017; with the gradient penalty of Gulrajani et
al. 2017): the critic's objective E f(x) - E f(G(z)) estimates the earth mover's distance
W1(p_data, p_g) = sup over 1-Lipschitz f of E_data f - E_g f (Kantorovich-Rubinstein).

What it shows, twice:

1. Against frozen generators of known W1. p_g is the 8-mode ring translated by t along x:
   a translation moves every point by |t|, so W1 = t exactly (the coupling x -> x + t gives
   <= t, the 1-Lipschitz f(x) = -x_1 gives >= t). A WGAN-GP critic (MLP 64x64, lambda = 10,
   Adam(1e-3, (0.5, 0.9))) is trained against each p_g; its estimate is read on fresh
   samples. The penalty only softly enforces ||grad f|| <= 1, so the estimate may read high:
   how far is the measurement.
2. During a WGAN-GP run on the ring (k_d = 5): the critic's estimate next to an independent
   W1 computed by optimal matching of samples (metrics.wasserstein_distance).

What it prints: for each t the critic's estimate and its ratio to t; for the run, W1 and the
critic's estimate at the start and the end. ``--clip 0.01`` uses the original weight
clipping (with RMSprop) instead of the penalty: the critic then measures W1 only up to an
unknown scale (its Lipschitz constant), which the frozen-G readings make visible.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer, losses, regularizers
from minigan.lab import datasets, metrics
from minigan.viz import wasserstein_figure

SHIFTS = (0.25, 0.5, 1.0, 2.0)


def _optimizers(g, f, clip):
    if clip is None:
        return (optim.Adam(g.parameters(), lr=5e-5, betas=(0.5, 0.9)) if g is not None else None,
                optim.Adam(f.parameters(), lr=1e-3, betas=(0.5, 0.9)))
    return (optim.RMSprop(g.parameters(), lr=5e-5) if g is not None else None,
            optim.RMSprop(f.parameters(), lr=5e-5))


def critic_reading(shift: float, steps: int, seed: int, clip: float | None = None, batch: int = 256) -> float:
    """Train a critic between the ring and the ring shifted by (shift, 0); return its
    estimate E f(x) - E f(y) on 10,000 fresh samples of each (the true W1 is ``shift``)."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ring = datasets.GaussianMixture.ring()
    move = np.array([shift, 0.0], np.float32)
    f = nn.mlp([2, 64, 64, 1], activation=nn.LeakyReLU(0.2))
    _, opt = _optimizers(None, f, clip)
    for _ in range(steps):
        real = mg.tensor(ring.sample(batch, rng))
        fake = mg.tensor(ring.sample(batch, rng) + move)
        loss = losses.wasserstein_critic_loss(f(real), f(fake))
        if clip is None:
            loss = loss + regularizers.gradient_penalty(f, real, fake, 10.0, rng=rng)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if clip is not None:
            regularizers.clip_weights_(f, clip)
    real, fake = ring.sample(10_000, rng), ring.sample(10_000, rng) + move
    return float(metrics.logits_on(f, real).mean() - metrics.logits_on(f, fake).mean())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/wasserstein")
    p.add_argument("--iterations", type=int, default=600, help="generator steps of the run; critic steps x 2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clip", type=float, default=None, help="weight clipping c instead of the penalty")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    kind = "gradient penalty" if args.clip is None else f"weight clipping c = {args.clip}"

    readings = {t: critic_reading(t, 2 * args.iterations, args.seed, args.clip) for t in SHIFTS}
    print(f"critic ({kind}, {2 * args.iterations} steps) against a frozen G = the ring shifted by t, W1 = t:")
    for t, r in readings.items():
        print(f"  W1 = {t:4.2f}: critic reads {r:.3f} ({100 * (r / t - 1):+.1f}%)")

    mg.manual_seed(args.seed)
    ring = datasets.GaussianMixture.ring()
    g = nn.mlp([2, 64, 64, 2], activation=nn.LeakyReLU(0.2))
    f = nn.mlp([2, 64, 64, 1], activation=nn.LeakyReLU(0.2))
    opt_g, opt_f = _optimizers(g, f, args.clip)
    extra = {"gp_lambda": 10.0} if args.clip is None else {"clip": args.clip}
    trainer = Trainer(g, f, opt_g, opt_f, ring, z_dim=2, batch_size=256, k_d=5,
                      d_loss="wasserstein", g_loss="wasserstein", seed=args.seed, **extra)
    rng = np.random.default_rng(args.seed + 1)
    real = ring.sample(512, rng)
    every = max(1, args.iterations // 20)
    w1_its, w1 = [0], [metrics.wasserstein_distance(real, trainer.sample(512))]

    def measure(tr, record):
        if record["iteration"] % every == 0 or record["iteration"] == args.iterations:
            w1_its.append(record["iteration"])
            w1.append(metrics.wasserstein_distance(real, tr.sample(512)))

    history = trainer.train(args.iterations, callback=measure)
    its, critic = history["iteration"], history["value"]  # value = E f(x) - E f(G(z))
    half = max(1, every // 4)
    at = np.array([critic[max(0, i - half): i + 1].mean() if i > 0 else critic[0] for i in w1_its])
    wasserstein_figure(its, critic, np.array(w1_its), np.array(w1), os.path.join(args.out, "wasserstein.png"),
                       title=f"WGAN ({kind}): the critic's estimate and W1 by optimal matching")
    result = {"readings": {str(t): r for t, r in readings.items()},
              "reading_ratio": {str(t): r / t for t, r in readings.items()},
              "w1_start": w1[0], "w1_end": w1[-1], "critic_start": float(at[0]), "critic_end": float(at[-1])}
    print(f"WGAN with {kind}, {args.iterations} generator steps (5 critic steps each):")
    print(f"  W1(p_data, p_g) by optimal matching of 512 samples: {w1[0]:.3f} -> {w1[-1]:.3f}")
    print(f"  critic estimate E f(x) - E f(G(z)): {at[0]:.3f} -> {at[-1]:.3f}")
    print(f"wrote {os.path.join(args.out, 'wasserstein.png')}")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
