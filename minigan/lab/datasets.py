"""Toy data sets for the GAN lab, each with an exact density where one is known.

Every data set has ``sample(n, rng) -> np.ndarray`` of shape (n, dim), float32, drawn
from a ``numpy.random.Generator`` so that a seed fixes the data. Where p_data is known
in closed form (the Gaussian mixtures) ``log_density(x)`` and ``density(x)`` give it
exactly: the optimal discriminator D* = p_data / (p_data + p_g) and the Jensen-Shannon
divergence need it (Goodfellow et al. 2014, Prop. 1 and Thm. 1).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ALIASES", "NAMES", "Digits", "Gaussian1D", "GaussianMixture", "SwissRoll", "as_dataset", "by_name",
    "canonical_name",
]


def _rng(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(a - m), axis=axis))


class GaussianMixture:
    """An equal-weight mixture of isotropic Gaussians N(mu_k, std^2 I), k = 1..K.

    means: (K, dim); std: a scalar. The usual GAN mode-collapse benchmarks are
    :meth:`ring` (Metz et al. 2017, "Unrolled GANs") and :meth:`grid` (25 modes).
    """

    def __init__(self, means, std: float):
        means = np.asarray(means, dtype=np.float64)
        if means.ndim == 1:
            means = means[:, None]
        if means.ndim != 2 or len(means) == 0:
            raise ValueError(f"means must have shape (K, dim) with K >= 1, got {means.shape}")
        if not std > 0:
            raise ValueError(f"std must be > 0, got {std}")
        self.means = means
        self.std = float(std)

    @classmethod
    def ring(cls, k: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture:
        """K modes evenly spaced on a circle of the given radius, in 2-D."""
        angles = 2.0 * np.pi * np.arange(k) / k
        return cls(radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)

    @classmethod
    def grid(cls, k: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
        """k x k modes on a square grid centred on 0 (k=5 gives the 25-mode grid), in 2-D."""
        axis = (np.arange(k) - (k - 1) / 2.0) * spacing
        xx, yy = np.meshgrid(axis, axis, indexing="xy")
        return cls(np.stack([xx.ravel(), yy.ravel()], axis=1), std)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_modes(self) -> int:
        return self.means.shape[0]

    def sample(self, n: int, rng=None) -> np.ndarray:
        """n points, (n, dim) float32: pick a mode uniformly, add N(0, std^2 I) noise."""
        rng = _rng(rng)
        idx = rng.integers(0, self.n_modes, size=n)
        x = self.means[idx] + self.std * rng.standard_normal((n, self.dim))
        return x.astype(np.float32)

    def log_density(self, x) -> np.ndarray:
        """log p_data(x) for x of shape (n, dim) (or (n,) when dim == 1); returns (n,).

        log p(x) = logsumexp_k [ -|x - mu_k|^2 / (2 std^2) ] - log K - (dim/2) log(2 pi std^2)
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1 and self.dim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim}), got {x.shape}")
        d2 = ((x[:, None, :] - self.means[None, :, :]) ** 2).sum(-1)  # (n, K)
        log_norm = math.log(self.n_modes) + 0.5 * self.dim * math.log(2.0 * math.pi * self.std**2)
        return _logsumexp(-d2 / (2.0 * self.std**2), axis=1) - log_norm

    def density(self, x) -> np.ndarray:
        """p_data(x), (n,)."""
        return np.exp(self.log_density(x))

    def __repr__(self) -> str:
        return f"GaussianMixture(n_modes={self.n_modes}, dim={self.dim}, std={self.std})"


class Gaussian1D(GaussianMixture):
    """A single Gaussian N(mu, sigma^2) on the real line (dim 1), for the 1-D theory demos."""

    def __init__(self, mu: float = 0.0, sigma: float = 1.0):
        super().__init__(np.array([[float(mu)]]), sigma)
        self.mu = float(mu)
        self.sigma = float(sigma)

    def __repr__(self) -> str:
        return f"Gaussian1D(mu={self.mu}, sigma={self.sigma})"


class Digits:
    """The 8x8 handwritten digits of scikit-learn (1,797 images, no download), dim 64.

    Pixel values 0..16 are scaled to [-1, 1] to match a Tanh generator output. ``sample``
    draws images with replacement. The density is unknown (no ``log_density``).
    """

    image_shape = (8, 8)

    def __init__(self, digits=None):
        try:
            from sklearn.datasets import load_digits
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Digits needs scikit-learn (pip install scikit-learn, or pip install 'minigan[data]')"
            ) from exc
        bunch = load_digits()
        keep = np.ones(len(bunch.target), dtype=bool)
        if digits is not None:
            keep = np.isin(bunch.target, np.atleast_1d(digits))
        self.data = (bunch.data[keep] / 8.0 - 1.0).astype(np.float32)  # 0..16 -> -1..1
        self.labels = bunch.target[keep]

    @property
    def dim(self) -> int:
        return self.data.shape[1]

    def __len__(self) -> int:
        return len(self.data)

    def sample(self, n: int, rng=None) -> np.ndarray:
        """n images, flattened, (n, 64) float32 in [-1, 1]."""
        return self.data[_rng(rng).integers(0, len(self.data), size=n)]


class SwissRoll:
    """The 2-D swiss roll (as in scikit-learn's make_swiss_roll, the (x, z) plane), scaled
    to about [-2, 2]^2: t ~ U(1.5 pi, 4.5 pi), x = (t cos t, t sin t) / 7 + N(0, noise^2 I).
    The density has no closed form (no ``log_density``)."""

    def __init__(self, noise: float = 0.05):
        if not noise >= 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.noise = float(noise)

    @property
    def dim(self) -> int:
        return 2

    def sample(self, n: int, rng=None) -> np.ndarray:
        """n points, (n, 2) float32."""
        rng = _rng(rng)
        t = 1.5 * np.pi * (1.0 + 2.0 * rng.random(n))
        x = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 7.0
        return (x + self.noise * rng.standard_normal((n, 2))).astype(np.float32)

    def __repr__(self) -> str:
        return f"SwissRoll(noise={self.noise})"


class _ArrayDataset:
    """A fixed array of points, sampled with replacement."""

    def __init__(self, array):
        array = np.asarray(array, dtype=np.float32)
        self.data = array[:, None] if array.ndim == 1 else array.reshape(len(array), -1)

    @property
    def dim(self) -> int:
        return self.data.shape[1]

    def sample(self, n: int, rng=None) -> np.ndarray:
        return self.data[_rng(rng).integers(0, len(self.data), size=n)]


def as_dataset(data):
    """``data`` if it has ``.sample(n, rng)``, else an array wrapped to be sampled."""
    return data if hasattr(data, "sample") else _ArrayDataset(data)


# the names the command line and the recipes use, and their aliases
NAMES = ("ring8", "grid25", "swiss", "gauss1d", "digits")
ALIASES = {"ring": "ring8", "grid": "grid25", "gaussian": "gauss1d", "swissroll": "swiss"}


def canonical_name(name: str) -> str:
    """"ring8" for "ring", "grid25" for "grid", ...; ValueError naming the valid ones."""
    name = ALIASES.get(name, name)
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)} "
                         f"(aliases: {', '.join(sorted(ALIASES))})")
    return name


def by_name(name: str):
    """The data set called ``name`` (see NAMES; "ring", "grid", "gaussian" are aliases)."""
    makers = {
        "ring8": GaussianMixture.ring, "grid25": GaussianMixture.grid, "digits": Digits,
        "gauss1d": Gaussian1D, "swiss": SwissRoll,
    }
    return makers[canonical_name(name)]()
