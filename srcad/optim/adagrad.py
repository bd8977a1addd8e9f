"""Adagrad (Duchi, Hazan and Singer, 2011), with PyTorch's learning-rate decay."""

from ..tape.device import xp_of
from ..tape.tensor import raw, wrap
from .optimizer import Optimizer, _apply_update, _bump_step, _step_tensor, _write

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """PyTorch's Adagrad update, parameter by parameter (step ``t`` from 1)::

        g = grad + weight_decay * p
        sum = sum + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)

    As in PyTorch the state (``step``, ``sum``) exists from construction on.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                x = raw(p)
                start = xp_of(x).full_like(x, group["initial_accumulator_value"])
                state["sum"] = wrap(start)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group)
        return loss

    def _update(self, p, group):
        x = raw(p)
        g = raw(p.grad)
        if group["maximize"]:
            g = -g
        state = self.state[p]
        t = _bump_step(state)
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * x
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        total = state["sum"]
        _write(total, raw(total) + g * g)
        std = raw(total) ** 0.5 + group["eps"]
        _apply_update(p, x + (-clr) * (g / std))
