"""GAN losses from the literature, in logit space.

D outputs logits l (shape (m, 1) or (m,)), D(x) = sigmoid(l). Every log D and
log(1 - D) goes through the fused, cancellation-free BCE-with-logits (or log_sigmoid),
so a saturated discriminator (|l| of 50 or more) still gives finite losses and exact
gradients; nothing here ever forms sigmoid(l) and takes its log.

    log D(x)           = log_sigmoid(l)  = -BCE(l, 1)
    log(1 - D(G(z)))   = log_sigmoid(-l) = -BCE(l, 0)

Every loss is a mean over the minibatch (the E of the formulas): a scalar tensor.
"""
from __future__ import annotations

from ..creation import ones_like, zeros_like
from ..nn import functional as F
from ..ops.reduce import mean
from ..tensor import Tensor
from .regularizers import clip_weights_  # its home; named here too, where it used to live

__all__ = [
    "GENERATOR_LOSSES", "clip_weights_", "discriminator_loss", "generator_loss",
    "least_squares_discriminator_loss", "least_squares_generator_loss", "value_function",
    "wasserstein_critic_loss", "wasserstein_generator_loss",
]

GENERATOR_LOSSES = ("minimax", "saturating", "non-saturating", "least-squares", "wasserstein")


def _bce(logits: Tensor, label: float) -> Tensor:
    target = ones_like(logits) if label == 1.0 else zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's loss, the negated value function (D maximizes V).

    real_logits: (m, 1) logits of D on data x; fake_logits: (m', 1) logits on G(z).
    Returns a scalar: -V(D, G) as estimated on the two minibatches.
    """
    # L_D = -E log D(x) - E log(1 - D(G(z))) = BCE(l_real, 1) + BCE(l_fake, 0)
    # (Goodfellow et al. 2014, eq. 1; the gradient of Algorithm 1's ascent step, negated)
    return _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """The saturating loss of the original game: G minimizes E log(1 - D(G(z))).

    Its gradient vanishes when D rejects the samples confidently (l << 0): that is
    the early-training failure the non-saturating loss fixes. fake_logits: (m, 1).
    """
    # L_G = E log(1 - D(G(z))) = -BCE(l_fake, 0)  (Goodfellow et al. 2014, eq. 1, Algorithm 1)
    return -_bce(fake_logits, 0.0)


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """The heuristic loss of Goodfellow et al. 2014, sec. 3: G maximizes E log D(G(z)).

    Same fixed point as the minimax game, but strong gradients early in training.
    fake_logits: (m, 1).
    """
    # L_G = -E log D(G(z)) = BCE(l_fake, 1)  (Goodfellow et al. 2014, sec. 3)
    return _bce(fake_logits, 1.0)


def least_squares_discriminator_loss(real_outputs: Tensor, fake_outputs: Tensor) -> Tensor:
    """LSGAN discriminator loss with the 0-1 coding (a = 0, b = 1), on raw outputs.

    real_outputs: (m, 1) raw D outputs on x (no sigmoid); fake_outputs: (m', 1) on G(z).
    """
    # L_D = 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2  (Mao et al. 2017, LSGAN, eq. 2, a=0 b=1)
    return 0.5 * F.mse_loss(real_outputs, ones_like(real_outputs)) + 0.5 * F.mse_loss(
        fake_outputs, zeros_like(fake_outputs))


def least_squares_generator_loss(fake_outputs: Tensor) -> Tensor:
    """LSGAN generator loss (c = 1), on raw D outputs. fake_outputs: (m, 1)."""
    # L_G = 1/2 E (D(G(z)) - 1)^2  (Mao et al. 2017, LSGAN, eq. 2, c=1)
    return 0.5 * F.mse_loss(fake_outputs, ones_like(fake_outputs))


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The WGAN critic's loss: minus the Kantorovich-Rubinstein estimate of W(P_r, P_g).

    real_scores: (m, 1) critic values f(x) (unbounded, no sigmoid); fake_scores: (m', 1).
    f must be kept (about) 1-Lipschitz: ``clip_weights_`` or ``gradient_penalty``.
    """
    # L_f = E f(G(z)) - E f(x)  (Arjovsky et al. 2017, WGAN, eq. 3 and Algorithm 1)
    return mean(fake_scores) - mean(real_scores)


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """The WGAN generator's loss. fake_scores: (m, 1) critic values on G(z)."""
    # L_G = -E f(G(z))  (Arjovsky et al. 2017, WGAN, Algorithm 1)
    return -mean(fake_scores)


_GENERATOR_LOSS_FNS = {
    "minimax": minimax_generator_loss,
    "saturating": minimax_generator_loss,
    "non-saturating": non_saturating_generator_loss,
    "least-squares": least_squares_generator_loss,
    "wasserstein": wasserstein_generator_loss,
}


def generator_loss(fake_logits: Tensor, kind: str = "non-saturating") -> Tensor:
    """The generator's loss on D's outputs for its samples, by name.

    kind: "minimax" (alias "saturating"): E log(1 - D(G(z)));
    "non-saturating": -E log D(G(z)); "least-squares": 1/2 E (D(G(z)) - 1)^2 on raw
    outputs; "wasserstein": -E f(G(z)). fake_logits: (m, 1). Returns a scalar tensor.
    """
    try:
        fn = _GENERATOR_LOSS_FNS[kind]
    except (KeyError, TypeError):
        raise ValueError(
            f"generator_loss: unknown kind {kind!r}; valid kinds are {', '.join(GENERATOR_LOSSES)}"
        ) from None
    return fn(fake_logits)


def value_function(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The minimax value V(D, G) estimated on two minibatches (D maximizes, G minimizes).

    real_logits: (m, 1); fake_logits: (m', 1). At the optimal D of a fixed G it equals
    -log 4 + 2 JSD(p_data || p_g), so -log 4 at the global optimum p_g = p_data.
    """
    # V(D, G) = E log D(x) + E log(1 - D(G(z))), log(1 - sigmoid(l)) = log_sigmoid(-l)
    # (Goodfellow et al. 2014, eq. 1)
    return mean(F.log_sigmoid(real_logits)) + mean(F.log_sigmoid(-fake_logits))
