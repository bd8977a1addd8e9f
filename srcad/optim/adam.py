"""Adam (Kingma and Ba, 2015), with optional AMSGrad and L2 weight decay."""

import math

import numpy as np

from ..tape.tensor import raw
from .optimizer import Optimizer, _apply_update, _buffer

__all__ = ["Adam"]


class Adam(Optimizer):
    """PyTorch's Adam update, parameter by parameter (step ``t`` from 1)::

        g = grad + weight_decay * p
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    With ``amsgrad=True`` the running maximum of ``v`` replaces ``v`` in the last line.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = raw(p)
                g = raw(p.grad)
                if group["maximize"]:
                    g = -g
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["exp_avg"] = _buffer(x * 0)
                    state["exp_avg_sq"] = _buffer(x * 0)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _buffer(x * 0)
                state["step"] += 1
                t = state["step"]
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        x = x * (1 - lr * wd)
                    else:
                        g = g + wd * x
                m = raw(state["exp_avg"])
                v = raw(state["exp_avg_sq"])
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                step_size = lr / (1 - beta1**t)
                bc2_sqrt = math.sqrt(1 - beta2**t)
                if group["amsgrad"]:
                    vmax = raw(state["max_exp_avg_sq"])
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                denom = v**0.5 / bc2_sqrt + eps
                _apply_update(p, x + (-step_size) * (m / denom))
        return loss
