"""L-BFGS with PyTorch's closure API (``opt.step(closure)``), no line search.

The algorithm is the classic two-loop recursion (Nocedal and Wright, Algorithm 7.4)
over the last ``history_size`` curvature pairs ``(s, y)``, with PyTorch's choices:
the first step is scaled by ``min(1, 1 / sum|g|) * lr``, later steps take ``lr``; a
pair is kept only if ``y.s > 1e-10``; the initial Hessian is ``(y.s) / (y.y)``; the
iteration stops on ``max_iter``, ``max_eval``, ``max|g| <= tolerance_grad``, a step or
loss change below ``tolerance_change``, or a direction that is not a descent.  All
vectors are flat NumPy arrays in the parameters' dtype; the state holds tensors so
``state_dict()`` looks like PyTorch's.
"""

import numpy as np

from ..tape.grad_mode import enable_grad
from ..tape.tensor import raw, wrap
from .optimizer import Optimizer, _apply_update

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """``LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None)``.

    ``step(closure)`` re-evaluates the loss through ``closure`` (which must zero the
    gradients, compute the loss, call ``backward`` and return the loss) and returns
    the loss of its first evaluation.
    """

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError("only 'strong_wolfe' is supported")
        if line_search_fn is not None:
            raise NotImplementedError("srcad: LBFGS supports line_search_fn=None only")
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(np.zeros(p.numel(), dtype=raw(p).dtype))
            else:
                parts.append(np.asarray(raw(p.grad), dtype=raw(p).dtype).reshape(-1))
        return np.concatenate(parts)

    def _add(self, step, direction):
        offset = 0
        for p in self._params:
            n = p.numel()
            seg = direction[offset : offset + n].reshape(tuple(p.shape))
            _apply_update(p, raw(p) + seg * step)
            offset += n

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the first loss."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure")  # torch fails on closure()
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = _number(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss

        mem = _Memory.load(state)
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                mem.reset()
                d = -g
            else:
                mem.push(g - mem.prev_g, mem.d * mem.t, history)
                d = mem.direction(g, history)
            mem.prev_g = g.copy()
            mem.prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr
            else:
                t = lr
            mem.d, mem.t = d, t
            if float(g.dot(d)) > -tol_change:
                break
            self._add(t, d)
            done_by_grad = False
            if n_iter != max_iter:
                with enable_grad():
                    loss = _number(closure())
                g = self._flat_grad()
                done_by_grad = bool(np.abs(g).max() <= tol_grad)
                evals += 1
                state["func_evals"] += 1
            if n_iter == max_iter or evals >= max_eval or done_by_grad:
                break
            if np.abs(d * t).max() <= tol_change:
                break
            if abs(loss - mem.prev_loss) < tol_change:
                break
        mem.store(state)
        return orig_loss


class _Memory:
    """The curvature pairs and the last step, kept between ``step`` calls."""

    def __init__(self):
        self.reset()
        self.d = self.t = self.prev_g = self.prev_loss = None
        self.al = None

    def reset(self):
        self.dirs, self.stps, self.ro = [], [], []
        self.h_diag = 1

    def push(self, y, s, history):
        ys = y.dot(s)
        if ys > 1e-10:
            if len(self.dirs) == history:
                self.dirs.pop(0)
                self.stps.pop(0)
                self.ro.pop(0)
            self.dirs.append(y)
            self.stps.append(s)
            self.ro.append(1.0 / ys)
            self.h_diag = ys / y.dot(y)

    def direction(self, g, history):
        """The two-loop recursion: ``-H g`` for the L-BFGS inverse Hessian ``H``."""
        if self.al is None:
            self.al = [None] * history
        q = -g
        for i in range(len(self.dirs) - 1, -1, -1):
            self.al[i] = self.stps[i].dot(q) * self.ro[i]
            q = q - self.al[i] * self.dirs[i]
        r = q * self.h_diag
        for i in range(len(self.dirs)):
            beta = self.dirs[i].dot(r) * self.ro[i]
            r = r + (self.al[i] - beta) * self.stps[i]
        return r

    @classmethod
    def load(cls, state):
        mem = cls()
        if "d" not in state:
            return mem
        arr = _unwrap
        mem.d, mem.t = arr(state["d"]), state["t"]
        mem.dirs = [arr(v) for v in state["old_dirs"]]
        mem.stps = [arr(v) for v in state["old_stps"]]
        mem.ro = [arr(v) for v in state["ro"]]
        mem.h_diag = arr(state["H_diag"])
        mem.prev_g = arr(state["prev_flat_grad"])
        mem.prev_loss = state["prev_loss"]
        mem.al = [None if v is None else arr(v) for v in state.get("al") or []] or None
        return mem

    def store(self, state):
        state["d"] = _wrap(self.d)
        state["t"] = self.t
        state["old_dirs"] = [_wrap(v) for v in self.dirs]
        state["old_stps"] = [_wrap(v) for v in self.stps]
        state["ro"] = [_wrap(v) for v in self.ro]
        state["H_diag"] = self.h_diag if self.h_diag == 1 else _wrap(self.h_diag)
        state["prev_flat_grad"] = _wrap(self.prev_g)
        state["prev_loss"] = self.prev_loss
        state["al"] = (
            None if self.al is None else [None if v is None else _wrap(v) for v in self.al]
        )


def _number(loss):
    """The closure's loss as a Python float (``.item()`` on a tensor)."""
    return loss.item() if hasattr(loss, "item") else float(loss)


def _wrap(value):
    return None if value is None else wrap(np.array(value))


def _unwrap(value):
    return value if not hasattr(value, "_data") else np.array(raw(value))
