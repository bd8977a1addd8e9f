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

    python benchmarks/bench_tape_overhead.py [--ops 1000] [--quick] [--threads N]
"""

import argparse

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="length of the chain")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--threads", type=int, help="pin BLAS and PyTorch threads")
    opts = parser.parse_args()
    pin_threads(opts.threads)
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
