"""A small MLP GAN on scikit-learn's 8x8 handwritten digits (1,797 images, no download).

What it shows: the same Algorithm 1 and non-saturating loss as the toy demos, in 64
dimensions: G (z of 32 -> 256 -> 256 -> 64, Tanh) learns digit-like images in a short CPU
run. To put a number on "digit-like" and on mode coverage in image space, a logistic
regression classifier fitted on the real digits (scikit-learn) labels the samples.

What it prints: how many of the 10 digit classes the samples cover (a class counts when
at least 2% of the samples are assigned to it), the mean classifier confidence on
generated vs real images, the Frechet distance between generated and real digits on the
features of a classifier minigan trains itself (an FID for 8x8 digits), next to the same
distance between two disjoint halves of the real digits (the floor a perfect G reaches at
this sample size), and the final mean D(x), D(G(z)).
Writes digits.png (generated next to real) and the dashboard of the run.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer
from minigan.lab import datasets, metrics
from minigan.viz import dashboard, digits_grid


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/digits")
    p.add_argument("--iterations", type=int, default=1500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)

    data = datasets.Digits()
    z_dim = 32
    g = nn.mlp([z_dim, 256, 256, data.dim], activation=nn.LeakyReLU(0.2), out_activation=nn.Tanh())
    d = nn.mlp([data.dim, 256, 256, 1], activation=nn.LeakyReLU(0.2))
    trainer = Trainer(g, d, optim.Adam(g.parameters(), lr=5e-4, betas=(0.5, 0.999)),
                      optim.Adam(d.parameters(), lr=5e-4, betas=(0.5, 0.999)), data,
                      z_dim=z_dim, batch_size=128, seed=args.seed)
    history = trainer.train(args.iterations)

    from sklearn.linear_model import LogisticRegression  # the judge, not part of minigan

    judge = LogisticRegression(max_iter=2000).fit(data.data, data.labels)
    fake = trainer.sample(1000)
    proba = judge.predict_proba(fake)
    counts = np.bincount(proba.argmax(1), minlength=10)
    classes = int((counts >= 0.02 * len(fake)).sum())
    conf_fake = float(proba.max(1).mean())
    conf_real = float(judge.predict_proba(data.data).max(1).mean())
    halves = np.random.default_rng(args.seed + 2).permutation(len(data))
    real_a, real_b = data.data[halves[: len(data) // 2]], data.data[halves[len(data) // 2:]]
    fd_fake = metrics.frechet_digits_distance(fake[: len(real_a)], real_b)
    fd_floor = metrics.frechet_digits_distance(real_a, real_b)
    tail = max(1, len(history) // 10)
    d_real, d_fake = float(history["d_real"][-tail:].mean()), float(history["d_fake"][-tail:].mean())

    rng = np.random.default_rng(args.seed)
    digits_grid(fake, os.path.join(args.out, "digits.png"), real=data.sample(64, rng),
                title=f"8×8 digits after {args.iterations} iterations")
    dashboard(history, os.path.join(args.out, "dashboard.png"), title="digits: non-saturating GAN")
    result = {"classes": classes, "counts": counts.tolist(), "confidence_fake": conf_fake,
              "confidence_real": conf_real, "d_real": d_real, "d_fake": d_fake,
              "frechet_fake": fd_fake, "frechet_floor": fd_floor}
    print(f"trained {args.iterations} iterations on {len(data)} digits")
    print(f"digit classes covered: {classes}/10 (samples per class: {counts.tolist()})")
    print(f"classifier confidence: generated {conf_fake:.3f} vs real {conf_real:.3f}")
    print(f"Frechet distance on minigan's digit classifier's features: generated vs real {fd_fake:.1f}, "
          f"real vs real (disjoint halves) {fd_floor:.1f}")
    print(f"mean D(x) = {d_real:.3f}, mean D(G(z)) = {d_fake:.3f} over the last {tail} iterations")
    print(f"wrote {os.path.join(args.out, 'digits.png')}")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
