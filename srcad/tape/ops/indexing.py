"""Indexed writes and reads along a dimension: scatter, scatter_add, masked_select,
take_along_dim.

``scatter`` writes ``src`` (or a number) at ``index`` along ``dim`` into a copy of the
input: an index_put through the full grid index (:func:`srcad.rules.tape_ops.grid_index`),
so its gradient is the index_put's (zero at the overwritten positions for the input,
the gathered upstream gradient for ``src``).  ``scatter_add`` adds ``src`` through
``put_along``, whose adjoint is the gather.
"""

import numpy as np

from ...rules import tape_ops as T
from ..grad_mode import STATE
from ..names import grad_fn_name
from ..node import info, node_class
from ..tensor import Tensor, _wrap_dim, inplace, raw, record, requires, wrap
from .inplace import gather
from .unary import _renamed

__all__ = [
    "masked_select",
    "scatter",
    "scatter_",
    "scatter_add",
    "scatter_add_",
    "take_along_dim",
]


def _check_index(d, idx, src):
    if not hasattr(idx, "dtype") or idx.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int64 for index")
    if idx.ndim != d.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor) and src._data.dtype != d.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


def _src_part(src, idx):
    """``src`` cut to the index's shape (PyTorch reads only that corner of it)."""
    if not isinstance(src, Tensor):
        return src
    return src[tuple(slice(0, n) for n in idx.shape)]


def _scatter_into(t, dim, index, src, value, reduce, name):
    if reduce is not None:
        if reduce == "add":
            return _add_into(t, dim, index, src if src is not None else value, name)
        raise ValueError(f"srcad's {name} supports reduce='add' only, got {reduce!r}")
    src = value if src is None else src
    d = t._data
    axis = _wrap_dim(dim, d.ndim)
    idx = raw(index)
    _check_index(d, idx, src)
    grid = T.grid_index(idx, axis)
    key = "scatter.src" if isinstance(src, Tensor) else "scatter.value"
    return inplace(t, T.index_put, (grid, _src_part(src, idx)), grad_fn_name(key), eparams=(0, 2))


def scatter(input, dim, index, src=None, value=None, *, reduce=None):  # noqa: A002
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    return _scatter_into(input.clone(), dim, index, src, value, reduce, "scatter")


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    return _scatter_into(self, dim, index, src, value, reduce, "scatter_")


def _added(input, dim, index, src, name):  # noqa: A002
    d = input._data
    axis = _wrap_dim(dim, d.ndim)
    idx = raw(index)
    _check_index(d, idx, src)
    part = _src_part(src, idx)
    spread = T.put_along.impl(raw(part), d, idx, axis, True)
    if STATE.enabled and requires(part):
        inf = info(T.put_along)
        spread = record(
            inf, (part, d, idx, axis, True), spread, node_class(grad_fn_name(T.put_along))
        )
    else:
        spread = wrap(spread)
    return spread


def _add_into(t, dim, index, src, name):
    spread = _added(t, dim, index, src, name)
    t.add_(spread)
    return _renamed(t, grad_fn_name("scatter_add"))


def scatter_add(input, dim, index, src):  # noqa: A002
    """``input`` plus ``src`` added at ``index`` along ``dim`` (repeated indices add up)."""
    return _renamed(
        input + _added(input, dim, index, src, "scatter_add"), grad_fn_name("scatter_add")
    )


def scatter_add_(self, dim, index, src):
    return _add_into(self, dim, index, src, "scatter_add_")


def masked_select(input, mask):  # noqa: A002
    """The entries of ``input`` where ``mask`` (broadcast with it) is True, as a 1-D tensor."""
    m = raw(mask)
    if getattr(m, "dtype", None) != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    x = input.expand(*shape) if input._data.shape != shape else input
    out = x[wrap(np.broadcast_to(m, shape))]
    return _renamed(out, grad_fn_name("masked_select"))


def take_along_dim(input, indices, dim=None):  # noqa: A002
    """``gather`` with the two tensors broadcast against each other (all but ``dim``)."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d, idx = input._data, raw(indices)
    axis = _wrap_dim(dim, d.ndim)
    sx, si = list(d.shape), list(idx.shape)
    sx[axis] = si[axis] = 1
    common = list(np.broadcast_shapes(tuple(sx), tuple(si)))
    want_x = common[:axis] + [d.shape[axis]] + common[axis + 1 :]
    want_i = common[:axis] + [idx.shape[axis]] + common[axis + 1 :]
    x = input.expand(*want_x) if list(d.shape) != want_x else input
    i = wrap(np.broadcast_to(idx, want_i))
    return gather(x, axis, i)
