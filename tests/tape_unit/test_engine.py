"""The backward engine: hooks on nodes, inputs=, freed graphs, capture, threads."""

import threading
import warnings

import numpy as np
import pytest

import srcad as torch


def test_node_pre_and_post_hooks():
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.exp()
    y.grad_fn.register_prehook(lambda go: seen.append(("pre", [g.tolist() for g in go])))
    y.grad_fn.register_hook(
        lambda gi, go: seen.append(("post", [None if g is None else g.tolist() for g in gi]))
    )
    z.sum().backward()
    e = np.exp([2.0, 4.0]).tolist()
    assert seen[0][0] == "pre"
    np.testing.assert_allclose(seen[0][1], [e], rtol=1e-6)
    assert seen[1][0] == "post"
    np.testing.assert_allclose(seen[1][1][0], 2 * np.array(e), rtol=1e-6)
    assert seen[1][1][1] is None  # the Python scalar operand


def test_post_accumulate_grad_hook_sees_updated_grad():
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert seen == [[2.0, 2.0], [5.0, 5.0]]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 1).register_post_accumulate_grad_hook(print)


def test_backward_inputs_nonleaf_gets_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (y**2).sum().backward(inputs=[y])
    assert y.retains_grad and y.grad.tolist() == [4.0, 8.0]
    assert x.grad is None


def test_autograd_grad_wrt_intermediate_and_leaf_together():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    gy, gx = torch.autograd.grad((y * y).sum(), [y, x])
    assert gy.tolist() == [6.0, 12.0] and gx.tolist() == [18.0, 36.0]


def test_materialize_grads_gives_zeros_for_unused():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.tensor([5.0], requires_grad=True)
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert gx.tolist() == [2.0, 2.0] and gz.tolist() == [0.0]


def test_E2b_for_ops_that_save_only_shapes():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for make in (
        lambda: (x + 1).sum(),
        lambda: x.mean(),
        lambda: torch.cat([x, x]).sum(),
        lambda: torch.stack([x, x]).sum(),
        lambda: x.t().reshape(4).sum(),
        lambda: x[0].sum(),
        lambda: (-x).sum(),
    ):
        y = make()
        y.backward()
        y.backward()  # nothing freed was needed


def test_E2_for_ops_that_save_values():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    for make in (
        lambda: (x * 3).sum(),
        lambda: x.exp().sum(),
        lambda: x.sigmoid().sum(),
        lambda: x[[0, 1]].sum(),
        lambda: (x**2).sum(),
        lambda: (x / 2).sum(),
    ):
        y = make()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            y.backward()


def test_retain_graph_keeps_saved_values():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_diamond_and_shared_leaf_accumulate():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a.exp()
    c = a.sin()
    (b + c * a).sum().backward()
    av = 2 * np.array([1.0, 2.0])
    expected = 2 * (np.exp(av) + np.cos(av) * av + np.sin(av))
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-5)


def test_hook_replacing_grad_of_leaf_and_handle_removal():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [30.0, 30.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["thread"] = torch.is_grad_enabled()

    with torch.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = torch.is_grad_enabled()
    assert seen == {"thread": True, "main": False}


def test_seed_dtype_is_cast_to_output_dtype():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert x.grad.dtype == torch.float32 and x.grad.tolist() == [2.0, 2.0]


def test_leaf_backward_directly():
    x = torch.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_grad_of_leaf_does_not_alias_gradient_buffers():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (x + w).sum().backward()
    x.grad.add_(5)
    assert w.grad.tolist() == [1.0, 1.0]


def test_W1_on_nonleaf_grad_access():
    y = torch.tensor([1.0], requires_grad=True) * 2
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        assert y.grad is None
    assert "not a leaf Tensor" in str(ws[0].message)
