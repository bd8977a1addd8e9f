"""Tensor operations: forward with NumPy on the raw arrays, backward from the registry.

Each op computes its result on the arrays, applies PyTorch's dtype rules, and hands
the call to :func:`tensor.record` with the primitive whose rule differentiates it and
the PyTorch name of its ``grad_fn``.  The same functions serve as ``torch.exp(x)`` and
``x.exp()`` (:func:`install` puts them on ``Tensor``).
"""

import builtins
import operator
from collections import namedtuple

import numpy as np

from ..rules import tape_ops as T
from . import dtypes as _dt
from .device import c_contiguous
from .grad_mode import STATE
from .names import grad_fn_name, name_for
from .node import info, node_class
from .tensor import (
    Tensor,
    _wrap_dim,
    getitem,
    inplace,
    raw,
    record,
    record_binary,
    record_unary,
    requires,
    view_op,
    wrap,
)

_bsum, _bmax, _bmin, _babs, _bround = builtins.sum, builtins.max, builtins.min, abs, round


def _default_float():
    return _dt.get_default_dtype().np


def _as_tensor(x, like=None):
    """``x`` as a tensor (Python numbers and arrays become constants)."""
    if isinstance(x, Tensor):
        return x
    from .factories import tensor as _tensor  # noqa: PLC0415

    if like is not None and isinstance(x, (int, float, bool)):
        return wrap(np.full_like(like._data, x, shape=()))
    return _tensor(x)


# --------------------------------------------------------------------------------------
# Type promotion


def _kind(v):
    if isinstance(v, Tensor):
        d = v._data
        return ("dim" if d.ndim else "zero", d.dtype)
    if hasattr(v, "dtype") and hasattr(v, "ndim") and not isinstance(v, np.generic):
        return ("dim" if v.ndim else "zero", v.dtype)
    if isinstance(v, np.generic):
        return ("scalar", builtins.type(v.item()))
    return ("scalar", builtins.type(v))


def _fix_dtype(out, a, b, true_div=False):
    want = _dt.result_type((_kind(a), _kind(b)))
    if true_div and want.kind in "biu":
        want = _default_float()
    if out.dtype != want:
        out = out.astype(want)
    return out


_PY_SCALARS = (int, float, bool)


def _needs_fix(ad, b, true_div):
    """Whether NumPy's result dtype may differ from PyTorch's for ``ad <op> b``."""
    if isinstance(b, Tensor):
        bd = b._data
        if bd.dtype != ad.dtype:
            return True
        return true_div and ad.dtype.kind in "biu"
    tb = builtins.type(b)
    if tb is float:
        return ad.dtype.kind not in "fc"
    if tb is int or tb is bool:
        return true_div and ad.dtype.kind in "biu"
    return True


def _broadcast_error(a, b):
    sa, sb = np.shape(a), np.shape(b)
    n = _bmax(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                f"at non-singleton dimension {i}"
            )
    return RuntimeError(f"operands could not be broadcast together with shapes {sa} {sb}")


# --------------------------------------------------------------------------------------
# Elementwise arithmetic


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


def arith(prim, a, b, name=None, swap=False, eparams=None, true_div=False):
    """``prim(a, b)`` (or ``prim(b, a)`` when ``swap``) for tensor ``a``; the grad_fn is
    ``name`` or the one the name table gives ``prim``."""
    name = name or grad_fn_name(prim)
    ad = a._data
    bd = _operand(b)
    if bd is NotImplemented:
        return NotImplemented
    try:
        out = prim(bd, ad) if swap else prim(ad, bd)
    except ValueError:
        if swap:
            raise _broadcast_error(bd, ad) from None
        raise _broadcast_error(ad, bd) from None
    if _needs_fix(ad, b, true_div):
        out = _fix_dtype(np.asarray(out) if not hasattr(out, "dtype") else out, a, b, true_div)
    if not hasattr(out, "shape") or isinstance(out, np.generic):
        out = np.asarray(out)
    if swap:
        return record_binary(info(prim), b, a, out, node_class(name), eparams)
    return record_binary(info(prim), a, b, out, node_class(name), eparams)


def add(input, other, *, alpha=1, out=None):  # noqa: A002 - PyTorch's parameter names
    """``input + alpha * other``."""
    if not isinstance(input, Tensor):
        return _as_tensor(other).__radd__(input)
    if alpha != 1:
        other = other * alpha
    return arith(operator.add, input, other)


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    """``input - alpha * other``."""
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rsub__(input)
    if alpha != 1:
        other = other * alpha
    return arith(operator.sub, input, other)


