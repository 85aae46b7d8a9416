"""Figure 1 of Goodfellow et al. 2014, redrawn from a 1-D GAN that minigan trains.

What it shows: the four moments of the paper's figure, in order. (a) G starts off the
data: p_g (green) sits left of p_data (black dots), D (blue, dashed) is untrained. (b)
The inner loop of Algorithm 1 trains D alone, G fixed: D approaches D* = p_data /
(p_data + p_g) (gray). (c) G steps follow the gradient of D: the mapping x = G(z) (the
arrows below) moves p_g toward p_data. (d) After training p_g is close to p_data and D
is near 1/2 everywhere: the equilibrium of Thm. 1.

What it prints: at each moment JSD(p_data || p_g) (nats, on a grid, p_g a KDE of 5,000
G(z), z ~ N(0, 1)) and max |D - D*| on the region holding 99% of the mass. These can fail: (b) must
bring D close to D* (max gap well under (a)'s), and (d) must end with a small JSD and
D near 1/2.

What it writes into --out: figure1.png (the four panels) and figure1.gif (every recorded
moment of the run).

    python examples/goodfellow_figure1.py --out out/figure1
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer, losses
from minigan.lab import datasets
from minigan.viz.figure1 import figure1, figure1_animation, measure_1d


def train_d_alone(trainer: Trainer, steps: int) -> None:
    """Algorithm 1's inner loop with G frozen: `steps` D updates on real and G(z) minibatches."""
    rng = np.random.default_rng(trainer.seed + 99)
    for _ in range(steps):
        real = mg.tensor(trainer.sample_data(trainer.batch_size, rng))
        with mg.no_grad():
            fake = trainer.G(mg.tensor(trainer.sample_noise(trainer.batch_size, rng).astype(np.float32)))
        loss = losses.discriminator_loss(trainer.D(real), trainer.D(fake))
        trainer.d_optimizer.zero_grad()
        loss.backward()
        trainer.d_optimizer.step()


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/figure1")
    p.add_argument("--iterations", type=int, default=3000, help="GAN iterations after D's warm-up")
    p.add_argument("--d-steps", type=int, default=300, help="D-only steps for panel (b)")
    p.add_argument("--frames", type=int, default=40, help="moments in the GIF")
    p.add_argument("--samples", type=int, default=5000, help="G(z) samples behind each p_g (a KDE)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)

    data = datasets.Gaussian1D(1.0, 0.5)  # p_data = N(1, 0.5^2); G starts near 0
    G = nn.mlp([1, 16, 1], activation=nn.Tanh())
    D = nn.mlp([1, 64, 64, 1], activation=nn.Tanh())  # a smooth D, as the paper draws it
    trainer = Trainer(G, D, optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.999)),
                      optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.999)), data,
                      z_dim=1, batch_size=256, seed=args.seed)
    # start G off the data, as the paper's panel (a): p_g = about N(-1.2, 0.4^2)
    z = mg.randn(4096, 1)
    with mg.no_grad():
        out = G(z).cpu().numpy()
        G[-1].weight.array[...] *= 0.4 / out.std()
        G[-1].bias.array[...] += -1.2 - G(z).cpu().numpy().mean()

    def measure(label):
        return measure_1d(G, D, data, iteration=trainer.iteration, label=label, lim=(-3.0, 3.0),
                          n_samples=args.samples)

    moments = [measure("(a) start: D untrained")]
    train_d_alone(trainer, args.d_steps)
    moments.append(measure(f"(b) D trained alone for {args.d_steps} steps"))
    film = list(moments)
    frames = min(args.frames, max(2, args.iterations // 25))  # a short run gets a short film
    marks = set(np.linspace(0, args.iterations, frames).round().astype(int)[1:].tolist())
    early = max(1, args.iterations // 15)

    def snapshot(tr, record):
        if record["iteration"] == early:
            moments.append(measure(f"(c) after {early} G and D steps"))
        if record["iteration"] in marks:
            film.append(measure(f"iteration {record['iteration']}"))

    trainer.train(args.iterations, callback=snapshot)
    moments.append(measure(f"(d) after {args.iterations} iterations"))
    paths = [figure1(moments, os.path.join(args.out, "figure1.png")),
             figure1_animation(film, os.path.join(args.out, "figure1.gif"))]
    for m in moments:
        print(f"{m.label:40s} JSD = {m.jsd:.4f} nats   max |D - D*| = {m.d_gap:.3f}   "
              f"D range on the data [{m.d[m.p_data > 0.05 * m.p_data.max()].min():.2f}, "
              f"{m.d[m.p_data > 0.05 * m.p_data.max()].max():.2f}]")
    for path in paths:
        print(f"wrote {path}")
    return {"moments": [(m.label, m.jsd, m.d_gap) for m in moments], "figures": paths}


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
