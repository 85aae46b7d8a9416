"""The 2-D game in pictures: samples against the data, D's surface, and the force on G's samples.

A :class:`Recorder`, passed to ``Trainer.train`` as its callback, keeps at chosen
iterations what the pictures need: G's samples (always from the same z), D on a grid,
and the arrows -dL_G/dx at some of G's samples, computed by minigan's autograd (the
direction in data space in which backpropagation pushes each generated point). It
saves them to one ``.npz`` so that the figures and the animation can be redrawn later
without the models.

    rec = Recorder(data, iterations=2000)
    trainer.train(2000, callback=rec)
    rec.save("out/frames.npz")
    samples_figure(rec, data, "out/samples.png")
    surfaces_figure(rec, data, "out/surfaces.png")
    animation(rec, "out/animation.gif")
"""
from __future__ import annotations

import os

import numpy as np

from ..autograd import grad
from ..creation import tensor
from ..gan import losses
from ..lab import metrics, theory
from ..lab.datasets import GaussianMixture
from .figures import FAKE_COLOR, REAL_COLOR, _figure, save_figure, save_gif

__all__ = [
    "Recorder", "animation", "frames_of", "generator_force", "samples_figure", "surfaces_figure", "view_limits",
]

SURFACE_CMAP = "RdBu_r"  # blue: D says fake (0), red: D says real (1), white: 1/2
ARROW_COLOR = "#111111"
FAKE_FACE = "#ffcc00"


def generator_force(discriminator, points: np.ndarray, g_loss: str = "non-saturating",
                    device=None) -> np.ndarray:
    """-d loss_i / d x_i at generated points x_i (n, dim), by minigan's autograd.

    loss_i is the generator loss of one sample (the batch mean's gradient times n), so the
    arrow is the step direction gradient descent gives x_i: for the non-saturating loss
    -log D(x) it is (1 - D(x)) grad_x logit(x), for minimax log(1 - D(x)) it is D(x) grad_x logit(x).
    """
    x = tensor(np.asarray(points, np.float32), device=device, requires_grad=True)
    loss = losses.generator_loss(discriminator(x), g_loss)
    (gx,) = grad(loss, (x,))
    return -np.asarray(gx.to("cpu").numpy(), np.float64) * len(points)


