"""Nested derivatives on the tape against nested finite differences (issue 12, item 4).

Every reference here is computed without srcad: the inner derivative by central
differences of the plain NumPy function, the outer one by central differences of that
(float64, steps 1e-5 inside and 1e-4 outside, so the inner rounding noise stays far
below the tolerance).  test_nested.py checks the same transformations against
hand-derived formulas.
"""

import numpy as np
import pytest

import srcad

from .fd import fd_grad, fd_jacobian

T = "tape"
IN, OUT = 1e-5, 1e-4


def close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_closure_over_the_outer_argument():
    def fun(x):
        return x * srcad.grad(lambda y: x * y, mode=T)(2.0)

    def fun_fd(x):
        return x * fd_grad(lambda y: x * y, 2.0, eps=IN)

    for x in (1.0, -0.6):
        got = srcad.grad(fun, mode=T)(x)
        close(got, fd_grad(fun_fd, x, eps=OUT))
        if x == 1.0:
            assert got == pytest.approx(2.0, rel=1e-12)


def test_mixed_partial_of_sin_sin():
    def f(x, y):
        return np.sin(np.sin(x) + np.sin(y))

    def dfdy_fd(x, y):
        return fd_grad(lambda v: f(x, v), y, eps=IN)

    for x, y in ((0.3, 0.7), (1.2, -0.5)):
        got = srcad.grad(lambda a, b: srcad.grad(f, wrt=1, mode=T)(a, b), mode=T)(x, y)
        close(got, fd_grad(lambda a, y=y: dfdy_fd(a, y), x, eps=OUT))


def _g(c):
    a, b = (c["a"], c["b"]) if isinstance(c, dict) else (c[0], c[1])
    return a**2 * b + np.sin(a * b) + np.exp(0.3 * b)


@pytest.mark.parametrize("kind", [dict, list, tuple])
def test_gradient_of_a_function_of_a_container_gradient(kind):
    def pack(a, b):
        return {"a": a, "b": b} if kind is dict else kind([a, b])

    def h(a):
        gr = srcad.grad(_g, mode=T)(pack(a, 0.9))
        assert type(gr) is kind
        ga, gb = (gr["a"], gr["b"]) if kind is dict else gr
        return ga * ga + np.sin(gb)

    def h_fd(a):
        ga = fd_grad(lambda u: _g(pack(u, 0.9)), a, eps=IN)
        gb = fd_grad(lambda v: _g(pack(a, v)), 0.9, eps=IN)
        return ga * ga + np.sin(gb)

    for a in (1.5, -0.4):
        close(srcad.grad(h, mode=T)(a), fd_grad(h_fd, a, eps=OUT))


def test_jacobian_of_jacobian():
    def F(x):
        return np.sin(x) * x[0] + np.tanh(x[1] * x)

    x = np.array([0.3, 0.5, -0.2])
    got = srcad.jacobian(srcad.jacobian(F, mode=T), mode=T)(x)
    want = fd_jacobian(lambda z: fd_jacobian(F, z, eps=IN), x, eps=OUT)
    assert got.shape == (3, 3, 3)
    close(got, want)


def numpy_inner(x, c):
    # a NumPy program: an array made inside, element writes, an update after use
    h = np.zeros(3)
    for i in range(3):
        h[i] = np.sin(x[i] * c)
    u = np.sum(h * x)
    h -= 0.5 * x * c
    return u + np.sum(h**2)


def test_grad_of_a_numpy_program_gradient():
    v = np.array([0.2, -1.0, 0.7])
    x = np.array([0.4, -0.3, 0.9])

    def outer(c):
        return np.sum(srcad.grad(numpy_inner, mode=T)(x * c, c) * v)

    def outer_fd(c):
        return np.sum(fd_grad(lambda z: numpy_inner(z, c), x * c, eps=IN) * v)

    close(srcad.grad(outer, mode=T)(0.8), fd_grad(outer_fd, 0.8, eps=OUT))


def test_value_and_grad_and_vjp_inside_grad():
    def inner(z):
        return np.sum(np.cos(z) * z[0])

    def outer(x):
        val, g = srcad.value_and_grad(inner, mode=T)(x * x)
        _, pull = srcad.vjp(lambda z: np.tanh(z) * z[1], mode=T)(x)
        return val * np.sum(g) + np.sum(pull(np.array([1.0, -2.0])) ** 2)

    def outer_fd(x):
        z = x * x
        g = fd_grad(inner, z, eps=IN)
        J = fd_jacobian(lambda u: np.tanh(u) * u[1], x, eps=IN)
        return inner(z) * np.sum(g) + np.sum((np.array([1.0, -2.0]) @ J) ** 2)

    x = np.array([0.6, -0.35])
    close(srcad.grad(outer, mode=T)(x), fd_grad(outer_fd, x, eps=OUT))


def test_inner_argument_is_the_outer_variable():
    # no perturbation confusion: d/dx [ d/dy (x * y^2) at y = x ] = d/dx 2 x^2 = 4 x
    def g(x):
        return srcad.grad(lambda y: x * y * y, mode=T)(x)

    def g_fd(x):
        return fd_grad(lambda y: x * y * y, x, eps=IN)

    close(srcad.grad(g, mode=T)(0.7), fd_grad(g_fd, 0.7, eps=OUT))
