"""Grad-mode decorators on generators and classes, copying and pickling tensors,
conversions."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import srcad as torch


def test_no_grad_decorator_on_generator_applies_at_each_resume():
    @torch.no_grad()
    def gen():
        yield torch.is_grad_enabled()
        yield torch.is_grad_enabled()

    g = gen()
    assert next(g) is False
    assert torch.is_grad_enabled()
    assert next(g) is False


def test_set_grad_enabled_repr_and_call():
    prev = torch.is_grad_enabled()
    ctx = torch.set_grad_enabled(False)
    assert not torch.is_grad_enabled()
    assert repr(ctx) == "torch.autograd.grad_mode.set_grad_enabled(mode=False)"
    torch.set_grad_enabled(prev)
    assert torch.is_grad_enabled()


def test_decorating_a_class_warns():
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")

        @torch.no_grad()
        class C:
            pass

    assert ws[0].category is FutureWarning


def test_inference_mode_turns_recording_off():
    x = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_deepcopy_of_leaf_and_error_for_nonleaf():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.grad.tolist() == [2.0, 2.0]
    y.data.add_(1)
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_pickle_roundtrip():
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.dtype == torch.float64 and y.requires_grad


def test_conversions():
    assert float(torch.tensor([2.5])) == 2.5
    assert int(torch.tensor(3.9)) == 3
    assert [1, 2, 3][torch.tensor(1)] == 2
    assert f"{torch.tensor(1.25):.1f}" == "1.2"
    assert np.array(torch.tensor([1, 2])).dtype == np.int64
    assert 2.0 in torch.tensor([1.0, 2.0])
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert [r.tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert hash(t) == id(t) and {t: 1}[t] == 1


def test_item_tolist_numpy_share_semantics():
    t = torch.tensor([1.0, 2.0])
    n = t.numpy()
    n[0] = 7.0
    assert t[0].item() == 7.0
    assert isinstance(torch.tensor(3).item(), int)
