"""Array methods and attributes, and Python builtins with derivative rules.

``METHODS`` maps an array method's name to the primitive whose rule applies when
the method is called on an array: ``x.sum(axis=0)`` is ``np.sum(x, axis=0)``.
Where the method's signature differs from the function's (``x.reshape(2, 3)``
against ``np.reshape(x, (2, 3))``) the table names a small wrapper below, which
has its own rule.  ``ATTRIBUTES`` does the same for attributes (``x.T`` is
``np.transpose(x)``); ``shape``, ``ndim``, ``size`` and ``dtype`` carry no
gradient.

Builtins: ``abs`` shares ``np.absolute``'s rule and the ``math`` functions share
the NumPy ones (see ``numpy_elementwise``); ``pow`` and ``math.pow`` share
``operator.pow``'s.  Here: ``sum`` (and ``math.fsum``), ``max``/``min`` (ties share
the adjoint evenly) and ``float``.
"""

import math
import operator

import numpy as np

from .. import runtime as _rt
from . import arithmetic  # noqa: F401  (operator.pow's templates are reused below)
from .registry import adjoint, linear, lookup, nondifferentiable, tangent

# -- wrappers for methods whose signature differs from NumPy's function -------


def method_reshape(a, *shape, order="C"):
    """``a.reshape(*shape)``: the shape as separate ints or as one tuple."""
    return np.reshape(a, _rt.shape_arg(shape), order=order)


def method_transpose(a, *axes):
    """``a.transpose(*axes)``: no axes, separate ints, or one tuple."""
    return np.transpose(a, _rt.shape_arg(axes))


def method_flatten(a, order="C"):
    """``a.flatten(order)``: a flat copy."""
    return np.copy(np.ravel(a, order=order))


def method_astype(a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """``a.astype(dtype)`` (only the options given are passed: tape tensors take none)."""
    given = {"order": (order, "K"), "casting": (casting, "unsafe"), "subok": (subok, True)}
    extra = {k: v for k, (v, default) in given.items() if v != default}
    if copy is not True:
        extra["copy"] = copy
    return a.astype(dtype, **extra)


def method_clip(a, min=None, max=None, out=None):
    """``a.clip(min, max)`` (``np.clip`` spells its bounds ``a_min``, ``a_max``)."""
    return np.clip(a, min, max, out=out)


def method_get(a, *args):
    """``a.get(key[, default])`` of a dict."""
    return a.get(*args)


def method_item(a, *args):
    """``a.item(*args)``: one element as a Python scalar."""
    return a.item(*args)


def attribute_dtype(a):
    """``a.dtype``."""
    return a.dtype


@adjoint(method_reshape, linear=("a",))
def _(result, a, *shape, order="C"):
    d[a] = np.reshape(d[result], np.shape(a), order=order)


@adjoint(method_transpose, linear=("a",))
def _(result, a, *axes):
    d[a] = _rt.transpose_adjoint(d[result], _rt.shape_arg(axes))


@adjoint(method_flatten, linear=("a",))
def _(result, a, order="C"):
    d[a] = _rt.unravel(d[result], a, order)


@adjoint(method_astype, linear=("a",))
def _(result, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[a] = _rt.cast_like(d[result], a)


@adjoint(method_clip, broadcast=True, elementwise=True)
def _(result, a, min=None, max=None, out=None):
    d[a] = d[result] * _rt.clip_inside(a, min, max)
    d[min] = d[result] * _rt.clip_below(a, min, max)
    d[max] = d[result] * _rt.clip_above(a, min, max)


@adjoint(method_item, linear=("a",))
def _(result, a, *args):
    d[a] = _rt.item_adjoint(d[result], a, args)


nondifferentiable(attribute_dtype)


METHODS = {
    # reductions and scans
    "sum": np.sum,
    "mean": np.mean,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "var": np.var,
    "std": np.std,
    "cumsum": np.cumsum,
    "cumprod": np.cumprod,
    "trace": np.trace,
    "dot": np.dot,
    # shapes
    "reshape": method_reshape,
    "transpose": method_transpose,
    "swapaxes": np.swapaxes,
    "squeeze": np.squeeze,
    "ravel": np.ravel,
    "flatten": method_flatten,
    "repeat": np.repeat,
    "take": np.take,
    "diagonal": np.diagonal,
    "copy": np.copy,
    # values
    "clip": method_clip,
    "astype": method_astype,
    "conj": np.conjugate,
    "conjugate": np.conjugate,
    "item": method_item,
    "get": method_get,
    # no gradient
    "argmax": np.argmax,
    "argmin": np.argmin,
    "argsort": np.argsort,
    "nonzero": np.nonzero,
    "all": np.all,
    "any": np.any,
    "round": np.round,
    "searchsorted": np.searchsorted,
}

ATTRIBUTES = {
    "T": np.transpose,
    "mT": np.matrix_transpose,
    "real": np.real,
    "imag": np.imag,
    # no gradient
    "shape": np.shape,
    "ndim": np.ndim,
    "size": np.size,
    "dtype": attribute_dtype,
}


# -- Python builtins ----------------------------------------------------------


@adjoint(sum, math.fsum)
def _(result, iterable, start=0):
    d[iterable] = _rt.builtin_sum_adjoint(d[result], iterable)
    d[start] = _rt.sum_to_like(d[result], start)


@tangent(sum, math.fsum)
def _(result, iterable, start=0):
    t = _rt.builtin_sum_jvp(d[iterable], d[start], iterable, start)
    d[result] = t


@adjoint(max, min)
def _(result, *args, key=None, default=None):
    d[args] = _rt.builtin_extremum_adjoint(d[result], result, args)


@tangent(max, min)
def _(result, *args, key=None, default=None):
    d[result] = _rt.builtin_extremum_jvp(d[args], args, result)


@adjoint(float, linear=("x",))
def _(result, x=0.0):
    d[x] = _rt.scalar_adjoint(d[result], x)


# pow(x, y) and math.pow(x, y) are x ** y: operator.pow's templates, registered again.
adjoint(pow, math.pow, broadcast=True, elementwise=True)(lookup(operator.pow).adjoint.fn)


# -- forward rules of the helpers the adjoints above call ---------------------
# (srcad.hvp differentiates generated adjoint code in forward mode)

linear(
    _rt.builtin_sum_adjoint,
    _rt.builtin_extremum_adjoint,
    _rt.scalar_adjoint,
    _rt.item_adjoint,
    _rt.cast_like,
    params=("g",),
)
nondifferentiable(_rt.shape_arg)


@adjoint(method_get)
def _(result, a, *args):
    d[a] = _rt.dict_get_adjoint(d[result], a, args)
    d[args] = _rt.dict_get_default_adjoint(d[result], a, args)


@tangent(method_get)
def _(result, a, *args):
    t = _rt.dict_get_jvp(d[a], d[args], a, args)
    d[result] = t


linear(_rt.dict_get_adjoint, _rt.dict_get_default_adjoint, params=("g",))
