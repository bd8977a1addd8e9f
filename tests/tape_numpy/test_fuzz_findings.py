"""What the differential fuzzer found on the tape (issue 12), as unit tests.

* Lists of tensors given to NumPy functions (``np.sum([a, b])``, ``np.maximum([a, b],
  0.1)``, ``np.add.reduce([...])``): NumPy converts the list to an array before any
  dispatch, so the tape refused ("Can't call numpy() ..."); in NumPy mode the list is
  the stacked array.
* A view taken of an array before a value being differentiated was written into the
  array (``v = z[1:]; z -= x``): the view did not require grad and the gradient through
  it was silently 0.  PyTorch's rule: a view requires grad when its base does.

References: central finite differences of the plain NumPy function (float64), and
torch 2.13 for the PyTorch-style behaviour (``import srcad as torch``).
"""

import numpy as np
import pytest

import srcad

from .fd import fd_grad

X = np.array([0.3, 0.5, -0.2])


def lists_to_reductions(x):
    a = np.sum([x[0], x[1], 2.0])
    b = np.maximum([x[0], x[1]], 0.1)
    c = np.mean([np.sum(x), x[2]])
    d = np.add.reduce([x[0], x[2] * x[1]])
    return a * np.sum(b) + c * d + np.max([x[0] ** 2, 0.05]) + np.prod((x[1], x[2], 3.0))


def list_in_a_condition(x):
    s = 0.0
    for i in range(3):
        if np.sum([x[i], x[i], 0.1]) >= 0.0:
            s = s + np.tanh(np.mean([x[i], s]))
        else:
            s = s - x[i] ** 2
    return s


def list_of_rows(x):
    r = np.stack([x, x**2])
    return np.sum(np.mean([r[0], r[1] * x[0], np.ones(3)], axis=0) ** 2)


@pytest.mark.parametrize("fn", [lists_to_reductions, list_in_a_condition, list_of_rows])
def test_lists_of_tensors_into_numpy_functions(fn):
    got = srcad.grad(fn, mode="tape")(X)
    np.testing.assert_allclose(got, fd_grad(fn, X), rtol=1e-7, atol=1e-9)


def test_numpy_functions_imported_by_name():
    from tests.tape_numpy import helpers_lists

    for fn in (helpers_lists.imported_names, helpers_lists.filled):
        got = srcad.grad(fn, mode="tape")(X)
        np.testing.assert_allclose(got, fd_grad(fn, X), rtol=1e-7, atol=1e-9)


def test_lists_still_take_concatenate_and_stack():
    def fn(x):
        c = np.concatenate([x[:2], np.ones(2), x[1:]])
        return np.sum(np.stack([x, 2 * x]) ** 2) + np.sum(c * c)

    np.testing.assert_allclose(srcad.grad(fn, mode="tape")(X), fd_grad(fn, X), rtol=1e-7)


# -- views made before the base came to require grad ------------------------------------


def view_then_update(x0):
    z = np.zeros(3)
    v = z[::-1]
    z -= x0
    return np.sum(v * v)


def view_then_rows_written(x0):
    z = np.zeros(3)
    v = z[1:]
    w = v[1:]
    z[0] = x0
    z[1] = x0 * x0
    z[2] += np.sin(x0)
    return np.sum(v * v) + np.sum(w) * x0


def view_then_write_through_other_view(x):
    h = np.zeros((2, 3))
    top, bottom = h[0], h[1]
    bottom[1:] = x[:2]
    h[0, 0] = x[2]
    return np.sum(top * bottom) + np.sum(bottom**2) + top[0] ** 3


def sample_row_written_in_loop(w):
    # the fuzzer's shrunk case: x is a view of X[0] when X[0, 0] is updated
    X = np.array([[0.5, -0.3], [0.2, 0.8], [-0.4, 0.1]])
    s = 0.0
    for i in range(3):
        x = X[i]
        z = np.dot(w, x)
        X[0, 0] -= X[0, -1] + z
        s = s + np.log(1.0 + np.exp(-z))
        w = w - 0.1 * np.tanh(z) * x
    return s


@pytest.mark.parametrize(
    "fn, x",
    [
        (view_then_update, 1.5),
        (view_then_rows_written, 0.7),
        (view_then_write_through_other_view, X),
        (sample_row_written_in_loop, np.array([0.4, -0.6])),
    ],
)
def test_view_made_before_the_base_requires_grad(fn, x):
    got = srcad.grad(fn, mode="tape")(x)
    np.testing.assert_allclose(got, fd_grad(fn, x), rtol=1e-7, atol=1e-9)


def test_pytorch_style_view_requires_grad_after_base_update():
    import srcad as torch

    x0 = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    z = torch.zeros(3, dtype=torch.float64)
    v = z[1:]
    w = v[:1]
    assert not v.requires_grad
    z[0] = x0
    z[1] = x0
    # torch 2.13: True True, and d/dx0 sum(v * v) + 3 w = 2 x0 + 3
    assert v.requires_grad and w.requires_grad
    ((v * v).sum() + 3 * w.sum()).backward()
    assert float(x0.grad) == pytest.approx(2 * 1.5 + 3.0)


def test_pytorch_style_version_error_kept():
    import srcad as torch

    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1.0
    y = b.exp()  # saves its result
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_writes_into_argument_arrays_never_reach_the_caller():
    def f(x, M):
        M[0] = x * 2.0  # recorded: M now holds values being differentiated
        M[1] += 1.0  # plain
        return np.sum(M * x) + np.sum(M[0] ** 2)

    def f_copy(x, M):
        return f(x, M.copy())

    M = np.array([[5.0, 6.0, 7.0], [1.0, 2.0, 3.0]])
    before = M.copy()
    got = srcad.grad(f, mode="tape")(X, M)
    np.testing.assert_array_equal(M, before)
    np.testing.assert_allclose(got, fd_grad(lambda v: f_copy(v, M), X), rtol=1e-7)
