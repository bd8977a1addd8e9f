"""Rules for NumPy's shape functions: reshape, transpose, concatenate, split, pad, ...

Almost all of these are linear in their array argument: they declare ``linear=``
and their tangent is the same function applied to the tangent.  Functions of a
*sequence* of arrays (``concatenate``, ``stack``, ...) write their tangent out,
because some entries of the tangent sequence may be ``0.0`` placeholders that
``_rt.materialize`` turns into zeros first.  Functions returning a sequence
(``split``, ``unstack``) take a sequence adjoint whose entries may be
placeholders for the unused pieces.
"""

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, linear, nondifferentiable, tangent

# -- reshaping and reordering axes --------------------------------------------


@adjoint(np.reshape, linear=("a",))
def _(result, a, shape=None, order="C", copy=None):
    d[a] = np.reshape(d[result], np.shape(a), order=order)


@adjoint(np.ravel, linear=("a",))
def _(result, a, order="C"):
    d[a] = _rt.unravel(d[result], a, order)


@adjoint(np.squeeze, np.expand_dims, linear=("a",))
def _(result, a, axis=None):
    d[a] = np.reshape(d[result], np.shape(a))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(result, *arys):
    d[arys] = _rt.atleast_adjoint(d[result], arys)


@tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(result, *arys):
    d[result] = _rt.atleast_jvp(d[arys], arys, result)


@adjoint(np.transpose, np.permute_dims, linear=("a",))
def _(result, a, axes=None):
    d[a] = _rt.transpose_adjoint(d[result], axes)


@adjoint(np.matrix_transpose, np.linalg.matrix_transpose, linear=("x",))
def _(result, x):
    d[x] = np.swapaxes(d[result], -1, -2)


@adjoint(np.swapaxes, linear=("a",))
def _(result, a, axis1, axis2):
    d[a] = np.swapaxes(d[result], axis1, axis2)


@adjoint(np.moveaxis, linear=("a",))
def _(result, a, source, destination):
    d[a] = np.moveaxis(d[result], destination, source)


@adjoint(np.rollaxis, linear=("a",))
def _(result, a, axis, start=0):
    d[a] = _rt.rollaxis_adjoint(d[result], a, axis, start)


@adjoint(np.broadcast_to, linear=("array",))
def _(result, array, shape, subok=False):
    d[array] = _rt.sum_to_like(d[result], array)


@adjoint(np.broadcast_arrays)
def _(result, *args, subok=False):
    d[args] = _rt.broadcast_arrays_adjoint(d[result], args)


@tangent(np.broadcast_arrays)
def _(result, *args, subok=False):
    d[result] = _rt.broadcast_arrays_jvp(d[args], args, result)


@adjoint(np.copy, linear=("a",))
def _(result, a, order="K", subok=False):
    d[a] = d[result]


# -- joining and splitting ----------------------------------------------------


