"""Gradient cost of nine workloads, as a ratio to a hand-written NumPy gradient.

Each workload is a plain NumPy function that returns a scalar loss, plus a gradient
written by hand in NumPy (checked once against central finite differences along
random directions).  The same gradient is then computed, side by side in this one
process, by

- srcad, source mode: ``srcad.grad(f, wrt, mode="source")`` (generated adjoint code);
- srcad, source mode compiled with Numba: ``srcad.grad(f, wrt, mode="source", jit=True)``
  (the ``srcad[jit]`` extra; a workload it cannot compile reads ``n/a (reason)``);
- srcad, tape mode: ``srcad.grad(f, wrt, mode="tape")`` (f runs on srcad's tape);
- HIPS autograd: ``autograd.grad`` on the same function, ``np`` rebound to
  ``autograd.numpy``;
- PyTorch CPU eager: the same computation written with torch tensors, ``.backward()``;
- JAX without jit (``jax.grad``) and with jit (``jax.jit(jax.grad(f))``), same source
  with ``np`` rebound to ``jax.numpy``;

all in float64.  Each cell is the median of several ``timeit``-style measurements
(warm-up first, so JAX's compilation and srcad's transformation are excluded); the
libraries of one workload are timed round-robin, so that load from elsewhere hits
them alike.  Every gradient is compared with the hand-written one; a cell that
disagrees is marked.  A library that fails on a workload gets ``error: ...`` in its
cell.  Not a test.

    python benchmarks/bench_workloads.py [--quick] [--threads N] [--only 1 4 ...]

By default every library keeps its own thread settings (printed in the header).  On a
small shared machine multi-threaded BLAS calls are very noisy; ``--threads 1`` pins
NumPy's BLAS, PyTorch and XLA to one thread for steadier numbers.
"""

import argparse
import math
import sys
import time
import tracemalloc
import types
import warnings
from dataclasses import dataclass, field

import numpy as np
from _util import (
    environment,
    fmt_ratio,
    fmt_us,
    markdown_table,
    measure_many,
    pin_threads,
    short_error,
    timing_settings,
)

import srcad

try:
    import torch
except ImportError as exc:  # pragma: no cover - depends on the machine
    torch, TORCH_MISSING = None, f"n/a ({short_error(exc, 40)})"

try:
    import autograd
    import autograd.numpy as anp
except ImportError as exc:  # pragma: no cover
    autograd, AUTOGRAD_MISSING = None, f"n/a ({short_error(exc, 40)})"

try:
    import numba  # noqa: F401  (srcad.grad(..., jit=True))

    NUMBA_MISSING = None
except ImportError as exc:  # pragma: no cover
    NUMBA_MISSING = f"n/a ({short_error(exc, 40)})"

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError as exc:  # pragma: no cover
    jax, JAX_MISSING = None, f"n/a ({short_error(exc, 40)})"


# ---------------------------------------------------------------------------------------
# The workloads: NumPy loss, hand-written NumPy gradient, PyTorch version.
# The NumPy functions only use the module-level names ``np`` and ``math``, so the very
# same code runs on autograd and JAX once those names are rebound (see ``rebind``).
# ---------------------------------------------------------------------------------------


# 1. A scalar Python loop on floats.
def scalar_loop(a, b):
    s = 0.0
    for i in range(100):
        s = s + a * math.sin(b * i)
    return s


def scalar_loop_grad(a, b):
    da = 0.0
    for i in range(100):
        da += math.sin(b * i)
    return da


# 2. Logistic regression, mean log-loss in a stable form:
#    -y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)) == logaddexp(0, -z) + (1 - y) z.
def logreg(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, -z) + (1.0 - y) * z)


def logreg_grad(w, X, y):
    z = X @ w
    p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid(z), overflow-free
    return X.T @ (p - y) / z.shape[0]


def logreg_torch(w, X, y):
    z = X @ w
    return torch.mean(torch.nn.functional.softplus(-z) + (1.0 - y) * z)


# 3 and 6. A two-layer MLP with tanh and a mean squared error.
def mlp(X, W1, W2, Y):
    h = np.tanh(X @ W1)
    out = h @ W2
    return np.mean((out - Y) ** 2)


