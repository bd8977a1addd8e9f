"""Numbers out of arrays in NumPy programs on the tape (issue 12, item 2).

``x[0].item()``, ``x.tolist()``, ``np.float64(v)``, ``float(v)`` of a value being
differentiated keep its derivative (the source compiler's reading; PyTorch's
``item()`` detaches, and still does in PyTorch-style code); ``dtype=float`` means
float64; ``math.floor`` and the like read the number; a list holding a list of tensors
given to ``np.hstack`` is stacked, not dropped.  Before, several of these gave a
gradient of zero without a word.

Reference: central finite differences of the plain NumPy function (float64).
"""

import math

import numpy as np
import pytest

import srcad

from .fd import fd_grad

X = np.array([0.3, -0.6, 0.9])


def item_and_tolist(x):
    a, b, c = x.tolist()
    return x[0].item() * x[1] + a * b + c


def nested_tolist(x):
    M = np.outer(x, x)
    rows = M.tolist()
    return rows[0][1] * rows[2][2] + sum(rows[1])


def float64_of_values(x):
    return np.float64(x[0]) * x[1] + float(x[2]) ** 2


def numbers_are_copies(x):
    x = x.copy()
    a = float(x[0])
    b = x[1].item()
    c = np.float64(x[2])
    x[0] = 5.0  # NumPy's numbers do not follow later writes
    x[1] *= 3.0
    x[2] -= a
    return a * b * c + np.sum(x * x)


def dtype_float(x):
    z = np.zeros(3, dtype=float)
    z[0] = x[0]
    z[1:] = x[1:] * 2
    a = np.array([1, 2, 3], dtype=float)
    return np.sum(z * z) + np.sum(a * x) + np.sum(x.astype(float) ** 2)


def math_of_numbers(x):
    k = math.floor(abs(x[0]) * 2) + math.ceil(x[2]) - math.trunc(x[1])
    s = math.fsum([x[0], x[1], 2.0])
    near = math.isclose(x[0], 0.3) and math.isfinite(x[1])
    return x[k] * s + (math.degrees(x[2]) if near else 0.0)


def nested_list_in_hstack(x):
    return np.sum(np.hstack([x, [x[0], 1.0]]) ** 2) + np.sum(np.vstack([x, [x[2], x[1], 1.0]]))


@pytest.mark.parametrize(
    "fn",
    [
        item_and_tolist,
        nested_tolist,
        float64_of_values,
        numbers_are_copies,
        dtype_float,
        math_of_numbers,
        nested_list_in_hstack,
    ],
)
def test_numbers_keep_their_derivative(fn):
    np.testing.assert_allclose(
        srcad.grad(fn, mode="tape")(X), fd_grad(fn, X), rtol=1e-7, atol=1e-9
    )


def test_isinstance_and_dtypes_unchanged():
    def f(x):
        assert isinstance(1.5, float) and not isinstance(1, float)
        assert isinstance(np.float64(2.0), np.float64) and isinstance(np.float64(2.0), float)
        assert np.zeros(2, dtype=float).dtype == np.dtype("float64")
        assert np.dtype(np.float64) == np.float64
        return np.sum(x * x)

    np.testing.assert_allclose(srcad.grad(f, mode="tape")(X), 2 * X)


def test_zero_d_value_from_an_op_in_a_list():
    # the fuzzer's crash: -y of a data element is a NumPy scalar inside the tensor
    def f(w, Y):
        t = -Y[1]
        return np.sum(w * w) + 0.1 * np.sum([3.0, t]) * w[0]

    w, Y = np.array([0.5, -1.0]), np.array([0.2, 0.7])
    got = srcad.grad(f, mode="tape")(w, Y)
    np.testing.assert_allclose(got, fd_grad(lambda v: f(v, Y), w), rtol=1e-7, atol=1e-9)


def test_pytorch_style_item_still_a_number():
    import srcad as torch

    x = torch.tensor([1.5, 2.0], requires_grad=True)
    v = x[0].item()
    assert type(v) is float and v == 1.5  # torch 2.13: a Python float
    assert x.tolist() == [1.5, 2.0]


def test_einsum_and_concatenate_of_lists_still_right():
    def f(x):
        return np.sum(np.einsum("i,i->", x, x)) + np.sum(np.concatenate([x, [x[0]]]))

    np.testing.assert_allclose(srcad.grad(f, mode="tape")(X), fd_grad(f, X), rtol=1e-7)


def dtype_branches(x):
    # NumPy: every test below is true for a float64 array
    s = np.sum(x * x)
    if x.dtype == np.float64 and x.dtype == float and x.dtype == "float64":
        s = s + np.sum(np.sin(x))
    if x.dtype.kind == "f" and np.issubdtype(x.dtype, np.floating) and x.dtype != np.int64:
        s = s * 2.0
    return s


def test_dtype_comparisons_as_in_numpy():
    np.testing.assert_allclose(
        srcad.grad(dtype_branches, mode="tape")(X), fd_grad(dtype_branches, X), rtol=1e-7
    )


def test_pytorch_style_dtype_comparisons_unchanged():
    import srcad as torch

    # torch 2.13: a torch dtype is not equal to NumPy's types or names
    assert not (torch.float64 == np.float64) and torch.float64 != "float64"
    assert torch.float64 == torch.double and {torch.float64: 1}[torch.double] == 1


C = np.array([[0.2, -1.0], [0.5, 0.3], [1.1, 0.0]])
X2 = np.array([[0.3, -0.6], [0.9, 0.2], [-0.4, 1.3]])


def r_and_c(x):
    b = np.r_[x[:, 0], C[:, 1], 1:4, 2.5]
    M = np.c_[x[:, 0], C[:, 1], x[:, 1] ** 2]
    return np.sum(np.r_[x, C, x] ** 2) + np.sum(b * np.arange(b.size)) + np.sum(M**3)


def int_index_from_values(x):
    # the peer suite's test_cast_to_int: np.int64 of a differentiated value is an index
    glued = np.concatenate((x, np.ones(3)[:, None]), axis=1)
    idx = np.int64(glued[:, -1])
    assert idx.dtype == np.int64
    return np.sum(x[idx] ** 2) + np.sum(glued**2)


def reflected_mod(x):
    return np.sum(1.7 % x[:, 1] * x[:, 0]) + 2.5 % x[0, 0]


@pytest.mark.parametrize("fn", [r_and_c, int_index_from_values, reflected_mod])
def test_index_tricks_casts_and_reflected_mod(fn):
    np.testing.assert_allclose(
        srcad.grad(fn, mode="tape")(X2), fd_grad(fn, X2), rtol=1e-7, atol=1e-9
    )


def test_pytorch_style_reflected_mod():
    import srcad as torch

    # torch 2.13: 3.0 % tensor([0.5, 2.0]) == tensor([0., 1.]); 3 % tensor([2, 5]) == [1, 3]
    assert (3.0 % torch.tensor([0.5, 2.0])).tolist() == [0.0, 1.0]
    assert (3 % torch.tensor([2, 5])).tolist() == [1, 3]