def mul(input, other, *, out=None):  # noqa: A002
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rmul__(input)
    return arith(operator.mul, input, other)


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rtruediv__(input)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return wrap(np.trunc(input._data / raw(other)).astype(input._data.dtype))
    return arith(operator.truediv, input, other, true_div=True)


def _radd(a, b):
    return arith(operator.add, a, b)


def _rsub(a, b):
    return arith(operator.sub, a, b, grad_fn_name("rsub"), swap=True, eparams=(1,))


def _rmul(a, b):
    return arith(operator.mul, a, b)


def _rtruediv(a, b):
    if isinstance(b, Tensor) or hasattr(b, "shape") and not isinstance(b, np.generic):
        return arith(operator.truediv, a, b, swap=True, true_div=True)
    # PyTorch: c / x is reciprocal(x) * c
    return arith(operator.mul, reciprocal(a), b)


def pow(input, exponent, *, out=None):  # noqa: A001,A002 - PyTorch's name
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
    return arith(operator.pow, a, b, grad_fn_name("pow.Scalar"), swap=True, eparams=(1,))


def neg(input):  # noqa: A002
    d = input._data
    if d.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return record_unary(info(operator.neg), input, -d, node_class(grad_fn_name(operator.neg)))


def remainder(input, other):  # noqa: A002
    return arith(operator.mod, input, other)


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


# --------------------------------------------------------------------------------------
# Unary elementwise functions


def _unary(prim, float_only=True, rule_prim=None):
    rule = rule_prim or prim
    cls_name = grad_fn_name(rule)

    def op(input):  # noqa: A002
        d = input._data
        if float_only and d.dtype.kind in "biu":
            d = d.astype(_default_float())
        out = prim(d)
        if input._rg and STATE.enabled:
            return record_unary(info(rule), input, out, node_class(cls_name))
        return wrap(out)

    op.__name__ = cls_name.replace("Backward0", "").lower()
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


def maximum(input, other):  # noqa: A002
    return arith(np.maximum, input, other)


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


# --------------------------------------------------------------------------------------
# Reductions


def _norm_dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(_wrap_dim(d, ndim) for d in dim)
    return _wrap_dim(dim, ndim)


def _as_array(out):
    return np.asarray(out) if isinstance(out, np.generic) or not hasattr(out, "shape") else out


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001,A002
    """Sum over ``dim`` (all elements by default)."""
    d = input._data
    axis = _norm_dims(dim, d.ndim)
    if dtype is not None:
        d = d.astype(_dt.to_dtype(dtype).np)
    elif d.dtype.kind in "biu":
        d = d.astype(np.int64)
    out = _as_array(d.sum(axis=axis, keepdims=keepdim))
    if input._rg and STATE.enabled:
        inf = info(np.sum)
        name = name_for(np.sum, (input, axis))
        return record(
            inf, inf.build((input,), {"axis": axis, "keepdims": keepdim}), out, node_class(name)
        )
    return wrap(out)


def mean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    d = input._data
    if dtype is not None:
        d = d.astype(_dt.to_dtype(dtype).np)
    if d.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {_dt.NP2DT[d.dtype]._legacy.replace('Tensor', '')}"
        )
    axis = _norm_dims(dim, d.ndim)
    out = _as_array(d.mean(axis=axis, keepdims=keepdim))
    if input._rg and STATE.enabled:
        inf = info(np.mean)
        name = name_for(np.mean, (input, axis))
        return record(
            inf, inf.build((input,), {"axis": axis, "keepdims": keepdim}), out, node_class(name)
        )
    return wrap(out)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    d = input._data
    axis = None if dim is None else _wrap_dim(dim, d.ndim)
    out = _as_array(np.prod(d, axis=axis, keepdims=keepdim))
    if input._rg and STATE.enabled:
        inf = info(np.prod)
        name = name_for(np.prod, (input, axis))
        return record(
            inf, inf.build((input,), {"axis": axis, "keepdims": keepdim}), out, node_class(name)
        )
    return wrap(out)


class _ReturnType(tuple):
    """PyTorch's ``torch.return_types.max``: a named pair ``(values, indices)``."""

    __slots__ = ()
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class _MaxType(_ReturnType):
    __slots__ = ()
    _name = "max"


