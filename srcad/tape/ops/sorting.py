"""Sorting, searching and counting: topk, sort, argsort, unique, nonzero, bincount,
histc, histogram, isin.

Orders are stable (ties keep their index order, in both directions); the values of
``topk`` and ``sort`` are a gather of the input at the returned indices, so their
gradient is the gather's (scattered back to the chosen positions).
"""

import numpy as np

from ..names import grad_fn_name
from ..tensor import Tensor, _wrap_dim, raw, wrap
from .inplace import gather
from .reductions import _HistogramType, _SortType, _TopkType
from .unary import _renamed

__all__ = [
    "argsort",
    "bincount",
    "histc",
    "histogram",
    "isin",
    "nonzero",
    "sort",
    "topk",
    "unique",
]


def _order(d, axis, descending):
    """Stable argsort of ``d`` along ``axis`` (descending keeps ties in index order)."""
    if d.ndim == 0:
        return np.zeros((), dtype=np.int64)
    if not descending:
        return np.argsort(d, axis=axis, kind="stable")
    n = d.shape[axis]
    rev = np.argsort(np.flip(d, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(rev, axis)).astype(np.int64)


def _values_at(input, axis, idx, name):  # noqa: A002
    if input._data.ndim == 0:
        return _renamed(input.clone(), grad_fn_name(name))
    return _renamed(gather(input, axis, wrap(idx)), grad_fn_name(name))


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """``(values, indices)`` of ``input`` sorted along ``dim``."""
    d = input._data
    axis = _wrap_dim(dim, d.ndim)
    idx = _order(d, axis, descending).astype(np.int64, copy=False)
    return _SortType(_values_at(input, axis, idx, "sort"), wrap(idx))


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable)[1]


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices."""
    d = input._data
    axis = _wrap_dim(dim, d.ndim)
    n = d.shape[axis] if d.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    order = _order(d, axis, largest)
    idx = np.take(order, np.arange(k), axis=axis) if d.ndim else order
    idx = idx.astype(np.int64, copy=False)
    return _TopkType(_values_at(input, axis, idx, "topk"), wrap(idx))


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """Indices of the non-zero entries: an ``(n, ndim)`` int64 tensor, or one index
    tensor per dimension with ``as_tuple=True``."""
    d = input._data
    if as_tuple:
        return tuple(wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(d)))
    return wrap(np.argwhere(d).astype(np.int64))


def unique(
    input,  # noqa: A002
    sorted=True,  # noqa: A002
    return_inverse=False,
    return_counts=False,
    dim=None,
):
    """The distinct values (sorted), with the inverse indices and counts on request."""
    d = input._data
    if dim is None:
        res = np.unique(d, return_inverse=return_inverse, return_counts=return_counts)
    else:
        axis = _wrap_dim(dim, d.ndim)
        res = np.unique(d, return_inverse=return_inverse, return_counts=return_counts, axis=axis)
    if not (return_inverse or return_counts):
        return wrap(res)
    values, *rest = res
    out = [wrap(values)]
    k = 0
    if return_inverse:
        inv = rest[k].astype(np.int64)
        out.append(wrap(inv.reshape(d.shape) if dim is None else inv.reshape(-1)))
        k += 1
    if return_counts:
        out.append(wrap(rest[k].astype(np.int64)))
    return tuple(out)


def bincount(input, weights=None, minlength=0):  # noqa: A002
    d = input._data
    if d.ndim != 1 or d.dtype.kind not in "iub":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if d.size and d.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else raw(weights)
    out = np.bincount(d, weights=w, minlength=minlength)
    if w is None:
        return wrap(out.astype(np.int64))
    return wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    return wrap(np.isin(raw(elements), raw(test_elements), invert=invert))


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """Counts in ``bins`` equal bins over ``[min, max]`` (the data's range when both are 0);
    entries outside are ignored."""
    d = input._data
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_kind_name(d)}'")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(d.min()), float(d.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    counts, _ = np.histogram(d, bins=bins, range=(lo, hi))
    return wrap(counts.astype(d.dtype))


def _kind_name(d):
    from .. import dtypes as _dt  # noqa: PLC0415

    return _dt.NP2DT[d.dtype]._legacy.replace("Tensor", "")


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """``(hist, bin_edges)``: ``bins`` equal bins (or the given edges) over ``range``."""
    d = input._data
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_kind_name(d)}'")
    b = raw(bins) if isinstance(bins, Tensor) else bins
    w = None if weight is None else raw(weight)
    rng = None if range is None else (float(range[0]), float(range[1]))
    if rng is not None and rng[0] > rng[1]:
        raise RuntimeError(
            "torch.histogramdd: min should not exceed max, but got min "
            f"{range[0]:g} max {range[1]:g} for dimension 0"
        )
    if rng is None and not hasattr(b, "shape") and d.size:
        rng = (float(d.min()), float(d.max()))
    hist, edges = np.histogram(d, bins=b, range=rng, weights=w, density=density)
    return _HistogramType(wrap(hist.astype(d.dtype)), wrap(edges.astype(d.dtype)))
