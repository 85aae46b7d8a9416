"""Adam (Kingma & Ba 2015), with L2 weight decay and AMSGrad (Reddi et al. 2018)."""
from __future__ import annotations

from collections.abc import Iterable

from .optimizer import Optimizer, _check, effective_grad, running_average_, running_average_of_square_, xp_of


def _is_pair(betas) -> bool:
    try:
        return len(betas) == 2
    except TypeError:
        return False


class Adam(Optimizer):
    """Adam with PyTorch's update rule (torch.optim.Adam, single-tensor form)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 *, maximize: bool = False) -> None:
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(_is_pair(betas), f"betas must be a pair (beta1, beta2) of floats, got {betas!r}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                      "amsgrad": amsgrad, "maximize": maximize})

    def _update(self, p, g, state, group, scratch) -> None:
        xp = xp_of(p)
        b1, b2 = group["betas"]
        t0, t1 = scratch
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        g = effective_grad(p, g, group["weight_decay"], group["maximize"], t0)
        # Adam (Kingma & Ba 2015): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2
        running_average_(xp, m, g, b1, t1)
        running_average_of_square_(xp, v, g, b2, t1)
        if group["amsgrad"]:
            # AMSGrad: v_max = max(v_max, v), used in place of v
            vmax = state["max_exp_avg_sq"]
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        # p = p - lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
        step_size = group["lr"] / (1 - b1**step)
        bias_correction2_sqrt = (1 - b2**step) ** 0.5
        xp.sqrt(v, out=t0)
        t0 /= bias_correction2_sqrt
        t0 += group["eps"]
        xp.multiply(m, -step_size, out=t1)
        t1 /= t0
        p += t1