class _MinType(_ReturnType):
    __slots__ = ()
    _name = "min"


return_types = namedtuple("return_types", "max min")(_MaxType, _MinType)


def _extreme(input, dim, keepdim, largest, other):
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        return maximum(input, other) if largest else minimum(input, other)
    d = input._data
    if dim is None:
        if d.size == 0:
            raise RuntimeError(
                f"{'max' if largest else 'min'}(): Expected reduction dim to be specified for "
                "input.numel() == 0. Specify the reduction dim with the 'dim' argument."
            )
        f = np.max if largest else np.min
        out = _as_array(f(d))
        if input._rg and STATE.enabled:
            inf = info(f)
            return record(
                inf,
                inf.build((input,)),
                out,
                node_class(name_for(f, (input,))),
            )
        return wrap(out)
    axis = _wrap_dim(dim, d.ndim)
    values = _as_array(T.extreme_dim.impl(d, axis, keepdim, largest))
    idx = (np.argmax if largest else np.argmin)(d, axis=axis)
    if keepdim:
        idx = np.expand_dims(idx, axis)
    indices = wrap(_as_array(idx).astype(np.int64, copy=False))
    if input._rg and STATE.enabled:
        v = record(
            info(T.extreme_dim),
            (input, axis, keepdim, largest),
            values,
            node_class(name_for(T.extreme_dim, (input, axis, keepdim, largest))),
        )
    else:
        v = wrap(values)
    return (_MaxType if largest else _MinType)(v, indices)


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001,A002
    """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor,
    the elementwise maximum."""
    return _extreme(input, dim, keepdim, True, other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001,A002
    return _extreme(input, dim, keepdim, False, other)


def _amax(f, name):
    def op(input, dim=(), keepdim=False):  # noqa: A002
        d = input._data
        axis = None if dim == () or dim is None else _norm_dims(dim, d.ndim)
        out = _as_array(f(d, axis=axis, keepdims=keepdim))
        if input._rg and STATE.enabled:
            inf = info(f)
            return record(
                inf,
                inf.build((input,), {"axis": axis, "keepdims": keepdim}),
                out,
                node_class(name),
            )
        return wrap(out)

    return op


amax = _amax(np.max, grad_fn_name("amax"))
amin = _amax(np.min, grad_fn_name("amin"))


def _arg(f):
    def op(input, dim=None, keepdim=False):  # noqa: A002
        d = input._data
        if dim is None:
            out = f(d)
            if keepdim:
                out = np.reshape(out, (1,) * d.ndim)
        else:
            axis = _wrap_dim(dim, d.ndim)
            out = f(d, axis=axis)
            if keepdim:
                out = np.expand_dims(out, axis)
        return wrap(_as_array(out).astype(np.int64, copy=False))

    return op


argmax = _arg(np.argmax)
argmin = _arg(np.argmin)


def all(input, dim=None, keepdim=False):  # noqa: A001,A002
    d = input._data
    axis = _norm_dims(dim, d.ndim)
    return wrap(_as_array(np.all(d, axis=axis, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):  # noqa: A001,A002
    d = input._data
    axis = _norm_dims(dim, d.ndim)
    return wrap(_as_array(np.any(d, axis=axis, keepdims=keepdim)))


def count_nonzero(input, dim=None):  # noqa: A002
    return wrap(_as_array(np.count_nonzero(input._data, axis=dim)).astype(np.int64))


# --------------------------------------------------------------------------------------
# Linear algebra


def _mat_error(a, b):
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
        f"{b.shape[0]}x{b.shape[1]})"
    )


def matmul(input, other):  # noqa: A002
    """Matrix product with NumPy's (and PyTorch's) rules for 1-D and batched operands."""
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rmatmul__(input)
    a = input._data
    b = raw(other)
    if a.ndim == 0 or np.ndim(b) == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
            f"{np.ndim(b)}D"
        )
    try:
        out = a @ b
    except ValueError:
        if a.ndim == 2 and np.ndim(b) == 2:
            raise _mat_error(a, b) from None
        if a.ndim == 2 and np.ndim(b) == 1:
            raise _mv_error(a, b) from None
        if a.ndim == 1 and np.ndim(b) == 1:
            na, nb = a.shape[0], b.shape[0]
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{na}] and src [{nb}] to have the "
                f"same number of elements, but got {na} and {nb} elements respectively"
            ) from None
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"{list(a.shape)} but got: {list(np.shape(b))}."
        ) from None
    if a.dtype != getattr(b, "dtype", a.dtype):
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_dt.NP2DT[a.dtype]} != {_dt.NP2DT[b.dtype]}"
        )
    out = _as_array(out)
    if STATE.enabled and (input._rg or requires(other)):
        return record(
            info(operator.matmul),
            (input, other),
            out,
            node_class(name_for(operator.matmul, (a, b))),
        )
    return wrap(out)


