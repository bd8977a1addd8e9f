"""Tensor reprs (expected strings printed by PyTorch 2.13), dtypes and factories."""

# ruff: noqa: E501  (expected strings printed by PyTorch, kept verbatim)

import math

import numpy as np
import pytest

import srcad
import srcad as T

REPRS = {
    "float16": (
        "T.tensor([1.0, 2.5], dtype=T.float16)",
        "tensor([1.0000, 2.5000], dtype=torch.float16)",
    ),
    "uint8": ("T.tensor([1, 200], dtype=T.uint8)", "tensor([  1, 200], dtype=torch.uint8)"),
    "int32_neg": (
        "T.tensor([[-1, 20], [3, 4]], dtype=T.int32)",
        "tensor([[-1, 20],\n        [ 3,  4]], dtype=torch.int32)",
    ),
    "bool_2d": (
        "T.tensor([[True, False], [False, True]])",
        "tensor([[ True, False],\n        [False,  True]])",
    ),
    "empty_bool": ("T.tensor([], dtype=T.bool)", "tensor([], dtype=torch.bool)"),
    "zeros_2x0": ("T.zeros(2, 0)", "tensor([], size=(2, 0))"),
    "sci_neg": ("T.tensor([-1e-5, 5e5])", "tensor([-1.0000e-05,  5.0000e+05])"),
    "big": ("T.tensor(123456789.)", "tensor(1.2346e+08)"),
    "small_scalar": ("T.tensor(1e-5)", "tensor(1.0000e-05)"),
    "summ_2d": (
        "T.arange(1200).view(40, 30)",
        "tensor([[   0,    1,    2,  ...,   27,   28,   29],\n        [  30,   31,   32,  ...,   57,   58,   59],\n        [  60,   61,   62,  ...,   87,   88,   89],\n        ...,\n        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n        [1170, 1171, 1172,  ..., 1197, 1198, 1199]])",
    ),
    "wide_rows": (
        "T.ones(3, 30) / 3",
        "tensor([[0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333],\n        [0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333],\n        [0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333,\n         0.3333, 0.3333, 0.3333]])",
    ),
    "inf": ("T.tensor([float('inf'), -1.5])", "tensor([    inf, -1.5000])"),
    "3d_req": (
        "T.arange(8.).view(2, 2, 2).requires_grad_()",
        "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]], requires_grad=True)",
    ),
    "f64_scalar_grad": (
        "T.tensor(2., dtype=T.float64, requires_grad=True) * 3",
        "tensor(6., dtype=torch.float64, grad_fn=<MulBackward0>)",
    ),
    "int_sum": ("T.tensor([1, 2]).sum()", "tensor(3)"),
    "neg_zero": ("T.tensor([-0.0, -2.0])", "tensor([-0., -2.])"),
    "div3": (
        "T.arange(10.).view(2, 5) / 3",
        "tensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333],\n        [1.6667, 2.0000, 2.3333, 2.6667, 3.0000]])",
    ),
    "summ_3d": (
        "T.arange(2000.).view(10, 10, 20)",
        "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.7000e+01,\n          1.8000e+01, 1.9000e+01],\n         [2.0000e+01, 2.1000e+01, 2.2000e+01,  ..., 3.7000e+01,\n          3.8000e+01, 3.9000e+01],\n         [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 5.7000e+01,\n          5.8000e+01, 5.9000e+01],\n         ...,\n         [1.4000e+02, 1.4100e+02, 1.4200e+02,  ..., 1.5700e+02,\n          1.5800e+02, 1.5900e+02],\n         [1.6000e+02, 1.6100e+02, 1.6200e+02,  ..., 1.7700e+02,\n          1.7800e+02, 1.7900e+02],\n         [1.8000e+02, 1.8100e+02, 1.8200e+02,  ..., 1.9700e+02,\n          1.9800e+02, 1.9900e+02]],\n\n        [[2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.1700e+02,\n          2.1800e+02, 2.1900e+02],\n         [2.2000e+02, 2.2100e+02, 2.2200e+02,  ..., 2.3700e+02,\n          2.3800e+02, 2.3900e+02],\n         [2.4000e+02, 2.4100e+02, 2.4200e+02,  ..., 2.5700e+02,\n          2.5800e+02, 2.5900e+02],\n         ...,\n         [3.4000e+02, 3.4100e+02, 3.4200e+02,  ..., 3.5700e+02,\n          3.5800e+02, 3.5900e+02],\n         [3.6000e+02, 3.6100e+02, 3.6200e+02,  ..., 3.7700e+02,\n          3.7800e+02, 3.7900e+02],\n         [3.8000e+02, 3.8100e+02, 3.8200e+02,  ..., 3.9700e+02,\n          3.9800e+02, 3.9900e+02]],\n\n        [[4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 4.1700e+02,\n          4.1800e+02, 4.1900e+02],\n         [4.2000e+02, 4.2100e+02, 4.2200e+02,  ..., 4.3700e+02,\n          4.3800e+02, 4.3900e+02],\n         [4.4000e+02, 4.4100e+02, 4.4200e+02,  ..., 4.5700e+02,\n          4.5800e+02, 4.5900e+02],\n         ...,\n         [5.4000e+02, 5.4100e+02, 5.4200e+02,  ..., 5.5700e+02,\n          5.5800e+02, 5.5900e+02],\n         [5.6000e+02, 5.6100e+02, 5.6200e+02,  ..., 5.7700e+02,\n          5.7800e+02, 5.7900e+02],\n         [5.8000e+02, 5.8100e+02, 5.8200e+02,  ..., 5.9700e+02,\n          5.9800e+02, 5.9900e+02]],\n\n        ...,\n\n        [[1.4000e+03, 1.4010e+03, 1.4020e+03,  ..., 1.4170e+03,\n          1.4180e+03, 1.4190e+03],\n         [1.4200e+03, 1.4210e+03, 1.4220e+03,  ..., 1.4370e+03,\n          1.4380e+03, 1.4390e+03],\n         [1.4400e+03, 1.4410e+03, 1.4420e+03,  ..., 1.4570e+03,\n          1.4580e+03, 1.4590e+03],\n         ...,\n         [1.5400e+03, 1.5410e+03, 1.5420e+03,  ..., 1.5570e+03,\n          1.5580e+03, 1.5590e+03],\n         [1.5600e+03, 1.5610e+03, 1.5620e+03,  ..., 1.5770e+03,\n          1.5780e+03, 1.5790e+03],\n         [1.5800e+03, 1.5810e+03, 1.5820e+03,  ..., 1.5970e+03,\n          1.5980e+03, 1.5990e+03]],\n\n        [[1.6000e+03, 1.6010e+03, 1.6020e+03,  ..., 1.6170e+03,\n          1.6180e+03, 1.6190e+03],\n         [1.6200e+03, 1.6210e+03, 1.6220e+03,  ..., 1.6370e+03,\n          1.6380e+03, 1.6390e+03],\n         [1.6400e+03, 1.6410e+03, 1.6420e+03,  ..., 1.6570e+03,\n          1.6580e+03, 1.6590e+03],\n         ...,\n         [1.7400e+03, 1.7410e+03, 1.7420e+03,  ..., 1.7570e+03,\n          1.7580e+03, 1.7590e+03],\n         [1.7600e+03, 1.7610e+03, 1.7620e+03,  ..., 1.7770e+03,\n          1.7780e+03, 1.7790e+03],\n         [1.7800e+03, 1.7810e+03, 1.7820e+03,  ..., 1.7970e+03,\n          1.7980e+03, 1.7990e+03]],\n\n        [[1.8000e+03, 1.8010e+03, 1.8020e+03,  ..., 1.8170e+03,\n          1.8180e+03, 1.8190e+03],\n         [1.8200e+03, 1.8210e+03, 1.8220e+03,  ..., 1.8370e+03,\n          1.8380e+03, 1.8390e+03],\n         [1.8400e+03, 1.8410e+03, 1.8420e+03,  ..., 1.8570e+03,\n          1.8580e+03, 1.8590e+03],\n         ...,\n         [1.9400e+03, 1.9410e+03, 1.9420e+03,  ..., 1.9570e+03,\n          1.9580e+03, 1.9590e+03],\n         [1.9600e+03, 1.9610e+03, 1.9620e+03,  ..., 1.9770e+03,\n          1.9780e+03, 1.9790e+03],\n         [1.9800e+03, 1.9810e+03, 1.9820e+03,  ..., 1.9970e+03,\n          1.9980e+03, 1.9990e+03]]])",
    ),
    "nan_only": ("T.tensor([float('nan')])", "tensor([nan])"),
    "zero_scalar": ("T.tensor(0.)", "tensor(0.)"),
    "long_suffix_wrap": (
        "T.arange(16., dtype=T.float64).requires_grad_() * 1.5",
        "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000],\n       dtype=torch.float64, grad_fn=<MulBackward0>)",
    ),
}


