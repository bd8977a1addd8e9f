"""Rules for the tape's torch-style primitives that have no NumPy twin.

``relu``, ``sigmoid``, ``clamp`` (PyTorch's boundary convention), the max/min along
a dimension that returns values, indexing (``getitem``) and its scatter-back,
in-place copies into a region, the view steps of in-place updates of views, and
dtype casts.  Each is an ordinary function over arrays, so generated code can call it
too; each dispatches to a tensor type that defines ``__srcad_function__`` (the way
NumPy functions dispatch through ``__array_function__``), so the tape records it
when it runs on tensors, for instance inside a rule during ``create_graph``.

Helpers whose array argument is read only for its shape and dtype say so with
``__srcad_meta_args__``: the tape then saves no value for it (PyTorch saves sizes).
"""

import functools

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, nondifferentiable


def scatter_add(out, index, values):
    """``out[index] += values`` with repeated indices adding up (NumPy or CuPy)."""
    _rt.scatter_add(out, index, values)


def grid_index(idx, dim):
    """A full advanced index that picks ``idx`` along ``dim`` and every position
    along the other dimensions (``np.take_along_axis``'s index)."""
    xp = _rt.namespace_of(idx)
    nd = idx.ndim

    def along(k):
        return xp.arange(idx.shape[k]).reshape([-1 if j == k else 1 for j in range(nd)])

    return tuple(idx if k == dim else along(k) for k in range(nd))


def primitive(fn):
    """Make ``fn`` dispatch to ``type(arg).__srcad_function__`` for a tensor argument."""

    @functools.wraps(fn)
    def prim(*args, **kwargs):
        for a in args:
            if type(a) in (list, tuple):
                a = a[0] if a else None
            handler = getattr(type(a), "__srcad_function__", None)
            if handler is not None:
                return handler(prim, args, kwargs)
        return fn(*args, **kwargs)

    prim.impl = fn
    return prim


def meta_args(*positions):
    """Declare which arguments a helper reads only for their shape and dtype."""

    def mark(fn):
        fn.__srcad_meta_args__ = positions
        return fn

    return mark


# --------------------------------------------------------------------------------------
# Elementwise


@primitive
def relu(x):
    """``max(x, 0)`` elementwise."""
    return np.maximum(x, 0)


@adjoint(relu, elementwise=True)
def _(result, x):
    d[x] = d[result] * (result > 0)


@primitive
def sigmoid(x):
    """The logistic function, written through tanh so it never overflows."""
    return 0.5 * np.tanh(0.5 * x) + 0.5


@adjoint(sigmoid, elementwise=True)
def _(result, x):
    d[x] = d[result] * result * (1 - result)