def mm(input, mat2):  # noqa: A002
    """Product of two matrices."""
    a, b = input._data, raw(mat2)
    if a.ndim != 2 or np.ndim(b) != 2:
        raise RuntimeError("self must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise _mat_error(a, b)
    return matmul(input, mat2)


def mv(input, vec):  # noqa: A002
    a, b = input._data, raw(vec)
    if a.ndim != 2 or np.ndim(b) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {np.ndim(b)}")
    if a.shape[1] != b.shape[0]:
        raise _mv_error(a, b)
    return matmul(input, vec)


def _mv_error(a, b):
    return RuntimeError(
        f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
        f"vec ({b.shape[0]})"
    )


def dot(input, other):  # noqa: A002
    a, b = input._data, raw(other)
    if a.ndim != 1 or np.ndim(b) != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {np.ndim(b)}D tensors")
    return matmul(input, other)


inner = dot


def outer(input, vec2):  # noqa: A002
    return unsqueeze(input, 1) * unsqueeze(_as_tensor(vec2), 0)


ger = outer


# --------------------------------------------------------------------------------------
# Shapes and views


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape_view(input, shape, name):
    d = input._data
    out = np.reshape(d, shape) if c_contiguous(d) else _reshape_no_copy(d, shape)
    inf = info(np.reshape)
    return view_op(input, np.reshape, inf.build((input, shape)), out, name, ("r", shape))


def _reshape_no_copy(d, shape):
    """``d`` reshaped as a view, or ValueError when that needs a copy."""
    try:
        return np.reshape(d, shape, copy=False)
    except TypeError:  # an array module without reshape(copy=...)
        raise ValueError("cannot tell whether the reshape is a view") from None


def view(input, *shape):  # noqa: A002
    """The same data with another shape (never a copy)."""
    if len(shape) == 1 and isinstance(shape[0], _dt.dtype):
        raise RuntimeError("view(dtype) is not supported by srcad")
    d = input._data
    shape = _infer_shape(_shape_arg(shape), d.size)
    try:
        return _reshape_view(input, shape, grad_fn_name(np.reshape))
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None


def reshape(input, *shape):  # noqa: A002
    """``input`` with another shape: a view when possible, a copy otherwise."""
    d = input._data
    shape = _infer_shape(_shape_arg(shape), d.size)
    try:
        return _reshape_view(input, shape, grad_fn_name(np.reshape))
    except ValueError:
        pass
    c = clone(input, memory_format="contiguous")
    out = np.reshape(c._data, shape)
    inf = info(np.reshape)
    return record(inf, inf.build((c, shape)), out, node_class(grad_fn_name("_unsafe_view")))


def view_as(input, other):  # noqa: A002
    return view(input, tuple(other.shape))


def reshape_as(input, other):  # noqa: A002
    return reshape(input, tuple(other.shape))


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002
    d = input._data
    if d.ndim == 0:
        return reshape(input, (1,))
    s = _wrap_dim(start_dim, d.ndim)
    e = _wrap_dim(end_dim, d.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for k in d.shape[s : e + 1]:
        n *= k
    return reshape(input, d.shape[:s] + (n,) + d.shape[e + 1 :])


def unflatten(input, dim, sizes):  # noqa: A002
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    sizes = _infer_shape(tuple(sizes), d.shape[dim])
    return view(input, d.shape[:dim] + sizes + d.shape[dim + 1 :])


def _permute_view(input, axes, name):
    out = np.transpose(input._data, axes)
    inf = info(np.transpose)
    return view_op(input, np.transpose, inf.build((input, axes)), out, name, ("p", axes))


def permute(input, *dims):  # noqa: A002
    d = input._data
    dims = _shape_arg(dims)
    if len(dims) != d.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {d.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    axes = tuple(_wrap_dim(a, d.ndim) for a in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute_view(input, axes, grad_fn_name(np.transpose))


def t(input):  # noqa: A002
    """The transpose of a matrix (vectors and scalars are returned as views of themselves)."""
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    axes = tuple(range(d.ndim))[::-1]
    return _permute_view(input, axes, grad_fn_name("t"))


def transpose(input, dim0, dim1):  # noqa: A002
    d = input._data
    if d.ndim == 0:
        return _permute_view(input, (), grad_fn_name(np.swapaxes))
    a, b = _wrap_dim(dim0, d.ndim), _wrap_dim(dim1, d.ndim)
    axes = list(range(d.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return _permute_view(input, tuple(axes), grad_fn_name(np.swapaxes))


swapaxes = swapdims = transpose


def _T(input):  # noqa: N802, A002
    d = input._data
    return _permute_view(input, tuple(range(d.ndim))[::-1], grad_fn_name(np.transpose))


def _mT(input):  # noqa: N802, A002
    return transpose(input, -2, -1)


def movedim(input, source, destination):  # noqa: A002
    d = input._data
    axes = list(np.moveaxis(np.arange(d.ndim), source, destination))
    return permute(input, [int(a) for a in axes])


def squeeze(input, dim=None):  # noqa: A002
    """Remove size-1 dimensions (all of them, or those in ``dim`` that have size 1)."""
    d = input._data
    if dim is None:
        axes = tuple(i for i, n in enumerate(d.shape) if n == 1)
        name = name_for(np.squeeze, (input,))
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = tuple(sorted({_wrap_dim(k, d.ndim) for k in dims} if d.ndim else set()))
        axes = tuple(a for a in axes if d.shape[a] == 1)
        name = grad_fn_name("squeeze.dims" if isinstance(dim, (tuple, list)) else "squeeze.dim")
    shape = tuple(n for i, n in enumerate(d.shape) if i not in axes)
    out = np.reshape(d, shape) if c_contiguous(d) else np.squeeze(d, axis=axes)
    inf = info(np.reshape)
    return view_op(input, np.reshape, inf.build((input, shape)), out, name, ("r", shape))


def unsqueeze(input, dim):  # noqa: A002
    d = input._data
    n = d.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    axis = dim % n
    shape = d.shape[:axis] + (1,) + d.shape[axis:]
    out = np.expand_dims(d, axis)
    inf = info(np.reshape)
    return view_op(
        input,
        np.reshape,
        inf.build((input, shape)),
        out,
        grad_fn_name(np.expand_dims),
        ("r", shape),
    )


def expand(input, *sizes):  # noqa: A002
    d = input._data
    sizes = _shape_arg(sizes)
    if len(sizes) < d.ndim:
        raise RuntimeError(
            f"expand({_dt.NP2DT[d.dtype]._legacy}{{{list(d.shape)}}}, size={list(sizes)}): the "
            "number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({d.ndim})"
        )
    lead = len(sizes) - d.ndim
    shape = tuple(d.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    try:
        out = np.broadcast_to(d, shape)
    except ValueError:
        for i in range(d.ndim):
            if d.shape[i] != 1 and d.shape[i] != shape[i + lead]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[i + lead]}) must match the "
                    f"existing size ({d.shape[i]}) at non-singleton dimension {i + lead}.  "
                    f"Target sizes: {list(sizes)}.  Tensor sizes: {list(d.shape)}"
                ) from None
        raise
    inf = info(np.broadcast_to)
    return view_op(
        input,
        np.broadcast_to,
        inf.build((input, shape)),
        out,
        grad_fn_name(np.broadcast_to),
        ("e", shape),
    )


def expand_as(input, other):  # noqa: A002
    return expand(input, tuple(other.shape))


def broadcast_to(input, size):  # noqa: A002
    return expand(input, tuple(size))


def narrow(input, dim, start, length):  # noqa: A002
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    idx = (slice(None),) * dim + (slice(start, start + length),)
    return getitem(input, idx)


def select(input, dim, index):  # noqa: A002
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    return getitem(input, (slice(None),) * dim + (index,))


def unbind(input, dim=0):  # noqa: A002
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    return tuple(select(input, dim, i) for i in range(d.shape[dim]))


def chunk(input, chunks, dim=0):  # noqa: A002
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    step = -(-n // chunks)
    return tuple(narrow(input, dim, s, builtins.min(step, n - s)) for s in range(0, n, step))


def split(tensor, split_size_or_sections, dim=0):
    d = tensor._data
    dim = _wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        sizes = [builtins.min(s, n - k) for k in range(0, n, s)]
    else:
        sizes = list(split_size_or_sections)
    out, start = [], 0
    for size in sizes:
        out.append(narrow(tensor, dim, start, size))
        start += size
    return tuple(out)


def contiguous(input, memory_format=None):  # noqa: A002
    if c_contiguous(input._data):
        return input
    return clone(input, memory_format="contiguous")


def clone(input, *, memory_format=None):  # noqa: A002
    """A copy with its own storage (``CloneBackward0``)."""
    d = input._data
    order = "C" if memory_format == "contiguous" else "K"
    out = np.copy(d, order=order)
    if input._rg and STATE.enabled:
        inf = info(np.copy)
        return record(inf, inf.build((input,)), out, node_class(grad_fn_name(np.copy)))
    return wrap(out)


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    arrays = [raw(t) for t in tensors]
    nd = [np.ndim(a) for a in arrays]
    nonempty = [a for a in arrays if not (np.ndim(a) == 1 and np.size(a) == 0)]
    if len(set(np.ndim(a) for a in nonempty)) > 1:
        i = next(k for k, a in enumerate(arrays) if np.ndim(a) != nd[0])
        raise RuntimeError(f"Tensors must have same number of dimensions: got {nd[0]} and {nd[i]}")
    if nonempty and np.ndim(nonempty[0]) == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    ndim = np.ndim(nonempty[0]) if nonempty else 1
    axis = _wrap_dim(dim, ndim)
    try:
        res = np.concatenate(nonempty if len(nonempty) != len(arrays) else arrays, axis=axis)
    except ValueError as e:
        raise RuntimeError(
            f"Sizes of tensors must match except in dimension {axis}. ({e})"
        ) from None
    if STATE.enabled and builtins.any(requires(t) for t in tensors):
        inf = info(np.concatenate)
        return record(
            inf,
            inf.build((tensors,), {"axis": axis}),
            res,
            node_class(grad_fn_name(np.concatenate)),
        )
    return wrap(res)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    arrays = [raw(t) for t in tensors]
    shapes = [np.shape(a) for a in arrays]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shapes[0])} at "
                f"entry 0 and {list(s)} at entry {i}"
            )
    n = len(shapes[0]) + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    axis = dim % n
    res = np.stack(arrays, axis=axis)
    if STATE.enabled and builtins.any(requires(t) for t in tensors):
        inf = info(np.stack)
        return record(
            inf, inf.build((tensors,), {"axis": axis}), res, node_class(grad_fn_name(np.stack))
        )
    return wrap(res)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t.ndim > 1 else unsqueeze(t, 0) for t in tensors], 0)


