"""Thm. 1 of Goodfellow et al. 2014: C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g),
whose global minimum -log 4 is reached exactly when p_g = p_data.

What it shows:
1. a picture of the theorem, exactly on a grid: C(G) for p_data = N(0, 1) and p_g = N(mu, 1),
   mu in [-4, 4]; it touches -log 4 only at mu = 0 (criterion_vs_shift.png).
2. a measurement that could fail: a whole 1-D GAN trained by minigan to its end. An affine
   generator G(z) = a z + b (z ~ N(0, 1), so p_g = N(b, a^2) and C(G) are exact) against an
   MLP discriminator on p_data = N(2, 0.5^2), non-saturating loss, Adam with the learning
   rate decayed linearly over the second half (lab.experiments.converged_1d). If the game
   reaches Thm. 1's optimum, p_g = p_data, D(x) = 1/2 everywhere and V(D, G) = -log 4.

What it prints: the learned p_g, the exact C(G) at the start and the end (and the JSD),
max |D(x) - 1/2| within 2 std of the data at the end, and V(D, G) by Monte Carlo next to
-log 4.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan.lab import datasets, experiments, theory
from minigan.viz import criterion_figure


def sweep(shifts: np.ndarray) -> dict:
    """C(G), V(D*, G) and JSD for p_data = N(0, 1), p_g = N(mu, 1), each mu in shifts."""
    x, dx = theory.grid_1d(-12.0, 12.0, 4801)
    p_data = datasets.Gaussian1D(0.0, 1.0).density(x)
    rows = [theory.value_at_optimum(p_data, datasets.Gaussian1D(mu, 1.0).density(x), dx) for mu in shifts]
    return {k: np.array([r[k] for r in rows]) for k in ("criterion", "value", "jsd")}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/jsd_criterion")
    p.add_argument("--iterations", type=int, default=3000, help="training iterations of the 1-D GAN")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    shifts = np.linspace(-4.0, 4.0, 81)
    s = sweep(shifts)
    criterion_figure(shifts, s["criterion"], s["jsd"], os.path.join(args.out, "criterion_vs_shift.png"),
                     value=s["value"], xlabel="shift μ of p_g = N(μ, 1) from p_data = N(0, 1)")

    # ---- a 1-D GAN trained to its end: an affine G, so p_g = N(b, a^2) and C(G) are exact
    r = experiments.converged_1d(args.iterations, args.seed)
    its, crit = r["curve"][:, 0], r["curve"][:, 1]
    criterion_figure(its, crit, (crit + theory.LOG4) / 2, os.path.join(args.out, "criterion_during_training.png"),
                     xlabel="iteration", title="C(G) of an affine G during training, p_data = N(2, 0.5²)")
    result = {k: v for k, v in r.items() if k != "curve"}
    result.update({"c_start": float(crit[0]), "argmin_shift": float(shifts[np.argmin(s["criterion"])])})
    print(f"1-D GAN (affine G, MLP D), {args.iterations} iterations on p_data = N(2, 0.5^2):")
    print(f"  learned p_g = N({r['mu_g']:.3f}, {r['sigma_g']:.3f}^2); exact C(G) {crit[0]:.4f} -> {r['criterion']:.5f} "
          f"(-log 4 = {-theory.LOG4:.5f}; JSD {r['jsd']:.1e} nats)")
    print(f"  at the end, max |D(x) - 1/2| within 2 std of the data: {r['d_max_dev']:.4f} (Thm. 1's optimum: 0)")
    print(f"  V(D, G) by Monte Carlo: {r['value']:.5f} vs -log 4 = {-theory.LOG4:.5f}")
    print(f"wrote {args.out}/criterion_vs_shift.png and {args.out}/criterion_during_training.png")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
