"""Algorithm 1's k: how many discriminator steps per generator step (Goodfellow et al. 2014).

What it shows: the paper trains D for k steps per G step and uses k = 1, "the least
expensive option". The same small GAN on the 8-mode ring (MLPs 64x2, non-saturating loss,
Adam(5e-4, (0.5, 0.999)), m = 256) with k = 1, 2 and 5, the same number of G steps, over
several seeds. A larger k keeps D closer to the optimal D* for the current G, which the
theory assumes; it also costs k times the D work.

What it prints, for each k, the mean over the seeds of: modes captured (PacGAN's >= 20
high-quality samples of 2,500), the share of high-quality samples, the JSD estimate, and
the CPU seconds per run.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import minigan as mg
from minigan.lab import datasets, experiments, metrics
from minigan.viz.studies import k_sweep_figure


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out/k_sweep")
    p.add_argument("--iterations", type=int, default=1500, help="G steps of each run")
    p.add_argument("--seed", type=int, default=0, help="the first seed")
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    seeds = list(range(args.seed, args.seed + args.seeds))
    ring = datasets.GaussianMixture.ring()
    result, drawn = {}, {}
    for k in (1, 2, 5):
        rows = []
        for seed in seeds:
            c0 = time.process_time()
            # the first seed's run keeps 10 snapshots for the figure (the sampling leaves training as it is)
            trainer, taken = experiments.ring_run(args.iterations, seed, k_d=k, hidden=64,
                                                  snapshots=10 if seed == seeds[0] else 0)
            cpu = time.process_time() - c0
            s = trainer.stats
            rows.append((s["coverage"].modes, s["coverage"].high_quality, s["jsd"], cpu))
            if seed == seeds[0]:
                stats = [metrics.mode_statistics(x, ring.means, ring.std) for _, x in taken]
                drawn[k] = {"history": trainer.history, "samples": trainer.sample(1000),
                            "coverage": ([it for it, _ in taken], [st.modes for st in stats],
                                         [st.high_quality for st in stats])}
        modes, hq, jsd, cpu = (np.array(c, float) for c in zip(*rows))
        result[f"k={k}"] = {"modes": modes.tolist(), "high_quality": hq.tolist(), "jsd": jsd.tolist(),
                            "modes_mean": float(modes.mean()), "hq_mean": float(hq.mean()),
                            "jsd_mean": float(jsd.mean()), "cpu_mean": float(cpu.mean())}
        print(f"k = {k}: modes {modes.mean():.1f} [{modes.min():.0f}-{modes.max():.0f}], "
              f"{100 * hq.mean():.1f}% high quality, JSD estimate {jsd.mean():.3f} nats, "
              f"{cpu.mean():.1f} CPU-s per run ({len(seeds)} seeds, {args.iterations} G steps)")
    path = k_sweep_figure(drawn, os.path.join(args.out, "k_sweep.png"), n_modes=ring.n_modes, data=ring,
                          title=f"Algorithm 1's k on the 8-mode ring (seed {seeds[0]}, 1,000 samples per point)")
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    mg.set_num_threads(1)  # small matrices: BLAS threads cost more than they give
    main()