def flip(input, dims):  # noqa: A002
    d = input._data
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    axis = tuple(_wrap_dim(k, d.ndim) for k in dims)
    out = np.flip(d, axis).copy()
    if input._rg and STATE.enabled:
        inf = info(np.flip)
        return record(inf, inf.build((input, axis)), out, node_class(grad_fn_name(np.flip)))
    return wrap(out)


# --------------------------------------------------------------------------------------
# dtype and device conversions


def to(input, *args, **kwargs):  # noqa: A002
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
    from .device import as_device, device  # noqa: PLC0415

    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    for a in args:
        if isinstance(a, _dt.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, (str, device, int)):
            dev = a
        elif a is not None and not isinstance(a, bool):
            dtype = _dt.to_dtype(a)
    out = input
    if dev is not None:
        out = _to_device(out, as_device(dev))
    if dtype is not None:
        out = _to_dtype(out, _dt.to_dtype(dtype))
    if copy and out is input:
        out = clone(input)
    return out


def _to_dtype(input, dtype):
    d = input._data
    if d.dtype == dtype.np:
        return input
    out = d.astype(dtype.np)
    if input._rg and STATE.enabled and dtype.np.kind in "fc":
        return record(
            info(T.to_dtype), (input, dtype.np), out, node_class(grad_fn_name(T.to_dtype))
        )
    return wrap(out)


