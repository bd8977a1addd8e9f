"""The tape on device arrays: ``StrictArray`` stands in for CuPy (it refuses implicit
conversion to NumPy exactly as CuPy does), so every op, rule and engine path that
would copy to the host behind the user's back fails here."""

import numpy as np
import pytest

import srcad
from srcad.tape.tensor import wrap
from srcad.testing import StrictArray


def dev(a, dtype=np.float32, rg=False):
    return wrap(StrictArray(np.asarray(a, dtype=dtype)), rg)


def _setitem(x):
    z = dev([0.0, 0.0, 0.0])
    z[0] = x[0] * 2
    z[1:] = x[1:] ** 2
    return (z * z).sum()


def _inplace_view(x):
    y = x * 1
    y[0:2].mul_(3)
    return y.sum()


CASES = {
    "arith": lambda x: ((x * 3 + 1) ** 2 / 2 - x).sum(),
    "unary": lambda x: x.exp().sin().tanh().sigmoid().relu().abs().sqrt().sum(),
    "matmul": lambda x: (x.view(3, 1) @ x.view(1, 3)).sum(),
    "reduce": lambda x: x.mean() * x.max() + x.sum(0),
    "max_dim": lambda x: x.view(1, 3).max(1).values.sum(),
    "index": lambda x: (x[1:] * x[0]).sum() + x[[0, 2, 2]].sum() + x[x > 1.5].sum(),
    "shape": lambda x: x.view(3, 1).t().reshape(3).unsqueeze(0).expand(2, 3).sum(),
    "cat_stack_where": lambda x: (
        srcad.cat([x, dev([1.0])]).sum()
        + srcad.stack([x, x]).sum()
        + srcad.where(x > 1, x, 0.0).sum()
    ),
    "clamp_softmax": lambda x: x.clamp(0.5, 2.5).sum() + x.softmax(0)[0] + x.log_softmax(0)[1],
    "gather_var": lambda x: x.view(1, 3).gather(1, dev([[2, 0]], np.int64)).sum() + x.var(),
    "setitem": _setitem,
    "inplace_view": _inplace_view,
    "numpy_calls": lambda x: np.sum(np.exp(x) * x),
}


@pytest.mark.parametrize("name", list(CASES))
def test_ops_and_backward_stay_on_device(name):
    x = dev([1.0, 2.0, 3.0], rg=True)
    y = CASES[name](x)
    assert type(y._data) is StrictArray
    y.backward()
    assert type(x.grad._data) is StrictArray
    assert x.grad.device == srcad.device("cuda:0")


def test_double_backward_on_device():
    x = dev([0.5, 1.0], rg=True)
    (g,) = srcad.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
    (h,) = srcad.autograd.grad(g.sum(), x)
    assert type(h._data) is StrictArray
    v = np.array([0.5, 1.0])
    np.testing.assert_allclose(h.tolist(), 2 * np.cos(v) - v * np.sin(v), rtol=1e-5)


def test_device_tensor_conversions():
    t = dev([1.0, 2.0])
    assert repr(t) == "tensor([1., 2.], device='cuda:0')"
    assert t.tolist() == [1.0, 2.0] and t.sum().item() == 3.0
    assert t.is_cuda and t.cpu().device == srcad.device("cpu")
    assert type(t.cpu()._data) is np.ndarray
    with pytest.raises(TypeError, match="cuda"):
        t.numpy()
    with pytest.raises(TypeError):
        np.asarray(t)
    assert type(srcad.ones_like(t)._data) is StrictArray
    assert type(srcad.zeros_like(t, dtype=srcad.float64)._data) is StrictArray


def test_function_on_device():
    class Square(srcad.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = dev([1.0, 2.0], rg=True)
    Square.apply(x).sum().backward()
    assert type(x.grad._data) is StrictArray and x.grad.tolist() == [2.0, 4.0]