@primitive
def clamp(x, min=None, max=None):  # noqa: A002 - PyTorch's parameter names
    """``x`` limited to ``[min, max]``; either bound may be None."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if max is None:
        return np.maximum(x, min).astype(x.dtype, copy=False)
    if min is None:
        return np.minimum(x, max).astype(x.dtype, copy=False)
    return np.minimum(np.maximum(x, min), max).astype(x.dtype, copy=False)


def clamp_mask(x, lo, hi):
    """Where the gradient of clamp passes: ``lo <= x <= hi`` (bounds inclusive)."""
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


@adjoint(clamp)
def _(result, x, min=None, max=None):  # noqa: A002
    d[x] = d[result] * clamp_mask(x, min, max)


# --------------------------------------------------------------------------------------
# max / min along a dimension (the values; the indices carry no gradient)


@primitive
def extreme_dim(x, dim, keepdim=False, largest=True):
    """Values of ``x.max(dim)`` (``largest``) or ``x.min(dim)``."""
    f = np.max if largest else np.min
    return f(x, axis=dim, keepdims=keepdim)


def extreme_index(x, dim, largest=True):
    """Index of the first maximum (minimum) along ``dim``, kept as a size-1 axis."""
    f = np.argmax if largest else np.argmin
    return np.expand_dims(f(x, axis=dim), dim)


@primitive
@meta_args(1)
def put_along(g, x, idx, dim, keepdim):
    """Zeros shaped like ``x`` with ``g`` added at ``idx`` along ``dim`` (repeats add up)."""
    out = np.zeros_like(g, shape=np.shape(x))
    if not keepdim:
        g = np.expand_dims(g, dim)
    scatter_add(out, grid_index(idx, dim), np.broadcast_to(g, idx.shape))
    return out


@primitive
def take_along(g, idx, dim, keepdim):
    """The values of ``g`` at ``idx`` along ``dim`` (the adjoint of :func:`put_along`)."""
    out = np.take_along_axis(g, idx, axis=dim)
    return out if keepdim else np.squeeze(out, axis=dim)


@adjoint(extreme_dim)
def _(result, x, dim, keepdim=False, largest=True):
    d[x] = put_along(d[result], x, extreme_index(x, dim, largest), dim, keepdim)


@adjoint(put_along)
def _(result, g, x, idx, dim, keepdim):
    d[g] = take_along(d[result], idx, dim, keepdim)


@adjoint(take_along)
def _(result, g, idx, dim, keepdim):
    d[g] = put_along(d[result], g, idx, dim, keepdim)


nondifferentiable(extreme_index)


# --------------------------------------------------------------------------------------
# Indexing


def is_basic_index(index):
    """True when ``x[index]`` is a view (ints, slices, None, Ellipsis)."""
    if type(index) is tuple:
        return all(is_basic_index(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (int, np.integer, slice))


@primitive
def getitem(x, index):
    """``x[index]``."""
    return x[index]


@primitive
@meta_args(1)
def getitem_adjoint(g, x, index):
    """Zeros shaped like ``x`` with ``g`` added at ``index`` (repeats accumulate)."""
    out = np.zeros_like(g, shape=np.shape(x))
    if is_basic_index(index):
        out[index] = g
    else:
        scatter_add(out, index, g)
    return out


@adjoint(getitem)
def _(result, x, index):
    d[x] = getitem_adjoint(d[result], x, index)


@adjoint(getitem_adjoint)
def _(result, g, x, index):
    d[g] = getitem(d[result], index)


@primitive
def copy_to(x, v):
    """``v`` broadcast to ``x``'s shape and dtype (what ``x.copy_(v)`` leaves in ``x``)."""
    out = np.empty_like(x)
    out[...] = v
    return out


@adjoint(copy_to)
def _(result, x, v):
    d[v] = sum_like(d[result], v)


@primitive
def index_put(x, index, v):
    """A copy of ``x`` with ``v`` written at ``index`` (``x[index] = v``)."""
    out = x.copy()
    out[index] = v
    return out


@primitive
def zero_at(g, index):
    """A copy of ``g`` with zeros at ``index``."""
    out = g.copy()
    out[index] = 0
    return out


@adjoint(zero_at)
def _(result, g, index):
    d[g] = zero_at(d[result], index)


@adjoint(index_put)
def _(result, x, index, v):
    d[x] = zero_at(d[result], index)
    d[v] = sum_like(getitem(d[result], index), v)


@primitive
def index_put_last(x, index, v):
    """``index_put`` with NumPy's meaning, for NumPy programs on the tape: where
    ``index`` names an element more than once, the last write sticks, so the values
    written before it reach nothing (PyTorch's index_put gives each of them the
    element's gradient; FINDINGS A7)."""
    out = x.copy()
    out[index] = v
    return out


@primitive
@meta_args(0)
def last_writes(x, index):
    """1.0 at the slots of ``x[index] = v`` that stick, 0.0 at those a later slot
    overwrites, shaped like ``x[index]`` (in ``x``'s dtype)."""
    keep = np.ones_like(x, shape=np.shape(x[index]))
    lost = _rt.overwritten_slots(x, index)
    if lost is not None:
        keep[lost] = 0
    return keep


nondifferentiable(last_writes)


@adjoint(index_put_last)
def _(result, x, index, v):
    d[x] = zero_at(d[result], index)
    d[v] = sum_like(getitem(d[result], index) * last_writes(x, index), v)


@primitive
@meta_args(1)
def sum_like(g, v):
    """``g`` summed down to the shape of ``v`` (undoing broadcasting; size-1 dimensions
    that ``g`` lacks are added back)."""
    from ..runtime.core import unbroadcast  # noqa: PLC0415

    if getattr(v, "shape", None) is not None and np.ndim(g) < np.ndim(v):
        return np.reshape(g, np.shape(v))
    return unbroadcast(g, v)