def view_limits(real: np.ndarray, *fakes: np.ndarray, margin: float = 0.15,
                keep: float = 0.99) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits holding all the real data and ``keep`` of each set of generated points
    (a few far outliers must not shrink the data to a dot), with a relative margin."""
    pts = [np.asarray(real, np.float64)]
    for f in fakes:
        f = np.asarray(f, np.float64)
        f = f[np.all(np.isfinite(f), axis=1)]
        if len(f):
            lo, hi = np.quantile(f, [(1 - keep) / 2, 1 - (1 - keep) / 2], axis=0)
            pts.append(np.stack([lo, hi]))
    allp = np.concatenate(pts)
    lo, hi = allp.min(0), allp.max(0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + margin) + 1e-3
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


class Recorder:
    """Trainer callback: at ``frames`` evenly spaced iterations keep
    G's samples, D on a grid, and the generator's force at some samples.

    data: the data set (``sample(n, rng)``); iterations: the run's length; n_samples: G
    samples per frame (same z each time); n_arrows: samples that get an arrow; grid: points
    per side of D's grid; lim: ((x0, x1), (y0, y1)) for the grid (default: the data's extent
    with a margin of 60%, fixed for the whole run so that frames compare).
    """

    def __init__(self, data, iterations: int, frames: int = 30, n_samples: int = 1000,
                 n_arrows: int = 120, grid: int = 200, lim=None, seed: int = 0) -> None:
        rng = np.random.default_rng(seed + 777)
        self.real = np.asarray(data.sample(2000, rng), np.float64)
        if self.real.shape[1] != 2:
            raise ValueError(f"Recorder draws 2-D data; this data set has dim {self.real.shape[1]}")
        self.means = getattr(data, "means", None)
        self.std = getattr(data, "std", None)
        self.lim = lim if lim is not None else view_limits(self.real, margin=0.6)
        self.grid = int(grid)
        self.n_samples, self.n_arrows = int(n_samples), int(n_arrows)
        self.iterations: list[int] = []
        self.marks: set[int] = set()
        self.plan(iterations, frames)
        self.samples: list[np.ndarray] = []
        self.surfaces: list[np.ndarray] = []
        self.forces: list[np.ndarray] = []
        self.d_loss = "bce"
        self.g_loss = "non-saturating"

    # ---- recording ---------------------------------------------------------------------
    def plan(self, iterations: int, frames: int = 30) -> None:
        """Record at ``frames`` evenly spaced iterations up to ``iterations`` (after the last
        frame already kept: a resumed run goes on with the frames it has). Iteration 0 is
        kept by calling ``capture(trainer)`` before training: the callback runs after steps."""
        last = self.iterations[-1] if self.iterations else 0
        marks = np.unique(np.linspace(0, iterations, frames).round().astype(int))
        self.marks = {m for m in marks.tolist() if m > last}

    def grid_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x axis (n,), y axis (n,), points (n*n, 2)); row i of a surface holds y_i."""
        xs = np.linspace(*self.lim[0], self.grid)
        ys = np.linspace(*self.lim[1], self.grid)
        xx, yy = np.meshgrid(xs, ys, indexing="xy")
        return xs, ys, np.stack([xx.ravel(), yy.ravel()], axis=1)

    def capture(self, trainer) -> None:
        """Keep this moment of ``trainer`` (its iteration, samples, D surface, forces)."""
        self.d_loss, self.g_loss = trainer.d_loss, trainer.g_loss
        fake = trainer.sample(self.n_samples)
        _, _, pts = self.grid_points()
        if trainer.d_loss == "bce":
            surface = metrics.probabilities_on(trainer.D, pts)
        else:
            surface = metrics.logits_on(trainer.D, pts)
        force = generator_force(trainer.D, fake[: self.n_arrows], trainer.g_loss, device=trainer.device)
        self.iterations.append(int(trainer.iteration))
        self.samples.append(np.asarray(fake, np.float32))
        # D in [0, 1] to 1e-3 is plenty (float16); a critic's raw scores keep float32
        self.surfaces.append(surface.reshape(self.grid, self.grid).astype(np.float16 if trainer.d_loss == "bce"
                                                                           else np.float32))
        self.forces.append(force.astype(np.float32))

    def __call__(self, trainer, record: dict) -> None:
        if record["iteration"] in self.marks and record["iteration"] not in self.iterations:
            self.capture(trainer)

    # ---- saving ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> str:
        """Write the frames to ``path`` (.npz, atomically)."""
        from .._io import atomic_write

        arrays = {
            "iterations": np.array(self.iterations), "samples": np.stack(self.samples),
            "surfaces": np.stack(self.surfaces), "forces": np.stack(self.forces),
            "real": self.real, "lim": np.array(self.lim, np.float64),
            "losses": np.array([self.d_loss, self.g_loss]),
        }
        if self.means is not None:
            arrays["means"], arrays["std"] = np.asarray(self.means), np.array(self.std)
        atomic_write(os.fspath(path), lambda f: np.savez_compressed(f, **arrays))
        return os.fspath(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Recorder:
        """The frames written by :meth:`save`."""
        with np.load(path) as z:
            rec = cls.__new__(cls)
            rec.iterations = z["iterations"].tolist()
            rec.samples, rec.surfaces, rec.forces = list(z["samples"]), list(z["surfaces"]), list(z["forces"])
            rec.real = z["real"]
            rec.lim = tuple(map(tuple, z["lim"]))
            rec.d_loss, rec.g_loss = (str(s) for s in z["losses"])
            rec.means = z["means"] if "means" in z else None
            rec.std = float(z["std"]) if "std" in z else None
            rec.grid = rec.surfaces[0].shape[0]
            rec.n_samples, rec.n_arrows = len(rec.samples[0]), len(rec.forces[0])
            rec.marks = set()
        return rec

    def __len__(self) -> int:
        return len(self.iterations)


# ---- drawing helpers -----------------------------------------------------------------------
def _draw_data(ax, real, fake, means=None, std=None, lim=None, fake_size=4.0):
    """G's samples underneath, the real data on top of them, 3-std circles around the modes."""
    ax.scatter(fake[:, 0], fake[:, 1], s=fake_size, c=FAKE_FACE, edgecolors="#7a5c00", linewidths=0.25,
               alpha=0.8, zorder=2, label="G(z): generated")
    ax.scatter(real[:, 0], real[:, 1], s=1.5, c=REAL_COLOR, alpha=0.9, zorder=3, linewidths=0,
               label="x ~ p_data: real")
    if means is not None and std is not None:
        from matplotlib.patches import Circle

        for mu in np.asarray(means):
            ax.add_patch(Circle(mu, 3 * std, fill=False, ec="k", lw=0.7, zorder=4))
        ax.plot([], [], "o", mfc="none", mec="k", ms=6, label="3 std around each mode (high quality)")
    if lim is not None:
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
        outside = int(np.sum(~_inside(fake, lim)))
        if outside:
            ax.text(0.99, 0.01, f"{outside} of {len(fake)} samples outside the view", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=7, color="0.25", zorder=6,
                    bbox={"fc": "white", "ec": "none", "alpha": 0.7, "pad": 1})
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")


def _inside(points, lim) -> np.ndarray:
    (x0, x1), (y0, y1) = lim
    return (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)


def _draw_surface(ax, rec: Recorder, surface: np.ndarray, bce: bool, bands: int = 0):
    """D on the grid: smooth shading, or ``bands`` flat colour bands (small GIF frames)."""
    xs, ys, _ = rec.grid_points()
    surface = surface.astype(np.float32)
    if bce:
        vmin, vmax = 0.0, 1.0
    else:
        v = float(np.nanmax(np.abs(surface))) or 1.0
        vmin, vmax = -v, v
    if bands:
        im = ax.contourf(xs, ys, surface, levels=np.linspace(vmin, vmax, bands + 1), cmap=SURFACE_CMAP,
                         vmin=vmin, vmax=vmax, zorder=0, extend="both")
    else:
        im = ax.pcolormesh(xs, ys, surface, cmap=SURFACE_CMAP, vmin=vmin, vmax=vmax, shading="gouraud",
                           zorder=0, rasterized=True)
    if bce and np.nanmin(surface) < 0.5 < np.nanmax(surface):
        ax.contour(xs, ys, surface, levels=[0.5], colors="k", linewidths=1.0, linestyles="--", zorder=1)
    return im


def _draw_force(ax, points, force, lim, scale_to: float):
    """Arrows -dL_G/dx at ``points``, the longest one ``scale_to`` long in data units."""
    norms = np.linalg.norm(force, axis=1)
    top = float(norms.max()) if len(norms) else 0.0
    if not top > 0:
        return 0.0
    keep = _inside(points, lim)
    u = force / top * scale_to
    ax.quiver(points[keep, 0], points[keep, 1], u[keep, 0], u[keep, 1], angles="xy", scale_units="xy", scale=1,
              color=ARROW_COLOR, width=0.004, headwidth=3.5, headlength=4, alpha=0.85, zorder=5)
    return top


def _moments(n_frames: int, k: int) -> list[int]:
    return sorted(set(np.linspace(0, n_frames - 1, min(k, n_frames)).round().astype(int).tolist()))


# ---- figures -------------------------------------------------------------------------------
def samples_figure(rec: Recorder, path: str | os.PathLike, moments: int = 5,
                   title: str = "G's samples over training, real data on top") -> str:
    """Panels at ``moments`` iterations: G's samples (yellow), the real data on top (blue),
    3-std circles around the modes; limits chosen from the data and 99% of the samples."""
    idx = _moments(len(rec), moments)
    lim = view_limits(rec.real, *[rec.samples[i] for i in idx])
    fig = _figure(3.1 * len(idx), 4.0)
    axes = np.atleast_1d(fig.subplots(1, len(idx)))
    for ax, i in zip(axes, idx):
        _draw_data(ax, rec.real, rec.samples[i], rec.means, rec.std, lim)
        ax.set_title(f"iteration {rec.iterations[i]}", fontsize=10)
        if rec.means is not None and rec.std is not None:
            cov = metrics.mode_coverage(rec.samples[i], rec.means, rec.std)
            ax.text(0.02, 0.98, f"{cov.modes}/{cov.n_modes} modes\n{100 * cov.high_quality:.0f}% within 3 std",
                    transform=ax.transAxes, va="top", fontsize=7,
                    bbox={"fc": "white", "ec": "0.7", "alpha": 0.85, "pad": 2})
    for ax in axes[1:]:
        ax.set_ylabel("")
    _legend(fig, circles=rec.means is not None)
    fig.suptitle(title)
    return save_figure(fig, path)


def _d_star_surface(rec: Recorder, data, i: int) -> tuple[np.ndarray, float] | None:
    """D* = p_data / (p_data + p_g) on the grid at the resolution frame i's samples allow:
    p_g is a Gaussian KDE with kernel N(0, h^2 I) and p_data is blurred by the same kernel
    (exactly: the mixture with std sqrt(std^2 + h^2)), h by Scott's rule on the data's
    spread, as in ``metrics.jsd_estimate``. NaN where both densities are negligible (D* is
    undefined there and D is free). Returns (D* (grid, grid), h), or None without a mixture."""
    means, std = getattr(data, "means", None), getattr(data, "std", None)
    if means is None or std is None:
        return None
    _, _, pts = rec.grid_points()
    h = theory.scott_bandwidth(len(rec.samples[i]), 2) * float(np.sqrt(np.var(means, 0).mean() + std**2))
    p = GaussianMixture(means, float(np.hypot(std, h))).density(pts)
    q = theory.kde(rec.samples[i], pts, kernel_cov=h**2 * np.eye(2))
    d_star = theory.optimal_discriminator(p, q)
    d_star[(p + q) < 1e-3 * max(p.max(), q.max())] = np.nan
    return d_star.reshape(rec.grid, rec.grid), h


def surfaces_figure(rec: Recorder, path: str | os.PathLike, data=None, moments: int = 4,
                    title: str | None = None) -> str:
    """D's surface at ``moments`` iterations with its D = 1/2 contour, G's samples, the real
    data, and the arrows -dL_G/dx on G's samples (backprop made visible); with ``data``
    that has a density, a second row of D* = p_data / (p_data + p_g) at the same moments."""
    bce = rec.d_loss == "bce"
    idx = _moments(len(rec), moments)
    stars = [_d_star_surface(rec, data, i) for i in idx] if (bce and data is not None) else []
    rows = 2 if stars and stars[0] is not None else 1
    fig = _figure(3.3 * len(idx) + 0.9, 3.5 * rows + 0.9)
    axes = fig.subplots(rows, len(idx), squeeze=False)
    span = rec.lim[0][1] - rec.lim[0][0]
    im = None
    for col, i in enumerate(idx):
        ax = axes[0, col]
        im = _draw_surface(ax, rec, rec.surfaces[i], bce)
        _draw_data(ax, rec.real, rec.samples[i][:500], rec.means, rec.std, rec.lim, fake_size=3)
        top = _draw_force(ax, rec.samples[i][: rec.n_arrows], rec.forces[i], rec.lim, 0.12 * span)
        who = "D" if bce else "critic f"
        ax.set_title(f"{who} at iteration {rec.iterations[i]}\nlongest arrow: |∂L_G/∂x| = {top:.2g}", fontsize=9)
        if rows == 2:
            ax = axes[1, col]
            d_star, h = stars[col]
            ax.set_facecolor("0.85")
            _draw_surface(ax, rec, np.ma.masked_invalid(d_star), True)
            _draw_data(ax, rec.real, rec.samples[i][:500], rec.means, rec.std, rec.lim, fake_size=3)
            ax.set_title(f"D* = p_data / (p_data + p_g), iteration {rec.iterations[i]}\n"
                         f"both densities blurred by a kernel of std {h:.2f}", fontsize=9)
    for ax in axes[:, 1:].ravel():
        ax.set_ylabel("")
    for ax in axes[:-1].ravel():
        ax.set_xlabel("")
    if im is not None:
        cb = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, pad=0.01)
        cb.set_label("D(x): probability that x is real" if bce else "critic output f(x)")
    _legend(fig, circles=rec.means is not None, surface=bce, arrows=True, undefined=rows == 2)
    fig.suptitle(title or f"the {'discriminator' if bce else 'critic'}'s surface and the force on G's samples "
                          f"({rec.g_loss} G loss)")
    return save_figure(fig, path)


