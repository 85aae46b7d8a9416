"""The main demo: a GAN learns the 8-mode ring with minigan, on the CPU, in well under a minute.

What it shows: Algorithm 1 of Goodfellow et al. 2014 (one D step per G step, minibatches
of m = 512, the non-saturating generator loss, Adam with betas (0.5, 0.999)) drives an MLP
generator from a blob to the 8 Gaussians of the ring, and the game approaches its
equilibrium: D(x) and D(G(z)) move toward 1/2 and V(D, G) toward -log 4.

What it prints: modes covered out of 8 (a mode is covered when enough samples fall
within 3 std of it; Metz et al. 2017), the share of such high-quality samples, a JSD
estimate, mean D(x) and D(G(z)) on fresh samples, V(D, G) next to -log 4, and the time.

Measured (2 shared CPU cores, seed 0): 8/8 modes, 47% high-quality samples, JSD estimate
0.010 nats, D(x) = 0.56 and D(G(z)) = 0.38, V = -1.10 vs -log 4 = -1.386, in 26 to 45 s
depending on the machine's load. Seeds 1 and 2 give 8/8 and 6/8. The game does not reach
its equilibrium in this budget: D still tells the ring's thin bridges between modes apart.

What it writes into --out: history.json (every iteration's losses, D outputs, value,
|dL_G/d logit| and per-layer gradient norms), summary.json, dashboard.png,
samples.png (real vs generated over training) and d_surface.png (D's decision surface).

    python examples/demo.py --out out/demo          # what `make demo` runs
"""
from __future__ import annotations

import argparse

from minigan.lab.runs import DEMO_DEFAULTS, run_training


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/demo")
    p.add_argument("--iterations", type=int, default=DEMO_DEFAULTS["iterations"])
    p.add_argument("--seed", type=int, default=DEMO_DEFAULTS["seed"])
    p.add_argument("--lr", type=float, default=DEMO_DEFAULTS["lr"])
    p.add_argument("--batch-size", type=int, default=DEMO_DEFAULTS["batch_size"])
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    settings = {k: v for k, v in DEMO_DEFAULTS.items() if k not in ("iterations", "seed", "lr", "batch_size")}
    return run_training(args.out, iterations=args.iterations, seed=args.seed, lr=args.lr,
                        batch_size=args.batch_size, progress=not args.no_progress, **settings)


if __name__ == "__main__":
    main()
