"""Array methods whose NumPy and PyTorch meanings differ, in NumPy programs on the tape.

``x.var()``/``x.std()`` divide by n in NumPy and by n - 1 in PyTorch; ``A.max(0)`` is
the values in NumPy and (values, indices) in PyTorch; ``x.repeat(2)`` repeats each
element in NumPy and tiles in PyTorch; ``y.sort()`` sorts in place in NumPy and
returns a copy in PyTorch; ``isinstance(x, np.ndarray)`` and ``isinstance(np.sum(x),
float)`` hold in NumPy. The tape took PyTorch's meaning inside NumPy programs: five
silently wrong gradients (found running the construct corpus on the tape with device
arrays, then on NumPy ones). The reference here is central finite differences of
the function run by NumPy itself; PyTorch's meaning outside NumPy programs is
checked against NumPy's formulas with ddof=1.
"""

import numbers

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad.testing import numerical_grad


def _tape_grad(f, args, wrt):
    return srcad.grad(f, wrt=wrt, mode="tape")(*args)


def _check(f, args, wrt=0):
    got = _tape_grad(f, args, wrt)
    want = numerical_grad(f, args, wrt=wrt)
    np.testing.assert_allclose(np.asarray(got, float), want, rtol=1e-6, atol=1e-8)


def var_plain(x):
    return x.var()


def std_plain(x):
    return x.std()


def var_positional_axis(A):
    return np.sum(A.var(0) * np.arange(1.0, A.shape[1] + 1))


def std_keyword_axis(A):
    return np.sum(A.std(axis=1) ** 2)


def max_positional_axis(A):
    return np.sum(A.max(0) * np.arange(1.0, A.shape[1] + 1))


def min_positional_axis(A):
    return np.sum(A.min(1) ** 2)


def repeat_elements(x):
    return np.sum(x.repeat(2)[::4] ** 2)


def repeat_rows(A):
    return np.sum(A.repeat(2, axis=0)[1::3] ** 2)


def sort_in_place(x):
    y = x * 1.0
    y.sort()
    return y[0] * 3.0 + y[-1]


def isinstance_ndarray(x):
    if isinstance(x, np.ndarray):
        return np.sum(x * x)
    return np.sum(x)


def isinstance_float_of_sum(x):
    s = np.sum(x * x)
    if isinstance(s, float):
        return s * 2.0
    return s


def isinstance_float64_of_item(x):
    if isinstance(x[0], np.float64):
        return x[0] * np.sum(x)
    return np.sum(x)


def isinstance_float_argument(a, x):
    if isinstance(a, float):
        return a * np.sum(x)
    return np.sum(x)


def isscalar_of_sum(x):
    s = np.sum(x * x)
    if np.isscalar(s):
        return s * 3.0
    return s


def isinstance_floating_of_sum(x):
    s = np.sum(x * x)
    if isinstance(s, np.floating) and isinstance(s, np.generic):
        return s * 3.0
    return s


def issubdtype_floating(x):
    if np.issubdtype(x.dtype, np.floating) and not isinstance(x, np.number):
        return np.sum(x * x)
    return np.sum(x)


def isinstance_number_of_sum(x):  # `numbers` imported at module level (patched)
    s = np.sum(x * x)
    if isinstance(s, numbers.Real) and not isinstance(x, numbers.Number):
        return s * 3.0
    return s


def fill_method(x):
    y = np.zeros(x.shape)
    y.fill(2.0)
    return np.sum(y * x * x)


def view_shares_memory(x):  # NumPy's x.view(): the same memory (PyTorch's needs a shape)
    y = x.copy()
    v = y.view()
    v[0] = 5.0 * x[1]
    v *= 2.0
    return np.sum(y * x)


def nonzero_indices(x):  # NumPy: a tuple of index arrays; PyTorch: an (n, ndim) tensor
    (idx,) = (x > 0).nonzero()
    return np.sum(x[idx] ** 2) + float(np.sum(x.nonzero()[0])) * np.sum(x)