def _legend(fig, circles=False, surface=False, arrows=False, undefined=False, ncol=3):
    """One legend for the whole figure, below the panels, so that it covers no mode."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    entries = [
        (Line2D([], [], ls="none", marker="o", ms=5, mfc=FAKE_FACE, mec="#7a5c00"), "G(z): generated"),
        (Line2D([], [], ls="none", marker="o", ms=3, mfc=REAL_COLOR, mec="none"), "x ~ p_data: real, drawn on top"),
    ]
    if circles:
        entries.append((Line2D([], [], ls="none", marker="o", ms=8, mfc="none", mec="k"),
                        "circle of 3 std around each mode: high quality inside"))
    if surface:
        entries.append((Line2D([], [], color="k", ls="--", lw=1), "D(x) = 1/2"))
    if arrows:
        entries.append((Line2D([], [], color=ARROW_COLOR, marker=r"$\rightarrow$", ls="none", ms=10),
                        "−∂L_G/∂x: where backprop pushes G's sample"))
    if undefined:
        entries.append((Patch(fc="0.85", ec="0.6"), "gray: D* undefined (neither data nor samples)"))
    handles, labels = zip(*entries)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=8)


# ---- the animation -------------------------------------------------------------------------
def animation(rec: Recorder, path: str | os.PathLike, fps: int = 5, dpi: int = 80,
              history=None, title: str = "the GAN game in motion") -> str:
    """A GIF of the game: D's surface, G's samples and the force arrows at every recorded
    frame; with ``history`` a second panel of mean D(x) and D(G(z)) up to that iteration.
    Written with matplotlib's Pillow writer, atomically."""
    from .figures import _smooth, series

    bce = rec.d_loss == "bce"
    panels = 2 if history is not None else 1
    fig = _figure(4.3 * panels + 0.4, 4.4)
    axes = np.atleast_1d(fig.subplots(1, panels, width_ratios=[1.0, 0.9][:panels]))
    span = rec.lim[0][1] - rec.lim[0][0]
    ax = axes[0]
    if history is not None:
        ax2 = axes[1]
        it_r, dr = series(history, "d_real")
        it_f, df = series(history, "d_fake")
        ax2.plot(it_r, _smooth(dr), color=REAL_COLOR, lw=1.2, label="mean D(x), real")
        ax2.plot(it_f, _smooth(df), color=FAKE_COLOR, lw=1.2, label="mean D(G(z)), fake")
        if bce:
            ax2.axhline(0.5, color="k", ls="--", lw=0.8, label="1/2: D cannot tell")
            ax2.set_ylim(-0.02, 1.02)
        ax2.set_xlabel("iteration")
        ax2.set_ylabel("D output" if bce else "critic output")
        ax2.legend(fontsize=7, loc="upper right")
        ax2.set_title(f"what D believes (moving average over {max(1, int(len(dr) * 0.02))} iterations)",
                      fontsize=9)
        cursor = ax2.axvline(0, color="0.3", lw=1)
    fig.suptitle(title, fontsize=10)

    def draw(i: int) -> None:
        ax.clear()
        _draw_surface(ax, rec, rec.surfaces[i], bce, bands=10)
        _draw_data(ax, rec.real, rec.samples[i][:400], rec.means, rec.std, rec.lim, fake_size=7)
        _draw_force(ax, rec.samples[i][: rec.n_arrows], rec.forces[i], rec.lim, 0.12 * span)
        ax.set_title(f"iteration {rec.iterations[i]}\n{'D(x)' if bce else 'f(x)'}: red = real, blue = fake; "
                     "G(z) yellow; arrows −∂L_G/∂x", fontsize=9)
        if history is not None:
            cursor.set_xdata([rec.iterations[i]] * 2)

    return save_gif(fig, path, draw, len(rec), fps=fps, dpi=dpi)


def frames_of(path: str | os.PathLike) -> int:
    """Number of frames in a GIF (for tests and for the command's report)."""
    from PIL import Image

    with Image.open(path) as im:
        return int(getattr(im, "n_frames", 1))


