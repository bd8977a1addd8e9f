"""Data-parallel training on a Dask cluster: the data in a Dask array, the weights on the client.

``srcad.value_and_grad`` turns the loss into NumPy code; given Dask arrays it
builds a Dask graph instead of computing, so one ``dask.compute`` per step runs
the loss and the whole gradient on the workers (each chunk of rows where it
lives, the partial sums reduced to weight-sized arrays) and brings back only the
gradient.  The weights stay NumPy arrays on the client and are updated there.

The same steps are then run on the NumPy data in this process; the printed
weights of both runs agree to rounding.

    python examples/distributed_mlp.py                     # a LocalCluster of 2 processes
    python examples/distributed_mlp.py --address tcp://scheduler:8786   # a real cluster

(On a real cluster the workers need NumPy and Dask, not srcad: the graph holds
only NumPy operations.)
"""

import argparse
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import srcad


def make_data(n=4000, seed=0):
    """Three noisy blobs: inputs (n, 2) and one-hot targets (n, 3), float64."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    x = centres[labels] + rng.standard_normal((n, 2))
    return x, np.eye(3)[labels]


def init_params(sizes=(2, 16, 3), seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / np.sqrt(n_in)
        params[f"w{i}"] = rng.uniform(-bound, bound, (n_in, n_out))
        params[f"b{i}"] = np.zeros(n_out)
    return params


def loss(params, x, onehot):
    """Mean cross-entropy of a one-hidden-layer tanh MLP."""
    h = np.tanh(x @ params["w0"] + params["b0"])
    logits = h @ params["w1"] + params["b1"]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=1))


loss_and_grad = srcad.value_and_grad(loss, wrt="params")


def train(params, x, onehot, steps, lr):
    """Plain gradient descent; ``x``/``onehot`` may be NumPy or Dask arrays."""
    losses = []
    for _ in range(steps):
        value, grads = loss_and_grad(params, x, onehot)  # lazy for Dask data
        value, grads = dask.compute(value, grads)  # one graph per step (no-op for NumPy)
        params = {k: p - lr * grads[k] for k, p in params.items()}
        losses.append(float(value))
    return params, losses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", help="scheduler address of an existing cluster")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--n", type=int, default=4000, help="number of samples")
    ap.add_argument("--chunk", type=int, default=1000, help="rows per chunk")
    args = ap.parse_args()

    x, onehot = make_data(args.n)
    params0 = init_params()
    if args.address:
        cluster = None
        client = Client(args.address)
    else:
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        t0 = time.perf_counter()
        # The data lives on the workers from here on; only gradients come back.
        xd, yd = client.persist(
            [
                da.from_array(x, chunks=(args.chunk, -1)),
                da.from_array(onehot, chunks=(args.chunk, -1)),
            ]
        )
        print(
            f"cluster: {len(client.scheduler_info()['workers'])} workers, "
            f"data {xd.shape} in {xd.npartitions} chunks"
        )
        value, grads = loss_and_grad(params0, xd, yd)
        kinds = {type(t).__module__.split(".")[0] for t in (value, *grads.values())}
        print(f"lazy: the loss and every gradient are {kinds} arrays until computed")
        p_dask, l_dask = train(params0, xd, yd, args.steps, args.lr)
        t_dask = time.perf_counter() - t0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    p_np, l_np = train(params0, x, onehot, args.steps, args.lr)
    print("step  loss (Dask)         loss (NumPy)")
    for i, (a, b) in enumerate(zip(l_dask, l_np)):
        print(f"{i:4d}  {a:.15f}   {b:.15f}")
    np.set_printoptions(precision=6, suppress=True)
    print("w1[:, 0] after the steps, Dask: ", p_dask["w1"][:, 0][:6])
    print("w1[:, 0] after the steps, NumPy:", p_np["w1"][:, 0][:6])
    diff = max(float(np.max(np.abs(p_dask[k] - p_np[k]))) for k in p_np)
    print(f"max |Dask - NumPy| over all weights: {diff:.2e}  ({t_dask:.1f} s on the cluster)")
    assert l_dask[-1] < l_dask[0], "the loss did not fall"
    assert diff < 1e-10, "the Dask run differs from the NumPy run"


if __name__ == "__main__":
    main()
