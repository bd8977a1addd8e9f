"""First and second derivatives of tape ops against central finite differences.

One row per op; ``gradcheck`` checks the backward, ``gradgradcheck`` checks the
backward recorded with ``create_graph=True`` (rules running on tensors).
"""

import warnings

import numpy as np
import pytest

import srcad as torch
from srcad.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def leaf(*shape, positive=False, lo=-2.0, hi=2.0):
    a = RNG.uniform(0.5 if positive else lo, 2.0 if positive else hi, size=shape)
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


ROWS = {
    "exp": (lambda a: a.exp(), [(3,)]),
    "log": (lambda a: a.log(), [("+", 3)]),
    "sqrt": (lambda a: a.sqrt(), [("+", 3)]),
    "sin_cos": (lambda a: a.sin() * a.cos(), [(2, 3)]),
    "tanh": (lambda a: a.tanh(), [(4,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(4,)]),
    "relu_squared": (lambda a: a.relu() ** 2, [(5,)]),
    "abs_cubed": (lambda a: a.abs() ** 3, [(5,)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.7) * a, [(6,)]),
    "pow_tensor": (lambda a, b: a**b, [("+", 3), (3,)]),
    "rpow": (lambda a: 2.0**a, [(3,)]),
    "div": (lambda a, b: a / b, [(2, 3), ("+", 3)]),
    "rdiv": (lambda a: 1.5 / a, [("+", 3)]),
    "sub_broadcast": (lambda a, b: (a - b) ** 2, [(3, 1), (4,)]),
    "sum_dim": (lambda a: a.sum(1) ** 2, [(2, 3)]),
    "mean_keepdim": (lambda a: a * a.mean(0, keepdim=True), [(3, 2)]),
    "max_all": (lambda a: a.max() * a, [(4,)]),
    "max_dim": (lambda a: a.max(1).values ** 2, [(3, 4)]),
    "min_dim": (lambda a: a.min(0, keepdim=True).values * a, [(3, 4)]),
    "amax": (lambda a: torch.amax(a, 1) ** 2, [(3, 4)]),
    "prod": (lambda a: a.prod(1), [(2, 3)]),
    "var_std": (lambda a: a.var(1) + a.std(), [(3, 4)]),
    "norm": (lambda a: a.norm() * a, [(3,)]),
    "softmax": (lambda a: a.softmax(1), [(2, 3)]),
    "log_softmax": (lambda a: a.log_softmax(0), [(2, 3)]),
    "logsumexp": (lambda a: a.logsumexp(1), [(2, 3)]),
    "cumsum": (lambda a: a.cumsum(1) ** 2, [(2, 3)]),
    "mm": (lambda a, b: a.mm(b), [(2, 3), (3, 2)]),
    "matmul_batched": (lambda a, b: (a @ b).tanh(), [(2, 2, 3), (3, 2)]),
    "mv": (lambda a, v: a @ v, [(2, 3), (3,)]),
    "dot": (lambda u, v: u.dot(v) * u, [(3,), (3,)]),
    "t_view_reshape": (lambda a: a.t().reshape(6).view(2, 3) ** 2, [(2, 3)]),
    "permute_flatten": (lambda a: a.permute(2, 0, 1).flatten() ** 2, [(2, 1, 3)]),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(0).squeeze() ** 2, [(3, 1)]),
    "expand": (lambda a: a.expand(3, 2) ** 2, [(1, 2)]),
    "index_int_slice": (lambda a: a[1, 1:] ** 3, [(3, 3)]),
    "index_list": (lambda a: a[[0, 2, 2]] ** 2, [(3,)]),
    "index_mask": (lambda a: a[a > 0] ** 2, [(5,)]),
    "gather": (lambda a: a.gather(1, torch.tensor([[0, 0], [2, 1]])) ** 2, [(2, 3)]),
    "index_select": (lambda a: a.index_select(0, torch.tensor([2, 0])) ** 2, [(3, 2)]),
    "flip": (lambda a: a.flip(0) * a, [(3,)]),
    "cat": (lambda a, b: torch.cat([a, b * b], dim=1) ** 2, [(2, 1), (2, 2)]),
    "stack": (lambda a, b: torch.stack([a, a * b]) ** 2, [(3,), (3,)]),
    "where": (lambda a, b: torch.where(a > 0, a * b, b**2), [(4,), (4,)]),
    "masked_fill": (lambda a: a.masked_fill(a > 0.5, 2.0) ** 2, [(5,)]),
    "maximum": (lambda a, b: torch.maximum(a, b) ** 2, [(4,), (4,)]),
    "clone_contiguous": (lambda a: a.t().contiguous().clone() ** 2, [(2, 3)]),
    "inplace_on_view": (lambda a: _inplace_view(a), [(4,)]),
    "setitem": (lambda a: _setitem(a), [(3,)]),
    "numpy_calls": (lambda a: np.sum(np.tanh(a) * np.exp(a), axis=0), [(2, 3)]),
}


def _inplace_view(a):
    y = a * a
    y[1:3].mul_(a[:2])
    return y


def _setitem(a):
    z = torch.zeros(2, 3, dtype=torch.float64)
    z[0] = a * a
    z[1, :2] = a[1:].exp()
    return z


def _inputs(specs):
    out = []
    for spec in specs:
        if spec[0] == "+":
            out.append(leaf(*spec[1:], positive=True))
        else:
            out.append(leaf(*spec))
    return out


@pytest.mark.parametrize("name", list(ROWS))
def test_first_derivative(name):
    fn, specs = ROWS[name]
    assert gradcheck(fn, _inputs(specs), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", list(ROWS))
def test_second_derivative(name):
    fn, specs = ROWS[name]
    assert gradgradcheck(fn, _inputs(specs), eps=1e-6, atol=1e-4, rtol=1e-3)


def test_third_derivative_of_power():
    x = torch.tensor(2.0, requires_grad=True)
    (g1,) = torch.autograd.grad(x**4, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    assert [g1.item(), g2.item(), g3.item()] == [32.0, 48.0, 48.0]


def test_backward_create_graph_accumulates_into_same_grad():
    x = torch.tensor(3.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x**3).backward(create_graph=True)
    g = x.grad
    assert type(g.grad_fn).__name__ == "CopyBackwards" and g.requires_grad
    x.grad.backward()
    assert x.grad is g and x.grad.item() == 27.0 + 18.0


def test_cast_backward_returns_the_input_dtype():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * torch.tensor([2.0, 3.0], dtype=torch.float64)
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"
    (g,) = torch.autograd.grad((y * y).sum(), x, create_graph=True)
    assert g.dtype == torch.float32 and g.tolist() == [8.0, 36.0]
    (h,) = torch.autograd.grad(g.sum(), x)
    assert h.tolist() == [8.0, 18.0]
