"""Non-convergence: gradient play on a minimax game circles its equilibrium instead of
reaching it (the oscillation failure mode of GAN training).

What it shows:
1. the bilinear game min_x max_y f(x, y) = x y, whose only equilibrium is (0, 0).
   Gradients come from minigan's autograd (mg.grad of f). With simultaneous steps
   x <- x - lr df/dx, y <- y + lr df/dy the distance to (0, 0) grows by sqrt(1 + lr^2)
   each step: an outward spiral. Alternating steps (Algorithm 1's order) stay on a
   bounded orbit but do not converge either.
2. the Dirac-GAN of Mescheder et al. 2018 ("Which training methods for GANs do actually
   converge?"): p_data is a point mass at 0, G(z) = theta, D(x) = sigmoid(psi x), trained by
   minigan's Trainer (Algorithm 1, the original minimax loss, plain SGD). The equilibrium
   is theta = psi = 0, D = 1/2; instead theta, psi and D(G(z)) keep cycling with undiminished
   amplitude. (With the non-saturating loss the same orbit shrinks, slowly: at lr 0.1 the
   amplitude of theta falls by about 3x in 1000 iterations. Try it: change g_loss below.)

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
from minigan.viz import non_convergence_figure


def bilinear_play(steps: int, lr: float, simultaneous: bool) -> np.ndarray:
    """Trajectory (steps + 1, 2) of (x, y) under gradient play on f = x y, grads by autograd."""
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    path = [(1.0, 1.0)]
    for _ in range(steps):
        gx, gy = mg.grad(x * y, [x, y])          # df/dx = y, df/dy = x
        with mg.no_grad():
            x_new = x - lr * gx                  # x minimizes f
            if not simultaneous:                 # alternating: y sees the new x
                gy = x_new
            y_new = y + lr * gy                  # y maximizes f
        x = x_new.detach().requires_grad_()
        y = y_new.detach().requires_grad_()
        path.append((x.item(), y.item()))
    return np.array(path)


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

    simultaneous = bilinear_play(args.iterations, args.lr, simultaneous=True)
    alternating = bilinear_play(args.iterations, args.lr, simultaneous=False)
    r0 = float(np.hypot(*simultaneous[0]))
    r_sim, r_alt = float(np.hypot(*simultaneous[-1])), float(np.hypot(*alternating[-1]))
    dirac_steps = max(args.iterations, 300)  # an alternating orbit takes ~126 steps at h = 0.1
    measured = {m: dirac.measure(dirac.simulate(m, dirac_steps, args.lr, args.gamma)) for m in dirac.METHODS}
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
    its, d_fake = history["iteration"], history["d_fake"]
    theta_amp = amplitude(np.array(thetas))
    dfake_amp = amplitude(d_fake - 0.5)

    non_convergence_figure(
        {f"simultaneous steps (radius {r0:.2f} → {r_sim:.2f})": simultaneous,
         f"alternating steps (radius {r0:.2f} → {r_alt:.2f})": alternating},
        os.path.join(args.out, "non_convergence.png"),
        curves={"D(G(z)) of the Dirac-GAN": (its, d_fake), "θ (G's output)": (its, np.array(thetas)),
                "ψ (D's weight)": (its, np.array(psis))},
        curves_title="Dirac-GAN (Mescheder et al. 2018): no convergence to θ = ψ = 0",
        curves_ylabel="value")
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
