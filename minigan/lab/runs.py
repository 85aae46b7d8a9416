"""Runs of the lab: train a recipe, measure it, write its files and figures.

The ``minigan`` command and the examples share this code; the command only parses arguments.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable

import numpy as np

from .. import nn, optim
from .._io import atomic_write_text
from ..gan.trainer import History, Trainer
from ..random import manual_seed
from . import datasets, metrics, theory
from .recipes import build_models, single_threaded_blas

__all__ = ["DEMO_DEFAULTS", "redraw", "run_training"]

# The demo's settings. Measured on 2 shared CPU cores: 8/8, 8/8 and 6/8 modes (3 std test)
# for seeds 0, 1, 2, in 26 to 45 s each depending on the machine's load; batch 256 or 3000
# iterations gave 4 to 8 modes over the same seeds.
DEMO_DEFAULTS = {
    "dataset": "ring", "iterations": 4000, "batch_size": 512, "lr": 2e-4, "hidden": 128,
    "layers": 3, "z_dim": 2, "g_loss": "non-saturating", "d_loss": "bce", "k_d": 1, "seed": 0,
}


def _write_json(path: str, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2))


def run_training(out: str, *, dataset: str = "ring", iterations: int = 4000, seed: int = 0,
                 batch_size: int = 512, lr: float = 2e-4, hidden: int = 128, layers: int = 3,
                 z_dim: int = 2, g_loss: str = "non-saturating", d_loss: str = "bce",
                 k_d: int = 1, gp_lambda: float | None = None, clip: float | None = None,
                 snapshots: int = 5, progress: bool = True,
                 log: Callable[[str], None] = print) -> dict:
    """Train a GAN with Algorithm 1, measure it, and write history, summary and figures.

    Returns the summary dict: seconds, iterations, final mean D(x) and D(G(z)) on fresh
    samples, V(D, G) (Monte Carlo) next to -log 4, and for the mixtures the modes covered
    and a JSD estimate. The RMSprop/clip and Adam(0.5, 0.999) choices follow the papers:
    WGAN with clipping uses RMSprop (Arjovsky et al. 2017); the rest DCGAN's Adam betas.
    """
    from .. import viz

    os.makedirs(out, exist_ok=True)
    manual_seed(seed)
    data = datasets.by_name(dataset)
    is_image = isinstance(data, datasets.Digits)
    g, d = build_models(data.dim, z_dim, hidden, layers, out_activation=nn.Tanh() if is_image else None)
    if d_loss == "wasserstein" and clip is not None:
        opt_g, opt_d = optim.RMSprop(g.parameters(), lr=lr), optim.RMSprop(d.parameters(), lr=lr)
    else:
        betas = (0.0, 0.9) if gp_lambda is not None else (0.5, 0.999)
        opt_g = optim.Adam(g.parameters(), lr=lr, betas=betas)
        opt_d = optim.Adam(d.parameters(), lr=lr, betas=betas)
    trainer = Trainer(g, d, opt_g, opt_d, data, z_dim=z_dim, batch_size=batch_size, k_d=k_d,
                      g_loss=g_loss, d_loss=d_loss, gp_lambda=gp_lambda, clip=clip, seed=seed)

    marks = set(np.linspace(0, iterations, snapshots + 1).astype(int)[1:].tolist()) if snapshots else set()
    taken: list[tuple[int, np.ndarray]] = []

    def snapshot(tr: Trainer, record: dict) -> None:
        if record["iteration"] in marks:
            taken.append((record["iteration"], tr.sample(1000)))

    if snapshots:
        taken.append((0, trainer.sample(1000)))
    start = time.perf_counter()
    with single_threaded_blas():
        history = trainer.train(iterations, callback=snapshot, progress=progress)
    seconds = time.perf_counter() - start

    rng = np.random.default_rng(seed + 12345)
    real = data.sample(2500, rng)
    fake = trainer.sample(2500, rng)
    summary: dict = {"dataset": dataset, "iterations": iterations, "seconds": round(seconds, 2),
                     "g_loss": trainer.g_loss, "d_loss": d_loss, "seed": seed}
    if d_loss == "bce":
        d_real, d_fake = metrics.probabilities_on(d, real), metrics.probabilities_on(d, fake)
        summary.update({
            "d_real": float(d_real.mean()), "d_fake": float(d_fake.mean()),
            "value": theory.value_monte_carlo(d_real, d_fake), "minus_log4": -theory.LOG4,
        })
    else:
        # the critic's (or least-squares D's) raw outputs: E f(x) - E f(G(z))
        summary["critic_gap"] = float(metrics.logits_on(d, real).mean() - metrics.logits_on(d, fake).mean())
    if isinstance(data, datasets.GaussianMixture):
        cov = metrics.mode_coverage(fake, data.means, data.std)
        summary.update({
            "modes_covered": cov.modes, "n_modes": cov.n_modes,
            "high_quality": cov.high_quality, "jsd_estimate": metrics.jsd_estimate(fake, data),
        })

    history.to_json(os.path.join(out, "history.json"))
    _write_json(os.path.join(out, "summary.json"), summary)
    title = f"{dataset}: {trainer.g_loss} G loss, {d_loss} D loss, {iterations} iterations"
    figures = [viz.dashboard(history, os.path.join(out, "dashboard.png"), title=title, d_loss=d_loss)]
    if is_image:
        figures.append(viz.digits_grid(fake, os.path.join(out, "digits.png"), real=real))
    elif data.dim == 2:
        means = getattr(data, "means", None)
        if taken:
                figures.append(viz.samples_over_time(taken, real, os.path.join(out, "samples.png"),
                                                 means=means, title=f"{dataset}: real data and G(z)"))
        if d_loss == "bce":
            figures.append(viz.decision_surface(d, real[:1000], fake[:1000],
                                                os.path.join(out, "d_surface.png"),
                                                title=f"D(x) after {iterations} iterations"))
    summary["figures"] = figures
    _print_summary(summary, log)
    return summary


def _print_summary(s: dict, log: Callable[[str], None]) -> None:
    log(f"trained {s['iterations']} iterations in {s['seconds']:.1f} s ({s['dataset']}, seed {s['seed']})")
    if "modes_covered" in s:
        log(f"modes covered: {s['modes_covered']}/{s['n_modes']} "
            f"({100 * s['high_quality']:.1f}% of samples within 3 std of a mode)")
        log(f"JSD(p_data || p_g) estimate: {s['jsd_estimate']:.4f} nats "
            f"(0 = perfect, log 2 = {math.log(2):.4f} = disjoint)")
    if "d_real" in s:
        log(f"mean D(x) = {s['d_real']:.3f}, mean D(G(z)) = {s['d_fake']:.3f} (equilibrium: 0.5 and 0.5)")
        log(f"V(D, G) = {s['value']:.4f} vs -log 4 = {-theory.LOG4:.4f} (value at the global optimum)")
    if "critic_gap" in s:
        log(f"critic E f(x) - E f(G(z)) = {s['critic_gap']:.4f}")
    for f in s.get("figures", []):
        log(f"wrote {f}")


def redraw(history_path: str, out: str | None = None) -> list[str]:
    """Draw the dashboard of a saved history.json into ``out`` (default: its folder).

    The summary.json beside it, if any, says which D loss the run used."""
    from .. import viz

    history = History.from_json(history_path)
    folder = os.path.dirname(os.path.abspath(history_path))
    summary_path = os.path.join(folder, "summary.json")
    d_loss = "bce"
    if os.path.exists(summary_path):
        with open(summary_path, encoding="utf-8") as f:
            d_loss = json.load(f).get("d_loss", "bce")
    out = out or folder
    os.makedirs(out, exist_ok=True)
    title = f"{os.path.basename(folder)}: {len(history)} iterations"
    return [viz.dashboard(history, os.path.join(out, "dashboard.png"), title=title, d_loss=d_loss)]
