"""Per-operation overhead of srcad's tape, against PyTorch CPU eager and HIPS autograd.

A chain of ``--ops`` elementwise operations (add, mul, sin, tanh, in turn) on a
float64 vector of 3 numbers, so the arithmetic is negligible and what is timed is
the bookkeeping: creating tensors, recording the graph, running the backward pass.
Reported in µs per operation:

- forward: run the chain on a leaf that requires grad (the graph is recorded);
- forward + backward: the same, then ``.sum().backward()`` (``make_vjp`` and the
  pullback for HIPS autograd, which has no separate recording step).

A second srcad row calls ``np.sin``/``np.tanh`` on srcad tensors (what a NumPy function
run with ``srcad.grad(f, mode="tape")`` does).  Plain NumPy (no AD) is the floor.
Not a test.

``--stages`` times the stages apart, in CPU time of this process (steadier than wall
time on a shared machine), srcad and PyTorch interleaved: recording the forward pass,
running the backward pass (graphs built first, then run), and the scalar loop of
``bench_workloads.py`` workload 1 (PyTorch-style on 0-d tensors, and through
``srcad.grad(f, mode="tape")``).  ``--profile`` prints a cProfile of srcad's
forward+backward (the functions that take the time, per call).  ``--gc`` keeps the
cycle collector enabled while ``--stages`` times (as in a user's own timing loop;
srcad's nodes are Python objects the collector walks, PyTorch's are not).

    python benchmarks/bench_tape_overhead.py [--ops 1000] [--quick] [--threads N]
    python benchmarks/bench_tape_overhead.py --stages [--profile] [--gc]
    python benchmarks/bench_tape_overhead.py --through-grad [--threads 1]

``--through-grad`` runs ``bench_workloads.py``'s workload 5 (8 elementwise ops a step
on a length-10 vector, NumPy code) through ``srcad.grad(f, mode="tape")`` at 9, 81, 201
and 801 ops, beside the same code written for PyTorch: the fixed cost of a call and
the cost per op in one table.
"""

import argparse
import cProfile
import functools
import gc
import math
import pstats
import statistics
import time

import numpy as np
from _util import environment, fmt_us, markdown_table, measure_many, pin_threads, timing_settings

import srcad

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # pragma: no cover
    autograd = None


def chain(x, c, n, sin, tanh):
    """``n`` elementwise operations: add, mul, sin, tanh, add, mul, ..."""
    for i in range(n):
        step = i % 4
        if step == 0:
            x = x + c
        elif step == 1:
            x = x * c
        elif step == 2:
            x = sin(x)
        else:
            x = tanh(x)
    return x


def tape_engine(lib, n, sin=None, tanh=None):
    """forward() and forward_backward() for a PyTorch-like library (srcad or torch).

    ``sin`` and ``tanh`` default to the library's own; passing ``np.sin`` measures
    srcad's NumPy interop (``__array_ufunc__``) instead.
    """
    x = lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64, requires_grad=True)
    c = lib.tensor([0.9, 1.1, 0.7], dtype=lib.float64)
    sin, tanh = sin or lib.sin, tanh or lib.tanh

    def forward():
        return chain(x, c, n, sin, tanh)

    def forward_backward():
        chain(x, c, n, sin, tanh).sum().backward()
        g = x.grad
        x.grad = None
        return g

    return forward, forward_backward


def autograd_engine(n):
    x = np.array([0.1, 0.2, 0.3])
    c = np.array([0.9, 1.1, 0.7])
    f = lambda x: anp.sum(chain(x, c, n, anp.sin, anp.tanh))
    make_vjp = autograd.make_vjp(f)

    def forward():
        return make_vjp(x)  # traces the chain and builds the pullback

    def forward_backward():
        vjp, _ = make_vjp(x)
        return vjp(1.0)

    return forward, forward_backward


def exact_gradient(n):
    """d sum(chain(x)) / dx by the chain rule, carried forward elementwise."""
    x = np.array([0.1, 0.2, 0.3])
    c = np.array([0.9, 1.1, 0.7])
    d = np.ones(3)
    for i in range(n):
        step = i % 4
        if step == 0:
            x = x + c
        elif step == 1:
            x, d = x * c, d * c
        elif step == 2:
            x, d = np.sin(x), d * np.cos(x)
        else:
            x = np.tanh(x)
            d = d * (1.0 - x * x)
    return d


