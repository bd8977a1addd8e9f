"""Multi-output primitives on the tape (issue 12, item 3), with their registry rules,
and NumPy functions returning views of tensors.  Reference: central finite
differences in float64 of the plain NumPy function."""

import numpy as np
import pytest

import srcad

from .fd import fd_grad

RNG = np.random.default_rng(3)
A = RNG.standard_normal((3, 3))
X6 = RNG.standard_normal(6)
X12 = RNG.standard_normal(12)


def split_pieces(x):
    a, b = np.split(x, 2)
    c = np.array_split(x, 4)
    return np.sum(a * np.sin(b)) + np.sum(c[1] ** 2) + c[3][0]


def split_unused_piece(x):
    a, _ = np.split(x, [4])
    return np.sum(a**3)


def hvd_splits(x):
    m = x.reshape(2, 2, 3)
    h = np.hsplit(m, 2)
    v = np.vsplit(m, 2)
    d = np.dsplit(m, 3)
    return np.sum(h[0] * v[1]) + np.sum(d[2] ** 2)


def eigh_values(a):
    w, _ = np.linalg.eigh(a + a.T)
    return np.sum(np.sin(w))


def eigh_vectors(a):
    w, v = np.linalg.eigh(a + a.T + 4.0 * np.eye(3))
    # sign-invariant function of the eigenvectors
    return np.sum(w**2) + np.sum((v[:, 0] ** 2) * np.arange(1.0, 4.0))


def slogdet_logabs(a):
    sign, logabs = np.linalg.slogdet(a @ a.T + np.eye(3))
    return 2.0 * logabs + sign


@pytest.mark.parametrize(
    "fn, x",
    [
        (split_pieces, X6),
        (split_unused_piece, X6),
        (hvd_splits, X12),
        (eigh_values, A),
        (eigh_vectors, A),
        (slogdet_logabs, A),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_multi_output_matches_finite_differences(fn, x):
    got = srcad.grad(fn, mode="tape")(x)
    np.testing.assert_allclose(got, fd_grad(fn, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn, x", [(split_pieces, X6), (eigh_values, A)])
def test_second_order_through_multi_output(fn, x):
    # grad of (v . grad f) on the tape vs finite differences of the tape's gradient
    v = np.linspace(0.5, -0.5, x.size).reshape(x.shape)
    gf = srcad.grad(fn, mode="tape")
    hv = srcad.grad(lambda y: np.sum(srcad.grad(fn, mode="tape")(y) * v), mode="tape")(x)
    want = fd_grad(lambda y: np.sum(gf(y) * v), x)
    np.testing.assert_allclose(hv, want, rtol=1e-5, atol=1e-6)


def svd_values(a):
    return np.sum(np.linalg.svd(a)[1] ** 2)


def test_svd_on_the_tape_matches_finite_differences():
    got = srcad.grad(svd_values, mode="tape")(A)
    np.testing.assert_allclose(got, fd_grad(svd_values, A), rtol=1e-5, atol=1e-6)


def reshape_then_write(x):
    t = x * 1.0
    r = np.reshape(t, (2, 3))
    r[0, 0] = 5.0  # a NumPy view: writes reach t
    q = np.transpose(r)
    q[2, 1] *= 3.0
    return np.sum(t * x)


def test_numpy_view_functions_are_tape_views():
    got = srcad.grad(reshape_then_write, mode="tape")(X6)
    np.testing.assert_allclose(got, fd_grad(reshape_then_write, X6), rtol=1e-7, atol=1e-8)


def test_writing_into_an_untracked_numpy_view_is_refused():
    def f(x):
        t = x * 1.0
        r = np.split(t, 3)[0]
        r[0] = 5.0
        return np.sum(t * x)

    with pytest.raises(RuntimeError, match="np.split shares memory with a tensor"):
        srcad.grad(f, mode="tape")(X6)


def test_writing_through_np_flip_is_a_tape_view():
    def f(x):
        t = x * 1.0
        r = np.flip(t)
        r[0] = 5.0 * x[1]
        return np.sum(t * x)

    np.testing.assert_allclose(
        srcad.grad(f, mode="tape")(X6), fd_grad(f, X6), rtol=1e-7, atol=1e-8
    )


def test_reading_an_untracked_numpy_view_is_right():
    def f(x):
        t = x * 2.0
        return np.sum(np.flip(t) * x) + np.sum(np.split(t, 3)[1])

    np.testing.assert_allclose(
        srcad.grad(f, mode="tape")(X6), fd_grad(f, X6), rtol=1e-7, atol=1e-8
    )
