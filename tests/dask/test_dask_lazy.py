"""Source-mode gradients on Dask arrays stay lazy and are right.

The references are independent of srcad: a hand-derived MLP gradient, central
finite differences in float64 for a function with a loop and a data-dependent
branch, and gradient descent written out in plain NumPy.  Dask runs with a
counting synchronous scheduler, so "lazy" is checked as "no graph was computed",
not only as "the result has a Dask type".
"""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from dask_harness import computes, counting_scheduler  # noqa: E402
from dask_models import (  # noqa: E402
    branches_taken,
    central_diff,
    looped,
    mlp_grad_by_hand,
    mlp_loss,
)

import srcad  # noqa: E402


@pytest.fixture(scope="module")
def mlp_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(64, 3))
    Y = np.sin(X @ np.array([[1.0], [-2.0], [0.5]]))
    params = (
        0.5 * rng.normal(size=(3, 8)),
        np.zeros(8),
        0.5 * rng.normal(size=(8, 1)),
        np.zeros(1),
    )
    return params, X, Y


@pytest.fixture(scope="module")
def loop_data():
    rng = np.random.default_rng(3)
    W = np.eye(4) - 0.6 * np.ones((4, 4)) + 0.3 * rng.normal(size=(4, 4))
    X = rng.normal(size=(20, 4)) + 0.3
    return W, X, 4


