"""Measuring a trained GAN: mode coverage, a JSD estimate, D's distance to D*, and W1.

Everything takes NumPy arrays of samples (n, dim); a model (generator or discriminator)
is any callable from a minigan Tensor (n, dim) to a Tensor, run without a graph.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..autograd import no_grad
from ..creation import tensor
from . import theory

__all__ = [
    "ModeCoverage", "ModeStatistics", "discriminator_optimality_gap", "histogram_divergences", "jsd_estimate",
    "digits_classifier", "frechet_digits_distance", "frechet_distance", "logits_on", "mode_coverage",
    "mode_statistics",
    "probabilities_on", "wasserstein_distance",
]


class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage`.

    modes: number of modes covered; n_modes: K; high_quality: fraction of samples within
    threshold*std of their nearest mode; counts: (K,) high-quality samples per mode.
    """

    modes: int
    n_modes: int
    high_quality: float
    counts: np.ndarray

    def __str__(self) -> str:
        return f"{self.modes}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high-quality samples"


def mode_coverage(samples, means, std: float, threshold: float = 3.0,
                  min_count: int | None = None) -> ModeCoverage:
    """Modes of a Gaussian mixture that the samples cover (Metz et al. 2017, "Unrolled GANs").

    A sample is high quality if it lies within ``threshold * std`` of its nearest mode;
    a mode is covered if at least ``min_count`` high-quality samples are nearest to it
    (default: 10% of its fair share, ceil(0.1 * n / K)). samples: (n, dim); means: (K, dim).
    """
    x = np.asarray(samples, np.float64)
    mu = np.asarray(means, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    mu = mu[:, None] if mu.ndim == 1 else mu
    if x.shape[1] != mu.shape[1]:
        raise ValueError(f"samples of dim {x.shape[1]} but means of dim {mu.shape[1]}")
    k = len(mu)
    if min_count is None:
        min_count = max(1, math.ceil(0.1 * len(x) / k))
    d2 = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(-1)  # (n, K)
    nearest = d2.argmin(1)
    good = np.sqrt(d2[np.arange(len(x)), nearest]) <= threshold * std
    counts = np.bincount(nearest[good], minlength=k)
    hq = float(good.mean()) if len(x) else 0.0
    return ModeCoverage(int((counts >= min_count).sum()), k, hq, counts)


class ModeStatistics(NamedTuple):
    """Result of :func:`mode_statistics`, the numbers of the VEEGAN and PacGAN tables.

    modes: modes holding >= ``min_count`` (20) high-quality samples (PacGAN's rule);
    modes_any: modes holding >= 1 high-quality sample (VEEGAN's rule); n_modes: K;
    high_quality: fraction of all samples within 3 std of their nearest mode;
    reverse_kl: KL(q || uniform) in nats of q, the histogram of the high-quality samples
    over the modes (PacGAN's "reverse KL"; log K when every good sample is on one mode,
    inf when none is good); counts: (K,) high-quality samples per mode.
    """

    modes: int
    modes_any: int
    n_modes: int
    high_quality: float
    reverse_kl: float
    counts: np.ndarray

    def __str__(self) -> str:
        return (f"{self.modes}/{self.n_modes} modes (>= 20 HQ), {100 * self.high_quality:.1f}% high quality, "
                f"reverse KL {self.reverse_kl:.3f}")


def mode_statistics(samples, means, std: float, threshold: float = 3.0, min_count: int = 20) -> ModeStatistics:
    """Modes and high-quality samples as the papers count them.

    VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018), on 2,500 samples: a sample
    is high quality (HQ) when within ``threshold`` (3) standard deviations of its nearest
    mode; a mode is captured when it holds at least ``min_count`` HQ samples (PacGAN: 20;
    ``modes_any`` is VEEGAN's >= 1). samples: (n, dim); means: (K, dim); std: the modes' std.
    """
    cov = mode_coverage(samples, means, std, threshold=threshold, min_count=min_count)
    total = cov.counts.sum()
    if total == 0:
        rkl = math.inf
    else:
        q = cov.counts / total
        nz = q > 0
        rkl = float((q[nz] * np.log(q[nz] * cov.n_modes)).sum())
    return ModeStatistics(cov.modes, int((cov.counts >= 1).sum()), cov.n_modes, cov.high_quality,
                          max(rkl, 0.0), cov.counts)


def histogram_divergences(real, fake, *, bins: int = 40, lim: float | None = None,
                          eps: float = 1e-6) -> dict:
    """KL(p_real || p_fake), the reverse KL and JS between 2-D histograms, as GAN Lab shows them.

    Both sample sets (n, 2) are counted on a ``bins`` x ``bins`` grid over [-lim, lim]^2
    (default: the largest |coordinate| of the real samples plus 10%); samples outside fall
    into the border cells. The histograms are normalized; ``eps`` is added to every cell of
    both before renormalizing, so an empty cell gives a large but finite KL. Nats.
    Returns {"kl": KL(real || fake), "reverse_kl": KL(fake || real), "js": JS}.
    """
    real = np.asarray(real, np.float64)
    fake = np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != 2 or fake.shape[1] != 2:
        raise ValueError(f"histogram_divergences needs (n, 2) samples, got {real.shape} and {fake.shape}")
    if lim is None:
        lim = 1.1 * float(np.abs(real).max())
    edges = np.linspace(-lim, lim, bins + 1)

    def hist(x):
        x = np.clip(x, -lim, lim)
        h, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=(edges, edges))
        h = h.ravel() / max(len(x), 1) + eps
        return h / h.sum()

    p, q = hist(real), hist(fake)
    m = 0.5 * (p + q)
    kl = lambda a, b: float((a * np.log(a / b)).sum())
    return {"kl": kl(p, q), "reverse_kl": kl(q, p), "js": 0.5 * kl(p, m) + 0.5 * kl(q, m)}


