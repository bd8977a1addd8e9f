"""L-BFGS with PyTorch's closure API (``opt.step(closure)``), optionally with a
strong-Wolfe line search (``line_search_fn="strong_wolfe"``).

The algorithm is the classic two-loop recursion (Nocedal and Wright, Algorithm 7.4)
over the last ``history_size`` curvature pairs ``(s, y)``, with PyTorch's choices:
the first step is scaled by ``min(1, 1 / sum|g|) * lr``, later steps take ``lr``; a
pair is kept only if ``y.s > 1e-10``; the initial Hessian is ``(y.s) / (y.y)``; the
iteration stops on ``max_iter``, ``max_eval``, ``max|g| <= tolerance_grad``, a step or
loss change below ``tolerance_change``, or a direction that is not a descent.  All
vectors are flat NumPy arrays in the parameters' dtype; the state holds tensors so
``state_dict()`` looks like PyTorch's.

The line search is Nocedal and Wright's Algorithms 3.5 (bracketing, steps grown by
cubic interpolation within ``[t + 0.01 (t - t_prev), 10 t]``) and 3.6 (zoom by cubic
interpolation, kept at least 10% of the bracket away from its ends), with
``c1 = 1e-4``, ``c2 = 0.9`` and at most 25 evaluations.
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
                parts.append(_host(raw(p.grad)).astype(raw(p).dtype, copy=False).reshape(-1))
        return np.concatenate(parts)

    def _add(self, step, direction):
        offset = 0
        for p in self._params:
            n = p.numel()
            seg = direction[offset : offset + n].reshape(tuple(p.shape))
            _apply_update(p, _host(raw(p)) + seg * step)
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
            done_by_grad = False
            if group["line_search_fn"] is not None:
                loss, g, t, ls_evals = self._line_search(closure, t, d, loss, g, tol_change)
                mem.t = t
                self._add(t, d)
                done_by_grad = bool(np.abs(g).max() <= tol_grad)
                evals += ls_evals
                state["func_evals"] += ls_evals
            else:
                self._add(t, d)
            if group["line_search_fn"] is None and n_iter != max_iter:
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

    def _evaluate_at(self, closure, start, t, d):
        """Loss and flat gradient at ``start + t d``; the parameters are restored."""
        self._add(t, d)
        with enable_grad():
            loss = _number(closure())
        g = self._flat_grad()
        for p, x in zip(self._params, start):
            _apply_update(p, x)
        return loss, g

    def _line_search(self, closure, t, d, f, g, tol_change):
        start = [np.array(_host(raw(p))) for p in self._params]
        return _strong_wolfe(
            lambda step: self._evaluate_at(closure, start, step, d), t, d, f, g, tol_change
        )


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1, g1)`` and ``(x2, f2, g2)``, clipped to
    ``bounds`` (default: the interval); the midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = disc**0.5
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


class _Point:
    """A trial step ``t`` with its loss ``f``, gradient ``g`` and slope ``gtd = g . d``."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate, t, d, f, g, tol_change, c1=1e-4, c2=0.9, max_ls=25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions; returns
    ``(loss, flat_grad, t, evaluations)``."""
    d_norm = np.abs(d).max()
    gtd = g.dot(d)
    origin = _Point(0, f, g.copy(), gtd)
    f_new, g_new = evaluate(t)
    cur = _Point(t, f_new, g_new, g_new.dot(d))
    evals, ls_iter = 1, 0
    prev = origin
    bracket, done = None, False

    def sufficient(p):
        return p.f <= f + c1 * p.t * gtd

    while ls_iter < max_ls:
        if not sufficient(cur) or (ls_iter > 1 and cur.f >= prev.f):
            bracket = [prev, cur]
            break
        if abs(cur.gtd) <= -c2 * gtd:
            bracket, done = [cur], True
            break
        if cur.gtd >= 0:
            bracket = [prev, cur]
            break
        bounds = (cur.t + 0.01 * (cur.t - prev.t), cur.t * 10)
        step = _cubic_min(prev.t, prev.f, prev.gtd, cur.t, cur.f, cur.gtd, bounds)
        prev = cur
        f_new, g_new = evaluate(step)
        cur = _Point(step, f_new, g_new, g_new.dot(d))
        evals += 1
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [origin, cur]
    if done or ls_iter == max_ls:
        best = bracket[0] if done else _lower(bracket)
        return best.f, best.g, best.t, evals
    return _zoom(evaluate, bracket, f, gtd, d_norm, tol_change, c1, c2, ls_iter, evals, max_ls, d)


def _lower(bracket):
    return bracket[0] if bracket[0].f <= bracket[-1].f else bracket[1]


def _zoom(evaluate, bracket, f, gtd, d_norm, tol_change, c1, c2, ls_iter, evals, max_ls, d):
    """Shrink ``bracket`` (two points around a Wolfe step) by cubic interpolation."""
    low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
    stuck = False
    while ls_iter < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tol_change:
            break
        t = _cubic_min(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        top, bottom = max(a.t, b.t), min(a.t, b.t)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if stuck or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        f_new, g_new = evaluate(t)
        cur = _Point(t, f_new, g_new, g_new.dot(d))
        evals += 1
        ls_iter += 1
        if cur.f > f + c1 * t * gtd or cur.f >= bracket[low].f:
            bracket[high] = cur
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if abs(cur.gtd) <= -c2 * gtd:
            bracket[low] = cur
            break
        if cur.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = cur
    best = bracket[low]
    return best.f, best.g, best.t, evals


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


def _host(a):
    """``a`` as a NumPy array (CuPy arrays are copied to the host: L-BFGS's vectors
    are small bookkeeping next to the closure's work)."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def _number(loss):
    """The closure's loss as a Python float (``.item()`` on a tensor)."""
    return loss.item() if hasattr(loss, "item") else float(loss)


def _wrap(value):
    return None if value is None else wrap(np.array(value))


def _unwrap(value):
    return value if not hasattr(value, "_data") else np.array(_host(raw(value)))