def numpy_floor(n):
    x = np.array([0.1, 0.2, 0.3])
    c = np.array([0.9, 1.1, 0.7])
    return lambda: chain(x, c, n, np.sin, np.tanh)


# -- --stages: where the time goes --------------------------------------------------


def scalar_loop(a, b):
    """``bench_workloads.py`` workload 1 (200 ops: a mul and an add per iteration)."""
    s = 0.0
    for i in range(100):
        s = s + a * math.sin(b * i)
    return s


def stage_fns(lib, n, k):
    """``{stage: (fn, ops per call)}`` for one PyTorch-like library."""
    x = lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64, requires_grad=True)
    c = lib.tensor([0.9, 1.1, 0.7], dtype=lib.float64)
    a = lib.tensor(1.3, dtype=lib.float64, requires_grad=True)
    built = []

    def record():
        built[:] = [chain(x, c, n, lib.sin, lib.tanh).sum() for _ in range(k)]

    def backward():  # runs the graphs record() built (timed apart from building them)
        for y in built:
            y.backward()
        x.grad = None

    def loop():
        scalar_loop(a, 0.7).backward()
        a.grad = None

    return {"record": (record, k * n), "backward": (backward, k * n), "loop": (loop, 200)}


def stages(n, repeat, profile, collect=False):
    k = 5
    libs = {"srcad": stage_fns(srcad, n, k)}
    g = srcad.grad(scalar_loop, wrt=0, mode="tape")
    libs["srcad"]["loop, srcad.grad(mode='tape')"] = (lambda: g(1.3, 0.7), 200)
    if torch is not None:
        torch.set_num_threads(1)
        libs["PyTorch"] = stage_fns(torch, n, k)
    times = {(lib, st): [] for lib, fns in libs.items() for st in fns}
    if not collect:
        gc.disable()
    try:
        for _ in range(repeat):
            for lib, fns in libs.items():
                for st, (fn, ops) in fns.items():
                    if st == "backward":
                        fns["record"][0]()
                    t0 = time.process_time()
                    fn()
                    times[lib, st].append((time.process_time() - t0) / ops)
    finally:
        gc.enable()
    gc_state = "on" if collect else "off"
    print(
        f"## Where the tape's time goes: CPU µs per op (median of {repeat}), chain of {n}, "
        f"cycle collector {gc_state}\n"
    )
    rows = []
    for st in libs["srcad"]:
        mine = statistics.median(times["srcad", st])
        theirs = statistics.median(times["PyTorch", st]) if ("PyTorch", st) in times else None
        if theirs is None and st.startswith("loop,"):
            theirs = statistics.median(times["PyTorch", "loop"]) if "PyTorch" in libs else None
        rows.append(
            [
                st,
                fmt_us(mine),
                "n/a" if theirs is None else fmt_us(theirs),
                "" if theirs is None else f"{mine / theirs:.2f}",
            ]
        )
    print(markdown_table(["stage", "srcad", "PyTorch", "srcad / PyTorch"], rows))
    if profile:
        fb = tape_engine(srcad, n)[1]
        fb()
        prof = cProfile.Profile()
        prof.runcall(lambda: [fb() for _ in range(5)])
        print(f"\ncProfile of 5 srcad forward+backward runs ({5 * n} ops):\n")
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def small_ops_numpy(steps):
    """The chain of ``steps`` steps as a plain function of ``(x, c)``."""

    def small_ops(x, c):
        for _ in range(steps):
            x = x + 0.5 * np.tanh(np.sin(x) * c + np.exp(0.1 * x))
        return np.sum(x)

    return small_ops


def small_ops_torch(x, c, steps):
    for _ in range(steps):
        x = x + 0.5 * torch.tanh(torch.sin(x) * c + torch.exp(0.1 * x))
    return torch.sum(x)


