"""Figures of the GAN game, drawn with matplotlib's object API on the Agg canvas.

No pyplot and no global state: each function builds a Figure, draws, and writes a PNG
atomically (a temporary file in the same folder, then os.replace), so a reader never
sees half a file. Every function returns the path it wrote.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from .._io import atomic_write, default_file_mode
from ..lab import metrics, theory

__all__ = [
    "criterion_figure", "dashboard", "decision_surface", "digits_grid", "non_convergence_figure",
    "records_of", "samples_over_time", "save_figure", "save_gif", "series", "theory_1d",
    "vanishing_gradients_figure", "wasserstein_figure",
]

REAL_COLOR, FAKE_COLOR = "#1f77b4", "#d62728"
G_COLOR, D_COLOR = "#2ca02c", "#9467bd"


def _figure(width: float, height: float):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("minigan.viz needs matplotlib (pip install 'minigan[plot]')") from exc
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path: str | os.PathLike) -> str:
    """Write ``fig`` to ``path`` as PNG atomically (temp file in the same folder, os.replace)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))
    return path


def save_gif(fig, path: str | os.PathLike, draw_frame, frames: int, fps: int = 5, dpi: int = 80) -> str:
    """An animated GIF of ``fig`` through matplotlib's Pillow writer: ``draw_frame(i)``
    redraws the figure for frame i, i = 0..frames-1. Written atomically, like the PNGs."""
    import tempfile

    from matplotlib.animation import PillowWriter

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".gif", dir=folder)
    os.close(fd)
    try:
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, tmp, dpi):
            for i in range(frames):
                draw_frame(i)
                writer.grab_frame()
                if i == 0:  # the layout of the first frame serves them all (it is a third of the time)
                    fig.set_layout_engine("none")
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# ---- reading a History -------------------------------------------------------------------
def records_of(history) -> list[dict]:
    """The per-iteration records of a History, a list of dicts, or a dict {"records": [...]}."""
    if hasattr(history, "records"):
        return list(history.records)
    if isinstance(history, dict) and "records" in history:
        return list(history["records"])
    if isinstance(history, (list, tuple)):
        return list(history)
    raise TypeError(f"expected a History, a list of records or a dict with 'records', got {type(history).__name__}")


