"""Figures of the lab's studies: Dirac-GAN phase portraits, the k sweep, forward against
reverse KL, and which modes hold the generated mass over training.

Each function draws what the lab measured (arrays in, PNG out); the Dirac-GAN's vector
field is the gradient of its value, taken with minigan's autograd on a grid.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..autograd import grad
from ..creation import float64, tensor
from ..lab import metrics
from ..ops.activation import log_sigmoid
from .figures import D_COLOR, FAKE_COLOR, G_COLOR, REAL_COLOR, _figure, _smooth, save_figure, series

__all__ = ["dirac_field", "dirac_figure", "k_sweep_figure", "kl_figure", "mode_coverage_figure"]


# ---- Dirac-GAN -------------------------------------------------------------------------------
def dirac_field(theta: np.ndarray, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient-play field of the Dirac-GAN (Mescheder et al. 2018) at points (theta, psi):
    (-dV/dtheta, +dV/dpsi) with V = log sigmoid(-psi theta) - log 2 (G descends, D ascends),
    by minigan's autograd on the whole grid at once."""
    th = tensor(np.asarray(theta, np.float64), dtype=float64, requires_grad=True)
    ps = tensor(np.asarray(psi, np.float64), dtype=float64, requires_grad=True)
    value = (log_sigmoid(-(ps * th)) - math.log(2.0)).sum()
    g_th, g_ps = grad(value, (th, ps))
    return -g_th.cpu().numpy(), g_ps.cpu().numpy()


def dirac_figure(paths: dict[str, np.ndarray], path: str | os.PathLike,
                 notes: dict[str, str] | None = None, title: str | None = None) -> str:
    """One phase portrait per method: the trajectory (steps + 1, 2) of (theta, psi) coloured
    by step over the field of gradient play, the equilibrium at (0, 0), and a note per
    panel (e.g. the measured growth per step against the formula)."""
    fig = _figure(5.0 * len(paths), 5.4)
    axes = np.atleast_1d(fig.subplots(1, len(paths)))
    notes = notes or {}
    for ax, (name, xy) in zip(axes, paths.items()):
        xy = np.asarray(xy, np.float64)
        r = 1.15 * float(np.abs(xy).max())
        g = np.linspace(-r, r, 17)
        tt, pp = np.meshgrid(g, g)
        u, v = dirac_field(tt, pp)
        ax.quiver(tt, pp, u, v, color="0.75", angles="xy", zorder=0)
        pts = ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(len(xy)), cmap="viridis", s=4, zorder=2)
        ax.plot(xy[:, 0], xy[:, 1], color="0.4", lw=0.4, zorder=1)
        ax.scatter(*xy[0], s=70, facecolors="none", edgecolors="k", zorder=3, label="start")
        ax.scatter(*xy[-1], s=40, c="k", marker="s", zorder=3, label="end")
        ax.scatter([0], [0], marker="*", s=180, c="#d62728", zorder=4, label="equilibrium θ = ψ = 0")
        ax.set_xlim(-r, r)
        ax.set_ylim(-r, r)
        ax.set_aspect("equal")
        ax.set_xlabel("θ: the generator's point G(z) = θ")
        ax.set_ylabel("ψ: the discriminator's slope, D(x) = σ(ψ x)")
        ax.set_title(name + (f"\n{notes[name]}" if name in notes else ""), fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=9)
    cb = fig.colorbar(pts, ax=axes.tolist(), shrink=0.8, pad=0.01)
    cb.set_label("step")
    fig.suptitle(title or "Dirac-GAN (Mescheder et al. 2018): p_data = δ₀, gray arrows: the gradient-play field",
                 fontsize=12)
    return save_figure(fig, path)


# ---- Algorithm 1's k -------------------------------------------------------------------------
def k_sweep_figure(runs: dict[int, dict], path: str | os.PathLike, n_modes: int | None = None,
                   title: str = "Algorithm 1's k: D steps per G step", data=None) -> str:
    """For each k: {"history": History, "coverage": (iterations (f,), modes (f,), high quality (f,)),
    and optionally "samples": final G samples (n, 2)}. Top: modes holding >= 20 high-quality
    samples over training, the high-quality share, and mean D(x) and D(G(z)) (moving
    average); below, with ``data`` (a 2-D mixture) and samples, each k's final samples
    under the data with 3-std circles."""
    from .game2d import _draw_data, _legend, view_limits

    finals = {k: r["samples"] for k, r in sorted(runs.items()) if r.get("samples") is not None}
    rows = 2 if finals and data is not None else 1
    fig = _figure(15, 4.6 * rows + (0.4 if rows == 2 else 0))
    grid = fig.add_gridspec(rows, max(3, len(finals)))
    ax_m, ax_q, ax_d = (fig.add_subplot(grid[0, i]) for i in range(3))
    colors = [REAL_COLOR, G_COLOR, FAKE_COLOR, D_COLOR, "#8c564b"]
    for (k, run), color in zip(sorted(runs.items()), colors):
        it, modes, hq = (np.asarray(a) for a in run["coverage"])
        ax_m.plot(it, modes, color=color, marker="o", ms=3, lw=1.3, label=f"k = {k}")
        ax_q.plot(it, 100 * np.asarray(hq), color=color, marker="o", ms=3, lw=1.3, label=f"k = {k}")
        h = run["history"]
        for key, ls in (("d_real", "-"), ("d_fake", "--")):
            x, y = series(h, key)
            ax_d.plot(x, _smooth(y), color=color, ls=ls, lw=1.2,
                      label=f"k = {k}: mean {'D(x)' if key == 'd_real' else 'D(G(z))'}")
    if n_modes:
        ax_m.axhline(n_modes, color="k", ls=":", lw=1, label=f"all {n_modes} modes")
        ax_m.set_ylim(-0.3, n_modes + 0.6)
    ax_m.set_title("modes covered (≥ 20 samples within 3 std)", fontsize=10)
    ax_m.set_ylabel("modes")
    ax_q.set_title("high-quality samples (within 3 std of a mode)", fontsize=10)
    ax_q.set_ylabel("% of G's samples")
    ax_d.axhline(0.5, color="k", ls=":", lw=1)
    ax_d.set_title("what D believes (solid: real, dashed: fake; moving average)", fontsize=10)
    ax_d.set_ylabel("D output")
    ax_d.set_ylim(-0.02, 1.02)
    for ax in (ax_m, ax_q, ax_d):
        ax.set_xlabel("iteration (one G step each)")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    if rows == 2:
        real = np.asarray(data.sample(2000, np.random.default_rng(0)), np.float64)
        lim = view_limits(real, *finals.values())
        for i, (k, fake) in enumerate(finals.items()):
            ax = fig.add_subplot(grid[1, i])
            _draw_data(ax, real, np.asarray(fake), getattr(data, "means", None), getattr(data, "std", None), lim)
            ax.set_title(f"k = {k}: G's samples at the end", fontsize=10)
        _legend(fig, circles=getattr(data, "means", None) is not None)
    fig.suptitle(title, fontsize=12)
    return save_figure(fig, path)


