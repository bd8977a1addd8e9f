"""What the save plan's recomputation saves: the same gradients with recomputation
on (srcad's default) and off (every loop value the backward sweep reads is pushed
on the stack), side by side in one process.

For each workload: the gradient's time (median, ``_util.measure_many``), the peak
memory the gradient call allocates (``tracemalloc``), and the pushes written in
the generated code.  Both gradients are checked equal before anything is timed.

    python benchmarks/bench_recompute.py [--quick]
"""

import argparse
import contextlib
import sys
import tracemalloc

import numpy as np

import srcad
from srcad.compiler import saveplan

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _util import markdown_table, measure_many  # noqa: E402


def rnn(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    s = 0.0
    for t in range(xs.shape[0]):
        a = np.dot(xs[t], Wx)
        b = np.dot(h, Wh)
        h = np.tanh(a + b)
        s = s + np.sum(h * h)
    return s


def per_sample(w, X, Y):
    s = 0.0
    for i in range(X.shape[0]):
        x = X[i]
        z = np.dot(w, x) * Y[i]
        e = np.exp(-z)
        s = s + np.log1p(e)
    return s


def scaled_sum(x, scales):
    s = 0.0
    for k in range(scales.shape[0]):
        y = x * scales[k]
        c = np.cos(y)
        s = s + np.sum(c * c)
    return s


def workloads(quick):
    rng = np.random.default_rng(0)
    n = 20 if quick else 50
    return {
        "RNN, np.dot, 50 steps, 64 units": (
            rnn,
            (
                0.1 * rng.normal(size=(32, 64)),
                0.1 * rng.normal(size=(64, 64)),
                rng.normal(size=(n, 32)),
            ),
        ),
        "per-sample logistic loss, 500x100": (
            per_sample,
            (
                0.1 * rng.normal(size=100),
                rng.normal(size=(500, 100)),
                np.sign(rng.normal(size=500)),
            ),
        ),
        "loop of scaled copies, 100 x 10000": (
            scaled_sum,
            (rng.normal(size=10000), rng.normal(size=100)),
        ),
    }


@contextlib.contextmanager
def recomputation(on):
    keep = saveplan.SavePlan._can_recompute
    if not on:
        saveplan.SavePlan._can_recompute = lambda *a, **k: False
    try:
        yield
    finally:
        saveplan.SavePlan._can_recompute = keep


def build(f, on, args):
    srcad.clear_cache()
    with recomputation(on):
        g = srcad.grad(f, wrt=0, mode="source")
        g(*args)  # transforms now (specialized to the shapes), under the setting
        return g, g.source.count("_stack.append(")


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def row(label, f, args):
    g_on, pushes_on = build(f, True, args)
    g_off, pushes_off = build(f, False, args)
    np.testing.assert_allclose(g_on(*args), g_off(*args), rtol=1e-10, atol=1e-12)
    times = measure_many({"on": lambda: g_on(*args), "off": lambda: g_off(*args)})
    mem_on, mem_off = peak_bytes(lambda: g_on(*args)), peak_bytes(lambda: g_off(*args))
    return [
        label,
        f"{pushes_off} → {pushes_on}",
        f"{times['off'] * 1e3:.2f} → {times['on'] * 1e3:.2f}",
        f"{mem_off / 2**20:.2f} → {mem_on / 2**20:.2f}",
        f"{mem_on / mem_off:.2f}",
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    opts = ap.parse_args()
    rows = [row(label, f, args) for label, (f, args) in workloads(opts.quick).items()]
    print(
        markdown_table(
            [
                "workload",
                "pushes in the code (off → on)",
                "ms (off → on)",
                "peak MiB (off → on)",
                "memory ratio",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
