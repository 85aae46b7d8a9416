"""Exact quantities of the GAN game, on a grid of points (1-D or 2-D).

Goodfellow et al. 2014, "Generative Adversarial Nets":

- the value of the game  V(D, G) = E_{x~p_data} log D(x) + E_{x~p_g} log(1 - D(x))      (eq. 1)
- Prop. 1: for a fixed G the best discriminator is  D*_G(x) = p_data(x) / (p_data(x) + p_g(x))
- Thm. 1: the virtual training criterion  C(G) = max_D V(D, G) = V(D*_G, G)
          = -log 4 + 2 JSD(p_data || p_g),  whose global minimum -log 4 is reached iff p_g = p_data.

Densities are arrays of values on a grid of points with cell size ``dx`` (the length of a
1-D cell or the area of a 2-D one), so that an integral is ``sum(f) * dx``. The model's
density p_g is unknown; :func:`kde` estimates it from samples.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "LOG4", "generator_logit_gradient", "grid_1d", "grid_2d", "jsd", "kde", "kl", "optimal_discriminator",
    "scott_bandwidth",
    "value", "value_at_optimum", "value_monte_carlo", "virtual_training_criterion",
]

LOG4 = math.log(4.0)  # -log 4 = V(D*, G) at the global optimum p_g = p_data (Thm. 1)


# ---- grids -----------------------------------------------------------------------------
def grid_1d(lo: float, hi: float, n: int = 2001) -> tuple[np.ndarray, float]:
    """Points x of shape (n,) evenly spaced on [lo, hi], and the cell length dx."""
    x = np.linspace(lo, hi, n)
    return x, float(x[1] - x[0])


def grid_2d(lim: float | tuple, n: int = 200) -> tuple[np.ndarray, float, tuple[int, int]]:
    """A square grid on [-lim, lim]^2 (or [lo, hi]^2): points (n*n, 2), cell area dx, shape (n, n).

    Reshape a per-point array with ``values.reshape(shape)`` to plot it; row i holds y_i.
    """
    lo, hi = (-lim, lim) if np.isscalar(lim) else lim
    axis = np.linspace(lo, hi, n)
    xx, yy = np.meshgrid(axis, axis, indexing="xy")
    step = float(axis[1] - axis[0])
    return np.stack([xx.ravel(), yy.ravel()], axis=1), step * step, (n, n)


# ---- Prop. 1: the optimal discriminator -------------------------------------------------
def optimal_discriminator(p_data, p_g, *, where_both_zero: float = 0.5) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise (Goodfellow et al. 2014, Prop. 1).

    p_data, p_g: densities at the same points, any shape. Where both are 0 the ratio is
    undefined (no sample of either lands there, so D is free): ``where_both_zero`` is used.
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    total = p_data + p_g
    with np.errstate(invalid="ignore", divide="ignore"):
        d = p_data / total
    return np.where(total > 0, d, where_both_zero)


# ---- divergences on a grid ---------------------------------------------------------------
def _normalize(p: np.ndarray, dx: float) -> np.ndarray:
    mass = p.sum() * dx
    if not mass > 0:
        raise ValueError("a density must have positive mass on the grid")
    return p / mass


def _plogp_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    # p log(p / q) with 0 log 0 = 0 (the convention of KL)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = p * (np.log(p) - np.log(q))
    return np.where(p > 0, out, 0.0)


def kl(p, q, dx: float, normalize: bool = True) -> float:
    """KL(p || q) = integral p log(p / q) dx on a grid (inf where q = 0 < p)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if normalize:
        p, q = _normalize(p, dx), _normalize(q, dx)
    return float(_plogp_ratio(p, q).sum() * dx)


def jsd(p, q, dx: float, normalize: bool = True) -> float:
    """Jensen-Shannon divergence on a grid, in nats: 0 <= JSD <= log 2, symmetric.

    JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m),  m = (p + q) / 2.
    p, q: densities at the same grid points; dx: the cell size. With ``normalize`` each is
    rescaled to integrate to 1 on the grid first, so a truncated tail does not bias it.
    """
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q must be given on the same grid, got shapes {p.shape} and {q.shape}")
    if normalize:
        p, q = _normalize(p, dx), _normalize(q, dx)
    m = 0.5 * (p + q)
    value = 0.5 * (_plogp_ratio(p, m).sum() + _plogp_ratio(q, m).sum()) * dx
    return float(min(max(value, 0.0), math.log(2.0)))  # clip round-off to [0, log 2]


def virtual_training_criterion(p_data, p_g, dx: float, normalize: bool = True) -> float:
    """C(G) = -log 4 + 2 JSD(p_data || p_g)  (Goodfellow et al. 2014, Thm. 1); min -log 4 iff p_g = p_data."""
    return -LOG4 + 2.0 * jsd(p_data, p_g, dx, normalize=normalize)


# ---- the value of the game ---------------------------------------------------------------
def value(d, p_data, p_g, dx: float, normalize: bool = True) -> float:
    """V(D, G) = integral [p_data log D + p_g log(1 - D)] dx for D given on the grid (eq. 1).

    d: D(x) in [0, 1] at the grid points; terms with zero density count as 0.
    """
    d = np.asarray(d, np.float64)
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    if normalize:
        p_data, p_g = _normalize(p_data, dx), _normalize(p_g, dx)
    with np.errstate(divide="ignore", invalid="ignore"):
        real = np.where(p_data > 0, p_data * np.log(d), 0.0)
        fake = np.where(p_g > 0, p_g * np.log1p(-d), 0.0)
    return float((real + fake).sum() * dx)


