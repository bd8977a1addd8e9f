"""Rules for NumPy functions beyond the core families: linspace, ``np.r_``/``np.c_``
(through ``_rt.r_concat``/``_rt.c_concat``), select, partition, gradient, angle,
real_if_close, casts to NumPy scalar types, and ``np.linalg.svd``/``eig``/``eigvals``.

See ``srcad.runtime.grads.extra`` for the conventions (complex values: JAX's;
``svd``/``eig``: distinct singular values / eigenvalues, phase-free losses of
eigenvectors; second derivatives through them are refused).
"""

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, linear, nondifferentiable, tangent


@adjoint(np.linspace)
def _(result, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, device=None):
    d[start] = _rt.linspace_adjoint(d[result], start, stop, num, endpoint, retstep, dtype, axis, 0)
    d[stop] = _rt.linspace_adjoint(d[result], start, stop, num, endpoint, retstep, dtype, axis, 1)


@tangent(np.linspace)
def _(result, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, device=None):
    t = _rt.linspace_jvp(d[start], d[stop], start, stop, num, endpoint, retstep, dtype, axis)
    d[result] = t


@adjoint(_rt.r_concat)
def _(result, items):
    d[items] = _rt.index_concat_adjoint(d[result], items, "r")


@tangent(_rt.r_concat)
def _(result, items):
    d[result] = _rt.index_concat_jvp(d[items], items, "r")


@adjoint(_rt.c_concat)
def _(result, items):
    d[items] = _rt.index_concat_adjoint(d[result], items, "c")


@tangent(_rt.c_concat)
def _(result, items):
    d[result] = _rt.index_concat_jvp(d[items], items, "c")


@adjoint(np.select)
def _(result, condlist, choicelist, default=0):
    d[choicelist] = _rt.select_adjoint(d[result], condlist, choicelist, default, "choicelist")
    d[default] = _rt.select_adjoint(d[result], condlist, choicelist, default, "default")


@tangent(np.select)
def _(result, condlist, choicelist, default=0):
    t = _rt.select_jvp(d[choicelist], d[default], condlist, choicelist, default)
    d[result] = t


@adjoint(np.partition)
def _(result, a, kth, axis=-1, kind="introselect", order=None):
    d[a] = _rt.partition_adjoint(d[result], a, result, axis)


@tangent(np.partition)
def _(result, a, kth, axis=-1, kind="introselect", order=None):
    d[result] = _rt.partition_jvp(d[a], a, result, axis)


@adjoint(np.gradient)
def _(result, f, *varargs, axis=None, edge_order=1):
    d[f] = _rt.gradient_adjoint(d[result], f, varargs, axis, edge_order)
    d[varargs] = _rt.gradient_spacing_adjoint(d[result])


@tangent(np.gradient)
def _(result, f, *varargs, axis=None, edge_order=1):
    t = _rt.gradient_jvp(d[f], d[varargs], f, varargs, axis, edge_order)
    d[result] = t


@adjoint(np.angle)
def _(result, z, deg=False):
    d[z] = _rt.angle_adjoint(d[result], z, deg)


@tangent(np.angle)
def _(result, z, deg=False):
    d[result] = _rt.angle_jvp(d[z], z, deg)


@adjoint(np.real_if_close)
def _(result, a, tol=100):
    d[a] = _rt.real_if_close_adjoint(d[result], a, result)


@tangent(np.real_if_close)
def _(result, a, tol=100):
    d[result] = _rt.real_if_close_jvp(d[a], a, result)


# Casts to NumPy's floating and complex scalar types pass the gradient through;
# casts to integer and boolean types carry none (an index computed with np.int64).
@adjoint(np.float64, np.float32, np.float16, np.complex128, np.complex64, linear=("x",))
def _(result, x=0):
    d[x] = _rt.scalar_cast_adjoint(d[result], x)


nondifferentiable(
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.intp,
    np.bool_,
)


# -- SVD and the general eigenproblem -----------------------------------------


@adjoint(np.linalg.svd)
def _(result, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[a] = _rt.svd_adjoint(d[result], a, result, full_matrices, compute_uv, hermitian)


@tangent(np.linalg.svd)
def _(result, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[result] = _rt.svd_jvp(d[a], a, result, full_matrices, compute_uv, hermitian)


@adjoint(np.linalg.eig)
def _(result, a):
    d[a] = _rt.eig_adjoint(d[result], a, result)


@tangent(np.linalg.eig)
def _(result, a):
    d[result] = _rt.eig_jvp(d[a], a, result)


@adjoint(np.linalg.eigvals)
def _(result, a):
    d[a] = _rt.eigvals_adjoint(d[result], a)


@tangent(np.linalg.eigvals)
def _(result, a):
    d[result] = _rt.eigvals_jvp(d[a], a)


# -- forward rules of the adjoint helpers (srcad.hvp) ---------------------------

linear(
    _rt.index_concat_adjoint,
    _rt.select_adjoint,
    _rt.partition_adjoint,
    _rt.gradient_adjoint,
    _rt.real_if_close_adjoint,
    _rt.scalar_cast_adjoint,
    params=("g",),
)


@tangent(_rt.linspace_adjoint)
def _(out, g, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, wrt=0):
    d[out] = _rt.linspace_adjoint(d[g], start, stop, num, endpoint, retstep, dtype, axis, wrt)


@tangent(_rt.angle_adjoint)
def _(out, g, z, deg=False):
    t = _rt.angle_adjoint_jvp(g, z, deg, d[g], d[z])
    d[out] = t


@tangent(_rt.svd_adjoint)
def _(out, g, a, result, full_matrices=True, compute_uv=True, hermitian=False):
    d[out] = _rt.refuse_second_order("np.linalg.svd")


@tangent(_rt.eig_adjoint)
def _(out, g, a, result):
    d[out] = _rt.refuse_second_order("np.linalg.eig")


@tangent(_rt.eigvals_adjoint)
def _(out, g, a):
    d[out] = _rt.refuse_second_order("np.linalg.eigvals")


nondifferentiable(_rt.gradient_spacing_adjoint, _rt.refuse_second_order)