# ---- forward vs reverse KL -------------------------------------------------------------------
def kl_figure(x: np.ndarray, p: np.ndarray, fits: dict[str, tuple[float, float]], path: str | os.PathLike,
              kls: dict[str, tuple[float, float]] | None = None,
              title: str = "Fitting one Gaussian q to two modes: forward KL covers, reverse KL seeks") -> str:
    """p_data on the grid x (n,) and each fitted q = N(mu, s^2), fits {"forward KL(p‖q)": (mu, s)};
    kls {name: (KL(p‖q), KL(q‖p))} printed in the legend."""
    fig = _figure(9, 4.8)
    ax = fig.subplots()
    ax.fill_between(x, p, color="0.85", label="p_data: two modes")
    ax.plot(x, p, color="k", lw=1)
    styles = [(REAL_COLOR, "-"), (FAKE_COLOR, "--"), (G_COLOR, "-.")]
    for (name, (mu, s)), (color, ls) in zip(fits.items(), styles):
        q = np.exp(-((x - mu) ** 2) / (2 * s * s)) / (s * math.sqrt(2 * math.pi))
        extra = ""
        if kls and name in kls:
            extra = f"; KL(p‖q) = {kls[name][0]:.2f}, KL(q‖p) = {kls[name][1]:.2f}"
        ax.plot(x, q, color=color, ls=ls, lw=2, label=f"q fitted by {name}: μ = {mu:.2f}, s = {s:.2f}{extra}")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_ylim(0, 1.25 * ax.get_ylim()[1])
    ax.grid(True, alpha=0.3)
    return save_figure(fig, path)


# ---- which modes hold the mass ---------------------------------------------------------------
def mode_coverage_figure(iterations, samples, means, std: float, path: str | os.PathLike,
                         title: str = "which modes hold G's samples over training") -> str:
    """Top: the share of G's samples within 3 std of each mode at each recorded iteration
    (a heat map, one row per mode) and off every mode; bottom right: where mode k is.
    iterations (f,); samples: f arrays (n, 2); means (K, 2)."""
    means = np.asarray(means, np.float64)
    shares = np.stack([metrics.mode_coverage(s, means, std).counts / len(s) for s in samples], axis=1)
    fig = _figure(12, 5.2)
    grid = fig.add_gridspec(2, 2, width_ratios=[4.2, 1.0], height_ratios=[3, 1.3])
    ax = fig.add_subplot(grid[:, 0])
    it = np.asarray(iterations)
    edges = np.concatenate([[it[0]], (it[1:] + it[:-1]) / 2, [it[-1]]]) if len(it) > 1 else np.array([0, 1])
    # the scale: up to twice the fair share or the 98th percentile, so that one collapsed
    # moment (all samples on one mode) does not wash out the rest; the colour bar says so
    top = max(2.0 / len(means), float(np.percentile(shares, 98)))
    im = ax.pcolormesh(edges, np.arange(len(means) + 1) + 0.5, shares, cmap="magma_r", vmin=0,
                       vmax=top, shading="flat")
    ax.set_yticks(np.arange(1, len(means) + 1))
    ax.set_ylabel("mode k")
    ax.set_xlabel("iteration")
    cb = fig.colorbar(im, ax=ax, pad=0.01, extend="max" if shares.max() > top else "neither")
    cb.set_label(f"share of samples within 3 std of mode k (fair share 1/{len(means)} = {1 / len(means):.3f})")
    ax2 = ax.twinx()
    ax2.plot(it, 100 * (1 - shares.sum(0)), color="#1f77b4", lw=2, label="% off every mode")
    ax2.set_ylabel("% of samples off every mode", color="#1f77b4")
    ax2.set_ylim(0, 100)
    ax2.legend(fontsize=8, loc="upper right")
    ax.set_title(title, fontsize=11)
    key = fig.add_subplot(grid[1, 1])
    key.scatter(means[:, 0], means[:, 1], s=8, c="k")
    for k, mu in enumerate(means):
        key.annotate(str(k + 1), mu, fontsize=6 if len(means) > 10 else 8, xytext=(2, 2),
                     textcoords="offset points")
    key.set_aspect("equal")
    key.set_xticks([])
    key.set_yticks([])
    key.set_title("mode numbers", fontsize=8)
    return save_figure(fig, path)
