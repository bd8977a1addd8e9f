"""NumPy functions that write into an argument (np.copyto, np.put, np.add.at, ...).

Run as plain calls they gave silently wrong gradients in both engines: the write
carried no gradient (source mode) or changed a tensor's array behind the tape.  Now
``np.copyto(dst, src)`` and its ``where=`` form are differentiated (lowered to
``dst[...] = src`` / ``np.where``; a recorded copy on the tape) and the others are
refused with the reason.  Reference: central finite differences in float64 on the
plain function.
"""

import numpy as np
import pytest

import srcad


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def copy_then_sum(x):
    np.copyto(x, x * 2.0)  # the old value is not needed afterwards
    return np.sum(x)


def copy_then_square(x):
    np.copyto(x, np.sin(x) * 2.0)
    return np.sum(x * x)


def copy_into_buffer(x):
    y = np.zeros(4)
    np.copyto(y, x * 3.0)
    return np.sum(y * x)


def copy_broadcast(x):
    y = np.zeros((2, 4))
    np.copyto(y, x)
    return np.sum(np.tanh(y) * x[0])


def copy_where(x):
    y = np.zeros(4)
    np.copyto(y, x * x, where=x > 1.0)
    return np.sum(y)


DIFFERENTIATED = [copy_then_sum, copy_then_square, copy_into_buffer, copy_broadcast, copy_where]


@pytest.mark.parametrize("mode", ["source", "tape", "auto"])
@pytest.mark.parametrize("f", DIFFERENTIATED, ids=lambda f: f.__name__)
def test_copyto_is_differentiated(f, mode):
    x = np.array([0.7, 2.5, -3.0, 0.5])
    want = fd_grad(f, x.copy())
    keep = x.copy()
    g = srcad.grad(f, mode=mode)
    for _ in range(2):  # the second call takes the cheap path
        np.testing.assert_allclose(g(x), want, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, keep)


def put(x):
    np.put(x, [0, 2], x[1:3] * 5.0)
    return np.sum(x)


def place(x):
    y = x * 1.0
    np.place(y, y > 2.0, 7.0 * x[0])
    return np.sum(y)


def putmask(x):
    y = x * 1.0
    np.putmask(y, y > 2.0, 3.0 * x)
    return np.sum(y)


def fill_diagonal(x):
    m = np.outer(x, x)
    np.fill_diagonal(m, x[0])
    return np.sum(m)


def put_along_axis(x):
    y = x * 1.0
    np.put_along_axis(y, np.array([1, 3]), x[0] * 2.0, axis=0)
    return np.sum(y)


def add_at(x):
    y = x * 1.0
    np.add.at(y, [0, 0, 1], x[2])
    return np.sum(y)


def put_method(x):
    y = x * 1.0
    y.put([0], x[3] * 2.0)
    return np.sum(y)


def copy_casting(x):
    y = np.zeros(4)
    np.copyto(y, x * x, casting="unsafe")
    return np.sum(y)


REFUSED = [put, place, putmask, fill_diagonal, put_along_axis, add_at, put_method, copy_casting]


@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
def test_other_writers_refused_in_source_mode(f):
    x = np.array([1.0, 2.5, 3.0, 0.5])
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(f, mode="source")(x)
    assert "test_numpy_writers.py" in str(info.value)


@pytest.mark.parametrize("f", [put, place, putmask, fill_diagonal, put_along_axis])
def test_other_writers_refused_on_the_tape(f):
    x = np.array([1.0, 2.5, 3.0, 0.5])
    with pytest.raises(TypeError, match="writes into its argument"):
        srcad.grad(f, mode="tape")(x)


def test_writer_on_inactive_data_still_runs():
    def f(x):
        mask = np.zeros(4)
        np.put(mask, [1, 2], 1.0)  # nothing active: no gradient to lose
        return np.sum(mask * x * x)

    x = np.array([1.0, 2.5, 3.0, 0.5])
    np.testing.assert_allclose(srcad.grad(f, mode="source")(x), fd_grad(f, x.copy()), atol=1e-8)
