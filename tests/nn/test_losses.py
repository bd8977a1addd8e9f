"""Loss functions and modules against PyTorch 2.13: values, gradients, dtypes, errors.

Each case builds the same inputs for both libraries (NumPy arrays in), runs the
functional form and the module form with every reduction, and compares the value,
its dtype and the gradient of every input that requires grad.
"""

import numpy as np
import pytest

import srcad
import srcad.nn as snn

torch = pytest.importorskip("torch")
tnn = torch.nn
tF = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]


def pair(array, requires_grad=False):
    return (
        torch.tensor(array, requires_grad=requires_grad),
        srcad.tensor(array, requires_grad=requires_grad),
    )


def check(tout, sout, tins, sins, rtol=1e-5, atol=1e-6):
    assert str(sout.dtype) == str(tout.dtype)
    assert tuple(sout.shape) == tuple(tout.shape)
    np.testing.assert_allclose(sout.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    tout.sum().backward()
    sout.sum().backward()
    for t, s in zip(tins, sins):
        if t.requires_grad:
            np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


MIXED = [(np.float32, np.int64), (np.float32, np.float64), (np.float64, np.float32)]


@pytest.mark.parametrize("dtypes", MIXED, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_mixed_dtypes(dtypes, reduction):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(dtypes[0])
    y = (rng.standard_normal((4, 3)) * 3).astype(dtypes[1])
    tx, sx = pair(x, True)
    ty, sy = pair(y)
    check(
        tnn.MSELoss(reduction=reduction)(tx, ty),
        snn.MSELoss(reduction=reduction)(sx, sy),
        [tx],
        [sx],
    )
