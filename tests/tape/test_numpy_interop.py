"""NumPy calls on srcad tensors are recorded on the tape (API.md §2, NumPy interop).

Real PyTorch refuses all of these (E12), so there is no oracle: the expected gradients
are derived by hand and computed with plain NumPy. What NumPy cannot dispatch
(``np.array(t)``, ``float(t)`` on a tensor that requires grad) must raise PyTorch's
E12 error instead of silently dropping the gradient.
"""

import re

import numpy as np
import pytest

import srcad

E12 = re.escape("Can't call numpy() on Tensor that requires grad.")
RTOL, ATOL = 1e-5, 1e-6

X23 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)
W32 = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]], dtype=np.float32)
G22 = np.array([[1.0, 0.5], [-2.0, 1.5]], dtype=np.float32)


def leaf(a):
    return srcad.tensor(np.array(a).tolist(), requires_grad=True)


def arr(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def close(t, expected):
    np.testing.assert_allclose(arr(t), expected, rtol=RTOL, atol=ATOL)


def recorded(t, like):
    """The result of a numpy call on a tensor is a tensor on the tape."""
    assert type(t) is type(like), f"expected a srcad tensor, got {type(t).__name__}"
    assert t.requires_grad
    assert t.grad_fn is not None
    assert not t.is_leaf


def test_np_sin_recorded():
    t = leaf(X23)
    y = np.sin(t)
    recorded(y, t)
    close(y, np.sin(X23))
    y.sum().backward()
    close(t.grad, np.cos(X23))


def test_np_sin_with_upstream_gradient():
    t = leaf([0.1, 0.2, 0.3])
    g = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    np.sin(t).backward(srcad.tensor(g.tolist()))
    close(t.grad, g * np.cos(np.array([0.1, 0.2, 0.3])))


def test_np_sum_axis0():
    t = leaf(X23)
    s = np.sum(t, axis=0)
    recorded(s, t)
    assert list(s.shape) == [3]
    close(s, X23.sum(axis=0))
    g = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    s.backward(srcad.tensor(g.tolist()))
    close(t.grad, np.broadcast_to(g, X23.shape))


def test_np_sum_all():
    t = leaf(X23)
    s = np.sum(t)
    recorded(s, t)
    assert list(s.shape) == []
    s.backward()
    close(t.grad, np.ones_like(X23))


def test_np_dot_two_tensors():
    t, w = leaf(X23), leaf(W32)
    y = np.dot(t, w)
    recorded(y, t)
    close(y, X23 @ W32)
    y.backward(srcad.tensor(G22.tolist()))
    close(t.grad, G22 @ W32.T)
    close(w.grad, X23.T @ G22)


def test_np_dot_tensor_and_array():
    t = leaf(X23)
    y = np.dot(t, W32)
    recorded(y, t)
    y.backward(srcad.tensor(G22.tolist()))
    close(t.grad, G22 @ W32.T)


def test_matmul_operator_with_array():
    t = leaf(X23)
    y = t @ W32
    recorded(y, t)
    close(y, X23 @ W32)
    y.backward(srcad.tensor(G22.tolist()))
    close(t.grad, G22 @ W32.T)


def test_matmul_operator_array_on_the_left():
    w = leaf(W32)
    y = X23 @ w
    recorded(y, w)
    y.backward(srcad.tensor(G22.tolist()))
    close(w.grad, X23.T @ G22)


def test_matmul_operator_two_tensors():
    t, w = leaf(X23), leaf(W32)
    (t @ w).sum().backward()
    ones = np.ones((2, 2))
    close(t.grad, ones @ W32.T)
    close(w.grad, X23.T @ ones)


def test_numpy_written_loss():
    # API.md's example, run on the tape: loss = mean((tanh(x @ w) - y) ** 2)
    x = np.array([[0.5, -1.0], [1.5, 0.25], [-0.5, 2.0]], dtype=np.float32)
    y = np.array([0.5, -0.25, 1.0], dtype=np.float32)
    w0 = np.array([0.3, -0.7], dtype=np.float32)
    w = leaf(w0)
    p = np.tanh(x @ w)
    loss = np.mean((p - y) ** 2)
    recorded(loss, w)
    loss.backward()
    pv = np.tanh(x @ w0)
    expected = x.T @ (2 * (pv - y) / len(y) * (1 - pv**2))
    close(loss, np.mean((pv - y) ** 2))
    close(w.grad, expected)


def test_np_exp_log_chain():
    t = leaf([0.5, 1.0, 2.0])
    y = np.log(np.exp(t) + 1.0)
    recorded(y, t)
    y.sum().backward()
    v = np.array([0.5, 1.0, 2.0])
    close(t.grad, np.exp(v) / (np.exp(v) + 1.0))


def test_np_call_mixed_with_tensor_ops():
    t = leaf([1.0, 2.0])
    y = (np.sin(t) * t).sum()
    y.backward()
    v = np.array([1.0, 2.0])
    close(t.grad, np.cos(v) * v + np.sin(v))


def test_np_call_under_no_grad_is_not_recorded():
    t = leaf([1.0, 2.0])
    with srcad.no_grad():
        y = np.sin(t)
    assert not y.requires_grad
    assert y.grad_fn is None


def test_np_call_second_derivative():
    t = leaf([0.5, 1.0])
    (g,) = srcad.autograd.grad(np.sin(t).sum(), t, create_graph=True)
    (h,) = srcad.autograd.grad(g.sum(), t)
    close(h, -np.sin(np.array([0.5, 1.0])))


def test_np_array_of_tensor_requiring_grad_raises_E12():
    t = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=E12):
        np.array(t)
    with pytest.raises(RuntimeError, match=E12):
        np.asarray(t)


def test_float_of_tensor_requiring_grad_raises_E12():
    t = leaf([1.5])
    with pytest.raises(RuntimeError, match=E12):
        float(t)
    with pytest.raises(RuntimeError, match=E12):
        float(srcad.tensor(2.5, requires_grad=True) * 2)


def test_conversions_without_grad_work():
    t = srcad.tensor([1.0, 2.0])
    np.testing.assert_array_equal(np.array(t), np.array([1.0, 2.0], dtype=np.float32))
    assert float(srcad.tensor([2.5])) == 2.5
    d = leaf([3.0, 4.0]).detach()
    np.testing.assert_array_equal(np.asarray(d), np.array([3.0, 4.0], dtype=np.float32))
