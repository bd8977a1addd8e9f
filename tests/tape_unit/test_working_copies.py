"""What a function run on the tape gets for a differentiated argument.

It gets a tensor that is not the leaf, so that it may write into it as NumPy code
does. For a top-level array or float argument (srcad's own copy: ``arguments.prepare``)
that tensor lives on the leaf's memory and has the leaf's accumulator as its edge (no
node of its own); for a user's tensor, an array inside a list or an item of ``*args``
(memory the caller shares) it is a clone. Either way: the caller's values never change,
and the gradient is source mode's (hand-derived where source mode refuses).
"""

import numpy as np
import pytest

import srcad


def writes_first(x):
    x[0] = x[1] * 2.0
    x[2] += x[0]
    return np.sum(x * x)


def scales_in_place(x):
    y = x * 3.0
    x *= 2.0
    return np.sum(x * y)


def writes_into_list(xs):
    xs[0][0] = 5.0
    return np.sum(xs[0] * xs[1])


def writes_star(*xs):
    xs[0][1] = 7.0
    return np.sum(xs[0] * xs[0])


def writes_tensor(x):
    x[0] = 10.0
    return (x * x).sum()


@pytest.mark.parametrize("f", [writes_first, scales_in_place])
def test_an_array_argument(f):
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    got = srcad.grad(f, mode="tape")(x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(got, srcad.grad(f, mode="source")(x), rtol=1e-12)


def test_a_list_of_arrays():
    xs = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    got = srcad.grad(writes_into_list, mode="tape")(xs)
    np.testing.assert_array_equal(xs[0], [1.0, 2.0])
    np.testing.assert_allclose(got[0], [0.0, 4.0])  # x0[0] was overwritten
    np.testing.assert_allclose(got[1], [5.0, 2.0])


def test_an_item_of_star_args():
    a = np.array([1.0, 2.0])
    got = srcad.grad(writes_star, mode="tape")(a)
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_allclose(got, [2.0, 0.0])


@pytest.mark.parametrize("requires_grad", [False, True])
def test_a_users_tensor(requires_grad):
    t = srcad.tensor([1.0, 2.0, 3.0], requires_grad=requires_grad)
    got = srcad.grad(writes_tensor, mode="tape")(t)
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.asarray(got), [0.0, 4.0, 6.0])


def test_a_float_argument_rebinds():
    def f(a, b):
        s = a
        s += b
        return s * a

    np.testing.assert_allclose(srcad.grad(f, wrt=(0, 1), mode="tape")(1.5, 0.5), (3.5, 1.5))


def test_a_vjp_pulled_twice_and_a_hook():
    x = np.array([0.3, 0.7])
    _, pullback = srcad.vjp(lambda v: np.sin(v) * v, mode="tape")(x)
    want = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(pullback(np.ones(2)), want)
    np.testing.assert_allclose(pullback(np.ones(2)), want)

    def hooked(v):
        v.register_hook(lambda g: g * 2)
        return (v * v).sum()

    np.testing.assert_allclose(srcad.grad(hooked, mode="tape")(np.array([1.0, 2.0])), [4.0, 8.0])