def _to_device(input, dev):
    from .device import device_of, to_device  # noqa: PLC0415

    d = input._data
    if device_of(d) == dev or (dev.index is None and device_of(d).type == dev.type):
        return input
    out = to_device(d, dev)
    if input._rg and STATE.enabled:
        return record(
            info(T.to_array_module),
            (input, "cupy" if dev.type == "cuda" else "numpy"),
            out,
            node_class(grad_fn_name(T.to_dtype)),
        )
    return wrap(out)


def type(input, dtype=None, non_blocking=False):  # noqa: A001,A002
    if dtype is None:
        d = input._data
        prefix = "torch.cuda." if input.is_cuda else "torch."
        return prefix + _dt.NP2DT[d.dtype]._legacy
    if isinstance(dtype, str):
        dtype = {v._legacy: v for v in _dt._ALL}.get(dtype.split(".")[-1], None) or _dt.to_dtype(
            dtype
        )
    return _to_dtype(input, _dt.to_dtype(dtype))


def type_as(input, other):  # noqa: A002
    return _to_dtype(input, other.dtype)


def _caster(dt):
    def cast(input, memory_format=None):  # noqa: A002
        return _to_dtype(input, dt)

    return cast


def cpu(input, memory_format=None):  # noqa: A002
    from .device import CPU  # noqa: PLC0415

    return _to_device(input, CPU)