def _smoothed_mixture_density(mixture, points: np.ndarray, kernel_cov: np.ndarray) -> np.ndarray:
    # p_data convolved with the KDE kernel N(0, H): a mixture with covariance std^2 I + H
    cov = mixture.std**2 * np.eye(mixture.dim) + kernel_cov
    chol = np.linalg.cholesky(cov)
    inv = np.linalg.inv(chol)
    log_norm = (math.log(mixture.n_modes) + 0.5 * mixture.dim * math.log(2 * math.pi)
                + np.log(np.diag(chol)).sum())
    out = np.zeros(len(points))
    for mu in mixture.means:
        w = (points - mu) @ inv.T
        out += np.exp(-0.5 * (w**2).sum(1) - log_norm)
    return out


def jsd_estimate(samples, mixture, *, lim: float | None = None, n: int = 128,
                 kernel_std: float | None = None, smooth_data: bool = True) -> float:
    """JSD(p_data || p_g) in nats from generated samples and a known mixture, on a grid.

    p_g is a Gaussian KDE of the samples with an isotropic kernel N(0, h^2 I); h defaults
    to Scott's rule on the *data's* spread, n^(-1/(dim+4)) * sqrt(mean per-axis variance
    of p_data), so that a collapsed generator is not given a needle-thin kernel. A KDE is
    p_g blurred by its kernel, so with ``smooth_data`` p_data is blurred by the same
    kernel (exactly: a mixture with covariance (std^2 + h^2) I) and the estimate is
    JSD(p_data * K_h || p_g * K_h): about 0 when p_g = p_data, and by the data-processing
    inequality a lower bound on the true JSD. samples: (n, dim), dim 1 or 2.
    """
    x = np.asarray(samples, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    dim = mixture.dim
    if lim is None:
        lim = float(np.abs(mixture.means).max()) + 1.5 + 3 * mixture.std
    if dim == 1:
        points, dx = theory.grid_1d(-lim, lim, n * 10)
        points = points[:, None]
    elif dim == 2:
        points, dx, _ = theory.grid_2d(lim, n)
    else:
        raise ValueError(f"jsd_estimate works in 1-D or 2-D, the mixture has dim {dim}")
    if kernel_std is None:
        data_var = float(mixture.means.var(0).mean()) + mixture.std**2
        kernel_std = theory.scott_bandwidth(len(x), dim) * math.sqrt(data_var)
    kernel_cov = kernel_std**2 * np.eye(dim)
    q = theory.kde(x, points, kernel_cov=kernel_cov)
    p = _smoothed_mixture_density(mixture, points, kernel_cov) if smooth_data else mixture.density(points)
    return theory.jsd(p, q, dx)


def logits_on(model: Callable, points, batch: int = 8192) -> np.ndarray:
    """A model's raw output at points (n, dim), without a graph, flattened to (n,) float64."""
    points = np.asarray(points, np.float32)
    points = points[:, None] if points.ndim == 1 else points
    params = model.parameters() if callable(getattr(model, "parameters", None)) else iter(())
    first = next(iter(params), None)
    device = first.device if first is not None else None  # where the model lives (cpu or cuda)
    outs = []
    with no_grad():
        for s in range(0, len(points), batch):
            out = model(tensor(points[s:s + batch], device=device)).to("cpu")
            outs.append(np.asarray(out.numpy(), np.float64).reshape(-1))
    return np.concatenate(outs) if outs else np.zeros(0)


def probabilities_on(discriminator: Callable, points, batch: int = 8192) -> np.ndarray:
    """D(x) = sigmoid(logit(x)) for a discriminator that outputs logits, (n,)."""
    z = logits_on(discriminator, points, batch)
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow


def discriminator_optimality_gap(d, p_data, fake_samples, points, *, bandwidth: float | None = None,
                                 mass: float = 0.99) -> dict:
    """How far a trained D is from D* = p_data / (p_data + p_g) (Goodfellow et al. 2014, Prop. 1).

    d: D(x) in [0, 1] at the points (m,), or a discriminator (logits) to evaluate there;
    p_data: exact p_data at the points (m,) or a data set with ``density``;
    fake_samples: generated samples (n, dim), from which p_g is a Gaussian KDE;
    points: (m, dim) grid. D* is defined only where p_data + p_g > 0, so the gap is taken
    on the smallest set of grid points holding ``mass`` of (p_data + p_g) / 2.
    Returns {"max": max |D - D*|, "mean": the (p_data + p_g)/2-weighted mean |D - D*|,
    "d_star": D* (m,), "p_g": the KDE (m,)}.
    """
    points = np.asarray(points, np.float64)
    pts = points[:, None] if points.ndim == 1 else points
    d_vals = probabilities_on(d, pts) if callable(d) else np.asarray(d, np.float64).reshape(-1)
    p = p_data.density(pts) if hasattr(p_data, "density") else np.asarray(p_data, np.float64)
    q = theory.kde(fake_samples, pts, bandwidth=bandwidth)
    d_star = theory.optimal_discriminator(p, q)
    w = 0.5 * (p / p.sum() + q / q.sum())
    order = np.argsort(w)[::-1]
    keep = order[: int(np.searchsorted(np.cumsum(w[order]), mass)) + 1]
    gap = np.abs(d_vals - d_star)
    return {
        "max": float(gap[keep].max()),
        "mean": float((gap[keep] * w[keep]).sum() / w[keep].sum()),
        "d_star": d_star, "p_g": q,
    }


def wasserstein_distance(a, b, max_points: int = 1024, rng=None) -> float:
    """The earth mover's distance W1 between two equal-weight sample sets (n, dim).

    1-D: the mean gap between sorted samples (exact). Otherwise: an optimal one-to-one
    matching (scipy's linear_sum_assignment) of up to ``max_points`` from each set, whose
    mean cost is the exact W1 between those empirical distributions.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    n = min(len(a), len(b), max_points)
    rng = np.random.default_rng(0) if rng is None else rng
    a = a[rng.choice(len(a), n, replace=False)] if len(a) > n else a
    b = b[rng.choice(len(b), n, replace=False)] if len(b) > n else b
    if a.shape[1] == 1:
        return float(np.abs(np.sort(a[:, 0]) - np.sort(b[:, 0])).mean())
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as exc:  # pragma: no cover - scipy comes with scikit-learn
        raise ImportError("wasserstein_distance in 2-D needs scipy (pip install scipy)") from exc
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


# ---- a Frechet distance for the digits, on features of a classifier minigan trains --------
def frechet_distance(a, b) -> float:
    """The Frechet distance between Gaussians fitted to two feature sets (n, k) and (m, k):

        ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))      (Heusel et al. 2017, FID)

    Tr (S_a S_b)^(1/2) is computed as the sum of the square roots of the eigenvalues of the
    symmetric S_a^(1/2) S_b S_a^(1/2), which are those of S_a S_b (no complex matrix root).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"frechet_distance needs (n, k) and (m, k) features, got {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    cross = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    root_trace = np.sqrt(np.clip(cross, 0.0, None)).sum()
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2.0 * root_trace)
    return max(value, 0.0)


