"""Casts to integers or bools carry no derivative (PyTorch: only floating tensors
carry gradients): a value stored into an integer array (NumPy's setitem casts
unsafely: ``N[0] = 0.7`` stores 0), and ``x.astype(int)``, ``np.asarray(x,
dtype=np.uint8)``, ``np.array(x, dtype=...)``, ``np.sum(x, dtype=int)``.

Found by the fuzzer once it drew integer data (FINDINGS W5): source mode passed the
slot's adjoint on to the stored value, and the casts' adjoints passed theirs through,
wrong gradients in reverse and forward mode.  Checked against central
differences that perturb only the differentiated argument (the integer array keeps
its dtype, so the reference casts as the function does), in every transformation.
"""

import numpy as np
import pytest

import srcad


def central(f, args, k, eps=1e-6):
    x = np.asarray(args[k], dtype=float)
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        up, dn = list(args), list(args)
        xu, xd = x.copy(), x.copy()
        xu[j] += eps
        xd[j] -= eps
        up[k] = xu if x.shape else float(xu)
        dn[k] = xd if x.shape else float(xd)
        g[j] = (f(*up) - f(*dn)) / (2 * eps)
    return g


def store_scaled(x, N):
    N = N.copy()
    N[0] = N[0] / (x * x + 1.0)  # cast: the slot no longer depends on x smoothly
    N[1:] = x * 0.5 + N[1:]
    return np.sum(np.sin(N)) + x * np.sum(N)


def store_rows(w, M):
    M = M.copy()
    M[0, :] = w * 3.7  # a row of floats into an integer matrix
    return np.sum(M * w)


def store_float32(x, F):
    F = F.copy()
    F[0] = x * x  # float32 storage: rounded, but differentiable
    return np.sum(F * 2.0)


DTYPES = [np.uint8, np.int8, np.int64, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["source", "tape"])
def test_store_into_integers(dtype, mode):
    N = np.array([3, 1, 2, 0], dtype=dtype)
    x = 0.37
    want = central(store_scaled, (x, N), 0)
    try:
        got = srcad.grad(store_scaled, mode=mode)(x, N)
    except RuntimeError as exc:  # the tape refuses a tensor written into NumPy ints
        assert mode == "tape" and "differentiated" in str(exc)
        return
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
def test_rows_value_and_grad_and_vjp(dtype):
    w = np.array([0.3, 1.2, -0.4])
    M = np.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
    want = central(store_rows, (w, M), 0)
    v, g = srcad.value_and_grad(store_rows, mode="source")(w, M)
    assert v == store_rows(w, M)
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)
    _, pullback = srcad.vjp(store_rows, mode="source")(w, M)
    np.testing.assert_allclose(pullback(1.0), want, rtol=1e-6, atol=1e-8)


def test_forward_mode():
    N = np.array([3, 1, 2, 0], dtype=np.uint8)
    x = 0.37
    want = central(store_scaled, (x, N), 0)
    _, tangent = srcad.jvp(store_scaled, mode="source")(x, N, 1.0)
    np.testing.assert_allclose(tangent, want, rtol=1e-6, atol=1e-8)


def test_float32_cast_still_flows():
    def f(x):
        return np.sum(x.astype(np.float32) * 3.0)

    np.testing.assert_allclose(srcad.grad(f, mode="source")(np.ones(3)), 3.0, rtol=1e-6)


def test_float32_storage_still_flows():
    F = np.array([1.0, 2.0], dtype=np.float32)
    got = srcad.grad(store_float32, mode="source")(0.8, F)
    np.testing.assert_allclose(got, 2.0 * 2 * 0.8, rtol=1e-6)


def cast_astype(x):
    return np.sum(np.sin(x.astype(np.int64)) * x) + np.sum(x.astype("float64") * x)


def cast_asarray(x):
    return np.sum(np.asarray(x * 3.0, dtype=np.int64) * x) + np.sum(np.asarray(x, float) ** 2)


def cast_array(x):
    return np.sum(np.array(np.abs(x) * 3.0, dtype=np.uint8) * x)


def cast_sum(x):
    return np.sum(x * 2.6, dtype=np.int64) * np.sum(x) + np.mean(x, dtype=np.float64)


def cast_bool(x):
    return np.sum(x.astype(bool) * x) + np.sum(x.astype(np.int8))


CASTS = [cast_astype, cast_asarray, cast_array, cast_sum, cast_bool]


@pytest.mark.parametrize("f", CASTS)
@pytest.mark.parametrize("mode", ["source", "tape"])
def test_casts(f, mode):
    x = np.array([0.37, 1.3, -0.8, 2.2])
    want = central(f, (x,), 0)
    np.testing.assert_allclose(srcad.grad(f, mode=mode)(x), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", CASTS)
def test_casts_forward_and_vjp(f):
    x = np.array([0.37, 1.3, -0.8, 2.2])
    want = central(f, (x,), 0)
    v = np.array([0.5, -1.0, 2.0, 0.25])
    _, tangent = srcad.jvp(f, mode="source")(x, v)
    np.testing.assert_allclose(tangent, want @ v, rtol=1e-6, atol=1e-8)
    _, pullback = srcad.vjp(f, mode="source")(x)
    np.testing.assert_allclose(pullback(1.0), want, rtol=1e-6, atol=1e-8)


def test_view_as_another_dtype_is_a_clear_refusal():
    def f(x):
        return np.sum((x * 2.6).view(np.int64) * x)

    x = np.array([0.37, 1.3])
    with pytest.raises(srcad.UnsupportedError, match="view"):
        srcad.grad(f, mode="source")(x)
    with pytest.raises(RuntimeError, match=r"view\(dtype\)"):
        srcad.grad(f, mode="tape")(x)


def int_output(x, w, N):
    for i in range(2):
        for r in N:  # rows of the integer matrix, read in a loop
            x = x * 0.9 + np.sum(w) * 0.1 + r[1] * 0.01
        N = np.array(N)  # (a new array: r still reads the old one)
        N[0, i] = x + r[i]  # a float stored into integers
    return np.sum(N * N)  # an integer value


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
@pytest.mark.parametrize("mode", ["source", "tape"])
def test_integer_valued_output(dtype, mode):
    """Every path from ``x`` to the value passes a cast into integers: the gradient is
    zero (hand-derived), in floating point.  The seed of an integer value was an
    integer, and so was every adjoint, until a float adjoint was added into one
    (fuzz seed 20032: NumPy's casting error from inside the generated code)."""
    N = np.arange(8, dtype=dtype).reshape(2, 4)
    x, w = 0.3, np.array([1.0, 2.0])
    value = int_output(x, w, N)
    v, (gx, gw) = srcad.value_and_grad(int_output, wrt=(0, 1), mode=mode)(x, w, N)
    assert v == value and np.asarray(v).dtype == np.asarray(value).dtype
    assert gx == 0.0 and isinstance(gx, float)
    assert gw.dtype == np.float64 and not gw.any()
    gx2, gw2 = srcad.grad(int_output, wrt=(0, 1), mode=mode)(x, w, N)
    assert gx2 == 0.0 and not gw2.any()
    _, pullback = srcad.vjp(int_output, wrt=(0, 1), mode=mode)(x, w, N)
    gx3, gw3 = pullback(1.0)
    assert gx3 == 0.0 and not np.asarray(gw3).any()
