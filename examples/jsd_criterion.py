"""Thm. 1 of Goodfellow et al. 2014: C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g),
whose global minimum -log 4 is reached exactly when p_g = p_data.

What it shows, twice:
1. exactly, on a grid: p_data = N(0, 1) and p_g = N(mu, 1) for shifts mu in [-4, 4].
   C(G) is computed from the JSD and, independently, by integrating V(D*, G) with
   D* = p_data / (p_data + p_g); the two agree, and the curve touches -log 4 only at mu = 0.
2. in training: an affine generator G(z) = a z + b (z ~ N(0, 1), so p_g = N(b, a^2)
   is known exactly) trained by minigan against an MLP discriminator on p_data =
   N(2, 0.5^2); the exact C(G) of the current G falls toward -log 4 as b -> 2, |a| -> 0.5.

What it prints: C(G) at mu = 0 and its distance to -log 4 (zero to round-off), the
largest |V(D*, G) - C(G)| over the sweep, the argmin of C over the shifts, and C(G) of the
trained generator at the start and the end with the learned (a, b).
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer
from minigan.lab import datasets, theory
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
    p.add_argument("--iterations", type=int, default=1500, help="training iterations of the affine G")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    shifts = np.linspace(-4.0, 4.0, 81)
    s = sweep(shifts)
    i0 = int(np.argmin(np.abs(shifts)))
    c0 = s["criterion"][i0]
    criterion_figure(shifts, s["criterion"], s["jsd"], os.path.join(args.out, "criterion_vs_shift.png"),
                     value=s["value"], xlabel="shift μ of p_g = N(μ, 1) from p_data = N(0, 1)")

    # ---- training an affine G: p_g = N(b, a^2) exactly, so C(G) is exact at every step
    mg.manual_seed(args.seed)
    data = datasets.Gaussian1D(2.0, 0.5)
    g = nn.Linear(1, 1)
    d = nn.mlp([1, 32, 32, 1], activation=nn.LeakyReLU(0.2))
    trainer = Trainer(g, d, optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999)),
                      optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999)), data,
                      z_dim=1, batch_size=256, seed=args.seed)
    x, dx = theory.grid_1d(-6.0, 10.0, 3201)
    p_data = data.density(x)

    def exact_criterion() -> tuple[float, float, float]:
        a, b = float(g.weight.data.reshape(-1)[0]), float(g.bias.data.reshape(-1)[0])
        p_g = datasets.Gaussian1D(b, max(abs(a), 1e-3)).density(x)
        return theory.virtual_training_criterion(p_data, p_g, dx), a, b

    its, crit = [0], [exact_criterion()[0]]
    every = max(1, args.iterations // 150)

    def track(tr, record):
        if record["iteration"] % every == 0 or record["iteration"] == args.iterations:
            its.append(record["iteration"])
            crit.append(exact_criterion()[0])

    start = crit[0]
    trainer.train(args.iterations, callback=track)
    end, a, b = exact_criterion()
    jsd_trained = (np.array(crit) + theory.LOG4) / 2
    criterion_figure(np.array(its), np.array(crit), jsd_trained,
                     os.path.join(args.out, "criterion_during_training.png"), xlabel="iteration",
                     title="C(G) of an affine G during training, p_data = N(2, 0.5²)")

    result = {"c_at_zero": float(c0), "gap_at_zero": float(abs(c0 + theory.LOG4)),
              "argmin_shift": float(shifts[np.argmin(s["criterion"])]),
              "max_value_criterion_gap": float(np.abs(s["value"] - s["criterion"]).max()),
              "c_start": float(start), "c_end": float(end), "a": a, "b": b}
    print(f"C(G) at p_g = p_data: {c0:.10f}; -log 4 = {-theory.LOG4:.10f}; |difference| = {result['gap_at_zero']:.2e}")
    print(f"argmin over shifts of C(G): mu = {result['argmin_shift']:+.2f}; "
          f"max |V(D*, G) - C(G)| over the sweep: {result['max_value_criterion_gap']:.2e}")
    print(f"affine G trained {args.iterations} iterations: C(G) {start:.4f} -> {end:.4f} "
          f"(-log 4 = {-theory.LOG4:.4f}); learned p_g = N({b:.3f}, {abs(a):.3f}^2) vs p_data = N(2, 0.5^2)")
    print(f"wrote {args.out}/criterion_vs_shift.png and {args.out}/criterion_during_training.png")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