_CLASSIFIERS: dict = {}


def digits_classifier(seed: int = 0, steps: int = 400):
    """A digit classifier trained by minigan on scikit-learn's 8x8 digits (pixels in [-1, 1]):
    an MLP 64 -> 128 -> 64 -> 10 (LeakyReLU(0.2)), full-batch Adam(1e-2), cross-entropy,
    ``steps`` steps. Returns (features, classify): features(x) -> (n, 64), the last hidden
    layer's activations; classify(x) -> (n,) predicted digits. Cached per (seed, steps)."""
    key = (seed, steps)
    if key in _CLASSIFIERS:
        return _CLASSIFIERS[key]
    from .. import nn, optim
    from ..ops.activation import leaky_relu
    from ..ops.reduce import amax, mean, sum
    from ..random import manual_seed
    from .datasets import Digits

    digits = Digits()
    manual_seed(seed)
    body = nn.mlp([64, 128, 64], activation=nn.LeakyReLU(0.2))
    head = nn.Linear(64, 10)
    params = list(body.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=1e-2)
    x = tensor(digits.data)
    onehot = tensor(np.eye(10, dtype=np.float32)[digits.labels])
    for _ in range(steps):
        logits = head(leaky_relu(body(x), 0.2))
        m = amax(logits, 1, keepdim=True).detach()
        log_z = (logits - m).exp().sum(axis=1, keepdims=True).log() + m
        loss = -mean(sum(onehot * (logits - log_z), axis=1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    def features(points) -> np.ndarray:
        with no_grad():
            return np.asarray(leaky_relu(body(tensor(np.asarray(points, np.float32))), 0.2).cpu().numpy(), np.float64)

    def classify(points) -> np.ndarray:
        with no_grad():
            out = head(tensor(features(points).astype(np.float32))).cpu().numpy()
        return np.asarray(out).argmax(1)

    _CLASSIFIERS[key] = (features, classify)
    return features, classify


def frechet_digits_distance(fake, real) -> float:
    """The Frechet distance between generated and real digits (n, 64) on the features of
    :func:`digits_classifier` (an FID for 8x8 digits; 0 for identical distributions)."""
    features, _ = digits_classifier()
    return frechet_distance(features(fake), features(real))
