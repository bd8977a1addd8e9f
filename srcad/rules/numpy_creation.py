"""Rules for making an array from a value: ``np.array``, ``np.asarray`` and kin.

The argument may be an array (the adjoint passes through, summed back over the
leading axes ``ndmin`` added) or a list or tuple, nested, of numbers and arrays
that may be active (``np.array([a, b])``): the adjoint is then split back into
the same structure, one entry per element, each shaped like its element.  A
``dtype`` that changes precision does not stop the gradient (as in PyTorch and
JAX); the gradient comes back in the argument's own dtype at the boundary.
"""

import numpy as np

from .. import runtime as _rt
from .registry import adjoint


def array_adjoint(g, obj):
    """The adjoint of ``np.array(obj, ...)`` given the result's adjoint ``g``."""
    if _rt.is_zero(g):
        return g
    if isinstance(obj, (list, tuple)):
        return _rt.adjoint_like(g, obj)
    return _rt.unbroadcast(g, obj)


@adjoint(np.array, linear=("object",))
def _(result, object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[object] = array_adjoint(d[result], object)


@adjoint(np.asarray, linear=("a",))
def _(result, a, dtype=None, order=None, *, device=None, copy=None, like=None):
    d[a] = array_adjoint(d[result], a)


@adjoint(np.asanyarray, linear=("a",))
def _(result, a, dtype=None, order=None, *, device=None, copy=None, like=None):
    d[a] = array_adjoint(d[result], a)


@adjoint(np.ascontiguousarray, np.asfortranarray, linear=("a",))
def _(result, a, dtype=None, *, like=None):
    d[a] = array_adjoint(d[result], a)


@adjoint(array_adjoint, linear=("g",))
def _(result, g, obj):
    d[g] = _rt.stack_like(d[result], g)
