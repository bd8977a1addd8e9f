"""One gradient step of an MLP with the data in a Dask array, on 1 and 2 worker processes.

A "step" is what a data-parallel training loop does each iteration: build the
lazy loss and gradient with ``srcad.value_and_grad`` (the weights are NumPy
arrays on the client, the data a chunked Dask array) and ``dask.compute`` them,
which brings back the loss and the weight-sized gradients.

Three settings:

* ``in memory``: the data is persisted on the workers (as training data that
  fits would be); the step is timed on a LocalCluster of 1 and of 2 worker
  processes (one thread each), with plain NumPy in this process for scale.
* ``larger than a worker's memory``: one worker with a small ``memory_limit``
  and data several times larger, generated chunk by chunk inside the graph
  (as if read from storage); the step streams the chunks, reducing each to
  weight-sized partial gradients, so it never holds the data.  The worker's
  peak memory is read from the scheduler after the step.

Every Dask gradient is compared with the NumPy gradient of the same data
(in-memory case) before it is timed.  Nothing asserts on a time.

    python benchmarks/bench_dask.py [--rows 400000] [--big-rows 2500000] [--limit 256MiB]
"""

import argparse
import os
import sys
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import srcad  # noqa: E402

FEATURES, HIDDEN = 16, 32


def loss(W1, b1, W2, X, Y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 - Y) ** 2)


step_fn = srcad.value_and_grad(loss, wrt=(0, 1, 2))


def params(seed=0):
    rng = np.random.default_rng(seed)
    return [
        0.3 * rng.normal(size=(FEATURES, HIDDEN)),
        np.zeros(HIDDEN),
        0.3 * rng.normal(size=(HIDDEN, 1)),
    ]


def lazy_data(rows, chunk, seed=2):
    """Random inputs made chunk by chunk on the workers (as if read from storage)."""
    X = da.random.RandomState(seed).normal(size=(rows, FEATURES), chunks=(chunk, FEATURES))
    return X, np.sin(X[:, :1])


def step(p, X, Y):
    return dask.compute(*step_fn(*p, X, Y))


def median_time(fn, repeat, warmup=True):
    if warmup:
        fn()  # transformation, worker imports
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def cluster(workers, limit="2GiB"):
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=limit,
        silence_logs=40,
    )


def in_memory(rows, chunk, repeat):
    p = params()
    X, Y = dask.compute(*lazy_data(rows, chunk), scheduler="sync")
    want = step_fn(*p, X, Y)
    out = {"numpy (this process)": median_time(lambda: step_fn(*p, X, Y), repeat)}
    for workers in (1, 2):
        with cluster(workers) as c, Client(c) as client:
            Xd, Yd = client.persist(list(lazy_data(rows, chunk)))
            got = step(p, Xd, Yd)
            err = max(float(np.max(np.abs(a - b))) for a, b in zip(got[1], want[1]))
            assert err < 1e-10, f"gradient differs from NumPy's by {err}"
            name = f"dask, {workers} worker{'s' * (workers > 1)}"
            out[name] = median_time(lambda Xd=Xd, Yd=Yd: step(p, Xd, Yd), repeat)
    return out


def larger_than_memory(rows, chunk, limit, repeat):
    p = params()

    with cluster(1, limit) as c, Client(c) as client:
        X, Y = lazy_data(rows, chunk)
        seconds = median_time(lambda: step(p, X, Y), repeat, warmup=False)
        mem = [w["metrics"]["memory"] for w in client.scheduler_info()["workers"].values()]
    return seconds, X.nbytes, max(mem)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--big-rows", type=int, default=2_500_000)
    ap.add_argument("--limit", default="256MiB", help="worker memory limit, larger-data case")
    ap.add_argument("--repeat", type=int, default=3, help="in-memory timings (median)")
    ap.add_argument("--big-repeat", type=int, default=1)
    args = ap.parse_args()

    print(f"dask {dask.__version__}, {os.cpu_count()} CPUs; MLP {FEATURES}-{HIDDEN}-1, float64")
    mb = args.rows * (FEATURES + 1) * 8 / 2**20
    print(
        f"\nin memory: {args.rows} rows ({mb:.0f} MiB), chunks of {args.chunk} rows, "
        f"median of {args.repeat}"
    )
    print("| where | one gradient step |\n| --- | --- |")
    for name, t in in_memory(args.rows, args.chunk, args.repeat).items():
        print(f"| {name} | {t * 1e3:.0f} ms |")
    seconds, nbytes, peak = larger_than_memory(
        args.big_rows, args.chunk, args.limit, args.big_repeat
    )
    print(
        f"\nlarger than a worker's memory: X is {nbytes / 2**20:.0f} MiB, one worker "
        f"limited to {args.limit}: one step {seconds:.2f} s, worker memory after it "
        f"{peak / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
