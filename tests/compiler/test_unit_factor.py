"""The optimizer drops the seed's ``1.0 *`` only where the other factor is a Python
float for sure (optimize.fold_unit_factors): on an int it would change the type, on
an array it would alias another name's array.  References: hand-derived gradients."""

import math

import numpy as np

import srcad


def sines(a, b):
    s = 0.0
    for i in range(30):
        s = s + a * math.sin(b * i)
    return s


def int_factors(a):
    s = 0.0
    for i in range(5):
        s = s + a * i  # d/da = sum(i) = 10, an int factor each step
    return s


def array_factor(x, w):
    return np.sum(x * w)  # d/dw = x: never the caller's array itself


def test_float_factor_is_dropped_and_right():
    g = srcad.grad(sines, wrt=(0, 1), mode="source")
    da, db = g(1.3, 0.7)
    assert "1.0 *" not in g.source and "* 1.0" not in g.source
    assert math.isclose(da, sum(math.sin(0.7 * i) for i in range(30)), rel_tol=1e-13)
    assert math.isclose(db, sum(1.3 * i * math.cos(0.7 * i) for i in range(30)), rel_tol=1e-13)


def test_int_factor_keeps_a_float_gradient():
    got = srcad.grad(int_factors, mode="source")(1.5)
    assert type(got) is float and got == 10.0


def test_array_factor_is_not_the_callers_array():
    x, w = np.array([1.0, 2.0, 3.0]), np.zeros(3)
    for _ in range(2):
        got = srcad.grad(array_factor, wrt=1, mode="source")(x, w)
        np.testing.assert_array_equal(got, x)
        assert not np.shares_memory(got, x)
        got[0] = 99.0
        assert x[0] == 1.0
