"""Figure 1 of Goodfellow et al. 2014, drawn from a 1-D GAN trained by minigan.

Each panel shows, as the paper does: the data distribution p_data (black dots), the
generator's distribution p_g (green), the discriminator D (blue, dashed), and below them
the mapping x = G(z) from equally spaced z (bottom line) to x (the line above), which
squeezes where p_g is high. Added here: D* = p_data / (p_data + p_g) (thin gray), and
the numbers the paper leaves to the reader: JSD(p_data || p_g) and max |D - D*|.

    m = measure_1d(G, D, data, iteration=0, label="(a) start")
    figure1([m0, m1, m2, m3], "figure1.png")
    figure1_animation(moments, "figure1.gif")
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..autograd import no_grad
from ..creation import tensor
from ..lab import metrics, theory
from .figures import G_COLOR, _figure, save_figure, save_gif

__all__ = ["Moment1D", "figure1", "figure1_animation", "measure_1d"]

D_LINE = "#1f5fd6"


@dataclass
class Moment1D:
    """One moment of a 1-D GAN: curves on the grid x (n,) and the z -> G(z) mapping
    (u: the quantiles of p_z at which the lines start; gz: G at those z). D* is NaN where
    neither density has mass (it is undefined there)."""

    label: str
    iteration: int
    x: np.ndarray
    p_data: np.ndarray
    p_g: np.ndarray
    d: np.ndarray
    d_star: np.ndarray
    z: np.ndarray
    gz: np.ndarray
    jsd: float
    d_gap: float


def measure_1d(generator, discriminator, data, *, iteration: int, label: str = "",
               lim: tuple[float, float] = (-4.0, 4.0), n_samples: int = 20_000, n_lines: int = 21,
               prior: str = "normal", seed: int = 0) -> Moment1D:
    """Measure a 1-D G (z (m, 1) -> x (m, 1)) and D (x -> logit) against ``data`` (with a
    ``density``): p_g is a Gaussian KDE of n_samples G(z), z ~ p_z ("normal" N(0, 1) or
    "uniform" U[-1, 1]); D* = p_data / (p_data + p_g); JSD on the grid; max |D - D*| on
    the region holding 99% of (p_data + p_g) / 2 (``metrics.discriminator_optimality_gap``).
    The mapping is drawn from z at n_lines equally spaced quantiles of p_z: equal spacing
    on the z line is equal probability, as the uniform z line of the paper."""
    from statistics import NormalDist

    rng = np.random.default_rng(seed)
    x = np.linspace(*lim, 600)
    u = (np.arange(n_lines) + 0.5) / n_lines
    if prior == "normal":
        z = rng.standard_normal((n_samples, 1))
        zl = np.array([NormalDist().inv_cdf(q) for q in u])[:, None]
    else:
        z = rng.uniform(-1.0, 1.0, (n_samples, 1))
        zl = (2 * u - 1)[:, None]
    with no_grad():
        fake = np.asarray(generator(tensor(z.astype(np.float32))).cpu().numpy(), np.float64).reshape(-1)
        gz = np.asarray(generator(tensor(zl.astype(np.float32))).cpu().numpy(), np.float64).reshape(-1)
    p_data = data.density(x)
    p_g = theory.kde(fake, x)
    d = metrics.probabilities_on(discriminator, x)
    gap = metrics.discriminator_optimality_gap(d, p_data, fake, x)
    dx = float(x[1] - x[0])
    d_star = np.where(p_data + p_g > 1e-3 * max(p_data.max(), p_g.max()), gap["d_star"], np.nan)
    return Moment1D(label, int(iteration), x, p_data, p_g, d, d_star, u, gz,
                    theory.jsd(p_data, p_g, dx), gap["max"])


def _panel(ax_top, ax_map, m: Moment1D, ymax: float, legend: bool) -> None:
    ax_top.plot(m.x, m.p_data, ls="none", marker="o", ms=2.2, color="k", markevery=6, label="p_data")
    ax_top.plot(m.x, m.p_g, color=G_COLOR, lw=2, label="p_g (KDE of G(z))")
    ax_top.plot(m.x, m.d * ymax, color=D_LINE, lw=1.8, ls="--", label="D(x)")
    ax_top.plot(m.x, m.d_star * ymax, color="0.55", lw=1, label="D* = p_data / (p_data + p_g)")
    ax_top.axhline(0.5 * ymax, color="0.8", lw=0.8, ls=":")
    ax_top.set_ylim(0, ymax * 1.04)
    ax_top.set_xlim(m.x[0], m.x[-1])
    ax_top.set_title(f"{m.label}\nJSD = {m.jsd:.3f} nats,  max |D − D*| = {m.d_gap:.2f}", fontsize=9)
    ax_top.tick_params(labelbottom=False)
    right = ax_top.secondary_yaxis("right", functions=(lambda y: y / ymax, lambda d: d * ymax))
    right.set_ylabel("D(x)", color=D_LINE, fontsize=8)
    right.tick_params(labelsize=7)
    if legend:
        ax_top.set_ylabel("density", fontsize=8)
    # the mapping: equally spaced z on the bottom line, x = G(z) on the top line
    lo, hi = m.x[0], m.x[-1]
    zpos = lo + (hi - lo) * (0.25 + 0.5 * m.z)
    for a, b in zip(zpos, m.gz):
        ax_map.annotate("", xy=(b, 1.0), xytext=(a, 0.0),
                        arrowprops={"arrowstyle": "-|>", "lw": 0.7, "color": "0.25", "shrinkA": 0, "shrinkB": 0,
                                    "mutation_scale": 6})
    ax_map.axhline(0.0, color="k", lw=1)
    ax_map.axhline(1.0, color="k", lw=1)
    ax_map.set_ylim(-0.15, 1.15)
    ax_map.set_xlim(lo, hi)
    ax_map.set_yticks([0, 1], ["z", "x"])
    ax_map.set_xlabel("x   (lines: z at equally spaced quantiles of p_z → G(z))", fontsize=8)


def figure1(moments: list[Moment1D], path: str | os.PathLike,
            title: str = "Goodfellow et al. 2014, Figure 1, by minigan: p_data (black), p_g (green), "
                         "D (blue), x = G(z) below") -> str:
    """The paper's four panels (or as many as ``moments``), each with its JSD and max |D - D*|."""
    ymax = 1.15 * max(max(m.p_data.max(), m.p_g.max()) for m in moments)
    fig = _figure(3.6 * len(moments), 4.6)
    grid = fig.add_gridspec(2, len(moments), height_ratios=[3.2, 1.0])
    for col, m in enumerate(moments):
        top = fig.add_subplot(grid[0, col])
        low = fig.add_subplot(grid[1, col], sharex=top)
        _panel(top, low, m, ymax, legend=col == 0)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def figure1_animation(moments: list[Moment1D], path: str | os.PathLike, fps: int = 6, dpi: int = 80) -> str:
    """The same panel at every moment, as a GIF (matplotlib's Pillow writer), written atomically."""
    ymax = 1.15 * max(max(m.p_data.max(), m.p_g.max()) for m in moments)
    fig = _figure(5.2, 4.4)
    grid = fig.add_gridspec(2, 1, height_ratios=[3.2, 1.0])
    top = fig.add_subplot(grid[0])
    low = fig.add_subplot(grid[1], sharex=top)
    def draw(i: int) -> None:
        for ax in (top, low):
            ax.clear()
        _panel(top, low, moments[i], ymax, legend=True)
        top.legend(fontsize=7, loc="upper left")

    return save_gif(fig, path, draw, len(moments), fps=fps, dpi=dpi)
