"""NumPy calls on tensors beyond the differential suite: ufunc methods, functions
taking lists of tensors, tape primitives called on tensors, NumPy semantics."""

import numpy as np
import pytest

import srcad as torch
from srcad.rules import tape_ops


def leaf(a, dtype=np.float64):
    return torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True)


def test_ufunc_outer_and_reduce():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0, 5.0])
    o = np.multiply.outer(a, b)
    assert o.shape == (2, 3) and o.requires_grad
    s = np.add.reduce(o, axis=1)
    s.sum().backward()
    assert a.grad.tolist() == [12.0, 12.0]
    assert b.grad.tolist() == [3.0, 3.0, 3.0]


def test_numpy_functions_on_lists_of_tensors():
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    c = np.concatenate([a, b * 2, np.array([7.0])])
    assert c.tolist() == [1.0, 2.0, 6.0, 7.0]
    (c * c).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0]
    assert b.grad.tolist() == [24.0]


def test_np_where_and_maximum_on_tensors():
    x = leaf([-1.0, 2.0, 3.0])
    y = np.where(x > 0, x**2, 0.0) + np.maximum(x, 2.5)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 4.0, 7.0]


def test_tape_primitives_dispatch_on_tensors():
    x = leaf([-1.0, 0.5, 2.0])
    y = tape_ops.relu(x) * tape_ops.sigmoid(x)
    assert type(y) is torch.Tensor and y.grad_fn is not None
    y.sum().backward()
    s = 1 / (1 + np.exp(-np.array([-1.0, 0.5, 2.0])))
    expected = (np.array([-1.0, 0.5, 2.0]) > 0) * (
        s + np.maximum([-1.0, 0.5, 2.0], 0) * s * (1 - s)
    )
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-12)


def test_numpy_semantics_keep_float64():
    x = leaf([1.0, 2.0])
    y = np.exp(x) * 2.0
    assert y.dtype == torch.float64


def test_shape_queries_return_plain_values():
    x = leaf([[1.0, 2.0, 3.0]])
    assert np.shape(x) == (1, 3)
    assert np.ndim(x) == 2
    assert np.size(x) == 3


def test_nondifferentiable_numpy_calls_return_constants():
    x = leaf([3.0, 1.0, 2.0])
    i = np.argmax(x)
    assert type(i) is torch.Tensor and not i.requires_grad and i.item() == 0
    assert x[i].item() == 3.0


def test_ndarray_on_the_left_of_operators():
    x = leaf([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x - np.array([1.0, 1.0])
    assert type(y) is torch.Tensor
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_missing_rule_is_a_clear_error():
    x = leaf([0.5, 0.25])
    with pytest.raises(RuntimeError, match="no derivative rule for i0"):
        np.i0(x)


def test_np_asarray_of_plain_tensor_shares_memory():
    t = torch.tensor([1.0, 2.0])
    a = np.asarray(t)
    a[0] = 9.0
    assert t.tolist() == [9.0, 2.0]
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        np.asarray(leaf([1.0]))


def test_out_argument_writes_into_tensor():
    t = torch.zeros(2)
    np.add(np.array([1.0, 2.0]), 1.0, out=t)
    assert t.tolist() == [2.0, 3.0] and t._version == 1
