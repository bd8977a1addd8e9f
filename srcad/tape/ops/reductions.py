"""Reductions: sums, means, products, extremes and their indices, all/any."""

from collections import namedtuple

import numpy as np

from ...rules import tape_ops as T
from .. import dtypes as _dt
from ..grad_mode import STATE
from ..names import grad_fn_name, name_for
from ..node import info, node_class
from ..tensor import (
    Tensor,
    _wrap_dim,
    record,
    wrap,
)
from ._base import _as_array
from .unary import maximum, minimum

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "count_nonzero",
    "max",
    "mean",
    "min",
    "prod",
    "return_types",
    "sum",
]


def _norm_dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(_wrap_dim(d, ndim) for d in dim)
    return _wrap_dim(dim, ndim)


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
    _fields = ("values", "indices")

    def __new__(cls, *items):
        return tuple.__new__(cls, items)

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{self._name}(\n{body})"


def _return_type(name, fields=("values", "indices")):
    """The class PyTorch names ``torch.return_types.<name>``."""
    attrs = {"__slots__": (), "_name": name, "_fields": fields, "__module__": "torch.return_types"}
    for i, f in enumerate(fields):
        if f not in ("values", "indices"):
            attrs[f] = property(lambda self, i=i: self[i])
    cls = type(name, (_ReturnType,), attrs)
    cls.__qualname__ = name
    return cls


_MaxType = _return_type("max")
_MinType = _return_type("min")
_TopkType = _return_type("topk")
_SortType = _return_type("sort")
_HistogramType = _return_type("histogram", ("hist", "bin_edges"))


return_types = namedtuple("return_types", "max min topk sort histogram")(
    _MaxType, _MinType, _TopkType, _SortType, _HistogramType
)


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