def test_mlp_grad_is_lazy_and_right(mlp_data):
    params, X, Y = mlp_data
    Xd, Yd = da.from_array(X, chunks=16), da.from_array(Y, chunks=16)
    g = srcad.grad(mlp_loss, wrt=(0, 1, 2, 3), mode="source")
    with computes(0):
        grads = g(*params, Xd, Yd)
    assert all(isinstance(t, da.Array) for t in grads)
    with computes(1):  # the whole gradient is one graph
        got = dask.compute(*grads)
    for a, b, p in zip(got, mlp_grad_by_hand(*params, X, Y), params):
        assert a.shape == p.shape and a.dtype == p.dtype
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_mlp_value_and_grad_vjp_jvp_are_lazy(mlp_data):
    params, X, Y = mlp_data
    Xd, Yd = da.from_array(X, chunks=16), da.from_array(Y, chunks=16)
    want = mlp_grad_by_hand(*params, X, Y)
    with computes(0):
        value, grads = srcad.value_and_grad(mlp_loss, wrt=(0, 2), mode="source")(*params, Xd, Yd)
        value2, pullback = srcad.vjp(mlp_loss, wrt=(0, 2), mode="source")(*params, Xd, Yd)
        vjp_grads = pullback(2.0)
        tangent = np.ones_like(params[0])
        value3, dvalue = srcad.jvp(mlp_loss, wrt=0, mode="source")(*params, Xd, Yd, tangent)
    for t in (value, *grads, value2, *vjp_grads, value3, dvalue):
        assert isinstance(t, da.Array)
    value, grads, vjp_grads, dvalue = dask.compute(value, grads, vjp_grads, dvalue)
    assert float(value) == pytest.approx(mlp_loss(*params, X, Y), rel=1e-12)
    np.testing.assert_allclose(grads[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(grads[1], want[2], rtol=1e-10)
    np.testing.assert_allclose(vjp_grads[0], 2.0 * want[0], rtol=1e-10)
    assert float(dvalue) == pytest.approx(float(np.sum(want[0] * tangent)), rel=1e-10)


def test_gradient_wrt_dask_data_is_lazy(mlp_data):
    params, X, Y = mlp_data
    Xd, Yd = da.from_array(X, chunks=16), da.from_array(Y, chunks=16)
    with computes(0):
        gX = srcad.grad(mlp_loss, wrt="X", mode="source")(*params, Xd, Yd)
    assert isinstance(gX, da.Array) and gX.chunks == Xd.chunks
    f = lambda x: mlp_loss(*params, x.reshape(X.shape), Y)
    np.testing.assert_allclose(
        gX.compute(), central_diff(f, X.ravel()).reshape(X.shape), 1e-6, 1e-9
    )


def test_python_float_parameter_gets_a_lazy_0d_gradient():
    X = np.linspace(-1.0, 1.0, 12)

    def f(a, X):
        return np.sum(np.sin(a * X))

    with computes(0):
        g = srcad.grad(f, mode="source")(0.7, da.from_array(X, chunks=4))
    assert isinstance(g, da.Array) and g.shape == ()
    assert float(g.compute()) == pytest.approx(float(np.sum(X * np.cos(0.7 * X))), rel=1e-12)
    with computes(0):
        g32 = srcad.grad(f, mode="source")(np.float32(0.7), da.from_array(X + 2.0, chunks=4))
    assert isinstance(g32, da.Array) and g32.shape == () and g32.dtype == np.float32
    want = float(np.sum((X + 2.0) * np.cos(0.7 * (X + 2.0))))
    assert float(g32.compute()) == pytest.approx(want, rel=1e-5)


def test_scalar_check_reads_only_metadata():
    def vector(w, X):
        return X @ w

    def size_one(w, X):
        return np.sum(X @ w, keepdims=True)

    Xd = da.from_array(np.ones((6, 2)), chunks=3)
    with computes(0):
        with pytest.raises(ValueError, match="must return a scalar"):
            srcad.grad(vector, mode="source")(np.ones(2), Xd)
        # a size-1 array is a scalar (shape metadata, no value read)
        g = srcad.grad(size_one, mode="source")(np.ones(2), Xd)
    np.testing.assert_allclose(g.compute(), [6.0, 6.0])


def test_loop_and_branch_grad_is_lazy_and_right(loop_data):
    W, X, n = loop_data
    taken = branches_taken(W, X, n)
    assert True in taken and False in taken, "the data must exercise both branches"
    Xd = da.from_array(X, chunks=10)
    with counting_scheduler() as counter:
        looped(W, Xd, n)
        own = counter.count  # the branch conditions the function itself computes
    assert own == n
    with counting_scheduler() as counter:
        gW, gX = srcad.grad(looped, wrt=(0, 1), mode="source")(W, Xd, n)
    assert isinstance(gW, da.Array) and isinstance(gX, da.Array)
    # Only branch conditions are computed (today the sweep reads each one twice).
    assert 0 < counter.count <= 2 * own
    gW, gX = dask.compute(gW, gX)
    np.testing.assert_allclose(gW, central_diff(lambda w: looped(w, X, n), W), 1e-6, 1e-8)
    fx = lambda x: looped(W, x.reshape(X.shape), n)
    np.testing.assert_allclose(gX, central_diff(fx, X.ravel()).reshape(X.shape), 1e-6, 1e-8)


def test_ten_data_parallel_mlp_steps_match_numpy(mlp_data):
    params, X, Y = mlp_data
    Xd, Yd = da.from_array(X, chunks=16), da.from_array(Y, chunks=16)
    vg = srcad.value_and_grad(mlp_loss, wrt=(0, 1, 2, 3), mode="source")
    lazy, plain, losses = list(params), list(params), []
    with counting_scheduler() as counter:
        for _ in range(10):
            loss, grads = dask.compute(*vg(*lazy, Xd, Yd))  # one graph per step
            lazy = [p - 0.2 * g for p, g in zip(lazy, grads)]
            losses.append(float(loss))
            plain = [p - 0.2 * g for p, g in zip(plain, mlp_grad_by_hand(*plain, X, Y))]
    assert counter.count == 10
    assert losses[-1] < losses[0]
    for a, b in zip(lazy, plain):
        assert type(a) is np.ndarray
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_ten_loop_steps_match_numpy(loop_data):
    W0, X, n = loop_data
    g = srcad.grad(looped, mode="source")
    W_lazy, W_plain = W0.copy(), W0.copy()
    Xd = da.from_array(X, chunks=10)
    with counting_scheduler():
        for _ in range(10):
            W_lazy = W_lazy - 0.01 * g(W_lazy, Xd, n).compute()
            W_plain = W_plain - 0.01 * g(W_plain, X, n)
    assert looped(W_plain, X, n) < looped(W0, X, n)
    np.testing.assert_allclose(W_lazy, W_plain, rtol=1e-9, atol=1e-12)
