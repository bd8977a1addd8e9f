"""Elementwise arithmetic, comparisons and logical ops on tensors."""

import operator

import numpy as np

from .. import cow as _cow
from .. import node as _node_module
from ..device import check_same_device
from ..grad_mode import STATE
from ..names import grad_fn_name
from ..node import info, node_class
from ..tensor import (
    Tensor,
    raw,
    record_binary,
    record_op2,
    record_unary,
    wrap,
)
from ._base import _as_array, _as_tensor, with_out
from .promotion import _broadcast_error, _fix_dtype, _needs_fix

__all__ = [
    "arctan2",
    "atan2",
    "fmod",
    "add",
    "allclose",
    "arith",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "div",
    "eq",
    "equal",
    "floor_divide",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "lt",
    "mul",
    "ne",
    "neg",
    "not_equal",
    "pow",
    "remainder",
    "sub",
]


def _operand(b):
    """``b``'s raw value, or NotImplemented for types arithmetic does not take."""
    if isinstance(b, Tensor):
        return b._data
    if isinstance(b, (int, float, bool, complex, np.generic)):
        return b
    if hasattr(b, "shape") and hasattr(b, "dtype"):
        return b
    if isinstance(b, (list, tuple)):
        return NotImplemented
    return NotImplemented


_ndarray = np.ndarray
_asarray = np.asarray


_INFO = _node_module._INFO
# 0-d operands of these dtypes are computed as NumPy scalars (see operator_op)
_SCALAR_DTYPES = frozenset({np.dtype(np.float64), np.dtype(np.float32)})
_EXACT_OPS = (operator.add, operator.sub, operator.mul, operator.truediv)
_EXACT_INT = 2**53  # a Python int up to this is exactly a float64: converted alike anywhere


def operator_op(prim, true_div=False):
    """``a <op> b`` for tensor ``a`` (``Tensor.__add__`` and kin): :func:`arith` with its
    common case spelled out.

    That case is ``b`` a tensor of ``a``'s dtype, or a Python float (or an int of at
    most 2**53 in magnitude) with ``a`` a float tensor: NumPy's result dtype is then
    PyTorch's, so nothing is promoted or checked again.  Everything else (other dtypes,
    larger ints, arrays, a broadcast error) goes to :func:`arith`, which gives the same
    result the long way.

    On 0-d float64/float32 operands of ``+ - * /`` the operation runs on NumPy scalars
    (``a[()]``), a tenth of the cost of NumPy's 0-d array path, which gives the same
    scalar: the same IEEE operation, and under NEP 50 the same result dtype.  The
    result is made a fresh 0-d array as before.
    """
    cls = node_class(grad_fn_name(prim))
    scalar_dtypes = _SCALAR_DTYPES if prim in _EXACT_OPS else frozenset()

    def op(a, b):
        ad = a._data
        if isinstance(b, Tensor):
            bd = b._data
            if bd.dtype != ad.dtype or (true_div and ad.dtype.kind in "biu"):
                return arith(prim, a, b, true_div=true_div)
            rb = b._rg
        elif (
            type(b) is float or (type(b) is int and -_EXACT_INT <= b <= _EXACT_INT)
        ) and ad.dtype.kind in "fc":
            bd = b
            rb = False
        else:
            return arith(prim, a, b, true_div=true_div)
        if (
            not ad.ndim
            and type(ad) is _ndarray
            and ad.dtype in scalar_dtypes
            and (bd is b or (not bd.ndim and type(bd) is _ndarray))
        ):  # 0-d operands: NumPy scalars (see above)
            out = _asarray(prim(ad[()], b if bd is b else bd[()]))
        else:
            try:
                out = prim(ad, bd)
            except (ValueError, TypeError):  # shapes, or devices (CuPy's TypeError)
                return arith(prim, a, b, true_div=true_div)  # raises PyTorch's message
            if type(out) is not _ndarray and (
                not hasattr(out, "shape") or isinstance(out, np.generic)
            ):
                out = np.asarray(out)
        ra = a._rg
        if (ra or rb) and STATE.enabled:
            inf = _INFO.get(prim) or info(prim)
            if inf.binary:
                return record_op2(inf, cls, a, b, ra, rb, out)
            return record_binary(inf, a, b, out, cls)
        return wrap(out)

    op.__name__ = op.__qualname__ = f"{getattr(prim, '__name__', 'op')}_operator"
    return op