def through_grad(steps_list, settings):
    """``bench_workloads.py``'s workload 5 (8 ops a step on a length-10 vector) at
    several lengths: NumPy code through ``srcad.grad(f, mode="tape")`` against the same
    code written for PyTorch (a fresh leaf, the ops, ``.backward()``, ``.grad``), so the
    fixed cost of a call shows beside the cost per op."""
    rng = np.random.default_rng(0)
    x, c = rng.standard_normal(10), rng.standard_normal(10)
    rows = []
    for steps in steps_list:
        g = srcad.grad(small_ops_numpy(steps), mode="tape")
        fns = {"srcad": functools.partial(g, x, c)}
        if torch is not None:
            xt, ct = torch.tensor(x), torch.tensor(c)

            def torch_grad(xt=xt, ct=ct, steps=steps):
                leaf = xt.detach().requires_grad_(True)
                small_ops_torch(leaf, ct, steps).backward()
                return leaf.grad

            np.testing.assert_allclose(g(x, c), torch_grad().numpy(), rtol=1e-10)
            fns["torch"] = torch_grad
        t = measure_many(fns, **settings)
        ops = 8 * steps + 1
        row = [str(ops), fmt_us(t["srcad"])]
        if "torch" in t:
            row += [fmt_us(t["torch"]), f"{t['srcad'] / t['torch']:.2f}"]
        else:
            row += ["n/a", ""]
        rows.append(row)
    print("## The small-vector chain through srcad.grad(f, mode='tape'), against PyTorch\n")
    header = ["ops", "srcad.grad tape µs", "PyTorch eager µs", "ratio"]
    print(markdown_table(header, rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="length of the chain")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--threads", type=int, help="pin BLAS and PyTorch threads")
    parser.add_argument("--stages", action="store_true", help="per-stage CPU times")
    parser.add_argument("--profile", action="store_true", help="with --stages: cProfile")
    parser.add_argument("--gc", action="store_true", help="with --stages: collector on")
    parser.add_argument(
        "--through-grad", action="store_true", help="workload 5's chain via srcad.grad"
    )
    opts = parser.parse_args()
    pin_threads(opts.threads)
    if opts.through_grad:
        through_grad([1, 10, 25, 100], timing_settings(opts.quick))
        return
    if opts.stages:
        stages(opts.ops, 5 if opts.quick else 21, opts.profile, opts.gc)
        return
    settings = timing_settings(opts.quick)
    n = opts.ops

    extra = [f"srcad {getattr(srcad, '__version__', '?')}"]
    if torch is not None:
        extra.append(f"PyTorch {torch.__version__} (intra-op threads {torch.get_num_threads()})")
    print(f"## Tape overhead: a chain of {n} elementwise ops on shape (3,), float64\n")
    print(environment(extra))
    print()

    engines = [
        ("srcad tape", *tape_engine(srcad, n)),
        ("srcad tape, np.sin/np.tanh on tensors", *tape_engine(srcad, n, np.sin, np.tanh)),
    ]
    engines.append(("PyTorch eager", *tape_engine(torch, n)) if torch else ("PyTorch eager",))
    engines.append(("HIPS autograd", *autograd_engine(n)) if autograd else ("HIPS autograd",))

    # Every engine must get the gradient right before its timings mean anything.
    reference = exact_gradient(n)
    marks, timed = {}, {}
    for name, *fns in engines:
        if not fns:
            continue
        forward, forward_backward = fns
        grad = forward_backward()
        grad = np.asarray(grad.detach().numpy() if hasattr(grad, "detach") else grad)
        marks[name] = "" if np.allclose(grad, reference, rtol=1e-10, atol=1e-12) else " ✗"
        timed[name, "fwd"], timed[name, "both"] = forward, forward_backward
    timed["floor", "fwd"] = numpy_floor(n)
    # All engines are timed round-robin, so load from elsewhere hits them alike.
    t = {k: v / n for k, v in measure_many(timed, **settings).items()}

    rows = []
    for name, *fns in engines:
        if not fns:
            rows.append([name, "n/a (not installed)", "n/a", ""])
            continue
        fwd, both = t[name, "fwd"], t[name, "both"]
        rows.append([name + marks[name], fmt_us(fwd), fmt_us(both), fmt_us(both - fwd)])
    rows.append(["NumPy, no AD (floor)", fmt_us(t["floor", "fwd"]), "", ""])

    header = ["engine", "forward µs/op", "forward+backward µs/op", "backward µs/op (difference)"]
    print(markdown_table(header, rows))
    print("\n✗ = gradient differs from the exact one.")


if __name__ == "__main__":
    main()
