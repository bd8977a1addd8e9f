"""In-place methods (``add_``, ``clamp_``, ``copy_``...) and masked/indexed selection."""

import builtins
import operator

import numpy as np

from ...rules import tape_ops as T
from ..grad_mode import STATE
from ..names import grad_fn_name
from ..node import info, node_class
from ..tensor import (
    Tensor,
    _wrap_dim,
    inplace,
    raw,
    record,
    requires,
    wrap,
)

__all__ = [
    "abs_",
    "add_",
    "clamp_",
    "clip_",
    "copy_",
    "cos_",
    "div_",
    "exp_",
    "fill_",
    "gather",
    "index_select",
    "log_",
    "masked_fill",
    "masked_fill_",
    "mul_",
    "neg_",
    "pow_",
    "reciprocal_",
    "relu_",
    "sigmoid_",
    "sin_",
    "sqrt_",
    "sub_",
    "tanh_",
    "zero_",
]


def _inplace_binary(prim):
    name = grad_fn_name(prim)

    def op(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return inplace(self, prim, (other,), name)

    return op


add_ = _inplace_binary(operator.add)
sub_ = _inplace_binary(operator.sub)
mul_ = _inplace_binary(operator.mul)


def div_(self, other, *, rounding_mode=None):
    return inplace(self, operator.truediv, (other,), grad_fn_name(operator.truediv))


def pow_(self, exponent):
    if isinstance(exponent, Tensor):
        return inplace(self, operator.pow, (exponent,), grad_fn_name("pow.Tensor_Tensor"))
    return inplace(
        self, operator.pow, (exponent,), grad_fn_name("pow.Tensor_Scalar"), eparams=(0,)
    )


def _inplace_unary(prim, rule=None):
    rule = rule or prim
    name = grad_fn_name(rule)

    def op(self):
        return inplace(self, rule, (), name, compute=prim)

    return op


exp_ = _inplace_unary(np.exp)
log_ = _inplace_unary(np.log)
sqrt_ = _inplace_unary(np.sqrt)
sin_ = _inplace_unary(np.sin)
cos_ = _inplace_unary(np.cos)
tanh_ = _inplace_unary(np.tanh)
abs_ = _inplace_unary(np.abs)
neg_ = _inplace_unary(np.negative, operator.neg)
reciprocal_ = _inplace_unary(np.reciprocal)
sigmoid_ = _inplace_unary(T.sigmoid.impl, T.sigmoid)
relu_ = _inplace_unary(T.relu.impl, T.relu)


def clamp_(self, min=None, max=None):  # noqa: A002
    return inplace(self, T.clamp, (min, max), grad_fn_name(T.clamp))


clip_ = clamp_


# Writes over the whole tensor are an index_put at ``...``: the old values then get a
# zero gradient (PyTorch materializes zeros for them, it does not leave ``.grad`` None).


def zero_(self):
    """Set every element to zero in place."""
    return inplace(
        self,
        T.index_put,
        (Ellipsis, 0),
        grad_fn_name("zero_"),
        eparams=(0,),
        compute=lambda old: np.zeros_like(old),
    )


def fill_(self, value):
    v = raw(value)
    if isinstance(value, Tensor):
        name = grad_fn_name("fill_.Tensor")
        return inplace(self, T.index_put, (Ellipsis, value), name, eparams=(0, 2))
    return inplace(self, T.index_put, (Ellipsis, v), grad_fn_name("fill_.Scalar"), eparams=(0,))


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast) into this tensor in place."""
    s = raw(src)
    if np.shape(s) != self._data.shape:
        try:
            np.broadcast_shapes(np.shape(s), self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) "
                f"must match the size of tensor b ({np.shape(s)[-1] if np.ndim(s) else 1}) "
                f"at non-singleton dimension {self._data.ndim - 1}"
            ) from None
    if hasattr(s, "shape") and _is_cupy(s) != _is_cupy(self._data):
        from ..device import device_of, to_device  # noqa: PLC0415

        s = to_device(s, device_of(self._data))
    return inplace(
        self,
        T.index_put,
        (Ellipsis, src),
        grad_fn_name(T.copy_to),
        eparams=(0, 2),
        compute=lambda old: T.copy_to.impl(old, s),
    )


def _is_cupy(a):
    return builtins.type(a).__module__.startswith("cupy")


def masked_fill(input, mask, value):  # noqa: A002
    """``input`` with ``value`` where ``mask`` is True."""
    d = input._data
    m = raw(mask)
    v = raw(value)
    out = np.where(m, v if hasattr(v, "shape") else np.full_like(d, v, shape=()), d)
    if STATE.enabled and (input._rg or requires(value)):
        inf = info(np.where)
        tensor_value = isinstance(value, Tensor)
        return record(
            inf,
            inf.build((mask, value, input)),
            out,
            node_class(
                grad_fn_name("masked_fill.Tensor" if tensor_value else "masked_fill.Scalar")
            ),
            eparams=(2, 1) if tensor_value else (2,),
        )
    return wrap(out)


def masked_fill_(self, mask, value):
    m = raw(mask)
    return inplace(
        self, T.index_put, (m, value), grad_fn_name("masked_fill.Scalar"), eparams=(0, 2)
    )


def index_select(input, dim, index):  # noqa: A002
    """Entries ``index`` along ``dim`` (a copy; repeated indices add up in backward)."""
    d = input._data
    axis = _wrap_dim(dim, d.ndim)
    i = raw(index)
    idx = (slice(None),) * axis + (i if hasattr(i, "shape") else np.asarray(i),)
    out = d[idx]
    if input._rg and STATE.enabled:
        return record(info(T.getitem), (input, idx), out, node_class(grad_fn_name("index_select")))
    return wrap(out)


def gather(input, dim, index):  # noqa: A002
    d = input._data
    axis = _wrap_dim(dim, d.ndim)
    idx = raw(index)
    out = T.take_along.impl(d, idx, axis, True)
    if input._rg and STATE.enabled:
        return record(
            info(T.take_along),
            (input, index, axis, True),
            out,
            node_class(grad_fn_name(T.take_along)),
            eparams=(0,),
        )
    return wrap(out)