def value_at_optimum(p_data, p_g, dx: float, normalize: bool = True) -> dict:
    """V(D*, G) integrated directly, next to C(G) = -log 4 + 2 JSD: Thm. 1 says they are equal.

    Returns {"value": V(D*, G), "criterion": C(G), "jsd": JSD, "gap": |V - C|}.
    """
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    if normalize:
        p_data, p_g = _normalize(p_data, dx), _normalize(p_g, dx)
    # V(D*, G) = integral p_data log D* + p_g log(1 - D*), with log D* = log(p_data / (p_data + p_g))
    # and log(1 - D*) = log(p_g / (p_data + p_g)) taken as ratios, so that D* rounding to 1 in
    # a far tail cannot give log(0) * p_g
    total = p_data + p_g
    v = float((_plogp_ratio(p_data, total) + _plogp_ratio(p_g, total)).sum() * dx)
    j = jsd(p_data, p_g, dx, normalize=normalize)
    c = -LOG4 + 2.0 * j
    return {"value": v, "criterion": c, "jsd": j, "gap": abs(v - c)}


def value_monte_carlo(d_real, d_fake, eps: float = 1e-12) -> float:
    """V(D, G) estimated from samples: mean log D(x) + mean log(1 - D(G(z))) (eq. 1).

    d_real: D at data samples, (n,); d_fake: D at generated samples, (m,).
    """
    d_real = np.clip(np.asarray(d_real, np.float64), eps, 1.0)
    d_fake = np.clip(np.asarray(d_fake, np.float64), 0.0, 1.0 - eps)
    return float(np.mean(np.log(d_real)) + np.mean(np.log1p(-d_fake)))


# ---- kernel density estimate of p_g ------------------------------------------------------
def scott_bandwidth(n: int, dim: int) -> float:
    """Scott's rule factor n^(-1/(dim + 4)) (Scott 1992, as in scipy.stats.gaussian_kde)."""
    return float(n ** (-1.0 / (dim + 4)))


def kde(samples, points, bandwidth: float | None = None, chunk: int = 4096,
        kernel_cov=None) -> np.ndarray:
    """Gaussian kernel density estimate of the samples' density, evaluated at ``points``.

    samples: (n,) or (n, dim); points: (m,) or (m, dim); returns (m,). The kernel
    covariance is the samples' covariance times bandwidth^2, bandwidth by Scott's rule
    unless given (the choice of scipy.stats.gaussian_kde), or ``kernel_cov`` (dim, dim)
    when given (use a fixed kernel when the samples may have collapsed to a point).
    """
    x = np.asarray(samples, np.float64)
    y = np.asarray(points, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, None] if y.ndim == 1 else y
    n, dim = x.shape
    if y.shape[1] != dim:
        raise ValueError(f"points have dim {y.shape[1]} but samples have dim {dim}")
    if kernel_cov is not None:
        cov = np.array(kernel_cov, np.float64).reshape(dim, dim)
    else:
        factor = scott_bandwidth(n, dim) if bandwidth is None else float(bandwidth)
        cov = np.atleast_2d(np.cov(x, rowvar=False)) * factor**2
    cov += np.eye(dim) * 1e-12 * max(1.0, float(np.trace(cov)))  # a degenerate (collapsed) G
    chol = np.linalg.cholesky(cov)
    inv_chol = np.linalg.inv(chol)
    log_norm = math.log(n) + 0.5 * dim * math.log(2 * math.pi) + np.log(np.diag(chol)).sum()
    xw = x @ inv_chol.T  # whitened: the kernel is then N(0, I)
    out = np.empty(len(y))
    for s in range(0, len(y), chunk):
        yw = y[s:s + chunk] @ inv_chol.T
        d2 = (yw**2).sum(1)[:, None] - 2.0 * yw @ xw.T + (xw**2).sum(1)[None, :]
        a = -0.5 * np.maximum(d2, 0.0)
        m = a.max(1, keepdims=True)
        out[s:s + chunk] = np.exp(m[:, 0] + np.log(np.exp(a - m).sum(1)) - log_norm)
    return out


# ---- vanishing gradients -----------------------------------------------------------------
def generator_logit_gradient(d_fake, loss: str = "non-saturating") -> np.ndarray:
    """|d loss_i / d logit_i| of a generator loss at given D(G(z)), measured by autograd.

    d_fake: D(G(z)) values in (0, 1), shape (m,). The logits l = log(D / (1 - D)) are
    leaves; the library's generator loss (a mean over the batch) is backpropagated and
    the gradient scaled by m, so each entry is the per-sample derivative. Analytically
    (Goodfellow et al. 2014, sec. 3):

        minimax         L = log(1 - sigmoid(l)):  |dL/dl| = D        -> 0 as D -> 0
        non-saturating  L = -log sigmoid(l):      |dL/dl| = 1 - D    -> 1 as D -> 0
    """
    from ..creation import tensor
    from ..gan.losses import generator_loss

    d = np.asarray(d_fake, np.float64).reshape(-1)
    logits = tensor((np.log(d) - np.log1p(-d))[:, None], requires_grad=True)
    generator_loss(logits, loss).backward()
    return np.abs(np.asarray(logits.grad.to("cpu").numpy(), np.float64).reshape(-1)) * len(d)
