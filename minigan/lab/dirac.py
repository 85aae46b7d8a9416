"""The Dirac-GAN of Mescheder et al. 2018 ("Which training methods for GANs do actually
converge?", sec. 2): the smallest GAN that fails to converge, and its exact linear theory.

p_data is a point mass at 0, the generator is G(z) = theta, the discriminator is
D(x) = sigmoid(psi x) (a logit psi x). The game's value, in Goodfellow's convention, is

    V(theta, psi) = log D(0) + log(1 - D(theta)) = log 1/2 + log sigmoid(-psi theta),

G descends it in theta, D ascends it in psi; the only equilibrium is theta = psi = 0.
Near it, with f'(0) = 1/2, the gradient field is linear: the Jacobian of (theta, psi)'s
updates has eigenvalues +-i/2 (purely imaginary, so gradient play circles). For step h:

- simultaneous steps multiply the distance to the equilibrium by sqrt(1 + h^2/4) per step
  (the update is a rotation scaled by |1 + i h/2|): an outward spiral;
- alternating steps (D first, as Algorithm 1) have a matrix of determinant 1 and trace
  2 - h^2/4: a closed orbit, turning by omega = arccos(1 - h^2/8) per step, i.e. a period
  of 2 pi / omega steps;
- R1 with weight gamma (gamma/2 psi^2 subtracted from D's objective, the squared gradient
  of the logit at the data) moves the eigenvalues of the continuous field to
  -gamma/2 +- sqrt(gamma^2/4 - 1/4): with simultaneous steps the distance shrinks by
  max |1 + h lambda| per step, and the game converges (Mescheder et al., Thm. 4.1).

``simulate`` runs the game with gradients from minigan's autograd (nothing hand-derived),
so the measured factors test the engine against these formulas.
"""
from __future__ import annotations

import cmath
import math

import numpy as np

from ..autograd import grad
from ..creation import float64, tensor
from ..ops.activation import log_sigmoid

__all__ = ["METHODS", "alternating_period", "measure", "r1_factor", "simulate", "simultaneous_factor"]

METHODS = ("simultaneous", "alternating", "r1")


def _value(theta, psi):
    # V = log D(0) + log(1 - D(theta)) = log(1/2) + log sigmoid(-psi theta)
    return log_sigmoid(-(psi * theta)) - math.log(2.0)


def simulate(method: str, steps: int, lr: float = 0.1, gamma: float = 0.3,
             theta0: float = 0.1, psi0: float = 0.1) -> np.ndarray:
    """The trajectory (steps + 1, 2) of (theta, psi) under gradient play.

    method: "simultaneous" (both step from the same point), "alternating" (D steps, then G
    sees the new D) or "r1" (simultaneous, with R1 weight ``gamma`` on D). Gradients come
    from minigan's autograd of V (and of the R1 term gamma/2 ||d logit/dx||^2 at x = 0).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    theta = tensor(theta0, dtype=float64, requires_grad=True)
    psi = tensor(psi0, dtype=float64, requires_grad=True)
    x_real = tensor(0.0, dtype=float64, requires_grad=True)
    path = [(theta0, psi0)]
    for _ in range(steps):
        d_objective = _value(theta, psi)
        if method == "r1":
            # R1: gamma/2 ||grad_x logit(x)||^2 at the data x = 0, by double backward
            (dx,) = grad(psi * x_real, x_real, create_graph=True)
            d_objective = d_objective - 0.5 * gamma * dx * dx
        (g_psi,) = grad(d_objective, psi)
        new_psi = psi.item() + lr * g_psi.item()
        if method == "alternating":
            psi = tensor(new_psi, dtype=float64, requires_grad=True)
        (g_theta,) = grad(_value(theta, psi), theta)
        new_theta = theta.item() - lr * g_theta.item()
        theta = tensor(new_theta, dtype=float64, requires_grad=True)
        psi = tensor(new_psi, dtype=float64, requires_grad=True)
        path.append((new_theta, new_psi))
    return np.array(path)


# ---- the linear theory -------------------------------------------------------------------
def simultaneous_factor(lr: float) -> float:
    """Growth of the distance to the equilibrium per simultaneous step: sqrt(1 + h^2/4)."""
    return math.sqrt(1.0 + lr * lr / 4.0)


def alternating_period(lr: float) -> float:
    """Steps per turn of the alternating orbit: 2 pi / arccos(1 - h^2/8) (needs h < 4)."""
    return 2.0 * math.pi / math.acos(1.0 - lr * lr / 8.0)


def r1_factor(lr: float, gamma: float) -> float:
    """Contraction per simultaneous step with R1: max over the eigenvalues lambda =
    -gamma/2 +- sqrt(gamma^2/4 - 1/4) of |1 + h lambda|."""
    root = cmath.sqrt(gamma * gamma / 4.0 - 0.25)
    return max(abs(1.0 + lr * (-gamma / 2.0 + root)), abs(1.0 + lr * (-gamma / 2.0 - root)))


def measure(path: np.ndarray) -> dict:
    """Per-step growth of the distance to (0, 0) (geometric mean over the path) and the
    period, from the sign changes of theta (two per turn)."""
    r = np.hypot(path[:, 0], path[:, 1])
    n = len(path) - 1
    factor = float((r[-1] / r[0]) ** (1.0 / n)) if n else 1.0
    th = path[:, 0]
    flips = np.nonzero(np.sign(th[1:]) != np.sign(th[:-1]))[0]
    # interpolate the crossing points for sub-step accuracy
    crossings = [i + th[i] / (th[i] - th[i + 1]) for i in flips]
    period = float(2.0 * np.mean(np.diff(crossings))) if len(crossings) >= 2 else math.nan
    return {"factor": factor, "period": period, "radius_start": float(r[0]), "radius_end": float(r[-1])}