@adjoint(np.concatenate, np.concat)
def _(result, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = _rt.concatenate_adjoint(d[result], arrays, axis)


@tangent(np.concatenate, np.concat)
def _(result, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[result] = np.concatenate(_rt.materialize(d[arrays], arrays), axis=axis)


@adjoint(np.stack)
def _(result, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = _rt.stack_adjoint(d[result], arrays, axis)


@tangent(np.stack)
def _(result, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[result] = np.stack(_rt.materialize(d[arrays], arrays), axis=axis)


@adjoint(np.hstack)
def _(result, tup, dtype=None, casting="same_kind"):
    d[tup] = _rt.stack_family_adjoint(d[result], tup, "h")


@tangent(np.hstack)
def _(result, tup, dtype=None, casting="same_kind"):
    d[result] = np.hstack(_rt.materialize(d[tup], tup))


@adjoint(np.vstack)
def _(result, tup, dtype=None, casting="same_kind"):
    d[tup] = _rt.stack_family_adjoint(d[result], tup, "v")


@tangent(np.vstack)
def _(result, tup, dtype=None, casting="same_kind"):
    d[result] = np.vstack(_rt.materialize(d[tup], tup))


@adjoint(np.dstack)
def _(result, tup):
    d[tup] = _rt.stack_family_adjoint(d[result], tup, "d")


@tangent(np.dstack)
def _(result, tup):
    d[result] = np.dstack(_rt.materialize(d[tup], tup))


@adjoint(np.column_stack)
def _(result, tup):
    d[tup] = _rt.stack_family_adjoint(d[result], tup, "c")


@tangent(np.column_stack)
def _(result, tup):
    d[result] = np.column_stack(_rt.materialize(d[tup], tup))


@adjoint(np.append)
def _(result, arr, values, axis=None):
    d[arr] = _rt.append_adjoint(d[result], arr, values, axis, 0)
    d[values] = _rt.append_adjoint(d[result], arr, values, axis, 1)


@tangent(np.append)
def _(result, arr, values, axis=None):
    t = np.append(_rt.materialize(d[arr], arr), _rt.materialize(d[values], values), axis)
    d[result] = t


@adjoint(np.split, np.array_split, linear=("ary",))
def _(result, ary, indices_or_sections, axis=0):
    d[ary] = _rt.split_adjoint(d[result], result, axis)


@adjoint(np.hsplit, linear=("ary",))
def _(result, ary, indices_or_sections):
    d[ary] = _rt.split_adjoint(d[result], result, _rt.split_axis(ary, "h"))


@adjoint(np.vsplit, linear=("ary",))
def _(result, ary, indices_or_sections):
    d[ary] = _rt.split_adjoint(d[result], result, _rt.split_axis(ary, "v"))


@adjoint(np.dsplit, linear=("ary",))
def _(result, ary, indices_or_sections):
    d[ary] = _rt.split_adjoint(d[result], result, _rt.split_axis(ary, "d"))


# -- repeating ----------------------------------------------------------------


@adjoint(np.tile, linear=("A",))
def _(result, A, reps):
    d[A] = _rt.tile_adjoint(d[result], A, reps)


@adjoint(np.repeat, linear=("a",))
def _(result, a, repeats, axis=None):
    d[a] = _rt.repeat_adjoint(d[result], a, repeats, axis)


# -- flips and rotations ------------------------------------------------------


@adjoint(np.flip, linear=("m",))
def _(result, m, axis=None):
    d[m] = np.flip(d[result], axis)


@adjoint(np.fliplr, linear=("m",))
def _(result, m):
    d[m] = np.fliplr(d[result])


@adjoint(np.flipud, linear=("m",))
def _(result, m):
    d[m] = np.flipud(d[result])


@adjoint(np.roll, linear=("a",))
def _(result, a, shift, axis=None):
    d[a] = np.roll(d[result], _rt.negate_shift(shift), axis)


@adjoint(np.rot90, linear=("m",))
def _(result, m, k=1, axes=(0, 1)):
    d[m] = np.rot90(d[result], -k, axes)


# -- diagonals and triangles --------------------------------------------------


@adjoint(np.diag, linear=("v",))
def _(result, v, k=0):
    d[v] = _rt.diag_adjoint(d[result], v, k)


@adjoint(np.diagflat, linear=("v",))
def _(result, v, k=0):
    d[v] = np.reshape(np.diagonal(d[result], k), np.shape(v))


@adjoint(np.diagonal, linear=("a",))
def _(result, a, offset=0, axis1=0, axis2=1):
    d[a] = _rt.diagonal_adjoint(d[result], a, offset, axis1, axis2)


@adjoint(np.linalg.diagonal, linear=("x",))
def _(result, x, offset=0):
    d[x] = _rt.diagonal_adjoint(d[result], x, offset, -2, -1)


@adjoint(np.tril, linear=("m",))
def _(result, m, k=0):
    d[m] = np.tril(d[result], k)


@adjoint(np.triu, linear=("m",))
def _(result, m, k=0):
    d[m] = np.triu(d[result], k)


# -- padding, gathering, sorting ----------------------------------------------


@adjoint(np.pad)
def _(result, array, pad_width, mode="constant", constant_values=0):
    d[array] = _rt.pad_adjoint(d[result], array, pad_width, mode)
    d[constant_values] = _rt.pad_constant_adjoint(d[result], array, pad_width)


@tangent(np.pad)
def _(result, array, pad_width, mode="constant", constant_values=0):
    t = _rt.pad_jvp(d[array], d[constant_values], array, pad_width, mode)
    d[result] = t


@adjoint(np.take, linear=("a",))
def _(result, a, indices, axis=None, out=None, mode="raise"):
    d[a] = _rt.take_adjoint(d[result], a, indices, axis, mode)


@adjoint(np.take_along_axis, linear=("arr",))
def _(result, arr, indices, axis=-1):
    d[arr] = _rt.take_along_axis_adjoint(d[result], arr, indices, axis)


@adjoint(np.sort)
def _(result, a, axis=-1, kind=None, order=None, stable=None):
    d[a] = _rt.sort_adjoint(d[result], a, axis)


@tangent(np.sort)
def _(result, a, axis=-1, kind=None, order=None, stable=None):
    d[result] = _rt.sort_jvp(d[a], a, axis)


if hasattr(np, "unstack"):  # NumPy >= 2.1

    @adjoint(np.unstack, linear=("x",))
    def _(result, x, axis=0):
        d[x] = _rt.unstack_adjoint(d[result], result, axis)


nondifferentiable(
    np.searchsorted,
    np.digitize,
    np.argwhere,
    np.argpartition,
    np.nanargmax,
    np.nanargmin,
    np.lexsort,
    np.tri,
    np.tril_indices,
    np.triu_indices,
    np.diag_indices,
    np.indices,
    np.unravel_index,
    np.ravel_multi_index,
    np.may_share_memory,
    np.shares_memory,
)


# -- forward rules of the helpers the adjoints above call ---------------------
# (srcad.hvp differentiates generated adjoint code in forward mode)

linear(
    _rt.transpose_adjoint,
    _rt.rollaxis_adjoint,
    _rt.unravel,
    _rt.atleast_adjoint,
    _rt.concatenate_adjoint,
    _rt.stack_adjoint,
    _rt.stack_family_adjoint,
    _rt.split_adjoint,
    _rt.unstack_adjoint,
    _rt.tile_adjoint,
    _rt.repeat_adjoint,
    _rt.broadcast_arrays_adjoint,
    _rt.diagonal_adjoint,
    _rt.diag_adjoint,
    _rt.pad_adjoint,
    _rt.pad_constant_adjoint,
    _rt.take_adjoint,
    _rt.take_along_axis_adjoint,
    _rt.sort_adjoint,
    _rt.append_adjoint,
    params=("g",),
)
nondifferentiable(_rt.split_axis, _rt.negate_shift)
