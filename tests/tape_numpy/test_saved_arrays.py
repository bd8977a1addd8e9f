"""Plain arrays the tape saves for backward are protected from later in-place changes
(issue 12, item 2).  Reference: central finite differences in float64."""

import numpy as np
import pytest

import srcad

from .fd import fd_grad

RNG = np.random.default_rng(12)
M = RNG.standard_normal((2, 3))
V = RNG.standard_normal(3)


def issue_example(m, v):
    t = np.tanh(m) + 1.0
    u = v * t.reshape(-1)[:3]
    for _ in range(3):
        t -= 0.2 * np.tanh(m)
    return np.sum(u * u) + np.sum(t)


def plain_matrix_reused(m, v):
    a = np.cos(m[:, :3])  # a plain array (m is not differentiated)
    y = a @ v
    a *= 3.0  # changes the matrix the product's backward needs
    a[0, 0] = 100.0
    return np.sum(y**2) + np.sum(a @ v)


def plain_list_stacked(m, v):
    c = np.sin(m[0])
    s = np.stack([v * 1.0, c])  # a list holding a plain array
    w = np.sum(s * s[::-1])
    c += 5.0
    return w + np.sum(c * v)


def plain_divisor(m, v):
    d = np.exp(m[1]).copy()
    q = v / d
    d[:] = 0.5
    return np.sum(q * q) + np.sum(v * d)


@pytest.mark.parametrize(
    "fn", [issue_example, plain_matrix_reused, plain_list_stacked, plain_divisor]
)
def test_matches_finite_differences(fn):
    got = srcad.grad(fn, wrt=1, mode="tape")(M, V)
    want = fd_grad(lambda v: fn(M, v), V)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_the_callers_array_is_not_changed():
    m = M.copy()
    srcad.grad(issue_example, wrt=1, mode="tape")(m, V)
    np.testing.assert_array_equal(m, M)