def cuda(input, device=None, non_blocking=False, memory_format=None):  # noqa: A002
    from .device import as_device  # noqa: PLC0415
    from .device import device as _device  # noqa: PLC0415

    dev = _device("cuda") if device is None else as_device(device)
    return _to_device(input, dev)


# --------------------------------------------------------------------------------------
# In-place methods


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


def zero_(self):
    """Set every element to zero in place."""
    return inplace(
        self,
        T.copy_to,
        (0,),
        grad_fn_name("zero_"),
        eparams=(0,),
        compute=lambda old: np.zeros_like(old),
    )


def fill_(self, value):
    v = raw(value)
    if isinstance(value, Tensor):
        return inplace(self, T.copy_to, (value,), grad_fn_name("fill_.Tensor"), eparams=(0, 1))
    return inplace(self, T.copy_to, (v,), grad_fn_name("fill_.Scalar"), eparams=(0,))


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
        from .device import device_of, to_device  # noqa: PLC0415

        s = to_device(s, device_of(self._data))
    return inplace(
        self,
        T.copy_to,
        (src,),
        grad_fn_name(T.copy_to),
        eparams=(0, 1),
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


# --------------------------------------------------------------------------------------
# Composite functions (written with the primitives above)


def _nn_prim(name):
    from ..rules import nn_ops  # noqa: PLC0415

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


def numel(input):  # noqa: A002
    return input.numel()


# --------------------------------------------------------------------------------------
# Installing the methods on Tensor

_METHODS = {
    # arithmetic
    "add": add,
    "sub": sub,
    "subtract": sub,
    "mul": mul,
    "multiply": mul,
    "div": div,
    "divide": div,
    "true_divide": div,
    "pow": pow,
    "neg": neg,
    "negative": neg,
    "remainder": remainder,
    "floor_divide": floor_divide,
    "eq": eq,
    "ne": ne,
    "gt": gt,
    "lt": lt,
    "ge": ge,
    "le": le,
    "greater": gt,
    "less": lt,
    "greater_equal": ge,
    "less_equal": le,
    "not_equal": ne,
    "equal": equal,
    "allclose": allclose,
    "isclose": isclose,
    "isnan": isnan,
    "isinf": isinf,
    "isfinite": isfinite,
    "logical_not": logical_not,
    "logical_and": logical_and,
    "logical_or": logical_or,
    "bitwise_not": bitwise_not,
    # elementwise
    "exp": exp,
    "exp2": exp2,
    "expm1": expm1,
    "log": log,
    "log2": log2,
    "log10": log10,
    "log1p": log1p,
    "sqrt": sqrt,
    "rsqrt": rsqrt,
    "sin": sin,
    "cos": cos,
    "tan": tan,
    "asin": asin,
    "arcsin": asin,
    "acos": acos,
    "arccos": acos,
    "atan": atan,
    "arctan": atan,
    "sinh": sinh,
    "cosh": cosh,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "reciprocal": reciprocal,
    "abs": abs,
    "absolute": abs,
    "relu": relu,
    "square": square,
    "sign": sign,
    "floor": floor,
    "ceil": ceil,
    "trunc": trunc,
    "round": round,
    "clamp": clamp,
    "clip": clamp,
    "clamp_min": clamp_min,
    "clamp_max": clamp_max,
    "maximum": maximum,
    "minimum": minimum,
    "where": lambda self, c, o: where(c, self, o),
    "masked_fill": masked_fill,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "logsumexp": logsumexp,
    # reductions
    "sum": sum,
    "mean": mean,
    "prod": prod,
    "max": max,
    "min": min,
    "amax": amax,
    "amin": amin,
    "argmax": argmax,
    "argmin": argmin,
    "all": all,
    "any": any,
    "var": var,
    "std": std,
    "norm": norm,
    "count_nonzero": count_nonzero,
    "cumsum": cumsum,
    "cumprod": cumprod,
    # linear algebra
    "matmul": matmul,
    "mm": mm,
    "mv": mv,
    "dot": dot,
    "inner": dot,
    "outer": outer,
    "ger": outer,
    # shapes
    "view": view,
    "reshape": reshape,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "flatten": flatten,
    "unflatten": unflatten,
    "permute": permute,
    "t": t,
    "transpose": transpose,
    "swapaxes": transpose,
    "swapdims": transpose,
    "movedim": movedim,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "expand": expand,
    "expand_as": expand_as,
    "broadcast_to": broadcast_to,
    "narrow": narrow,
    "select": select,
    "unbind": unbind,
    "chunk": chunk,
    "split": split,
    "contiguous": contiguous,
    "clone": clone,
    "flip": flip,
    "index_select": index_select,
    "gather": gather,
    # conversions
    "to": to,
    "type": type,
    "type_as": type_as,
    "cpu": cpu,
    "cuda": cuda,
    "double": _caster(_dt.float64),
    "float": _caster(_dt.float32),
    "half": _caster(_dt.float16),
    "long": _caster(_dt.int64),
    "int": _caster(_dt.int32),
    "short": _caster(_dt.int16),
    "bool": _caster(_dt.bool),
    "byte": _caster(_dt.uint8),
    "char": _caster(_dt.int8),
    # in place
    "add_": add_,
    "sub_": sub_,
    "subtract_": sub_,
    "mul_": mul_,
    "multiply_": mul_,
    "div_": div_,
    "divide_": div_,
    "pow_": pow_,
    "exp_": exp_,
    "log_": log_,
    "sqrt_": sqrt_,
    "sin_": sin_,
    "cos_": cos_,
    "tanh_": tanh_,
    "abs_": abs_,
    "neg_": neg_,
    "reciprocal_": reciprocal_,
    "sigmoid_": sigmoid_,
    "relu_": relu_,
    "clamp_": clamp_,
    "clip_": clamp_,
    "zero_": zero_,
    "fill_": fill_,
    "copy_": copy_,
    "masked_fill_": masked_fill_,
}

_DUNDERS = {
    "__add__": lambda a, b: arith(operator.add, a, b),
    "__radd__": _radd,
    "__sub__": lambda a, b: arith(operator.sub, a, b),
    "__rsub__": _rsub,
    "__mul__": lambda a, b: arith(operator.mul, a, b),
    "__rmul__": _rmul,
    "__truediv__": lambda a, b: arith(operator.truediv, a, b, true_div=True),
    "__rtruediv__": _rtruediv,
    "__pow__": pow,
    "__rpow__": _rpow,
    "__matmul__": matmul,
    "__rmatmul__": lambda a, b: matmul(_as_tensor(b), a),
    "__mod__": remainder,
    "__floordiv__": floor_divide,
    "__rfloordiv__": lambda a, b: floor_divide(_as_tensor(b, a), a),
    "__neg__": neg,
    "__pos__": lambda a: a,
    "__abs__": abs,
    "__invert__": bitwise_not,
    "__and__": bitwise_and,
    "__or__": bitwise_or,
    "__xor__": bitwise_xor,
    "__rand__": bitwise_and,
    "__ror__": bitwise_or,
    "__eq__": eq,
    "__ne__": ne,
    "__gt__": gt,
    "__lt__": lt,
    "__ge__": ge,
    "__le__": le,
    "__iadd__": add_,
    "__isub__": sub_,
    "__imul__": mul_,
    "__itruediv__": div_,
    "__ipow__": pow_,
}


def install(cls):
    """Put the op functions on ``cls`` as methods and operators."""
    from . import numpy_compat  # noqa: PLC0415

    numpy_compat.extend(_METHODS)
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)
    for name, fn in _DUNDERS.items():
        setattr(cls, name, fn)
    cls.T = property(_T)
    cls.mT = property(_mT)
    cls.H = property(_T)
