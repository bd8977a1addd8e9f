"""RMSprop (Hinton's lecture 6e), with PyTorch's centred and momentum variants."""

from ..tape.tensor import raw
from .optimizer import Optimizer, _apply_update, _bump_step, _step_tensor, _write, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """PyTorch's RMSprop update, parameter by parameter::

    g = grad + weight_decay * p
    v = alpha * v + (1 - alpha) * g * g
    avg = sqrt(v - mean_g**2) if centered else sqrt(v);  avg += eps
        (mean_g = mean_g + (1 - alpha) * (g - mean_g))
    buf = momentum * buf + g / avg;  p -= lr * buf     (momentum > 0)
    p -= lr * g / avg                                  (otherwise)
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
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
        alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
        momentum, wd = group["momentum"], group["weight_decay"]
        x = raw(p)
        g = raw(p.grad)
        if group["maximize"]:
            g = -g
        state = self.state[p]
        if not state:
            state["step"] = _step_tensor()
            state["square_avg"] = _zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = _zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(p)
        _bump_step(state)
        if wd != 0:
            g = g + wd * x
        sq = state["square_avg"]
        _write(sq, raw(sq) * alpha + (1 - alpha) * g * g)
        if group["centered"]:
            ga = state["grad_avg"]
            _write(ga, raw(ga) + (1 - alpha) * (g - raw(ga)))
            avg = (raw(sq) - raw(ga) * raw(ga)) ** 0.5
        else:
            avg = raw(sq) ** 0.5
        avg = avg + eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            _write(buf, raw(buf) * momentum + g / avg)
            _apply_update(p, x + (-lr) * raw(buf))
        else:
            _apply_update(p, x + (-lr) * (g / avg))