@pytest.mark.parametrize("name", list(REPRS))
def test_repr(name):
    expr, expected = REPRS[name]
    assert repr(eval(expr)) == expected  # noqa: S307 - table of expressions


def test_printoptions():
    try:
        T.set_printoptions(precision=2)
        assert repr(T.tensor([1.123, 2.0])) == "tensor([1.12, 2.00])"
        T.set_printoptions(sci_mode=False)
        assert repr(T.tensor([1e-5, 1.0])) == "tensor([0.00, 1.00])"
    finally:
        T.set_printoptions(profile="default")
    assert repr(T.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"


def test_parameter_like_subclass_repr_and_make_subclass():
    class Param(T.Tensor):
        def __new__(cls, data, requires_grad=True):
            return T.Tensor._make_subclass(cls, data, requires_grad)

    p = Param(T.ones(2))
    assert isinstance(p, T.Tensor) and type(p) is Param and p.requires_grad and p.is_leaf
    assert type(p * 2) is T.Tensor


PROMOTION = [
    # (lhs, rhs, result dtype)
    (lambda: T.tensor([1, 2]) * 2.5, "torch.float32"),
    (lambda: T.tensor([1, 2]) / T.tensor([2, 2]), "torch.float32"),
    (lambda: T.tensor([1, 2], dtype=T.int32) * 2, "torch.int32"),
    (lambda: T.tensor([1.0]) * T.tensor(2.0, dtype=T.float64), "torch.float32"),
    (lambda: T.tensor([1, 2]) * T.tensor(2.0, dtype=T.float64), "torch.float64"),
    (lambda: T.tensor([1.0]) + T.tensor([1.0], dtype=T.float64), "torch.float64"),
    (lambda: T.tensor([True]) + 1, "torch.int64"),
    (lambda: T.tensor([True]) + True, "torch.bool"),
    (lambda: T.tensor([1, 2]) ** 0.5, "torch.float32"),
    (lambda: 2.0 ** T.tensor([1, 2]), "torch.float32"),
    (lambda: T.tensor([1.0]) * np.float64(2.0), "torch.float32"),
    (lambda: T.tensor([1, 2]).exp(), "torch.float32"),
    (lambda: T.tensor([1, -2]).abs(), "torch.int64"),
    (lambda: T.tensor([1, 2], dtype=T.int32).sum(), "torch.int64"),
    (lambda: T.where(T.tensor([True, False]), T.tensor([1, 2]), 0.5), "torch.float32"),
]


@pytest.mark.parametrize("i", range(len(PROMOTION)))
def test_type_promotion(i):
    make, expected = PROMOTION[i]
    assert str(make().dtype) == expected


def test_dtypes_are_numpy_compatible():
    assert np.zeros(2, dtype=T.float64).dtype == np.float64
    assert T.float is T.float32 and T.long is T.int64 and T.double is T.float64
    assert repr(T.bool) == "torch.bool"


def test_factories_dtypes_and_values():
    assert T.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert str(T.arange(5).dtype) == "torch.int64"
    lin = T.linspace(-math.pi, math.pi, 5)
    np.testing.assert_allclose(lin.tolist(), np.linspace(-math.pi, math.pi, 5), rtol=1e-6)
    assert T.full((2,), True).dtype == T.bool
    assert T.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert T.zeros_like(T.tensor([1, 2]), dtype=T.float32).dtype == T.float32
    assert list(T.randn(2, 3, dtype=T.float64).shape) == [2, 3]
    T.manual_seed(3)
    a = T.rand(4)
    T.manual_seed(3)
    assert (a == T.rand(4)).all()
    r = T.randint(0, 3, (100,))
    assert r.dtype == T.int64 and 0 <= r.min().item() and r.max().item() < 3


def test_tensor_from_nested_tensors_and_errors():
    a = T.tensor(1.0, requires_grad=True)
    assert T.tensor([a, a * 2]).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1"):
        T.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        T.tensor([1, 2], requires_grad=True)


def test_from_numpy_shares_and_tensor_copies():
    a = np.array([1.0, 2.0])
    t = T.from_numpy(a)
    c = T.tensor(a)
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0] and c.tolist() == [1.0, 2.0]
    assert T.as_tensor(a) is not None and T.as_tensor(a).numpy() is a


def test_size_device_and_misc():
    t = T.ones(2, 3)
    assert repr(t.shape) == "torch.Size([2, 3])" and t.shape[1:] == (3,)
    assert type(t.shape[1:]).__name__ == "Size" and t.shape.numel() == 6
    assert str(t.device) == "cpu" and repr(t.device) == "device(type='cpu')"
    assert T.device("cuda:1").index == 1 and str(T.device("cuda", 0)) == "cuda:0"
    assert t.stride() == (3, 1) and t.t().stride() == (1, 3) and not t.t().is_contiguous()
    assert srcad.is_tensor(t) and not srcad.is_tensor(np.ones(2))
    assert t.type() == "torch.FloatTensor"