def mlp_grad(X, W1, W2, Y):
    h = np.tanh(X @ W1)
    out = h @ W2
    dout = (2.0 / out.size) * (out - Y)
    dW2 = h.T @ dout
    dpre = (dout @ W2.T) * (1.0 - h * h)
    dW1 = X.T @ dpre
    return dW1, dW2


def mlp_torch(X, W1, W2, Y):
    h = torch.tanh(X @ W1)
    out = h @ W2
    return torch.mean((out - Y) ** 2)


# 4. A vanilla RNN unrolled over the time steps of xs; loss on the final state.
def rnn(Wh, Wx, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.sum(h * h)


def rnn_grad(Wh, Wx, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(hs[-1] @ Wh + xs[t] @ Wx))
    dWh = np.zeros_like(Wh)
    dh = 2.0 * hs[-1]
    for t in range(xs.shape[0] - 1, -1, -1):
        dpre = dh * (1.0 - hs[t + 1] ** 2)
        dWh += hs[t].T @ dpre
        dh = dpre @ Wh.T
    return dWh


def rnn_torch(Wh, Wx, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = torch.tanh(h @ Wh + xs[t] @ Wx)
    return torch.sum(h * h)


# 5. Many small elementwise operations: 8 per iteration, 10 iterations, on 10 numbers
#    (a residual update, so the gradient does not vanish).
def small_ops(x, c):
    for _ in range(10):
        x = x + 0.5 * np.tanh(np.sin(x) * c + np.exp(0.1 * x))
    return np.sum(x)


def small_ops_grad(x, c):
    saved = []
    for _ in range(10):
        e = np.exp(0.1 * x)
        saved.append((x, e))
        t = np.tanh(np.sin(x) * c + e)
        saved[-1] += (t,)
        x = x + 0.5 * t
    dx = np.ones_like(x)
    for x_in, e, t in reversed(saved):
        dpre = 0.5 * dx * (1.0 - t * t)
        dx = dx + dpre * (np.cos(x_in) * c + 0.1 * e)
    return dx


def small_ops_torch(x, c):
    for _ in range(10):
        x = x + 0.5 * torch.tanh(torch.sin(x) * c + torch.exp(0.1 * x))
    return torch.sum(x)


# 7-9. The same computations written the Tangent-era way: np.dot, np.shape, more steps.
def rnn_dot(Wh, Wx, xs, h0):
    h = h0
    for t in range(np.shape(xs)[0]):
        h = np.tanh(np.dot(xs[t], Wx) + np.dot(h, Wh))
    return np.sum(h * h)


def logreg_dot(w, X, y):
    z = np.dot(X, w)
    n = np.shape(X)[0]
    return np.sum(np.log(1.0 + np.exp(-z)) + (1.0 - y) * z) / n


def logreg_dot_torch(w, X, y):
    z = X @ w
    return torch.sum(torch.log(1.0 + torch.exp(-z)) + (1.0 - y) * z) / X.shape[0]


def scalar_loop_long(a, b):
    s = 0.0
    for i in range(1000):
        s = s + a * math.sin(b * i)
    return s


def scalar_loop_long_grad(a, b):
    da = 0.0
    for i in range(1000):
        da += math.sin(b * i)
    return da


@dataclass
class Workload:
    name: str
    f: object  # the NumPy loss
    hand: object  # the hand-written NumPy gradient
    torch_f: object  # the same loss on torch tensors
    args: tuple
    wrt: object = 0  # an index or a tuple of indices
    notes: list = field(default_factory=list)

    @property
    def wrt_tuple(self):
        return self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)


def make_workloads():
    rng = np.random.default_rng(0)
    n = rng.standard_normal
    X = n((1000, 20))
    w = 0.1 * n(20)
    y = (rng.random(1000) < 1.0 / (1.0 + np.exp(-X @ n(20)))).astype(np.float64)
    Xm, W1m, W2m, Ym = n((256, 64)), n((64, 128)) / 8.0, n((128, 10)) / 11.0, n((256, 10))
    Wh, Wx = n((32, 32)) / 6.0, n((16, 32)) / 4.0
    xs, h0 = n((50, 8, 16)), np.zeros((8, 32))
    Xl, W1l, W2l, Yl = n((512, 1024)), n((1024, 1024)) / 32.0, n((1024, 10)) / 32.0, n((512, 10))
    X100, w100 = n((1000, 100)), 0.05 * n(100)
    y100 = (rng.random(1000) < 1.0 / (1.0 + np.exp(-X100 @ n(100) / 5.0))).astype(np.float64)
    return [
        Workload("1 scalar loop (100 floats)", scalar_loop, scalar_loop_grad,
                 scalar_loop, (1.3, 0.7)),  # a torch 0-d tensor times a float: same code
        Workload("2 logistic regression 1000x20", logreg, logreg_grad, logreg_torch, (w, X, y)),
        Workload("3 MLP 256x64x128x10", mlp, mlp_grad, mlp_torch, (Xm, W1m, W2m, Ym), (1, 2)),
        Workload("4 RNN 50 steps, h32 x16 b8", rnn, rnn_grad, rnn_torch, (Wh, Wx, xs, h0)),
        Workload("5 80 small ops on (10,)", small_ops, small_ops_grad, small_ops_torch,
                 (n(10), n(10))),
        Workload("6 MLP 512x1024x1024x10", mlp, mlp_grad, mlp_torch, (Xl, W1l, W2l, Yl), (1, 2)),
        Workload("7 RNN as 4, np.dot, np.shape", rnn_dot, rnn_grad, rnn_torch, (Wh, Wx, xs, h0)),
        Workload("8 logistic regression 1000x100, np.dot", logreg_dot, logreg_grad,
                 logreg_dot_torch, (w100, X100, y100)),
        Workload("9 scalar loop (1000 floats)", scalar_loop_long, scalar_loop_long_grad,
                 scalar_loop_long, (1.3, 0.7)),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def as_tuple(g):
    return tuple(g) if isinstance(g, (tuple, list)) else (g,)


def to_numpy(g):
    if torch is not None and isinstance(g, torch.Tensor):
        return g.detach().numpy()
    return np.asarray(g, dtype=np.float64)


def max_rel_error(got, want):
    """Largest |got - want| relative to the size of ``want``, over all gradient parts."""
    got, want = as_tuple(got), as_tuple(want)
    if len(got) != len(want):
        return math.inf
    worst = 0.0
    for g, w in zip(got, want):
        g, w = to_numpy(g), np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            return math.inf
        worst = max(
            worst, float(np.max(np.abs(g - w), initial=0.0) / max(np.max(np.abs(w)), 1e-30))
        )
    return worst


def finite_difference_check(wl, directions=2, seed=1):
    """Relative error of the hand-written gradient along random directions."""
    rng = np.random.default_rng(seed)
    grads = as_tuple(wl.hand(*wl.args))
    worst = 0.0
    for _ in range(directions):
        vs = [rng.standard_normal(np.shape(wl.args[i])) for i in wl.wrt_tuple]
        vs = [float(v) if np.ndim(wl.args[i]) == 0 else v for v, i in zip(vs, wl.wrt_tuple)]
        eps = 1e-5

        def shifted(sign, vs=vs, eps=eps):
            args = list(wl.args)
            for v, i in zip(vs, wl.wrt_tuple):
                args[i] = args[i] + sign * eps * v
            return wl.f(*args)

        numeric = (shifted(1) - shifted(-1)) / (2 * eps)
        analytic = sum(float(np.sum(g * v)) for g, v in zip(grads, vs))
        worst = max(worst, abs(numeric - analytic) / max(abs(analytic), 1e-12))
    return worst


# ---------------------------------------------------------------------------------------
# One gradient callable per library
# ---------------------------------------------------------------------------------------


def rebind(f, **names):
    """A copy of ``f`` whose global names (``np``, ``math``) point elsewhere."""
    g = dict(f.__globals__)
    g.update(names)
    return types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)


def prep_hand(wl):
    return lambda: wl.hand(*wl.args)


def prep_srcad(mode):
    def prep(wl):
        g = srcad.grad(wl.f, wrt=wl.wrt, mode=mode)
        run = lambda: g(*wl.args)
        if mode == "source":
            run()  # builds the adjoint; a failure is reported with its own message
            if g.mode != "source":
                raise RuntimeError(f"ran in {g.mode} mode")
        return run

    return prep


def prep_srcad_jit(wl):
    if NUMBA_MISSING:
        raise Unavailable(NUMBA_MISSING)
    from srcad.jit import JitFallbackWarning

    g = srcad.grad(wl.f, wrt=wl.wrt, mode="source", jit=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", JitFallbackWarning)
        g(*wl.args)  # the plain call, traced, then compiled
        g(*wl.args)
    for w in caught:
        if issubclass(w.category, JitFallbackWarning):
            reason = str(w.message).split("Reason: ", 1)[-1]
            raise Unavailable(f"n/a ({short_error(Exception(reason), 60).split(': ', 1)[1]})")
    return lambda: g(*wl.args)


def prep_autograd(wl):
    if autograd is None:
        raise Unavailable(AUTOGRAD_MISSING)
    ga = autograd.grad(rebind(wl.f, np=anp, math=anp), wl.wrt)
    return lambda: ga(*wl.args)


def prep_torch(wl):
    if torch is None:
        raise Unavailable(TORCH_MISSING)
    targs = [
        torch.tensor(a, dtype=torch.float64, requires_grad=i in wl.wrt_tuple)
        if isinstance(a, np.ndarray) or i in wl.wrt_tuple
        else a
        for i, a in enumerate(wl.args)
    ]
    leaves = [targs[i] for i in wl.wrt_tuple]

    def run():
        wl.torch_f(*targs).backward()
        grads = tuple(t.grad for t in leaves)
        for t in leaves:
            t.grad = None
        return grads

    return run


def prep_jax(jit):
    def prep(wl):
        if jax is None:
            raise Unavailable(JAX_MISSING)
        gj = jax.grad(rebind(wl.f, np=jnp, math=jnp), argnums=wl.wrt)
        if jit:
            gj = jax.jit(gj)
        jargs = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in wl.args]
        return lambda: jax.block_until_ready(gj(*jargs))

    return prep


class Unavailable(Exception):
    """The library is not installed: the cell reads ``n/a``."""


LIBRARIES = [
    ("NumPy by hand", prep_hand),
    ("srcad source", prep_srcad("source")),
    ("srcad source jit", prep_srcad_jit),
    ("srcad tape", prep_srcad("tape")),
    ("HIPS autograd", prep_autograd),
    ("PyTorch eager", prep_torch),
    ("JAX (no jit)", prep_jax(jit=False)),
    ("JAX jit", prep_jax(jit=True)),
]


@dataclass
class Cell:
    seconds: float = None
    peak: int = None  # bytes NumPy allocated at most during one gradient (tracemalloc)
    error: str = None
    mismatch: float = None  # max relative error when the gradient disagrees
    warnings: list = field(default_factory=list)
    full_error: Exception = None


def prepare_cell(prep, wl, reference, lib):
    """Build one library's gradient callable, run it once and check its gradient."""
    cell, fn = Cell(), None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn = prep(wl)
            err = max_rel_error(fn(), reference)
            if not err <= 1e-6:
                cell.mismatch = err
            cell.peak = peak_memory(fn, lib)
        except Unavailable as exc:
            cell.error, fn = str(exc), None
        except Exception as exc:  # the benchmark reports failures, it does not stop
            cell.error, cell.full_error, fn = "error: " + short_error(exc, 70), exc, None
    cell.warnings = sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught})
    return cell, fn