def series(history, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(iterations, values) of one recorded quantity; iterations where it is missing are skipped."""
    recs = [r for r in records_of(history) if r.get(key) is not None]
    it = np.array([r.get("iteration", i) for i, r in enumerate(recs)], dtype=np.float64)
    vals = np.array([float(r[key]) for r in recs], dtype=np.float64)
    return it, vals


def _window(n: int, frac: float = 0.02) -> int:
    """The moving-average window used over a run of n points: ~frac of the run, at least 1."""
    return max(1, int(n * frac))


def _smooth(y: np.ndarray, frac: float = 0.02) -> np.ndarray:
    """A centred moving average over ~frac of the run (at least 1 point)."""
    w = _window(len(y), frac)
    if w <= 1 or len(y) < 3:
        return y
    kernel = np.ones(w) / w
    pad = np.pad(y, (w // 2, w - 1 - w // 2), mode="edge")
    return np.convolve(pad, kernel, mode="valid")


def _plot_series(ax, it, y, color, label, smooth=True):
    if len(y) == 0:
        return
    if smooth and len(y) > 50:
        ax.plot(it, y, color=color, alpha=0.2, lw=0.6)
        ax.plot(it, _smooth(y), color=color, lw=1.5, label=label)
    else:
        ax.plot(it, y, color=color, lw=1.2, label=label)


def _smoothing_note(ax, n: int) -> None:
    """Add the smoothing window to the panel's title, as a second line."""
    w = _window(n)
    text = f"faint: each iteration; solid: moving average over {w} iterations" if n > 50 and w > 1 else \
        "each iteration, unsmoothed"
    ax.set_title(f"{ax.get_title()}\n{text}", fontsize=9.5)


def layer_labels(keys: Sequence[str]) -> dict[str, str]:
    """{"grad_norm/G/2.weight": "G layer 2 weight", ...} for recorded gradient-norm keys.

    Layers are counted among the modules that hold parameters, from the input, so that
    the Sequential indices of an MLP (0, 2, 4: activations in between) read as 1, 2, 3."""
    labels, layers = {}, {}
    for key in keys:
        _, player, name = key.split("/", 2)
        prefix, _, kind = name.rpartition(".")
        number = layers.setdefault((player, prefix), sum(1 for p, _ in layers if p == player) + 1)
        labels[key] = f"{player} layer {number} {kind}"
    return labels


def _grad_norm_panel(ax, history, player: str):
    keys = [k for k in dict.fromkeys(k for r in records_of(history) for k in r)
            if k.startswith(f"grad_norm/{player}/")]
    colors = _cmap("tab10")
    for key, label in layer_labels(keys).items():
        layer, kind = int(label.split()[2]), label.split()[3]
        it, y = series(history, key)
        y = np.where(y > 0, y, np.nan)
        ax.plot(it, _smooth(y) if len(y) > 50 else y, lw=1.3 if kind == "weight" else 0.9,
                ls="-" if kind == "weight" else ":", color=colors((layer - 1) % 10), label=label)
    ax.set_yscale("log")
    ax.set_title(f"{player}: gradient norm of each parameter (layer 1 = input side)", fontsize=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("‖∂L/∂θ‖ (log scale)")
    if keys:
        ax.legend(fontsize=7, ncol=2, loc="best", title="solid: weight, dotted: bias", title_fontsize=7)
        n = len(series(history, keys[0])[1])
        ax.set_title(f"{ax.get_title()}\nmoving average over {_window(n)} iterations" if n > 50 else ax.get_title(),
                     fontsize=10)
    else:
        ax.text(0.5, 0.5, "not recorded", ha="center", va="center", transform=ax.transAxes)


def _cmap(name: str):
    from matplotlib import colormaps

    return colormaps[name]


# ---- the game dashboard -----------------------------------------------------------------
def dashboard(history, path: str | os.PathLike, title: str = "The GAN game", d_loss: str = "bce",
              g_loss: str = "non-saturating") -> str:
    """Six panels from a History: the two losses with their values at D = 1/2, D(x) vs
    D(G(z)) with the 1/2 equilibrium, V(D, G) with -log 4 and what it does not prove, the
    signal |dL_G/d logit| reaching G through D's logit, and the gradient norm of every
    parameter of G and D grouped by layer. Smoothed curves state their window.

    For d_loss "wasserstein" or "least-squares" D's outputs are raw scores, not
    probabilities: the 1/2, log 4 and -log 4 references are then left out."""
    bce = d_loss == "bce"
    fig = _figure(15, 8.8)
    axes = fig.subplots(2, 3)
    fig.suptitle(title, fontsize=14)
    n = len(records_of(history))

    ax = axes[0, 0]
    _plot_series(ax, *series(history, "d_loss"), D_COLOR, "D loss")
    _plot_series(ax, *series(history, "g_loss"), G_COLOR, f"G loss ({g_loss})")
    if bce:
        # at D = 1/2 everywhere: L_D = -log(1/2) - log(1/2) = log 4; -log D(G(z)) = log 2; log(1 - D) = -log 2
        ax.axhline(theory.LOG4, color=D_COLOR, ls="--", lw=1, label="log 4: D loss when D = 1/2")
        g_ref = {"non-saturating": (math.log(2), "log 2"), "minimax": (-math.log(2), "−log 2")}.get(g_loss)
        if g_ref is not None:
            ax.axhline(g_ref[0], color=G_COLOR, ls="--", lw=1, label=f"{g_ref[1]}: G loss when D = 1/2")
    ax.set_title("losses")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8, loc="upper right")
    _smoothing_note(ax, n)

    ax = axes[0, 1]
    _plot_series(ax, *series(history, "d_real"), REAL_COLOR, f"mean {'D' if bce else 'f'}(x), real")
    _plot_series(ax, *series(history, "d_fake"), FAKE_COLOR, f"mean {'D' if bce else 'f'}(G(z)), fake")
    if bce:
        ax.axhline(0.5, color="k", ls="--", lw=1, label="equilibrium D = 1/2 (p_g = p_data)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("what D believes")
        ax.set_ylabel("D output (probability real)")
    else:
        ax.set_title("the critic's scores")
        ax.set_ylabel("raw output f")
    ax.set_xlabel("iteration")
    ax.legend(fontsize=8, loc="upper right")
    _smoothing_note(ax, n)

    ax = axes[0, 2]
    if bce:
        _plot_series(ax, *series(history, "value"), "k", "V(D, G) on the minibatch")
        ax.axhline(-theory.LOG4, color="#ff7f0e", ls="--", lw=1.5,
                   label="−log 4 ≈ −1.386 (global optimum, Thm. 1)")
        ax.set_title("value of the game V(D, G)")
        ax.set_ylabel("E log D(x) + E log(1 − D(G(z)))")
        ax.text(0.5, 0.97, "Caveat: V ≈ −log 4 does not mean p_g = p_data:\n"
                "a D that outputs 1/2 everywhere (untrained, or beaten) gives it too",
                transform=ax.transAxes, ha="center", va="top", fontsize=7.5, color="#8c2d04",
                bbox={"fc": "#fff5eb", "ec": "#fdae6b", "pad": 2})
    else:
        _plot_series(ax, *series(history, "value"), "k", "what D maximizes (no penalty)")
        ax.set_title("D's objective" + (": E f(x) − E f(G(z))" if d_loss == "wasserstein" else ""))
        ax.set_ylabel("value")
    ax.set_xlabel("iteration")
    ax.legend(fontsize=8, loc="lower right")
    _smoothing_note(ax, n)

    ax = axes[1, 0]
    it, y = series(history, "g_logit_grad")
    _plot_series(ax, it, np.where(y > 0, y, np.nan), G_COLOR, "measured: mean |∂loss_i / ∂logit_i|")
    if bce and g_loss in ("non-saturating", "minimax"):
        itf, df = series(history, "d_fake")
        ref = 1 - df if g_loss == "non-saturating" else df
        ax.plot(itf, _smooth(ref) if len(ref) > 50 else ref, color="k", ls="--", lw=1,
                label=("1 − mean D(G(z))" if g_loss == "non-saturating" else "mean D(G(z))")
                + ": theory, from D's last batch")
    finite = y[np.isfinite(y) & (y > 0)]
    if len(finite) and finite.max() <= 1.01 * finite.min():
        # constant, e.g. 1 for the wasserstein G loss -f(G(z)): G's signal is all in df/dx
        ax.set_ylim(0, 1.25 * finite.max())
        ax.text(0.5, 0.5, f"|∂loss_i / ∂f_i| = {finite.mean():.3g} at every step for the {g_loss} G loss:\n"
                "what reaches G is D's slope ∂f/∂x, not a saturating factor",
                transform=ax.transAxes, ha="center", va="center", fontsize=8.5, color="0.25")
    else:
        ax.set_yscale("log")
    ax.set_title("signal reaching G through D's logit")
    ax.set_xlabel("iteration")
    ax.set_ylabel("|∂L_G / ∂logit| per sample" + (" (log)" if ax.get_yscale() == "log" else ""))
    if len(y):
        ax.legend(fontsize=8, loc="lower right")
    _smoothing_note(ax, n)

    _grad_norm_panel(axes[1, 1], history, "G")
    _grad_norm_panel(axes[1, 2], history, "D")
    return save_figure(fig, path)


# ---- 2-D samples and D's surface ----------------------------------------------------------
def _limits(*arrays, margin: float = 0.5) -> float:
    vals = [np.abs(np.asarray(a)).max() for a in arrays if a is not None and len(a)]
    return float(max(vals) + margin) if vals else 3.0


def samples_over_time(snapshots: Sequence[tuple[int, np.ndarray]], real: np.ndarray,
                      path: str | os.PathLike, lim: float | None = None,
                      means: np.ndarray | None = None, title: str = "samples over training",
                      std: float | None = None) -> str:
    """One panel per snapshot (iteration, generated samples (n, 2)): G's samples under the
    real data (n, 2), 3-std circles around ``means`` when ``std`` is given, limits that hold
    the data and 99% of the samples (or [-lim, lim]), nothing clipped onto the border."""
    from .game2d import _draw_data, _legend, view_limits

    k = max(1, len(snapshots))
    cols = k if k <= 6 else math.ceil(k / 2)
    rows = math.ceil(k / cols)
    fig = _figure(3.2 * cols, 3.4 * rows + 0.7)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    view = ((-lim, lim), (-lim, lim)) if lim is not None else view_limits(real, *[f for _, f in snapshots])
    for ax in axes[len(snapshots):]:
        ax.set_visible(False)
    for ax, (it, fake) in zip(axes, snapshots):
        _draw_data(ax, np.asarray(real), np.asarray(fake), means, std, view)
        ax.set_title(f"iteration {it}")
    _legend(fig, circles=means is not None and std is not None)
    fig.suptitle(title)
    return save_figure(fig, path)


def decision_surface(discriminator, real: np.ndarray, fake: np.ndarray, path: str | os.PathLike,
                     lim: float | None = None, n: int = 300, title: str | None = None) -> str:
    """D(x) = sigmoid(logit) on a grid (smoothly shaded), its 1/2 contour, G's samples under
    the real data; nothing clipped onto the border.

    discriminator: a callable on Tensors (n, 2) returning logits; real, fake: (n, 2).
    """
    from .game2d import _draw_data

    lim = lim if lim is not None else _limits(real, margin=1.0)
    points, _, shape = theory.grid_2d(lim, n)
    d = metrics.probabilities_on(discriminator, points).reshape(shape)
    axis = np.linspace(-lim, lim, n)
    fig = _figure(7, 6)
    ax = fig.subplots()
    im = ax.pcolormesh(axis, axis, d, cmap="RdBu_r", vmin=0, vmax=1, shading="gouraud", rasterized=True)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("D(x) = σ(logit): probability that x is real")
    if 0 < d.min() < 0.5 < d.max():
        ax.contour(axis, axis, d, levels=[0.5], colors="k", linewidths=1, linestyles="--")
    ax.plot([], [], color="k", lw=1, ls="--", label="D(x) = 1/2")
    _draw_data(ax, np.asarray(real), np.asarray(fake), lim=((-lim, lim), (-lim, lim)))
    ax.set_title(title or "the discriminator's decision surface")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.1), ncol=3, markerscale=2)
    return save_figure(fig, path)


