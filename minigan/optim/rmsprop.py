"""RMSprop (Hinton, Coursera lecture 6e), with momentum and the centered variant (Graves 2013)."""
from __future__ import annotations

from collections.abc import Iterable

from .optimizer import Optimizer, _check, effective_grad, running_average_, running_average_of_square_, xp_of


class RMSprop(Optimizer):
    """RMSprop with PyTorch's update rule (torch.optim.RMSprop, single-tensor form)."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 *, maximize: bool = False) -> None:
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                      "momentum": momentum, "centered": centered, "maximize": maximize})

    def _update(self, p, g, state, group, scratch) -> None:
        xp = xp_of(p)
        alpha, momentum = group["alpha"], group["momentum"]
        t0, t1 = scratch
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p)
        state["step"] += 1
        g = effective_grad(p, g, group["weight_decay"], group["maximize"], t0)
        # v = alpha v + (1 - alpha) g^2
        v = state["square_avg"]
        running_average_of_square_(xp, v, g, alpha, t1)
        if group["centered"]:
            # centered: gbar = alpha gbar + (1 - alpha) g; avg = sqrt(v - gbar^2)
            ga = state["grad_avg"]
            running_average_(xp, ga, g, alpha, t1)
            xp.multiply(ga, ga, out=t1)
            xp.subtract(v, t1, out=t1)
            xp.sqrt(t1, out=t1)
        else:
            xp.sqrt(v, out=t1)
        # avg = avg + eps
        t1 += group["eps"]
        if momentum > 0:
            # b = momentum b + g / avg; p = p - lr b
            buf = state["momentum_buffer"]
            buf *= momentum
            if g is t0:
                t0 /= t1
            else:
                xp.divide(g, t1, out=t0)
            buf += t0
            xp.multiply(buf, -group["lr"], out=t0)
            p += t0
        else:
            # p = p - lr g / avg
            if g is t0:
                t0 *= -group["lr"]
            else:
                xp.multiply(g, -group["lr"], out=t0)
            t0 /= t1
            p += t0