def arith(prim, a, b, name=None, swap=False, eparams=None, true_div=False):
    """``prim(a, b)`` (or ``prim(b, a)`` when ``swap``) for tensor ``a``; the grad_fn is
    ``name`` or the one the name table gives ``prim``."""
    name = name or grad_fn_name(prim)
    ad = a._data
    bd = _operand(b)
    if bd is NotImplemented:
        return NotImplemented
    if type(bd) is not type(ad) and isinstance(b, Tensor):
        check_same_device(bd, ad) if swap else check_same_device(ad, bd)
    numpy_rules = _cow._STATE.reg is not None  # a NumPy program runs: NumPy's promotion
    ca, cb = (_cow.number_value(a, ad), _cow.number_value(b, bd)) if numpy_rules else (ad, bd)
    try:
        out = prim(cb, ca) if swap else prim(ca, cb)
    except ValueError:
        if swap:
            raise _broadcast_error(bd, ad) from None
        raise _broadcast_error(ad, bd) from None
    if numpy_rules:
        # what NumPy gives (NEP 50): a 0-d tensor stands for a NumPy scalar, which is no
        # weaker than an array (np.float64 * float16 array is float64; PyTorch's 0-d
        # tensor would give float16), a Python float's tensor for the float (weak)
        if not hasattr(out, "shape") or isinstance(out, np.generic):
            out = np.asarray(out)
    elif _needs_fix(ad, b, true_div):
        out = _fix_dtype(np.asarray(out) if not hasattr(out, "dtype") else out, a, b, true_div)
    if not hasattr(out, "shape") or isinstance(out, np.generic):
        out = np.asarray(out)
    if swap:
        return record_binary(info(prim), b, a, out, node_class(name), eparams)
    return record_binary(info(prim), a, b, out, node_class(name), eparams)


@with_out("add")
def add(input, other, *, alpha=1):  # noqa: A002 - PyTorch's parameter names
    """``input + alpha * other``."""
    if not isinstance(input, Tensor):
        return _as_tensor(other).__radd__(input)
    if alpha != 1:
        other = other * alpha
    return arith(operator.add, input, other)


@with_out("sub")
def sub(input, other, *, alpha=1):  # noqa: A002
    """``input - alpha * other``."""
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rsub__(input)
    if alpha != 1:
        other = other * alpha
    return arith(operator.sub, input, other)


@with_out("mul")
def mul(input, other):  # noqa: A002
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rmul__(input)
    return arith(operator.mul, input, other)


@with_out("div")
def div(input, other, *, rounding_mode=None):  # noqa: A002
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rtruediv__(input)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return wrap(np.trunc(input._data / raw(other)).astype(input._data.dtype))
    return arith(operator.truediv, input, other, true_div=True)


_radd = operator_op(operator.add)


def _rsub(a, b):
    if isinstance(b, Tensor):  # (b.__rsub__(a) called with a tensor: both have edges)
        return arith(operator.sub, a, b, grad_fn_name("rsub.Tensor"), swap=True)
    return arith(operator.sub, a, b, grad_fn_name("rsub"), swap=True, eparams=(1,))


_rmul = operator_op(operator.mul)


def _rtruediv(a, b):
    if (
        isinstance(b, Tensor)
        or hasattr(b, "shape")
        and not isinstance(b, np.generic)
        or _cow._STATE.reg is not None  # a NumPy program: NumPy's c / x, one rounding
    ):
        return arith(operator.truediv, a, b, swap=True, true_div=True)
    # PyTorch: c / x is reciprocal(x) * c
    return arith(operator.mul, reciprocal(a), b)