def shared_methods(A):  # diagonal, take, conj, real: the tape lacked them
    return (
        np.sum(A.diagonal() ** 2)
        + np.sum(A.take([0, 4]) * 3.0)
        + np.sum(A.take([1], axis=1) ** 2)
        + np.sum(A.conj() * A.real)
    )


def nonzero_of_matrix(A):
    rows, cols = (A > 0).nonzero()
    return np.sum(A[rows, cols] * (rows + 1.0)) + np.sum(A * len(rows))


VECTOR = [
    var_plain,
    std_plain,
    repeat_elements,
    sort_in_place,
    isinstance_ndarray,
    isinstance_float_of_sum,
    isinstance_float64_of_item,
    isscalar_of_sum,
    isinstance_floating_of_sum,
    issubdtype_floating,
    isinstance_number_of_sum,
    fill_method,
    nonzero_indices,
    view_shares_memory,
]
MATRIX = [
    var_positional_axis,
    std_keyword_axis,
    max_positional_axis,
    min_positional_axis,
    repeat_rows,
    nonzero_of_matrix,
    shared_methods,
]


@pytest.mark.parametrize("f", VECTOR, ids=lambda f: f.__name__)
def test_vector_methods_mean_numpy(f):
    x = np.array([0.3, -1.2, 0.8, 2.1, -0.4])
    _check(f, (x,))


@pytest.mark.parametrize("f", MATRIX, ids=lambda f: f.__name__)
def test_matrix_methods_mean_numpy(f):
    A = np.array([[0.3, -1.2, 0.8], [2.1, -0.4, 1.7], [-0.9, 0.5, 0.05], [1.1, -2.2, 0.6]])
    _check(f, (A,))


def isinstance_real_argument(a, x):
    if isinstance(a, numbers.Real):
        return a * np.sum(x)
    return np.sum(x)


def test_isinstance_of_a_float_argument():
    x = np.array([0.3, -1.2, 0.8])
    _check(isinstance_float_argument, (1.5, x), wrt=1)
    _check(isinstance_real_argument, (1.5, x), wrt=1)
    assert srcad.grad(isinstance_float_argument, mode="tape")(1.5, x) == pytest.approx(np.sum(x))
    assert srcad.grad(isinstance_real_argument, mode="tape")(1.5, x) == pytest.approx(np.sum(x))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(2, 5),
    cols=st.integers(2, 5),
    method=st.sampled_from(["var", "std", "max", "min"]),
    axis=st.sampled_from([None, 0, 1, -1]),
    spelled=st.sampled_from(["positional", "keyword"]),
    seed=st.integers(0, 2**16),
)
def test_reductions_random(rows, cols, method, axis, spelled, seed):
    A = np.random.default_rng(seed).standard_normal((rows, cols))
    call = "" if axis is None else (f"{axis}" if spelled == "positional" else f"axis={axis}")
    weights = np.random.default_rng(seed + 1).standard_normal(
        () if axis is None else (cols if axis == 0 else rows,)
    )
    namespace = {"np": np, "w": weights}
    exec(  # a module function: the tape patches its globals as for a file's
        f"def f(A):\n    return np.sum(A.{method}({call}) * w)\n", namespace
    )
    f = namespace["f"]
    _check(f, (A,))


def test_pytorch_meaning_outside_numpy_programs():
    """Tensors used the PyTorch way keep PyTorch's meanings."""
    x = np.array([0.3, -1.2, 0.8, 2.1])
    t = srcad.tensor(x, requires_grad=True)
    np.testing.assert_allclose(t.var().item(), np.var(x, ddof=1))
    np.testing.assert_allclose(t.std().item(), np.std(x, ddof=1))
    np.testing.assert_allclose(t.repeat(2).detach().numpy(), np.tile(x, 2))
    values, indices = srcad.tensor(x.reshape(2, 2)).max(0)
    np.testing.assert_array_equal(indices.numpy(), np.argmax(x.reshape(2, 2), 0))
    s = t.sort()
    np.testing.assert_allclose(s.values.detach().numpy(), np.sort(x))
    np.testing.assert_allclose(t.detach().numpy(), x)  # unchanged: a sorted copy
