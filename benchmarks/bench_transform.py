"""How long srcad's compiler takes to transform a realistic function (goal: < 50 ms).

``model_loss`` below is about fifty lines of ordinary NumPy: a helper call, ``for``
and ``while`` loops, ``if``/``else``, ``break``, an augmented assignment, indexing and
slicing, and a dozen NumPy primitives.  We time

- the first build in this process (one sample: includes the compiler's lazy imports);
- the first build of a function srcad has never seen, median of ``--repeat`` runs.
  Each run clears srcad's compilers (so the helper is transformed again too) and
  differentiates a fresh function object made with ``types.FunctionType``, so no
  cache can answer; reading ``.source`` forces the build;
- the same with ``optimize=False`` (what the optimizer passes cost);
- the cached paths: ``.source`` again on the same object, and ``srcad.grad(f)`` of an
  already-transformed ``f`` (the compiler's cache);
- for scale, one call of the gradient against one call of ``model_loss``.

    python benchmarks/bench_transform.py [--repeat 10] [--profile]
"""

import argparse
import statistics
import time
import types

import numpy as np
from _util import environment, fmt_us, markdown_table, measure

import srcad
import srcad.api


def _normalize(v, eps):
    """A helper the compiler differentiates recursively."""
    norm = np.sqrt(np.sum(v * v) + eps)
    return v / norm


def model_loss(W, b, X, y, mask):
    n = X.shape[0]
    h = X @ W + b
    h = np.where(h > 0, h, 0.01 * h)  # leaky ReLU
    total = 0.0
    for i in range(n):
        # (``h[i]`` twice, as first written: ``row = _normalize(row, ...)``, which once
        # crashed srcad's gradient inside a loop, works since; the workload is kept)
        if mask[i] > 0.5:
            row = _normalize(h[i], 1e-6)
        else:
            row = np.tanh(h[i])
        err = row - y[i]
        total = total + np.sum(err * err)
    # A penalty on the first columns of W, stopped early.
    reg = 0.0
    k = 0
    while k < W.shape[1]:
        col = W[:, k]
        reg = reg + np.sum(col**2)
        k += 1
        if k >= 4:
            break
    # A log-sum-exp over the first three outputs.
    logits = h[:, :3]
    top = srcad.stop_gradient(np.max(logits, axis=1, keepdims=True))
    lse = np.log(np.sum(np.exp(logits - top), axis=1)) + top[:, 0]
    ce = np.mean(lse - logits[:, 0])
    # A smooth weighting of the rows by their mean activation.
    weights = np.exp(-np.mean(h, axis=1))
    weights = weights / np.sum(weights)
    spread = np.sum(weights * np.sum(np.abs(h), axis=1))
    out = total / n + 0.1 * reg + ce
    if spread > 10.0:
        out = out + 0.01 * spread
    else:
        out = out + 0.001 * spread * spread
    return out


def fresh_copy(f):
    """A new function object with the same code, so no cache keyed on ``f`` can hit."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__)


def fresh_compilers():
    # every cache of transformations (the helper's fwd/bwd pair included)
    srcad.clear_cache()


def build_time(optimize):
    fresh_compilers()
    g = srcad.grad(fresh_copy(model_loss), mode="source", optimize=optimize)
    t0 = time.perf_counter()
    g.source  # noqa: B018 - reading .source runs the transformation
    return time.perf_counter() - t0


def specialized_build_time():
    """A first call: the gradient built for the arguments' shapes (shapes.py runs),
    plus one run of it on these small inputs."""
    fresh_compilers()
    g = srcad.grad(fresh_copy(model_loss), mode="source")
    args = make_inputs()
    t0 = time.perf_counter()
    g(*args)
    return time.perf_counter() - t0


def make_inputs():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 8))
    W = 0.3 * rng.standard_normal((8, 6))
    b = 0.1 * rng.standard_normal(6)
    y = rng.standard_normal((16, 6))
    mask = (rng.random(16) > 0.5).astype(np.float64)
    return W, b, X, y, mask


def finite_difference_error(g, args, eps=1e-6):
    """Relative error of ``g``'s gradient along a random direction (central difference)."""
    W, rest = args[0], args[1:]
    v = np.random.default_rng(1).standard_normal(W.shape)
    numeric = (model_loss(W + eps * v, *rest) - model_loss(W - eps * v, *rest)) / (2 * eps)
    analytic = float(np.sum(g(*args) * v))
    return abs(numeric - analytic) / max(abs(numeric), 1e-12)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="first builds to time")
    parser.add_argument("--profile", action="store_true", help="cProfile one build")
    opts = parser.parse_args()

    print("## Transformation time of a 50-line NumPy function\n")
    print(environment([f"srcad {getattr(srcad, '__version__', '?')}"]))
    print()

    rows = []  # [label, seconds]
    cold = build_time(optimize=True)
    rows.append(["first build in this process (1 sample, lazy imports included)", cold])

    # optimize=True and optimize=False builds alternate, so load from elsewhere
    # hits both alike.
    times = {True: [], False: []}
    for _ in range(opts.repeat):
        for optimize in (True, False):
            times[optimize].append(build_time(optimize))
    for optimize, ts in times.items():
        rows.append(
            [
                f"first build of a new function, optimize={optimize} "
                f"(median of {opts.repeat}; min {min(ts) * 1e3:.1f}, max {max(ts) * 1e3:.1f})",
                statistics.median(ts),
            ]
        )

    spec = [specialized_build_time() for _ in range(opts.repeat)]
    rows.append(
        [
            f"first call (built for the arguments' shapes, then run once; median of "
            f"{opts.repeat})",
            statistics.median(spec),
        ]
    )

    # The cached paths.
    fresh_compilers()
    f = fresh_copy(model_loss)
    g = srcad.grad(f, mode="source")
    src = g.source
    rows.append([".source again on the same transformed function", measure(lambda: g.source)])
    rows.append(
        [
            "srcad.grad(f).source for an f already transformed (compiler cache)",
            measure(lambda: srcad.grad(f, mode="source").source),
        ]
    )

    # For scale: running the gradient, and running the function itself.
    args = make_inputs()
    fd_error = finite_difference_error(g, args)
    grad_call = measure(lambda: g(*args))
    primal_call = measure(lambda: model_loss(*args))
    rows.append(["one gradient call (warm)", grad_call])
    rows.append(["one call of model_loss itself", primal_call])

    # Every row holds seconds; builds read best in ms, cached paths in µs.
    table = [[label, f"{t * 1e3:.3g}", fmt_us(t)] for label, t in rows]
    print(markdown_table(["what", "ms", "µs"], table))
    print()
    lines = src.count("\n")
    print(f"Goal: first build < 50 ms.  The generated source has {lines} lines.")
    verdict = "agrees" if fd_error < 1e-6 else "DISAGREES"
    print(f"The gradient {verdict} with finite differences (relative error {fd_error:.1e}).\n")

    if opts.profile:
        import cProfile
        import pstats

        fresh_compilers()
        g = srcad.grad(fresh_copy(model_loss), mode="source")
        prof = cProfile.Profile()
        prof.runcall(lambda: g.source)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
