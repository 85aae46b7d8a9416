"""The Wasserstein critic (Arjovsky et al. 2017; with the gradient penalty of Gulrajani et
al. 2017): the critic's objective E f(x) - E f(G(z)) estimates the earth mover's distance
W1(p_data, p_g) = sup over 1-Lipschitz f of E_data f - E_g f (Kantorovich-Rubinstein), so
unlike the BCE losses it is a number that falls as the samples get better.

What it shows: a WGAN-GP on the 8-mode ring trained with minigan (k_d = 5 critic steps per
generator step, lambda = 10, Adam with betas (0.5, 0.9), the critic's lr 1e-3 and G's 5e-5,
the penalty by double backward).
Every so often an independent W1 is computed from samples by optimal matching
(metrics.wasserstein_distance); the critic's estimate follows it down.

What it prints: W1 and the critic's estimate at the start and the end, and the Pearson
correlation between the two over the run (after the first checkpoint,
where the critic is untrained). ``--clip 0.01`` uses the original weight
clipping (with RMSprop) instead of the penalty: the critic then measures W1 only up to
an unknown scale (its Lipschitz constant), but the curves still move together.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer
from minigan.lab import datasets, metrics
from minigan.viz import wasserstein_figure


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/wasserstein")
    p.add_argument("--iterations", type=int, default=600, help="generator steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clip", type=float, default=None, help="weight clipping c instead of the penalty")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)

    ring = datasets.GaussianMixture.ring()
    g = nn.mlp([2, 64, 64, 2], activation=nn.LeakyReLU(0.2))
    f = nn.mlp([2, 64, 64, 1], activation=nn.LeakyReLU(0.2))  # the critic: a score, no sigmoid
    if args.clip is None:
        opt_g = optim.Adam(g.parameters(), lr=5e-5, betas=(0.5, 0.9))  # critic 20x faster
        opt_f = optim.Adam(f.parameters(), lr=1e-3, betas=(0.5, 0.9))
        extra = {"gp_lambda": 10.0}
    else:
        opt_g, opt_f = optim.RMSprop(g.parameters(), lr=5e-5), optim.RMSprop(f.parameters(), lr=5e-5)
        extra = {"clip": args.clip}
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
    # the critic's estimate around each W1 measurement (a window of iterations)
    half = max(1, every // 4)
    at = np.array([critic[max(0, i - half): i + 1].mean() if i > 0 else critic[0] for i in w1_its])
    # the first checkpoint is an untrained critic: correlate from the second on
    corr = float(np.corrcoef(at[1:], w1[1:])[0, 1]) if len(w1) > 3 else float("nan")
    kind = "gradient penalty" if args.clip is None else f"weight clipping c = {args.clip}"
    wasserstein_figure(its, critic, np.array(w1_its), np.array(w1),
                       os.path.join(args.out, "wasserstein.png"),
                       title=f"WGAN ({kind}): the critic's estimate tracks W1")
    result = {"w1_start": w1[0], "w1_end": w1[-1], "critic_start": float(at[0]),
              "critic_end": float(at[-1]), "correlation": corr}
    print(f"WGAN with {kind}, {args.iterations} generator steps (5 critic steps each)")
    print(f"W1(p_data, p_g) by optimal matching: {w1[0]:.3f} -> {w1[-1]:.3f}")
    print(f"critic estimate E f(x) - E f(G(z)): {at[0]:.3f} -> {at[-1]:.3f}")
    print(f"correlation between the critic's estimate and W1 over {len(w1)} checkpoints: {corr:.3f}")
    print(f"wrote {os.path.join(args.out, 'wasserstein.png')}")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
