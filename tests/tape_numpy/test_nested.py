"""Nested derivatives on the tape (issue 12, item 4): one level per transformation.

References: hand-derived formulas and central finite differences (float64) of
functions whose inner derivative is written out by hand, so no reference uses srcad.
"""

import numpy as np
import pytest

import srcad

from .fd import fd_grad, fd_jacobian

T = "tape"


def test_closure_over_outer_variable():
    # fun(x) = x * d/dy (x * y) = x * x  ->  d/dx = 2x
    def fun(x):
        return x * srcad.grad(lambda y: x * y, mode=T)(2.0)

    for x in (1.0, -0.7, 2.5):
        assert srcad.grad(fun, mode=T)(x) == pytest.approx(2 * x, rel=1e-12)


def test_perturbation_confusion_outer_tensor_as_inner_argument():
    # Siskind & Pearlmutter: d/dx [ x * (d/dy (x + y))|_{y=x} ] = d/dx [ x * 1 ] = 1
    def fun(x):
        return x * srcad.grad(lambda y: x + y, mode=T)(x)

    assert srcad.grad(fun, mode=T)(1.3) == pytest.approx(1.0, rel=1e-12)

    # inner argument is the outer variable: d/dx [ (d/dy x*y)|_{y=x} ] = d/dx x = 1 (not 2)
    def g(x):
        return srcad.grad(lambda y: x * y, mode=T)(x)

    assert srcad.grad(g, mode=T)(0.8) == pytest.approx(1.0, rel=1e-12)


def test_mixed_partial_sin_sin():
    def f(x, y):
        return np.sin(np.sin(x) + np.sin(y))

    def dfdy(x, y):
        return srcad.grad(f, wrt=1, mode=T)(x, y)

    for x, y in ((0.3, 0.7), (-1.1, 0.4)):
        got = srcad.grad(dfdy, mode=T)(x, y)
        want = -np.sin(np.sin(x) + np.sin(y)) * np.cos(x) * np.cos(y)
        assert got == pytest.approx(want, rel=1e-10)
        # and the other order
        got2 = srcad.grad(lambda y, x: srcad.grad(f, wrt=0, mode=T)(x, y), mode=T)(y, x)
        assert got2 == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("kind", ["dict", "list", "tuple"])
def test_gradient_of_a_container_gradient(kind):
    # g(a, b) = a^2 b + sin(b); its gradient (2ab, a^2 + cos b), then h(a) = sum of squares
    def g(c):
        a, b = (c["a"], c["b"]) if kind == "dict" else (c[0], c[1])
        return a**2 * b + np.sin(b)

    def h(a):
        c = {"a": a, "b": 0.9} if kind == "dict" else [a, 0.9]
        if kind == "tuple":
            c = tuple(c)
        gr = srcad.grad(g, mode=T)(c)
        ga, gb = (gr["a"], gr["b"]) if kind == "dict" else (gr[0], gr[1])
        return ga * ga + gb * gb

    def h_by_hand(a, b=0.9):
        return (2 * a * b) ** 2 + (a**2 + np.cos(b)) ** 2

    for a in (1.5, -0.4):
        got = srcad.grad(h, mode=T)(a)
        assert got == pytest.approx(fd_grad(h_by_hand, a), rel=1e-7)


def test_jacobian_of_jacobian():
    def F(x):
        return np.sin(x) * x[0] + x[1] ** 2

    x = np.array([0.3, 0.5, -0.2])
    got = srcad.jacobian(srcad.jacobian(F, mode=T), mode=T)(x)

    def jac_by_hand(x):  # dF_i/dx_j written out
        J = np.diag(np.cos(x) * x[0])
        J[:, 0] += np.sin(x)
        J[:, 1] += 2 * x[1]
        return J

    want = fd_jacobian(jac_by_hand, x)
    assert got.shape == (3, 3, 3)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_grad_of_grad_of_grad():
    def f(x):
        return np.exp(2.0 * x) * x

    g3 = srcad.grad(srcad.grad(srcad.grad(f, mode=T), mode=T), mode=T)
    x = 0.35
    # d^3/dx^3 (x e^{2x}) = (8x + 12) e^{2x}
    assert g3(x) == pytest.approx((8 * x + 12) * np.exp(2 * x), rel=1e-10)


def test_hessian_vector_product_inside_an_outer_grad():
    # k(a) = v . H(a x) v with f(z) = sum z^3: H = diag(6 a x) -> k = 6 a sum(x v^2)
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 0.5, -0.3])

    def k(a):
        return np.sum(srcad.hvp(lambda z: np.sum(z**3), mode=T)(a * x, v) * v)

    assert srcad.grad(k, mode=T)(1.7) == pytest.approx(6 * np.sum(x * v * v), rel=1e-10)


def test_jvp_inside_an_outer_grad():
    # q(a) = J_f(a x) t for f(z) = z^2 * a: jvp = 2 a^2 x t + ... written out by FD
    x = np.array([0.4, -0.9])
    t = np.array([1.0, 2.0])

    def q(a):
        _, jv = srcad.jvp(lambda z: z * z * a, mode=T)(a * x, t)
        return np.sum(jv * jv)

    def q_by_hand(a):
        jv = 2 * (a * x) * t * a
        return np.sum(jv * jv)

    assert srcad.grad(q, mode=T)(0.6) == pytest.approx(fd_grad(q_by_hand, 0.6), rel=1e-7)


def test_outer_results_are_plain_again():
    # after a nested run the outer gradient is an ordinary float/array
    g = srcad.grad(lambda x: x * srcad.grad(lambda y: x * y * y, mode=T)(1.0), mode=T)(2.0)
    assert isinstance(g, float) and g == pytest.approx(4 * 2.0)