@adjoint(sum_like)
def _(result, g, v):
    d[g] = np.broadcast_to(d[result], np.shape(g))


# --------------------------------------------------------------------------------------
# Views: a view is a chain of steps from its base; in-place updates of views need it


def apply_steps(x, steps):
    """``x`` seen through view ``steps``: ``("i", index)``, ``("r", shape)``,
    ``("p", axes)`` or ``("e", shape)`` (index, reshape, permute, expand)."""
    for kind, arg in steps:
        if kind == "i":
            x = x[arg]
        elif kind == "r":
            x = np.reshape(x, arg)
        elif kind == "p":
            x = np.transpose(x, arg)
        else:
            x = np.broadcast_to(x, arg)
    return x


@primitive
def as_view(x, steps):
    """``x`` seen through view ``steps`` (see :func:`apply_steps`)."""
    return apply_steps(x, steps)


@primitive
@meta_args(1)
def view_scatter(g, x, steps):
    """Zeros shaped like ``x`` with ``g`` added where the view ``steps`` looks."""
    out = np.zeros_like(g, shape=np.shape(x))
    region = apply_steps(out, [s for s in steps if s[0] != "e"])
    expanded = [s for s in steps if s[0] == "e"]
    if expanded:
        from ..runtime.core import unbroadcast  # noqa: PLC0415

        g = unbroadcast(g, region)
    region[...] += g
    return out


@adjoint(as_view)
def _(result, x, steps):
    d[x] = view_scatter(d[result], x, steps)


@adjoint(view_scatter)
def _(result, g, x, steps):
    d[g] = as_view(d[result], steps)


# --------------------------------------------------------------------------------------
# Casts


@primitive
def to_dtype(x, dtype):
    """``x`` converted to ``dtype`` (a NumPy dtype)."""
    return x.astype(dtype)


@adjoint(to_dtype)
def _(result, x, dtype):
    d[x] = to_dtype(d[result], np.result_type(x))


def array_module_name(x):
    """``"cupy"`` for a CuPy array, ``"numpy"`` otherwise."""
    return "cupy" if type(x).__module__.startswith("cupy") else "numpy"


array_module_name.__srcad_meta_args__ = (0,)


@primitive
def to_array_module(x, module):
    """``x`` copied to NumPy (host) or CuPy (device) memory."""
    if module == array_module_name(x):
        return x
    if module == "numpy":
        return x.get()
    import cupy  # noqa: PLC0415

    return cupy.asarray(x)


@adjoint(to_array_module)
def _(result, x, module):
    d[x] = to_array_module(d[result], array_module_name(x))


# --------------------------------------------------------------------------------------
# logsumexp (NumPy has none)


@primitive
def logsumexp(x, dim, keepdim=False):
    """``log(sum(exp(x)))`` along ``dim``, shifted by the maximum for stability."""
    m = np.max(x, axis=dim, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dim)


@adjoint(logsumexp)
def _(result, x, dim, keepdim=False):
    d[x] = _rt.expand_reduced(d[result], x, dim, keepdim) * np.exp(
        x - _rt.expand_reduced(result, x, dim, keepdim)
    )


# --------------------------------------------------------------------------------------
# addmm: the node PyTorch's F.linear records, with its operands in PyTorch's order


@primitive
def addmm(b, x, y):
    """``b + x @ y`` for matrices ``x`` and ``y``, ``b`` broadcast to the product."""
    return b + np.matmul(x, y)


@adjoint(addmm)
def _(result, b, x, y):
    d[b] = _rt.unbroadcast(d[result], b)
    d[x] = np.matmul(d[result], np.swapaxes(y, -1, -2))
    d[y] = np.matmul(np.swapaxes(x, -1, -2), d[result])


# --------------------------------------------------------------------------------------
# torch.linalg.cholesky: NumPy's factor, with PyTorch's symmetric gradient (np.linalg's
# own rule puts the gradient on the triangle NumPy reads)


@primitive
def linalg_cholesky(a):
    """The lower Cholesky factor; its gradient is the symmetric one, as in PyTorch."""
    return np.linalg.cholesky(a)


@adjoint(linalg_cholesky)
def _(result, a):
    d[a] = _rt.cholesky_adjoint(d[result], result)
