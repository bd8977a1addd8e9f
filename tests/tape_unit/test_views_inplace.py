"""In-place updates of views (CopySlices) and of bases with live views.

Expected gradients are derived by hand for each expression.
"""

import numpy as np
import pytest

import srcad as torch


def test_inplace_on_slice_of_nonleaf():
    # y = 2x; y[0:2] *= 3  ->  y = [6x0, 6x1, 2x2]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[0:2]
    v.mul_(3)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert y.tolist() == [6.0, 12.0, 6.0]
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0, 2.0]


def test_inplace_on_view_with_tensor_operand():
    # y = 2x; y[1:] *= w  ->  y = [2x0, 2x1 w0, 2x2 w1]; weights (1, 2, 3)
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor([2.0, 5.0], requires_grad=True)
    y = x * 2
    y[1:].mul_(w)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 8.0, 30.0]
    assert w.grad.tolist() == [8.0, 18.0]


def test_older_view_is_rebased_after_base_changes():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[1:]
    y.mul_(x)  # y = 2 x^2, so v = 2 x[1:]^2
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert v.tolist() == [8.0, 18.0]
    (v * v).sum().backward()  # sum 4 x^4 over x[1:]  ->  16 x^3
    assert x.grad.tolist() == [0.0, 128.0, 432.0]


def test_setitem_into_zeros_builds_a_graph():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = torch.zeros(2, 3)
    z[0] = x * 2
    z[1, 1:] = x[:2] ** 2
    assert not z.is_leaf and z.requires_grad
    assert z.tolist() == [[2.0, 4.0, 6.0], [0.0, 1.0, 4.0]]
    weights = torch.arange(6.0).view(2, 3)
    (z * weights).sum().backward()
    # d/dx: 2*[0,1,2] + [2*x0*4, 2*x1*5, 0]
    assert x.grad.tolist() == [8.0, 22.0, 4.0]


def test_setitem_overwrites_region_gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[0] = 5.0
    assert type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


def test_setitem_with_mask_and_tensor_value():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = torch.tensor(5.0, requires_grad=True)
    y = x * 1
    y[torch.tensor([True, False, True])] = w * 2
    assert y.grad_fn.name() == "IndexPutBackward0"
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]
    assert w.grad.item() == 8.0


def test_nested_views_and_transpose():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * 1
    y.t()[0].mul_(5)  # column 0 of y times 5
    (y * torch.arange(6.0).view(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0], [15.0, 4.0, 5.0]]


def test_view_of_leaf_requires_grad_rejected_but_allowed_under_no_grad():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        x[1:].add_(1)
    with torch.no_grad():
        x[0] = 10.0
        x[1:].mul_(2)
    assert x.tolist() == [10.0, 4.0, 6.0]
    assert x._version == 2 and x.is_leaf
    (x * x).sum().backward()
    assert x.grad.tolist() == [20.0, 8.0, 12.0]


def test_views_share_the_version_counter():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = x[0]
    t = x.t()
    d = x.detach()
    x.add_(1)
    assert v._version == t._version == d._version == x._version == 1
    assert x.data._version == 0


def test_saved_view_modified_raises_E6():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    y[0:1].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_expanded_tensor_cannot_be_written():
    y = (torch.tensor([1.0, 2.0], requires_grad=True) * 1).expand(3, 2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        y.add_(1)


def test_inplace_chain_gradients():
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    z = x.exp() * 1
    z.mul_(2)
    z.add_(x)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), 2 * np.exp([0.5, -1.0]) + 1, rtol=1e-6)


def test_int_result_cannot_be_written_into_long():
    t = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        t.add_(1.5)
