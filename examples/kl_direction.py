"""Forward against reverse KL: fitting one Gaussian q to two modes covers both, or picks one.

What it shows: p_data = 1/2 N(-2, 0.5^2) + 1/2 N(2, 0.5^2); q = N(mu, s^2) with mu and
log s trained by minigan's autograd and Adam, twice:

- forward KL(p || q) = E_p[log p - log q]: maximum likelihood on samples of p. It punishes q
  where p > 0 but q -> 0, so q stretches over both modes (mode covering): mu -> 0 and
  s -> sqrt(2^2 + 0.5^2) = 2.06, the mixture's own mean and std.
- reverse KL(q || p) = E_q[log q - log p], by the reparametrization x = mu + s eps. It
  punishes q where q > 0 but p -> 0, so q settles on one mode (mode seeking): mu -> +-2,
  s -> 0.5. The reverse direction is the one a GAN's collapse resembles (Goodfellow 2016,
  NIPS tutorial, sec. 3.2.5; the non-saturating G loss behaves like KL - 2 JSD).

What it prints: each fit's mu and s against those predictions, and both KLs of both fits
(exact, on a grid): each fit is the better one in its own direction.
"""
from __future__ import annotations

import argparse
import math
import os

import numpy as np

import minigan as mg
from minigan import optim
from minigan.lab import datasets, theory
from minigan.viz.studies import kl_figure

MEANS, STD = (-2.0, 2.0), 0.5


def _log_p(x):
    """log p_data(x) of the two-mode mixture, as minigan ops (a stable log-sum-exp)."""
    a = -((x - MEANS[0]) ** 2) / (2 * STD**2)
    b = -((x - MEANS[1]) ** 2) / (2 * STD**2)
    m = mg.maximum(a, b).detach()
    return mg.log(mg.exp(a - m) + mg.exp(b - m)) + m - math.log(2 * math.sqrt(2 * math.pi) * STD)


def fit(direction: str, steps: int, seed: int, batch: int = 512) -> tuple[float, float]:
    """Fit q = N(mu, s^2) to p by minimizing KL in ``direction`` ("forward" or "reverse")."""
    rng = np.random.default_rng(seed)
    p = datasets.GaussianMixture(np.array(MEANS)[:, None], STD)
    mu = mg.tensor(0.5, dtype=mg.float64, requires_grad=True)   # slightly right of the middle
    log_s = mg.tensor(0.0, dtype=mg.float64, requires_grad=True)
    opt = optim.Adam([mu, log_s], lr=0.03)
    for _ in range(steps):
        s = mg.exp(log_s)
        if direction == "forward":
            x = mg.tensor(p.sample(batch, rng)[:, 0].astype(np.float64))
            # -E_p log q(x), the part of KL(p || q) that depends on q
            loss = mg.mean(log_s + (x - mu) ** 2 / (2 * s * s))
        else:
            eps = mg.tensor(rng.standard_normal(batch))
            x = mu + s * eps
            # E_q log q(x) - E_q log p(x); E_q log q = -log s - 1/2 log(2 pi e)
            loss = -log_s - mg.mean(_log_p(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return mu.item(), math.exp(log_s.item())


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out/kl_direction")
    ap.add_argument("--iterations", type=int, default=1500, help="Adam steps of each fit")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    x, dx = theory.grid_1d(-10.0, 10.0, 8001)
    p = datasets.GaussianMixture(np.array(MEANS)[:, None], STD).density(x)
    result = {}
    for direction in ("forward", "reverse"):
        mu, s = fit(direction, args.iterations, args.seed)
        q = datasets.Gaussian1D(mu, s).density(x)
        result[direction] = {"mu": mu, "s": s, "kl_p_q": theory.kl(p, q, dx), "kl_q_p": theory.kl(q, p, dx),
                             "q": q}
    fw, rv = result["forward"], result["reverse"]
    print(f"p = 1/2 N(-2, 0.5^2) + 1/2 N(2, 0.5^2); q = N(mu, s^2) fitted by Adam, {args.iterations} steps")
    print(f"forward KL(p || q): mu = {fw['mu']:+.3f}, s = {fw['s']:.3f} (mode covering predicts 0 and "
          f"{math.hypot(2.0, STD):.3f})")
    print(f"reverse KL(q || p): mu = {rv['mu']:+.3f}, s = {rv['s']:.3f} (mode seeking predicts +-2 and {STD})")
    print(f"KL(p || q): forward fit {fw['kl_p_q']:.3f} < reverse fit {rv['kl_p_q']:.3f};  "
          f"KL(q || p): reverse fit {rv['kl_q_p']:.3f} < forward fit {fw['kl_q_p']:.3f} (nats)")
    names = {"forward": "forward KL(p‖q)", "reverse": "reverse KL(q‖p)"}
    path = kl_figure(x, p, {names[k]: (r["mu"], r["s"]) for k, r in result.items()},
                     os.path.join(args.out, "kl_direction.png"),
                     kls={names[k]: (r["kl_p_q"], r["kl_q_p"]) for k, r in result.items()})
    print(f"wrote {path}")
    for r in result.values():
        r.pop("q")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
