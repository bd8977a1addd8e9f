"""Unary elementwise functions, clamping, elementwise maximum/minimum and ``where``."""

import operator

import numpy as np

from ...rules import tape_ops as T
from .. import dtypes as _dt
from .. import node as _node_module
from ..grad_mode import STATE
from ..names import grad_fn_name
from ..node import info, node_class
from ..tensor import (
    Tensor,
    raw,
    record,
    record_op1,
    record_unary,
    requires,
    wrap,
)
from ._base import _as_array, _default_float, with_out
from .arithmetic import arith, pow
from .promotion import _kind

__all__ = [
    "abs",
    "absolute",
    "acos",
    "arccos",
    "arcsin",
    "arctan",
    "asin",
    "atan",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "cos",
    "cosh",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "log",
    "log10",
    "log1p",
    "log2",
    "maximum",
    "minimum",
    "reciprocal",
    "relu",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "square_",
    "tan",
    "tanh",
    "trunc",
    "where",
]


def _unary(prim, float_only=True, rule_prim=None, public=None):
    """The tape op ``prim(input)`` recorded with the rule of ``rule_prim`` (or ``prim``).

    ``public`` is the name of the ``srcad.<name>`` function it serves as, which refuses a
    non-tensor ``input`` with PyTorch's TypeError (``api._tensor_first`` asks for that
    variant through ``__srcad_public__`` instead of wrapping the op in a second call).
    """
    rule = rule_prim or prim
    cls_name = grad_fn_name(rule)
    cls = node_class(cls_name)
    infos = _node_module._INFO

    def op(input):  # noqa: A002
        if public is not None and not isinstance(input, Tensor):
            raise TypeError(
                f"{public}(): argument 'input' (position 1) must be Tensor, not "
                f"{type(input).__name__}"
            )
        d = input._data
        if float_only and d.dtype.kind in "biu":
            d = d.astype(_default_float())
        out = prim(d)
        if input._rg and STATE.enabled:
            inf = infos.get(rule) or info(rule)
            if inf.written == (0,):
                return record_op1(inf, cls, input, out)
            return record_unary(inf, input, out, cls)
        return wrap(out)

    op.__name__ = public or cls_name.replace("Backward0", "").lower()
    op.__srcad_public__ = lambda name: _unary(prim, float_only, rule_prim, name)
    return op


exp = _unary(np.exp)
exp2 = _unary(np.exp2)
expm1 = _unary(np.expm1)
log = _unary(np.log)
log2 = _unary(np.log2)
log10 = _unary(np.log10)
log1p = _unary(np.log1p)
sqrt = _unary(np.sqrt)
sin = _unary(np.sin)
cos = _unary(np.cos)
tan = _unary(np.tan)
asin = arcsin = _unary(np.arcsin)
acos = arccos = _unary(np.arccos)
atan = arctan = _unary(np.arctan)
sinh = _unary(np.sinh)
cosh = _unary(np.cosh)
tanh = _unary(np.tanh)
sigmoid = _unary(T.sigmoid.impl, rule_prim=T.sigmoid)
reciprocal = _unary(np.reciprocal)
abs = absolute = _unary(np.abs, float_only=False)  # noqa: A001
relu = _unary(T.relu.impl, float_only=False, rule_prim=T.relu)
square_ = _unary(np.square, float_only=False)


def square(input):  # noqa: A002
    return pow(input, 2)


def rsqrt(input):  # noqa: A002
    return arith(operator.pow, input, -0.5, grad_fn_name("rsqrt"), eparams=(0,))


def _nondiff_unary(ufunc, keep_int=True):
    def op(input):  # noqa: A002
        return wrap(_as_array(ufunc(input._data)))

    return op


sign = _nondiff_unary(np.sign)
floor = _nondiff_unary(np.floor)
ceil = _nondiff_unary(np.ceil)
trunc = _nondiff_unary(np.trunc)


def round(input, decimals=0):  # noqa: A001,A002
    return wrap(_as_array(np.round(input._data, decimals)))


def clamp(input, min=None, max=None):  # noqa: A001,A002 - PyTorch's names
    """Limit ``input`` to ``[min, max]``; the gradient passes where it is inside (bounds
    included)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    d = input._data
    lo, hi = raw(min), raw(max)
    if d.dtype.kind in "iu" and (isinstance(lo, float) or isinstance(hi, float)):
        d = d.astype(_default_float())
    out = T.clamp.impl(d, lo, hi)
    if input._rg and STATE.enabled:
        return record(info(T.clamp), (input, min, max), out, node_class(grad_fn_name(T.clamp)))
    return wrap(out)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return _renamed(clamp(input, min=min), grad_fn_name("clamp_min"))


def clamp_max(input, max):  # noqa: A002
    return _renamed(clamp(input, max=max), grad_fn_name("clamp_max"))


def _renamed(t, name):
    if t._fn is not None:
        t._fn.__class__ = node_class(name)
    return t


@with_out("maximum")
def maximum(input, other):  # noqa: A002
    return arith(np.maximum, input, other)


@with_out("minimum")
def minimum(input, other):  # noqa: A002
    return arith(np.minimum, input, other)


def where(condition, input=None, other=None):  # noqa: A002
    """``input`` where ``condition`` holds, else ``other``."""
    c = raw(condition)
    if input is None and other is None:
        return tuple(wrap(i) for i in np.nonzero(c))
    a, b = raw(input), raw(other)
    out = np.where(c, a, b)
    # PyTorch promotes the two branches like a binary op
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        ta = input if isinstance(input, Tensor) else other
        tb = other if ta is input else input
        out = out.astype(_dt.result_type((_kind(ta), _kind(tb))), copy=False)
    if STATE.enabled and (requires(input) or requires(other)):
        inf = info(np.where)
        return record(
            inf, inf.build((condition, input, other)), out, node_class(grad_fn_name(np.where))
        )
    return wrap(out)
