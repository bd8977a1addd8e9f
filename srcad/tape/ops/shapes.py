"""Shapes and views: reshapes, permutations, squeezes, expansion, slicing, joining."""

import builtins

import numpy as np

from .. import dtypes as _dt
from ..device import c_contiguous
from ..grad_mode import STATE
from ..names import grad_fn_name, name_for
from ..node import _INFO, info, node_class
from ..tensor import (
    _wrap_dim,
    getitem,
    raw,
    record,
    record_op1,
    requires,
    view_op,
    wrap,
)
from ._base import with_out

__all__ = [
    "diag",
    "fliplr",
    "flipud",
    "meshgrid",
    "repeat",
    "repeat_interleave",
    "roll",
    "tensor_split",
    "tril",
    "triu",
    "broadcast_to",
    "cat",
    "chunk",
    "clone",
    "concat",
    "concatenate",
    "contiguous",
    "expand",
    "expand_as",
    "flatten",
    "flip",
    "hstack",
    "movedim",
    "narrow",
    "permute",
    "reshape",
    "reshape_as",
    "select",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "swapdims",
    "t",
    "transpose",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view",
    "view_as",
    "vstack",
]


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


def _is_dtype(a):
    """A dtype as torch or NumPy spells it (``torch.int64``, ``np.int64``, ``"f4"``)."""
    if isinstance(a, (_dt.dtype, np.dtype, str)):
        return True
    return isinstance(a, type) and issubclass(a, (np.generic, float, int, bool, complex))


def view(input, *shape):  # noqa: A002
    """The same data with another shape (never a copy)."""
    if len(shape) == 1 and _is_dtype(shape[0]):
        raise RuntimeError(
            "view(dtype) is not supported by srcad: it reinterprets the bytes, which "
            "carries no gradient; use .to(dtype) (or .astype in NumPy code) to convert"
        )
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


_CLONE = []  # the node class of np.copy, looked up on first use


def clone(input, *, memory_format=None):  # noqa: A002
    """A copy with its own storage (``CloneBackward0``)."""
    d = input._data
    order = "C" if memory_format == "contiguous" else "K"
    # (the array's own copy is np.copy without its Python-level wrapper)
    out = d.copy(order=order) if type(d) is np.ndarray else np.copy(d, order=order)
    if input._rg and STATE.enabled:
        if not _CLONE:
            _CLONE.append(node_class(grad_fn_name(np.copy)))
        inf = _INFO.get(np.copy) or info(np.copy)
        cls = _CLONE[0]
        if inf.written == (0,):  # the other parameters at their defaults: the fast path
            return record_op1(inf, cls, input, out)
        return record(inf, inf.build((input,)), out, cls)
    return wrap(out)


@with_out("cat")
def cat(tensors, dim=0):
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


@with_out("stack")
def stack(tensors, dim=0):
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
# Repeats, rolls, triangles and diagonals (NumPy functions with registry rules)


def _np_op(fn, args, name_key=None):
    from ..interop import apply_prim  # noqa: PLC0415

    return apply_prim(fn, args, {}, None if name_key is None else grad_fn_name(name_key))


def repeat(input, *sizes):  # noqa: A002
    """``input`` tiled ``sizes`` times along each dimension (leading ones added)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    return _np_op(np.tile, (input, tuple(sizes)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each entry repeated ``repeats`` times (along ``dim``, or of the flattened input)."""
    from ..tensor import Tensor as _Tensor  # noqa: PLC0415

    if repeats is None:  # repeat_interleave(repeats): indices repeated by their counts
        counts = input._data
        return wrap(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    r = repeats._data if isinstance(repeats, _Tensor) else repeats
    if dim is None:
        return _np_op(np.repeat, (reshape(input, (-1,)), r, 0), "repeat_interleave")
    return _np_op(np.repeat, (input, r, _wrap_dim(dim, input._data.ndim)), "repeat_interleave")


def roll(input, shifts, dims=None):  # noqa: A002
    return _np_op(np.roll, (input, shifts, dims))


def _triangle(fn, name):
    def op(input, diagonal=0):  # noqa: A002
        if input._data.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return _np_op(fn, (input, diagonal))

    op.__name__ = name
    return op


tril = _triangle(np.tril, "tril")
triu = _triangle(np.triu, "triu")


def diag(input, diagonal=0):  # noqa: A002
    """The matrix with ``input`` (1-D) on a diagonal, or the diagonal of a matrix."""
    nd = input._data.ndim
    if nd == 1:
        return _np_op(np.diag, (input, diagonal), "diag_embed")
    if nd == 2:
        return _np_op(np.diagonal, (input, diagonal), "diagonal")
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{nd}D")


def tensor_split(input, indices_or_sections, dim=0):  # noqa: A002
    """Views of ``input`` split into ``n`` near-equal parts (the first ``N % n`` one
    longer) or at the given indices."""
    d = input._data
    dim = _wrap_dim(dim, d.ndim)
    n = d.shape[dim]
    s = indices_or_sections
    if isinstance(s, int):
        if s <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {s}")
        q, r = divmod(n, s)
        bounds = [0]
        for k in range(s):
            bounds.append(bounds[-1] + q + (1 if k < r else 0))
    else:
        idx = [int(i) for i in (raw(s).tolist() if hasattr(raw(s), "tolist") else s)]
        bounds = [0] + [builtins.min(builtins.max(i, 0), n) for i in idx] + [n]
    return tuple(narrow(input, dim, a, builtins.max(b - a, 0)) for a, b in zip(bounds, bounds[1:]))


def fliplr(input):  # noqa: A002
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):  # noqa: A002
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def meshgrid(*tensors, indexing=None):
    """Grids from 1-D tensors: ``indexing='ij'`` (the default) or ``'xy'``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings  # noqa: PLC0415

        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for k, t in enumerate(ts):
        view_shape = [1] * len(ts)
        view_shape[k] = shape[k]
        out.append(expand(reshape(t, tuple(view_shape)), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)
