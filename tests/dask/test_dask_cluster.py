"""One small ``dask.distributed.LocalCluster`` run: two worker processes.

The gradients are built lazily on the client (parameters in NumPy, data in a
Dask array scattered over the workers as chunks) and computed by the cluster;
they must equal the hand-derived and finite-difference references, and three
data-parallel descent steps must match plain NumPy descent.  The cluster is
always closed (context managers), with short timeouts.
"""

import numpy as np
import pytest

pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import dask  # noqa: E402
import dask.array as da  # noqa: E402
from dask_models import central_diff, looped, mlp_grad_by_hand, mlp_loss  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import srcad  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit="512MiB",
        silence_logs=40,
    ) as cluster:
        with Client(cluster, timeout="60s") as c:
            c.wait_for_workers(2, timeout=60)
            yield c


def test_gradients_on_two_worker_processes(client):
    assert len(client.scheduler_info()["workers"]) == 2
    rng = np.random.default_rng(11)
    X = rng.normal(size=(80, 3))
    Y = np.cos(X[:, :1])
    params = [
        0.5 * rng.normal(size=(3, 6)),
        np.zeros(6),
        0.5 * rng.normal(size=(6, 1)),
        np.zeros(1),
    ]
    Xd, Yd = client.persist([da.from_array(X, chunks=20), da.from_array(Y, chunks=20)])

    grad = srcad.grad(mlp_loss, wrt=(0, 1, 2, 3), mode="source")
    grads = grad(*params, Xd, Yd)
    assert all(isinstance(g, da.Array) for g in grads)
    for got, want in zip(dask.compute(*grads), mlp_grad_by_hand(*params, X, Y)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    W = np.eye(3) - 0.6 + 0.3 * rng.normal(size=(3, 3))
    gW = srcad.grad(looped, mode="source")(W, Xd + 0.3, 3)  # branch values: computed
    assert isinstance(gW, da.Array)
    want = central_diff(lambda w: looped(w, X + 0.3, 3), W)
    np.testing.assert_allclose(gW.compute(), want, rtol=1e-6, atol=1e-8)

    vg = srcad.value_and_grad(mlp_loss, wrt=(0, 1, 2, 3), mode="source")
    lazy, plain, losses = list(params), list(params), []
    for _ in range(2):
        loss, grads = dask.compute(*vg(*lazy, Xd, Yd))
        losses.append(float(loss))
        lazy = [p - 0.3 * g for p, g in zip(lazy, grads)]
        plain = [p - 0.3 * g for p, g in zip(plain, mlp_grad_by_hand(*plain, X, Y))]
    assert losses[1] < losses[0]
    for a, b in zip(lazy, plain):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