# NumPy reports its allocations to tracemalloc; PyTorch and XLA allocate outside it
TRACED = ("NumPy by hand", "srcad source", "srcad source jit", "srcad tape", "HIPS autograd")


def peak_memory(fn, lib):
    """Peak bytes allocated through NumPy (tracemalloc) during one call of ``fn``, or
    None for a library whose memory tracemalloc does not see."""
    if lib not in TRACED:
        return None
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def run_workload(wl, settings):
    """``{library: Cell}`` and the time of the loss alone, all timed round-robin."""
    reference = wl.hand(*wl.args)
    cells, fns = {}, {"loss only": lambda: wl.f(*wl.args)}
    for lib, prep in LIBRARIES:
        cells[lib], fn = prepare_cell(prep, wl, reference, lib)
        if fn is not None:
            fns[lib] = fn
    times = measure_many(fns, **settings)
    for lib, cell in cells.items():
        value = times.get(lib)
        if isinstance(value, Exception):
            cell.error, cell.full_error = "error: " + short_error(value, 70), value
        elif value is not None:
            cell.seconds = value
    return cells, times["loss only"]


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def render(cell, base, ratio):
    if cell.error:
        return cell.error
    text = fmt_ratio(cell.seconds / base) if ratio else fmt_us(cell.seconds)
    return text + (" ✗" if cell.mismatch is not None else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--only", nargs="*", help="workload numbers to run, e.g. 1 4")
    parser.add_argument("--threads", type=int, help="pin BLAS, PyTorch (and XLA if 1) threads")
    opts = parser.parse_args()
    pin_threads(opts.threads)
    settings = timing_settings(opts.quick)

    extra = [f"srcad {getattr(srcad, '__version__', '?')}"]
    if torch is not None:
        extra.append(
            f"PyTorch {torch.__version__} (intra-op threads {torch.get_num_threads()}"
            + (", defaults left alone)" if opts.threads is None else ", pinned)")
        )
    if autograd is not None:
        import importlib.metadata as md

        extra.append(f"HIPS autograd {md.version('autograd')}")
    if NUMBA_MISSING is None:
        extra.append(f"Numba {numba.__version__} (srcad source jit)")
    if jax is not None:
        extra.append(f"JAX {jax.__version__} on {jax.default_backend()}, x64 enabled")
    extra.append(
        f"timing: median of {settings['repeat']} runs, each a loop of >= "
        f"{settings['min_time']} s, after {settings['warmup']} warm-up call(s)"
    )
    print("## Gradient cost of nine workloads\n")
    print(environment(extra))
    print()

    workloads = make_workloads()
    if opts.only:
        workloads = [w for w in workloads if w.name.split()[0] in opts.only]

    results = {}
    forward = {}  # the NumPy loss alone (no gradient), for scale
    fd_warnings = []
    start = time.perf_counter()
    for wl in workloads:
        fd = finite_difference_check(wl)
        if not fd < 1e-6:
            fd_warnings.append(
                f"{wl.name}: hand-written gradient vs finite differences, relative error {fd:.2e}"
            )
        cells, forward[wl.name] = run_workload(wl, settings)
        for lib, cell in cells.items():
            results[wl.name, lib] = cell
        print(f"  .. {wl.name}", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - start

    names = [lib for lib, _ in LIBRARIES]
    ratio_rows, us_rows = [], []
    for wl in workloads:
        base = results[wl.name, names[0]].seconds
        ratio_rows.append([wl.name] + [render(results[wl.name, n], base, True) for n in names])
        us_rows.append(
            [wl.name, fmt_us(forward[wl.name])]
            + [render(results[wl.name, n], base, False) for n in names]
        )
    print("### Time / hand-written NumPy gradient (lower is better)\n")
    print(markdown_table(["workload"] + names, ratio_rows))
    print("\n### Absolute time per gradient, µs (first column: the NumPy loss alone)\n")
    print(markdown_table(["workload", "loss only"] + names, us_rows))
    print("\n### Peak memory of one gradient / hand-written NumPy's (tracemalloc)\n")
    print(
        "Bytes NumPy allocated at most during one call, beyond the arguments; PyTorch and "
        "XLA allocate outside tracemalloc (n/a). In parentheses: the hand-written peak.\n"
    )
    mem_names = [n for n in names if not n.startswith(("PyTorch", "JAX"))]
    mem_rows = []
    for wl in workloads:
        base = results[wl.name, names[0]].peak
        row = [f"{wl.name} ({base / 1024:.0f} KiB)" if base else wl.name]
        for n in mem_names:
            c = results[wl.name, n]
            row.append("n/a" if c.peak is None or not base else f"{c.peak / base:.2f}")
        mem_rows.append(row)
    print(markdown_table(["workload"] + mem_names, mem_rows))
    print()

    print("✗ = gradient differs from the hand-written one (max relative error > 1e-6).\n")
    notes = list(fd_warnings)
    for (wname, lib), cell in results.items():
        if cell.mismatch is not None:
            notes.append(f"{wname} / {lib}: gradient max relative error {cell.mismatch:.2e}")
        exc = getattr(cell, "full_error", None)
        if exc is not None:
            first = str(exc).strip().splitlines()
            notes.append(f"{wname} / {lib}: {type(exc).__name__}: "
                         + " / ".join(line.strip() for line in first[:4]))  # fmt: skip
        for w in cell.warnings:
            notes.append(f"{wname} / {lib}: warning {w}")
    if notes:
        print("Notes:\n")
        print("\n".join(f"- {n}" for n in notes))
        print()
    print(f"(measured in {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
