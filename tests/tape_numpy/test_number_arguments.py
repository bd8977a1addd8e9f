"""A Python-float argument on the tape stands for an immutable number: ``np.asarray``
of it is a new array the program may write into without changing the number (as in
NumPy), and item assignment into the number itself is Python's TypeError.  References:
the plain function's own value, and central finite differences."""

import math

import numpy as np
import pytest

import srcad


def written_copy(a):
    v = np.asarray(a)
    v[...] = 4.0  # a new array: a is unchanged
    return a * a + v


def grown_copy(a):
    v = np.asarray(a, dtype=np.float64)
    v += 2.0
    return a * 1.5 + v * a


def item_write(a):
    a[...] = 1.0
    return a


def _fd(f, a, eps=1e-6):
    return (f(a + eps) - f(a - eps)) / (2 * eps)


@pytest.mark.parametrize("f", [written_copy, grown_copy])
@pytest.mark.parametrize("mode", ["tape", "auto"])
def test_asarray_of_a_number_is_a_new_array(f, mode):
    value, grad = srcad.value_and_grad(f, mode=mode)(0.6)
    assert math.isclose(float(value), float(f(0.6)), rel_tol=1e-15)
    assert math.isclose(float(grad), _fd(lambda a: float(f(a)), 0.6), rel_tol=1e-8)


def test_item_assignment_into_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="does not support item assignment"):
        item_write(0.6)  # plain Python
    with pytest.raises(TypeError, match="does not support item assignment"):
        srcad.grad(item_write, mode="tape")(0.6)
