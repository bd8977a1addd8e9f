"""NumPy programs with integer data on the tape: NumPy's promotion, not PyTorch's
same-dtype rule (``float @ int8`` is a float product in NumPy; the tape raised
PyTorch's "expected m1 and m2 to have the same dtype", found by the fuzzer's
integer data), and casts to integers that carry no gradient.  Checked against central
differences; the same functions in source mode beside them."""

import numpy as np
import pytest

import srcad

from .fd import fd_grad

N = np.array([[1, -2, 3], [4, 5, -128]], dtype=np.int8)
V = np.array([3, 200, 7], dtype=np.uint8)


def products(x):
    return (
        np.sum(np.dot(x, N.T))
        + np.sum(x @ N.T)
        + np.sum(N @ x.T)
        + np.sum(np.matmul(x, V))
        + np.sum(np.einsum("ij,kj->ik", x, N))
        + np.sum(np.tensordot(x, N, axes=([1], [1])))
        + np.sum(x.dot(V))
    )


def elementwise(x):
    return np.sum(x * N) + np.sum((x - V) ** 2) + np.sum(-V * x / 100.0)


def casts(x):
    return np.sum(x.astype(np.int64) * x) + np.sum(np.sum(x * 2.6, dtype=np.int64) * x)


@pytest.mark.parametrize("f", [products, elementwise, casts])
@pytest.mark.parametrize("mode", ["tape", "source"])
def test_integer_data(f, mode):
    x = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]])
    got = srcad.grad(f, mode=mode)(x)
    np.testing.assert_allclose(got, fd_grad(f, x), rtol=1e-5, atol=1e-5)  # (values ~4e4)


def test_pytorch_style_keeps_the_dtype_rule():
    a = srcad.ones(2, 3, requires_grad=True)
    b = srcad.ones(3, 2, dtype=srcad.int64)
    with pytest.raises(RuntimeError, match="same dtype"):
        a @ b


def quadratic(x, M):
    t = M @ x
    return np.sum(t * t)


def test_forward_mode_and_hvp_through_an_integer_matrix():
    """The tape's jvp and hvp run the matmul rule inside a backward pass, where the
    int64 matrix meets float gradients: NumPy's promotion there too."""
    M = np.arange(9, dtype=np.int64).reshape(3, 3) - 4
    x, v = np.array([0.3, -0.2, 0.9]), np.array([1.0, 0.5, -1.0])
    for mode in ("tape", "source"):
        _, t = srcad.jvp(quadratic, mode=mode)(x, M, v)
        np.testing.assert_allclose(t, 2 * (M @ x) @ (M @ v), rtol=1e-12)
    np.testing.assert_allclose(srcad.hvp(quadratic, mode="tape")(x, M, v), 2 * M.T @ (M @ v))
