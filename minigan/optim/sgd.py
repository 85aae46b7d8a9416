"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from collections.abc import Iterable

from .optimizer import Optimizer, _check, effective_grad, xp_of


class SGD(Optimizer):
    """SGD with PyTorch's update rule (torch.optim.SGD, single-tensor form).

    g = grad (+ weight_decay p); b = g at the first step, then b = momentum b + (1 - dampening) g;
    g = g + momentum b (Nesterov) or g = b; p = p - lr g.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                      "weight_decay": weight_decay, "nesterov": nesterov,
                                      "maximize": maximize})

    def _update(self, p, g, state, group, scratch) -> None:
        xp = xp_of(p)
        lr, momentum = group["lr"], group["momentum"]
        g = effective_grad(p, g, group["weight_decay"], group["maximize"], scratch[0])
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                # b = momentum b + (1 - dampening) g
                buf *= momentum
                dampening = group["dampening"]
                if dampening == 0:
                    buf += g
                else:
                    xp.multiply(g, 1 - dampening, out=scratch[1])
                    buf += scratch[1]
            if group["nesterov"]:
                # g = g + momentum b
                xp.multiply(buf, momentum, out=scratch[1])
                xp.add(g, scratch[1], out=scratch[0])
                g = scratch[0]
            else:
                g = buf
        # p = p - lr g
        xp.multiply(g, -lr, out=scratch[1])
        p += scratch[1]
