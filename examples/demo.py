"""The main demo: a GAN learns the 8-mode ring with minigan, on the CPU, in about a minute.

What it shows: Algorithm 1 of Goodfellow et al. 2014 with the ring's default recipe
(``minigan.lab.recipes``: non-saturating loss, MLPs 3x128, Adam(1e-3, (0.5, 0.999)), R1,
the learning rate decayed linearly over the second half) drives an MLP generator from a
blob to the 8 Gaussians of the ring, and the game approaches its equilibrium: D(x) and
D(G(z)) move toward 1/2 and V(D, G) toward -log 4.

What it prints: the papers' mode statistics on 2,500 samples (modes holding >= 20 samples
within 3 std, the share of such high-quality samples, the reverse KL of the mode
histogram), the grid-histogram KL/JS, mean D(x) and D(G(z)), V(D, G) next to -log 4, and
the time. The numbers for ten seeds are in benchmarks/results/mode_coverage.md.

What it writes into --out (overwriting an earlier demo): recipe.json, checkpoint.npz,
metrics.jsonl (every iteration's record), summary.json, samples.npy, frames.npz, and the
figures (minigan.viz.draw_run): dashboard.png, saturation.png, samples.png (G's samples
under the real data), surfaces.png (D's surface with the force -dL_G/dx on G's samples,
beside D*), modes.png, animation.gif and graph.png (the computational graph of a step).

    python examples/demo.py --out out/demo          # what `make demo` runs
"""
from __future__ import annotations

import argparse

import minigan as mg
from minigan.lab import recipes, runs


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/demo")
    p.add_argument("--iterations", type=int, default=None, help="default: the ring's recipe")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    changes = {"iterations": args.iterations} if args.iterations else {}
    recipe = recipes.default_recipe("ring8", seed=args.seed, **changes)
    return runs.train_run(recipe, args.out, force=True, progress=not args.no_progress)


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
