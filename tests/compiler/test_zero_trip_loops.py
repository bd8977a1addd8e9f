"""Loops that run zero times, with their variable used again by a later loop.

A ``for`` at the top of a function was taken as a certain first binding of its
variable, so when a later loop saved the old value (``_stack.append(i)``) after a
first loop that ran zero times, the generated code raised ``UnboundLocalError``
(found by the jit helper's generated scalar programs).  Checked against central
finite differences for every trip count.
"""

import math

import numpy as np
import pytest

import srcad


def two_loops_one_name(a, b, n):
    s = 0.5 * b
    for i in range(n):
        s = s - 0.3 * b * i
    for i in range(3):  # noqa: B007 - the same name on purpose
        s = s * math.tanh(b)
    return s + math.sin(a)


def while_then_for(a, b, n):
    s = a
    k = 0
    while k < n:
        j = k * 0.5
        s = s * b + j
        k = k + 1
    for j in range(2):
        s = s + a * j
    return s


def array_loop_var(x, n):
    y = x * 1.0
    for row in np.zeros((n, 3)):
        y = y * 1.5 + row
    for row in np.ones((2, 3)):
        y = np.sin(y) * row
    return np.sum(y)


def _fd(f, args, k, eps=1e-6):
    up = list(args)
    dn = list(args)
    up[k] = args[k] + eps
    dn[k] = args[k] - eps
    return (f(*up) - f(*dn)) / (2 * eps)


@pytest.mark.parametrize("n", [0, 1, 3])
@pytest.mark.parametrize("f", [two_loops_one_name, while_then_for], ids=lambda f: f.__name__)
def test_scalar(f, n):
    got = srcad.grad(f, wrt=(0, 1), mode="source")(0.5, 0.7, n)
    for k in (0, 1):
        assert got[k] == pytest.approx(_fd(f, (0.5, 0.7, n), k), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("n", [0, 2])
def test_array_rows(n):
    x = np.array([0.3, -0.2, 0.9])
    got = srcad.grad(array_loop_var, mode="source")(x, n)
    want = np.zeros(3)
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1e-6
        want[j] = (array_loop_var(x + e, n) - array_loop_var(x - e, n)) / 2e-6
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
