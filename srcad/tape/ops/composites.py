"""Composite functions written with the primitives: softmax, logsumexp, var, norm, cumsum."""

import builtins

import numpy as np

from ...rules import tape_ops as T
from .. import dtypes as _dt
from ..grad_mode import STATE
from ..names import grad_fn_name
from ..node import info, node_class
from ..tensor import (
    Tensor,
    _wrap_dim,
    record,
    wrap,
)
from ._base import _as_array, _default_float
from .conversions import _to_dtype
from .linalg import addmm, bmm, matmul, mm
from .reductions import _norm_dims, sum
from .shapes import cat, narrow, reshape, squeeze, t, unsqueeze
from .unary import _renamed, abs

__all__ = [
    "addcdiv",
    "addcmul",
    "baddbmm",
    "diff",
    "dist",
    "lerp",
    "linear",
    "cumprod",
    "cumsum",
    "log_softmax",
    "logsumexp",
    "norm",
    "numel",
    "softmax",
    "std",
    "var",
]


def _nn_prim(name):
    from ...rules import nn_ops  # noqa: PLC0415

    return getattr(nn_ops, name)


def _softmax_like(prim_name):
    grad_name = grad_fn_name(prim_name)

    def op(input, dim=None, dtype=None, _stacklevel=3):  # noqa: A002
        if dtype is not None:
            input = _to_dtype(input, _dt.to_dtype(dtype))
        d = input._data
        if dim is None:
            dim = 0 if d.ndim in (0, 1, 3) else 1
        axis = _wrap_dim(dim, d.ndim)
        if d.dtype.kind in "biu":
            d = d.astype(_default_float())
        prim = _nn_prim(prim_name)
        out = _as_array(prim.impl(d, axis))
        if input._rg and STATE.enabled:
            return record(info(prim), (input, axis), out, node_class(grad_name))
        return wrap(out)

    return op


softmax = _softmax_like("softmax")
log_softmax = _softmax_like("log_softmax")


def logsumexp(input, dim, keepdim=False):  # noqa: A002
    d = input._data
    axis = _norm_dims(dim, d.ndim)
    if d.dtype.kind in "biu":
        d = d.astype(_default_float())
    out = _as_array(T.logsumexp.impl(d, axis, keepdim))
    if input._rg and STATE.enabled:
        return record(
            info(T.logsumexp), (input, axis, keepdim), out, node_class(grad_fn_name(T.logsumexp))
        )
    return wrap(out)


def _var_like(f):
    name = grad_fn_name(f)

    def op(input, dim=None, unbiased=True, keepdim=False, *, correction=None):  # noqa: A002
        if isinstance(unbiased, (tuple, list)) or (
            isinstance(unbiased, int) and not isinstance(unbiased, builtins.bool)
        ):
            dim, unbiased = unbiased, True  # var(x, 0) style
        if correction is None:
            correction = 1 if unbiased else 0
        d = input._data
        axis = _norm_dims(dim, d.ndim)
        out = _as_array(f(d, axis=axis, ddof=correction, keepdims=keepdim))
        if input._rg and STATE.enabled:
            inf = info(f)
            args = inf.build((input,), {"axis": axis, "ddof": correction, "keepdims": keepdim})
            return record(inf, args, out, node_class(name))
        return wrap(out)

    return op


var = _var_like(np.var)
std = _var_like(np.std)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    d = input._data
    if p in ("fro", 2, 2.0, None) or (p in (1, float("inf"), -float("inf")) and dim is not None):
        axis = _norm_dims(dim, d.ndim)
        ord_ = None if p in ("fro", 2, 2.0, None) else p
        src = input
        if axis is None and d.ndim > 2 and ord_ is not None:
            src = reshape(input, (-1,))
        out = _as_array(np.linalg.norm(src._data, ord=ord_, axis=axis, keepdims=keepdim))
        if input._rg and STATE.enabled:
            inf = info(np.linalg.norm)
            args = inf.build((src,), {"ord": ord_, "axis": axis, "keepdims": keepdim})
            return record(inf, args, out, node_class(grad_fn_name("linalg_vector_norm")))
        return wrap(out)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    return sum(abs(input) ** p, dim, keepdim) ** (1.0 / p)


def _cumulative(f):
    name = grad_fn_name(f)

    def op(input, dim, *, dtype=None):  # noqa: A002
        d = input._data
        axis = _wrap_dim(dim, d.ndim)
        if dtype is not None:
            d = d.astype(_dt.to_dtype(dtype).np)
        elif d.dtype.kind in "biu":
            d = d.astype(np.int64)
        out = _as_array(f(d, axis=axis))
        if input._rg and STATE.enabled:
            inf = info(f)
            return record(inf, inf.build((input,), {"axis": axis}), out, node_class(name))
        return wrap(out)

    return op


cumsum = _cumulative(np.cumsum)
cumprod = _cumulative(np.cumprod)


def linear(input, weight, bias=None):  # noqa: A002
    """``input @ weight.T + bias``, recorded as PyTorch records it: ``addmm(bias, input,
    weight.t())`` for a matrix input (``mm`` without a bias); another rank is viewed as a
    matrix first and the result viewed back."""
    wt = t(weight)
    nd = input.ndim
    if nd == 2:
        return mm(input, wt) if bias is None else addmm(bias, input, wt)
    if nd == 0:
        return matmul(input, wt)
    out_features = wt.shape[1]
    lead = tuple(input.shape[:-1])
    if bias is not None:
        x2 = reshape(input, (-1, input.shape[-1]))
        return reshape(addmm(bias, x2, wt), lead + (out_features,))
    if nd == 1:
        return _renamed(squeeze(mm(unsqueeze(input, 0), wt), 0), grad_fn_name("squeeze_.dim"))
    y = mm(reshape(input, (-1, input.shape[-1])), wt)
    return _renamed(reshape(y, lead + (out_features,)), grad_fn_name("_unsafe_view"))


def lerp(input, end, weight):  # noqa: A002
    """``input + weight * (end - input)``."""
    key = "lerp.Tensor" if isinstance(weight, Tensor) else "lerp.Scalar"
    return _renamed(input + weight * (end - input), grad_fn_name(key))


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """``input + value * tensor1 * tensor2``."""
    return _renamed(input + value * (tensor1 * tensor2), grad_fn_name("addcmul"))


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """``input + value * tensor1 / tensor2``."""
    return _renamed(input + value * (tensor1 / tensor2), grad_fn_name("addcdiv"))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    prod = bmm(batch1, batch2)
    prod = prod if alpha == 1 else prod * alpha
    base = input if beta == 1 else input * beta
    return _renamed(base + prod, grad_fn_name("baddbmm"))


def dist(input, other, p=2):  # noqa: A002
    """The ``p``-norm of ``input - other``."""
    return _renamed(norm(input - other, p), grad_fn_name("dist"))


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    """The ``n``-th forward difference along ``dim``."""
    axis = _wrap_dim(dim, input.ndim)
    x = input
    if prepend is not None or append is not None:
        parts = [p for p in (prepend, x, append) if p is not None]
        x = cat(parts, axis)
    for _ in range(n):
        size = x.shape[axis]
        x = narrow(x, axis, 1, size - 1) - narrow(x, axis, 0, size - 1)
    return x


def numel(input):  # noqa: A002
    return input.numel()
