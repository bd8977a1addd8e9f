"""``srcad.insert_grad_of``, ``srcad.stop_gradient``, ``with srcad.no_grad()``, and
``print`` / ``assert`` on values that carry no gradient.

Finite differences cannot see these, so the expected gradients are given by
hand (``expected``) or as a multiple of a plain twin's gradient (``reference``).
"""

import numpy as np

import srcad

from . import expected, reference


def _sin_weighted(x, b):
    return np.sum(np.sin(x) * b)


def _square_times(a, b):
    return a * a * b


def _cube_sum(x):
    return np.sum(x**3)


def _two_uses(x, y):
    return np.sum(x * y) + np.sum(x * x)


@reference(_sin_weighted, scale={"x": 2.0})
def insert_grad_of_double(x, b):
    with srcad.insert_grad_of(x) as dx:
        dx = dx * 2.0
    return np.sum(np.sin(x) * b)


@reference(_square_times, scale={"a": 0.5})
def insert_grad_of_scalar(a, b):
    with srcad.insert_grad_of(a) as da:
        da = da * 0.5
    return a * a * b


@expected(x=lambda x: np.clip(3.0 * x**2, -0.5, 0.5))
def insert_grad_of_clip(x):
    with srcad.insert_grad_of(x) as dx:
        dx = np.clip(dx, -0.5, 0.5)
    return np.sum(x**3)


@expected(x=lambda x, y: np.ones_like(x), y=lambda x, y: x.copy())
def insert_grad_of_replace(x, y):
    with srcad.insert_grad_of(x) as dx:
        dx = dx * 0.0 + 1.0
    return np.sum(x * y) + np.sum(x * x)


@reference(_cube_sum)
def insert_grad_of_print(x):
    with srcad.insert_grad_of(x) as dx:
        print("adjoint of x:", dx)
    return np.sum(x**3)


@reference(_two_uses, scale={"y": -1.0})
def insert_grad_of_two_blocks(x, y):
    with srcad.insert_grad_of(y) as dy:
        dy = -dy
    with srcad.insert_grad_of(x) as dx:
        dx = dx * 1.0
    return np.sum(x * y) + np.sum(x * x)


@expected(a=lambda a, b: 1.0, b=lambda a, b: a)
def stop_gradient_scalar(a, b):
    return srcad.stop_gradient(a) * b + a


@expected(x=lambda x, y: x * y, y=lambda x, y: np.zeros_like(y))
def stop_gradient_array(x, y):
    return np.sum(srcad.stop_gradient(x * y) * x)


@expected(x=lambda x: x.copy())
def stop_gradient_in_loop(x):
    s = 0.0
    for t in x:
        s = s + srcad.stop_gradient(t) * t
    return s


@expected(a=lambda a: 0.0)
def stop_gradient_everything(a):
    return srcad.stop_gradient(a * a)


@expected(x=lambda x, w: 2.0 * x, w=lambda x, w: np.zeros_like(w))
def stop_gradient_assigned(x, w):
    c = srcad.stop_gradient(w * w)
    return np.sum(x * x + c)


@expected(x=lambda x, y: x * y, y=lambda x, y: np.zeros_like(y))
def no_grad_block(x, y):
    with srcad.no_grad():
        t = x * y
    return np.sum(t * x)


@expected(a=lambda a, b: 0.0, b=lambda a, b: 0.0)
def no_grad_everything(a, b):
    with srcad.no_grad():
        c = a * b
        d = c * a
    return d


@expected(a=lambda a, b: 0.0, b=lambda a, b: a * b + a * a)
def no_grad_then_active(a, b):
    with srcad.no_grad():
        c = a * b
        d = c + a * a
    return d * b


@expected(x=lambda x: 2.0 * x)
def no_grad_loop_inside(x):
    with srcad.no_grad():
        s = 0.0
        for t in x:
            s = s + t
    return np.sum(x * x) + s


def print_inactive(x, n):
    print("n =", n)
    return np.sum(x * n)


def print_shape(x):
    print("shape of x:", x.shape, len(x))
    return np.sum(x**2)


def print_in_loop(a):
    s = a
    for j in range(2):
        print("iteration", j)
        s = s * a
    return s


def assert_inactive(x, n):
    assert n > 0, "n must be positive"
    return np.sum(x) * n


def assert_shape(x):
    assert x.shape == (4,)
    return np.sum(x**2)


def assert_in_helper_call(a, k):
    assert isinstance(k, int)
    return a * (k + 1.0)
