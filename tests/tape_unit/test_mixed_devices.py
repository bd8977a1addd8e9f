"""Tensors on two devices meeting in one operation: PyTorch's RuntimeError.

CuPy and NumPy would each raise their own TypeError (seen on a real GPU: cupy's
"Unsupported type <class 'numpy.ndarray'>"). Here the device side is the CPU
stand-in ``srcad.testing.StrictArray``, which the tape counts as a CUDA array;
tests/test_cupy.py checks the same on a GPU.
"""

import numpy as np
import pytest

import srcad
from srcad.testing import StrictArray

MSG = "Expected all tensors to be on the same device, but found at least two devices"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: b + a,
        lambda a, b: a * b,
        lambda a, b: b - a,
        lambda a, b: a / b,
        lambda a, b: a @ b,
        lambda a, b: b @ a,
        lambda a, b: srcad.add(a, b),
    ],
)
def test_mixed_devices_raise_pytorch_error(op, dtype):
    dev = srcad.tensor(StrictArray(np.arange(1.0, 4.0)), requires_grad=True)
    host = srcad.ones(3, dtype=getattr(srcad, dtype))
    assert str(dev.device) == "cuda:0" and str(host.device) == "cpu"
    with pytest.raises(RuntimeError, match=MSG):
        op(dev, host)


def test_message_names_devices_in_operand_order():
    dev = srcad.tensor(StrictArray(np.ones(2)))
    host = srcad.ones(2, dtype=srcad.float64)
    with pytest.raises(RuntimeError, match="cuda:0 and cpu!"):
        dev + host
    with pytest.raises(RuntimeError, match="cpu and cuda:0!"):
        host + dev


def test_same_device_still_differentiates():
    a = srcad.tensor(StrictArray(np.array([1.0, 2.0])), requires_grad=True)
    b = srcad.tensor(StrictArray(np.array([3.0, 5.0])))
    ((a * b).sum() + a @ b).backward()
    np.testing.assert_allclose(a.grad._data.get(), [6.0, 10.0])  # b + b


@pytest.mark.parametrize("mode", ["source", "tape"])
def test_float_argument_beside_device_arrays(mode):
    """A Python float differentiated beside device arrays (a CuPy run on a GPU raised
    in tape mode: the float's leaf was a host tensor). Formula: d/ds = sum(x*x) + 1,
    d/dx = 2*s*x."""

    def f(s, x):
        return np.sum(x * x) * s + s

    x = np.array([0.5, -1.0, 2.0])
    ds, dx = srcad.grad(f, wrt=(0, 1), mode=mode)(1.5, StrictArray(x))
    assert isinstance(dx, StrictArray)
    np.testing.assert_allclose(float(ds), np.sum(x * x) + 1.0)
    np.testing.assert_allclose(dx.get(), 2 * 1.5 * x)
