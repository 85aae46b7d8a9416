"""Mode collapse: a generator that is trained too much against a fixed discriminator
piles its samples onto whatever point D currently likes best, and loses the other modes
(Goodfellow 2016, "NIPS tutorial", sec. 5.1.1; Metz et al. 2017).

What it shows: two runs on the 8-mode ring that differ in one knob only. With k_g = 1
generator step per discriminator step (Algorithm 1 with k = 1) the generator spreads over
the ring. With k_g = 5 (G takes five steps against each D) it collapses onto a single
region and hops from place to place as D catches up. Same networks (MLPs 128x2), same
Adam(5e-4, (0.5, 0.999)), same seed.

What it prints, for each run: modes covered under the standard test (a mode is covered
when enough samples fall within 3 std = 0.06 of it), modes reached within 0.5 (a looser
test, so that a spread-out but imprecise G still counts), and the largest share of
samples nearest to one mode (1/8 = 0.125 for a perfect G, 1 for total collapse).
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer
from minigan.lab import datasets, metrics
from minigan.viz import samples_over_time


def run(k_g: int, iterations: int, seed: int, snapshots: int = 4):
    """Train on the ring with k_g generator steps per D step; (trainer, snapshots)."""
    mg.manual_seed(seed)
    ring = datasets.GaussianMixture.ring()
    g = nn.mlp([2, 128, 128, 2], activation=nn.LeakyReLU(0.2))
    d = nn.mlp([2, 128, 128, 1], activation=nn.LeakyReLU(0.2))
    trainer = Trainer(g, d, optim.Adam(g.parameters(), lr=5e-4, betas=(0.5, 0.999)),
                      optim.Adam(d.parameters(), lr=5e-4, betas=(0.5, 0.999)), ring,
                      z_dim=2, batch_size=256, k_g=k_g, seed=seed)
    marks = set(np.linspace(0, iterations, snapshots + 1).astype(int)[1:].tolist())
    taken = []
    trainer.train(iterations, callback=lambda tr, r: taken.append((r["iteration"], tr.sample(1000)))
                  if r["iteration"] in marks else None)
    return trainer, taken


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/mode_collapse")
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    ring = datasets.GaussianMixture.ring()
    real = ring.sample(1000, np.random.default_rng(args.seed))

    result = {}
    for name, k_g in (("covers", 1), ("collapses", 5)):
        trainer, taken = run(k_g, args.iterations, args.seed)
        fake = trainer.sample(2500)
        strict = metrics.mode_coverage(fake, ring.means, ring.std)
        loose = metrics.mode_coverage(fake, ring.means, ring.std, threshold=0.5 / ring.std)
        nearest = ((fake[:, None, :] - ring.means[None]) ** 2).sum(-1).argmin(1)
        top_share = float(np.bincount(nearest, minlength=ring.n_modes).max() / len(fake))
        samples_over_time(taken, real, os.path.join(args.out, f"k_g_{k_g}.png"), means=ring.means,
                          title=f"k_g = {k_g} generator steps per D step")
        result[name] = {"k_g": k_g, "modes": strict.modes, "modes_within_0.5": loose.modes,
                        "top_mode_share": top_share}
        print(f"k_g = {k_g}: {strict.modes}/8 modes covered (3 std), {loose.modes}/8 reached within 0.5, "
              f"largest share on one mode {top_share:.2f} (1/8 = 0.125 is perfect)")
    print(f"wrote {args.out}/k_g_1.png and {args.out}/k_g_5.png")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