@with_out("pow")
def pow(input, exponent):  # noqa: A001,A002 - PyTorch's name
    """``input ** exponent`` (either may be a number)."""
    if not isinstance(input, Tensor):
        return _rpow(exponent, input)
    if isinstance(exponent, Tensor):
        return arith(operator.pow, input, exponent, grad_fn_name("pow.Tensor_Tensor"))
    d = input._data
    if d.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return arith(operator.pow, input, exponent, grad_fn_name("pow.Tensor_Scalar"), eparams=(0,))


def _rpow(a, b):
    if isinstance(b, Tensor):  # (b.__rpow__(a) called with a tensor: both have edges)
        return arith(operator.pow, a, b, grad_fn_name("pow.Tensor_Tensor"), swap=True)
    return arith(operator.pow, a, b, grad_fn_name("pow.Scalar"), swap=True, eparams=(1,))


def neg(input):  # noqa: A002
    d = input._data
    if d.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return record_unary(info(operator.neg), input, -d, node_class(grad_fn_name(operator.neg)))


@with_out("remainder")
def remainder(input, other):  # noqa: A002
    return arith(operator.mod, input, other)


@with_out("floor_divide")
def floor_divide(input, other):  # noqa: A002
    out = _as_array(np.floor_divide(input._data, raw(other)))
    if _needs_fix(input._data, other, False):
        out = _fix_dtype(out, input, other)
    return wrap(out)


def _compare(ufunc):
    def cmp(input, other):  # noqa: A002
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        try:
            out = ufunc(input._data, o)
        except ValueError:
            raise _broadcast_error(input._data, o) from None
        return wrap(np.asarray(out) if isinstance(out, (bool, np.generic)) else out)

    return cmp


eq = _compare(np.equal)
ne = _compare(np.not_equal)
gt = _compare(np.greater)
lt = _compare(np.less)
ge = _compare(np.greater_equal)
le = _compare(np.less_equal)
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def _logical(ufunc, bool_only_name):
    def op(input, other):  # noqa: A002
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        d = input._data
        if (
            d.dtype.kind == "f"
            or getattr(o, "dtype", np.dtype(int)).kind == "f"
            or isinstance(o, float)
        ):
            raise RuntimeError(f"\"{bool_only_name}\" not implemented for 'Float'")
        return wrap(_as_array(ufunc(d, o)))

    return op


bitwise_and = _logical(np.bitwise_and, "bitwise_and_cpu")
bitwise_or = _logical(np.bitwise_or, "bitwise_or_cpu")
bitwise_xor = _logical(np.bitwise_xor, "bitwise_xor_cpu")


def bitwise_not(input):  # noqa: A002
    d = input._data
    return wrap(np.logical_not(d) if d.dtype.kind == "b" else np.invert(d))


def logical_not(input):  # noqa: A002
    return wrap(np.logical_not(input._data))


def logical_and(input, other):  # noqa: A002
    return wrap(np.logical_and(input._data, raw(other)))


def logical_or(input, other):  # noqa: A002
    return wrap(np.logical_or(input._data, raw(other)))


def equal(input, other):  # noqa: A002
    """True when both tensors have the same shape and elements."""
    a, b = input._data, raw(other)
    return a.shape == np.shape(b) and bool((a == b).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    return bool(np.allclose(input._data, raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    return wrap(np.isclose(input._data, raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isnan(input):  # noqa: A002
    return wrap(np.isnan(input._data))


def isinf(input):  # noqa: A002
    return wrap(np.isinf(input._data))


def isfinite(input):  # noqa: A002
    return wrap(np.isfinite(input._data))


@with_out("atan2")
def atan2(input, other):  # noqa: A002
    """The angle of ``(other, input)`` elementwise (integers promote to float)."""
    return arith(np.arctan2, input, other, grad_fn_name(np.arctan2), true_div=True)


arctan2 = atan2


@with_out("fmod")
def fmod(input, other):  # noqa: A002
    """The remainder of truncated division (the sign of ``input``), as C's fmod."""
    if isinstance(other, Tensor):
        return arith(np.fmod, input, other, grad_fn_name("fmod.Tensor"))
    return arith(np.fmod, input, other, grad_fn_name("fmod.Scalar"), eparams=(0,))


# Ops of later families, imported last: they import this module.
from .unary import reciprocal  # noqa: E402
