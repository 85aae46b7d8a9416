"""Non-convergence: gradient play on a minimax game circles its equilibrium instead of
reaching it (the oscillation failure mode of GAN training).

What it shows: the Dirac-GAN of Mescheder et al. 2018 ("Which training methods for GANs do
actually converge?"): p_data is a point mass at 0, G(z) = theta, D(x) = sigmoid(psi x); the
only equilibrium is theta = psi = 0, D = 1/2.
1. Gradient play from (0.1, 0.1), gradients by minigan's autograd (lab.dirac): simultaneous
   steps spiral out, alternating steps (Algorithm 1's order) circle on a closed orbit, and
   R1 on D makes the same simultaneous steps converge; each rate is compared with the
   linear theory, so a wrong gradient or a wrong step order would show.
2. The same game trained by minigan's Trainer (Algorithm 1, the original minimax loss,
   plain SGD) from theta = 1: theta, psi and D(G(z)) keep cycling with undiminished
   amplitude. (With the non-saturating loss the orbit shrinks, slowly.)

What it prints: the Dirac-GAN under three kinds of gradient play, measured with minigan's
autograd (lab.dirac) against the linear theory of Mescheder et al.: the growth of the
distance to the equilibrium per simultaneous step (sqrt(1 + h^2/4)), the period of the
alternating orbit (2 pi / arccos(1 - h^2/8) steps), and the contraction per step with R1
(max |1 + h lambda|); then for the Trainer's Dirac-GAN the amplitude of theta and of
D(G(z)) - 1/2 in the first and last quarter of the run (no decay = no convergence).
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer
from minigan.lab import dirac
from minigan.viz.studies import dirac_figure


def amplitude(values: np.ndarray) -> tuple[float, float]:
    """Max |value| over the first and last quarter of a series."""
    q = max(1, len(values) // 4)
    return float(np.abs(values[:q]).max()), float(np.abs(values[-q:]).max())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/non_convergence")
    p.add_argument("--iterations", type=int, default=600, help="steps of each game")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--gamma", type=float, default=0.3, help="R1 weight of the Dirac-GAN")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    dirac_steps = max(args.iterations, 300)  # an alternating orbit takes ~126 steps at h = 0.1
    paths = {m: dirac.simulate(m, dirac_steps, args.lr, args.gamma) for m in dirac.METHODS}
    measured = {m: dirac.measure(path) for m, path in paths.items()}
    formulas = {"simultaneous": dirac.simultaneous_factor(args.lr), "alternating": dirac.alternating_period(args.lr),
                "r1": dirac.r1_factor(args.lr, args.gamma)}

    # ---- the Dirac-GAN: p_data = delta_0, G(z) = theta (z = 0), D(x) = sigmoid(psi x)
    mg.manual_seed(args.seed)
    g = nn.Linear(1, 1)
    d = nn.Linear(1, 1, bias=False)
    with mg.no_grad():
        g.weight.data[...] = 0.0
        g.bias.data[...] = 1.0       # theta starts at 1
        d.weight.data[...] = 0.0     # psi starts at 0
    trainer = Trainer(g, d, optim.SGD(g.parameters(), lr=args.lr), optim.SGD(d.parameters(), lr=args.lr),
                      np.zeros((1024, 1), np.float32), z_dim=1, batch_size=64, seed=args.seed, g_loss="minimax",
                      noise_sampler=lambda n, rng: np.zeros((n, 1)))
    thetas, psis = [], []

    def track(tr, record):
        thetas.append(float(g.bias.data.reshape(-1)[0]))
        psis.append(float(d.weight.data.reshape(-1)[0]))

    history = trainer.train(args.iterations, callback=track)
    d_fake = history["d_fake"]
    theta_amp = amplitude(np.array(thetas))
    dfake_amp = amplitude(d_fake - 0.5)

    titles = {"simultaneous": "simultaneous steps", "alternating": "alternating steps (Algorithm 1)",
              "r1": f"simultaneous steps with R1, γ = {args.gamma}"}
    notes = {titles["simultaneous"]: f"× {measured['simultaneous']['factor']:.5f} per step "
                                     f"(theory {formulas['simultaneous']:.5f})",
             titles["alternating"]: f"period {measured['alternating']['period']:.1f} steps "
                                    f"(theory {formulas['alternating']:.1f})",
             titles["r1"]: f"× {measured['r1']['factor']:.4f} per step (theory {formulas['r1']:.4f})"}
    dirac_figure({titles[m]: path for m, path in paths.items()}, os.path.join(args.out, "non_convergence.png"),
                 notes=notes)
    result = {"simultaneous_factor": measured["simultaneous"]["factor"],
              "simultaneous_theory": formulas["simultaneous"],
              "alternating_period": measured["alternating"]["period"], "alternating_theory": formulas["alternating"],
              "r1_factor": measured["r1"]["factor"], "r1_theory": formulas["r1"],
              "theta_amplitude": theta_amp, "d_fake_amplitude": dfake_amp}
    print(f"Dirac-GAN, step h = {args.lr}, {dirac_steps} steps from theta = psi = 0.1, gradients by autograd:")
    print(f"  simultaneous: distance to (0, 0) x {result['simultaneous_factor']:.6f} per step "
          f"(theory sqrt(1 + h^2/4) = {formulas['simultaneous']:.6f}): spirals out")
    print(f"  alternating:  a closed orbit of period {result['alternating_period']:.2f} steps "
          f"(theory 2 pi / arccos(1 - h^2/8) = {formulas['alternating']:.2f}): never reaches (0, 0)")
    print(f"  R1, gamma {args.gamma}: distance x {result['r1_factor']:.6f} per step "
          f"(theory max |1 + h lambda| = {formulas['r1']:.6f}): converges")
    print(f"Dirac-GAN {args.iterations} iterations: max |theta| first/last quarter "
          f"{theta_amp[0]:.3f} / {theta_amp[1]:.3f}; max |D(G(z)) - 1/2| {dfake_amp[0]:.3f} / {dfake_amp[1]:.3f}")
    print(f"wrote {os.path.join(args.out, 'non_convergence.png')}")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
