"""Adam (Kingma and Ba, 2015) with optional AMSGrad and L2 weight decay, and AdamW."""

import math

from ..tape.device import xp_of
from ..tape.tensor import raw
from .optimizer import Optimizer, _apply_update, _bump_step, _step_tensor, _write, _zeros_like

__all__ = ["Adam", "AdamW"]


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
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group)
        return loss

    def _update(self, p, group):
        beta1, beta2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        x = raw(p)
        g = raw(p.grad)
        if group["maximize"]:
            g = -g
        state = self.state[p]
        if not state:
            state["step"] = _step_tensor()
            state["exp_avg"] = _zeros_like(p)
            state["exp_avg_sq"] = _zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros_like(p)
        t = _bump_step(state)
        if wd != 0:
            if group["decoupled_weight_decay"]:
                x = x * (1 - lr * wd)
            else:
                g = g + wd * x
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _write(m, raw(m) + (1 - beta1) * (g - raw(m)))
        _write(v, raw(v) * beta2 + (1 - beta2) * g * g)
        step_size = lr / (1 - beta1**t)
        bc2_sqrt = math.sqrt(1 - beta2**t)
        second = raw(v)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            _write(vmax, xp_of(second).maximum(raw(vmax), second))
            second = raw(vmax)
        denom = second**0.5 / bc2_sqrt + eps
        _apply_update(p, x + (-step_size) * (raw(m) / denom))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): ``p *= 1 - lr * wd``
    before the Adam step, instead of adding ``wd * p`` to the gradient.  Default
    ``weight_decay`` is 0.01, as in PyTorch.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