# ---- theory figures -----------------------------------------------------------------------
def theory_1d(x: np.ndarray, p_data: np.ndarray, p_g: np.ndarray, path: str | os.PathLike,
              d_trained: np.ndarray | None = None, title: str | None = None) -> str:
    """Top: p_data and p_g. Bottom: D* = p_data/(p_data + p_g) (Prop. 1) and a trained D. All (m,)."""
    d_star = theory.optimal_discriminator(p_data, p_g)
    fig = _figure(8, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(x, p_data, color=REAL_COLOR, lw=2, label="p_data")
    top.plot(x, p_g, color=FAKE_COLOR, lw=2, label="p_g (fixed G)")
    top.set_ylabel("density")
    top.set_title(title or "Prop. 1: for fixed G the best D is p_data / (p_data + p_g)")
    top.legend()
    bottom.plot(x, d_star, color="k", lw=2.5, label="D* = p_data / (p_data + p_g)")
    if d_trained is not None:
        bottom.plot(x, d_trained, color="#ff7f0e", lw=1.5, ls="--", label="trained D (minigan)")
    bottom.axhline(0.5, color="gray", ls=":", lw=1, label="1/2")
    bottom.set_ylim(-0.03, 1.03)
    bottom.set_xlabel("x")
    bottom.set_ylabel("D(x)")
    bottom.legend(fontsize=9)
    return save_figure(fig, path)


def vanishing_gradients_figure(d_fake: np.ndarray, measured: dict[str, np.ndarray],
                               path: str | os.PathLike,
                               training: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> str:
    """|dL_G/d logit| against D(G(z)) for each generator loss: analytic curves and measured points.

    d_fake: (m,) values of D(G(z)); measured: {"minimax": (m,), "non-saturating": (m,)}
    gradients measured with autograd at those points. training: {"run name (loss)": (mean
    D(G(z)) per iteration, mean |dL_G/d logit| per iteration)}, the values a Trainer
    recorded ("d_fake", "g_logit_grad"), drawn as small dots coloured by iteration.
    """
    d = np.asarray(d_fake, np.float64)
    if training:
        d = np.concatenate([d] + [np.asarray(v[0], np.float64) for v in training.values()])
        d = d[(d > 0) & (d < 1)]
    grid = np.logspace(math.log10(max(d.min(), 1e-12)), math.log10(min(d.max(), 1 - 1e-6)), 400)
    fig = _figure(8, 5.5)
    ax = fig.subplots()
    # L = log(1 - σ(l)):  dL/dl = -σ(l) = -D          (saturating / minimax)
    # L = -log σ(l):      dL/dl = -(1 - σ(l)) = -(1 - D) (non-saturating, Goodfellow et al. 2014 §3)
    ax.plot(grid, grid, color=FAKE_COLOR, lw=2, label="minimax log(1 − D): |dL/dl| = D (analytic)")
    ax.plot(grid, 1 - grid, color=G_COLOR, lw=2, label="non-saturating −log D: |dL/dl| = 1 − D (analytic)")
    styles = {"minimax": (FAKE_COLOR, "o"), "non-saturating": (G_COLOR, "s")}
    for name, g in measured.items():
        color, marker = styles.get(name, ("k", "x"))
        ax.scatter(np.asarray(d_fake, np.float64), np.abs(g), color=color, marker=marker, s=28,
                   facecolors="none", zorder=3, label=f"{name}: measured by minigan autograd")
    cmaps = ["Purples", "Oranges", "Greys"]
    for (name, (df, gl)), cmap in zip((training or {}).items(), cmaps):
        df, gl = np.asarray(df, np.float64), np.asarray(gl, np.float64)
        ax.scatter(df, gl, c=np.arange(len(df)), cmap=cmap, s=9, alpha=0.7, zorder=4, linewidths=0,
                   vmin=-0.3 * len(df))  # the first iterations light, not white
        ax.scatter([], [], color=_cmap(cmap)(0.75), s=12, label=f"{name}: each iteration of training (dark = late)")
        lo, hi = np.nanpercentile(df, [1, 99])
        ax.annotate(f"{name}:\nD(G(z)) in [{lo:.2f}, {hi:.2f}] for 98% of iterations",
                    (float(np.nanmedian(df)), float(np.nanmedian(gl))), xytext=(0.40, 0.74),
                    textcoords="axes fraction", fontsize=8, color=_cmap(cmap)(0.9),
                    arrowprops={"arrowstyle": "->", "color": _cmap(cmap)(0.9), "lw": 0.8})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("D(G(z))   (← D confidently rejects the fake)")
    ax.set_ylabel("|dL_G / d logit|")
    ax.set_title("Vanishing gradients: the saturating loss gives G no signal when D wins")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="both", alpha=0.3)
    return save_figure(fig, path)


def criterion_figure(shift: np.ndarray, criterion: np.ndarray, jsd: np.ndarray,
                     path: str | os.PathLike, xlabel: str = "shift μ_g − μ_data",
                     value: np.ndarray | None = None, title: str | None = None) -> str:
    """C(G) = -log 4 + 2 JSD against a parameter (or training time), with the -log 4 floor."""
    fig = _figure(8, 5)
    ax = fig.subplots()
    ax.plot(shift, criterion, color="k", lw=2, label="C(G) = −log 4 + 2·JSD(p_data ‖ p_g)")
    if value is not None:
        ax.plot(shift, value, color="#ff7f0e", lw=0, marker="o", ms=4, alpha=0.8,
                label="V(D*, G) integrated directly")
    ax.axhline(-theory.LOG4, color=FAKE_COLOR, ls="--", lw=1.5, label="−log 4 (reached iff p_g = p_data)")
    ax.axhline(0.0, color="gray", ls=":", lw=1, label="0 = −log 4 + 2 log 2 (disjoint supports)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("C(G)")
    ax2 = ax.twinx()
    ax2.plot(shift, jsd, color=REAL_COLOR, lw=1, ls="-.", label="JSD (right axis; same curve, rescaled)")
    ax2.set_ylabel("JSD(p_data ‖ p_g)  [nats]", color=REAL_COLOR)
    lo, hi = -theory.LOG4 - 0.08, 0.08
    ax.set_ylim(lo, hi)
    # the right axis is the left one under JSD = (C + log 4) / 2, so the two curves coincide
    ax2.set_ylim((lo + theory.LOG4) / 2, (hi + theory.LOG4) / 2)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=8, loc="upper center")
    ax.set_title(title or "Thm. 1: the virtual training criterion is minimal exactly at p_g = p_data")
    return save_figure(fig, path)


def non_convergence_figure(trajectories: dict[str, np.ndarray], path: str | os.PathLike,
                           curves: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
                           curves_title: str = "a GAN run: D's output oscillates instead of settling",
                           curves_ylabel: str = "D output") -> str:
    """Left: trajectories {name: (T, 2)} of gradient play on min_x max_y x·y around the
    equilibrium (0, 0). Right (optional): curves {name: (iterations, values)} of a GAN run,
    with the equilibrium value 1/2 marked."""
    panels = 2 if curves else 1
    fig = _figure(6.5 * panels, 5.5)
    axes = np.atleast_1d(fig.subplots(1, panels))
    ax = axes[0]
    colors = [FAKE_COLOR, REAL_COLOR, G_COLOR, D_COLOR]
    for (name, xy), color in zip(trajectories.items(), colors):
        xy = np.asarray(xy)
        ax.plot(xy[:, 0], xy[:, 1], color=color, lw=1, marker=".", ms=2, label=name)
        ax.scatter(xy[-1:, 0], xy[-1:, 1], color=color, s=30, zorder=3)
    first = np.asarray(next(iter(trajectories.values())))
    ax.scatter(first[:1, 0], first[:1, 1], marker="o", s=80, facecolors="none", edgecolors="k",
               label="start", zorder=4)
    ax.scatter([0], [0], marker="*", s=200, c="k", label="equilibrium (0, 0)", zorder=4)
    ax.set_aspect("equal")
    ax.set_xlabel("x (minimizing player)")
    ax.set_ylabel("y (maximizing player)")
    ax.set_title("min_x max_y x·y: gradient play circles the equilibrium")
    ax.legend(fontsize=8, loc="upper left")
    if curves:
        ax = axes[1]
        for (name, (it, y)), color in zip(curves.items(), [FAKE_COLOR, REAL_COLOR, G_COLOR, D_COLOR]):
            ax.plot(it, y, color=color, lw=1, label=name)
        ax.axhline(0.5, color="k", ls="--", lw=1, label="equilibrium 1/2")
        ax.set_xlabel("iteration")
        ax.set_ylabel(curves_ylabel)
        ax.set_title(curves_title)
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def wasserstein_figure(iterations: np.ndarray, critic_estimate: np.ndarray,
                       w1_iterations: np.ndarray, w1: np.ndarray, path: str | os.PathLike,
                       title: str = "WGAN: the critic's estimate beside W1 by optimal matching",
                       floor: float | None = None) -> str:
    """The critic's E D(x) - E D(G(z)) over training next to an independent W1 estimate.

    floor: the W1 estimate between two independent samples of p_data of the size used for
    ``w1``: the matching estimator reads about this much even when p_g = p_data."""
    fig = _figure(8, 5)
    ax = fig.subplots()
    _plot_series(ax, iterations, critic_estimate, D_COLOR, "critic: E f(x) − E f(G(z))  (−critic loss)")
    ax.plot(w1_iterations, w1, color="k", marker="o", lw=1.5, label="W1(p_data, p_g), optimal matching")
    if floor is not None:
        ax.axhline(floor, color="0.4", ls=":", lw=1.2,
                   label=f"estimator floor {floor:.2f}: W1 between two samples of p_data")
    ax.set_xlabel("iteration")
    ax.set_ylabel("distance")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    _smoothing_note(ax, len(np.asarray(critic_estimate)))
    return save_figure(fig, path)


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared L2 distances (n, N) between rows of a (n, d) and b (N, d)."""
    return np.maximum((a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :], 0.0)


def _nearest(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of a: the index of its nearest row of b and the distance to it."""
    d2 = _sq_dist(a, b)
    idx = d2.argmin(1)
    return idx, np.sqrt(d2[np.arange(len(a)), idx])


def digits_grid(samples: np.ndarray, path: str | os.PathLike, nrow: int = 8,
                title: str = "generated 8×8 digits", real: np.ndarray | None = None,
                nearest_in: np.ndarray | None = None) -> str:
    """Images (n, 64) in [-1, 1] in a grid; with ``real`` a second grid of data for comparison;
    with ``nearest_in`` (the training set, (N, 64)) a third grid holding, in the same place,
    the training image nearest (L2) to each generated one, so that copies would show."""
    samples = np.asarray(samples, np.float64)[: nrow * nrow]
    groups = [("generated", samples)] + ([("real (sklearn digits)", real)] if real is not None else [])
    if nearest_in is not None:
        train = np.asarray(nearest_in, np.float64)
        idx, dist = _nearest(samples, train)
        note = f"median L2 distance {np.median(dist):.1f}"
        if real is not None:  # the scale: a real image to its nearest *other* training image
            d2 = _sq_dist(np.asarray(real, np.float64)[: nrow * nrow], train)
            d2[d2 < 1e-9] = np.inf
            note += f"; real to nearest other: {np.median(np.sqrt(d2.min(1))):.1f}"
        groups.append((f"nearest training image to each\n({note})", train[idx]))
    fig = _figure(4.2 * len(groups), 4.7)
    axes = np.atleast_1d(fig.subplots(1, len(groups)))
    for ax, (name, imgs) in zip(axes, groups):
        imgs = np.clip(np.asarray(imgs, np.float64)[: nrow * nrow], -1, 1).reshape(-1, 8, 8)
        rows = math.ceil(len(imgs) / nrow)
        canvas = np.full((rows * 9 + 1, nrow * 9 + 1), -1.0)
        for i, im in enumerate(imgs):
            r, c = divmod(i, nrow)
            canvas[1 + r * 9: 1 + r * 9 + 8, 1 + c * 9: 1 + c * 9 + 8] = im
        ax.imshow(canvas, cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(name, fontsize=10)
        ax.axis("off")
    fig.suptitle(title)
    return save_figure(fig, path)
