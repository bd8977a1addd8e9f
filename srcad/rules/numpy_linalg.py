"""Rules for products (dot, tensordot, einsum, kron, ...) and ``np.linalg``.

Products are bilinear: their tangent is ``f(da, b) + f(a, db)``, which
``_rt.bilinear_jvp`` forms while skipping inactive (placeholder) arguments.  A
tangent that needs several input tangents in one helper call assigns it to a
temporary first: the compiler drops an additive term of ``d[result] = ...`` that
reads an inactive tangent, but passes ``0.0`` for it inside temporaries.
Matrix functions follow the standard matrix-calculus identities (``d det =
det tr(A^-1 dA)``, ``d inv = -X dA X``, ...); see the helpers in
``srcad.runtime.grads`` for the conventions:

* ``slogdet`` returns ``(sign, logabsdet)``; its adjoint takes that pair and
  ignores the sign's entry (the sign is piecewise constant);
* ``cholesky`` and ``eigh``/``eigvalsh`` read one triangle of their input (the
  lower one; the upper with ``UPLO='U'`` or ``upper=True``) as a symmetric
  matrix: the adjoint lives on that triangle (the other gets zero, which is what
  finite differences of the function see), and the tangent mirrors that
  triangle of the input tangent (``_rt.fold_triangle`` / ``_rt.mirror_triangle``);
* einsum takes both call forms: ``einsum('ij,jk', a, b)`` and the sublist form
  ``einsum(a, (0, 1), b, (1, 2), (0, 2))``, whose first array binds to
  ``subscripts`` (``_rt.einsum_first_adjoint``);
* ``pinv`` assumes the rank is locally constant.
"""

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, linear, nondifferentiable, tangent

# -- products -----------------------------------------------------------------


@adjoint(np.dot)
def _(result, a, b, out=None):
    d[a] = _rt.dot_adjoint(d[result], a, b, 0)
    d[b] = _rt.dot_adjoint(d[result], a, b, 1)


@tangent(np.dot)
def _(result, a, b, out=None):
    t = _rt.bilinear_jvp(np.dot, a, b, d[a], d[b])
    d[result] = t


@adjoint(np.inner)
def _(result, a, b):
    d[a] = _rt.inner_adjoint(d[result], a, b, 0)
    d[b] = _rt.inner_adjoint(d[result], a, b, 1)


@tangent(np.inner)
def _(result, a, b):
    t = _rt.bilinear_jvp(np.inner, a, b, d[a], d[b])
    d[result] = t


@adjoint(np.outer)
def _(result, a, b, out=None):
    d[a] = _rt.outer_adjoint(d[result], a, b, 0)
    d[b] = _rt.outer_adjoint(d[result], a, b, 1)


@tangent(np.outer)
def _(result, a, b, out=None):
    t = _rt.bilinear_jvp(np.outer, a, b, d[a], d[b])
    d[result] = t


@adjoint(np.linalg.outer)
def _(result, x1, x2):
    d[x1] = _rt.outer_adjoint(d[result], x1, x2, 0)
    d[x2] = _rt.outer_adjoint(d[result], x1, x2, 1)


@tangent(np.linalg.outer)
def _(result, x1, x2):
    t = _rt.bilinear_jvp(np.linalg.outer, x1, x2, d[x1], d[x2])
    d[result] = t


@adjoint(np.vdot)
def _(result, a, b):
    d[a] = d[result] * np.reshape(b, np.shape(a))
    d[b] = d[result] * np.reshape(a, np.shape(b))


@tangent(np.vdot)
def _(result, a, b):
    t = _rt.bilinear_jvp(np.vdot, a, b, d[a], d[b])
    d[result] = t


@adjoint(np.vecdot, np.linalg.vecdot, broadcast=True)
def _(result, x1, x2, out=None, axis=-1):
    d[x1] = _rt.vecdot_adjoint(d[result], x2, axis)
    d[x2] = _rt.vecdot_adjoint(d[result], x1, axis)


@tangent(np.vecdot, np.linalg.vecdot)
def _(result, x1, x2, out=None, axis=-1):
    t = _rt.bilinear_jvp(np.vecdot, x1, x2, d[x1], d[x2], axis=axis)
    d[result] = t


@adjoint(np.linalg.matmul)
def _(result, x1, x2):
    d[x1] = _rt.matmul_adjoint_a(d[result], x1, x2)
    d[x2] = _rt.matmul_adjoint_b(d[result], x1, x2)


@tangent(np.linalg.matmul)
def _(result, x1, x2):
    t = _rt.bilinear_jvp(np.matmul, x1, x2, d[x1], d[x2])
    d[result] = t


@adjoint(np.tensordot)
def _(result, a, b, axes=2):
    d[a] = _rt.tensordot_adjoint(d[result], a, b, axes, 0)
    d[b] = _rt.tensordot_adjoint(d[result], a, b, axes, 1)


@tangent(np.tensordot)
def _(result, a, b, axes=2):
    t = _rt.bilinear_jvp(np.tensordot, a, b, d[a], d[b], axes)
    d[result] = t


@adjoint(np.linalg.tensordot)
def _(result, x1, x2, axes=2):
    d[x1] = _rt.tensordot_adjoint(d[result], x1, x2, axes, 0)
    d[x2] = _rt.tensordot_adjoint(d[result], x1, x2, axes, 1)


@tangent(np.linalg.tensordot)
def _(result, x1, x2, axes=2):
    t = _rt.bilinear_jvp(np.tensordot, x1, x2, d[x1], d[x2], axes)
    d[result] = t


@adjoint(np.einsum)
def _(
    result, subscripts, *operands, out=None, optimize=False, dtype=None, order="K", casting="safe"
):
    d[subscripts] = _rt.einsum_first_adjoint(d[result], subscripts, operands)
    d[operands] = _rt.einsum_adjoint(d[result], subscripts, operands)


@tangent(np.einsum)
def _(
    result, subscripts, *operands, out=None, optimize=False, dtype=None, order="K", casting="safe"
):
    t = _rt.einsum_jvp(subscripts, operands, d[operands], d[subscripts])
    d[result] = t


@adjoint(np.kron)
def _(result, a, b):
    d[a] = _rt.kron_adjoint(d[result], a, b, 0)
    d[b] = _rt.kron_adjoint(d[result], a, b, 1)


@tangent(np.kron)
def _(result, a, b):
    t = _rt.bilinear_jvp(np.kron, a, b, d[a], d[b])
    d[result] = t


@adjoint(np.cross, broadcast=True)
def _(result, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = _rt.cross_adjoint(d[result], a, b, axisa, axisb, axisc, axis, 0)
    d[b] = _rt.cross_adjoint(d[result], a, b, axisa, axisb, axisc, axis, 1)


@tangent(np.cross)
def _(result, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    t = _rt.bilinear_jvp(np.cross, a, b, d[a], d[b], axisa, axisb, axisc, axis)
    d[result] = t


@adjoint(np.linalg.cross, broadcast=True)
def _(result, x1, x2, axis=-1):
    d[x1] = _rt.cross_adjoint(d[result], x1, x2, -1, -1, -1, axis, 0)
    d[x2] = _rt.cross_adjoint(d[result], x1, x2, -1, -1, -1, axis, 1)


@tangent(np.linalg.cross)
def _(result, x1, x2, axis=-1):
    t = _rt.bilinear_jvp(np.cross, x1, x2, d[x1], d[x2], axis=axis)
    d[result] = t


@adjoint(np.convolve)
def _(result, a, v, mode="full"):
    d[a] = _rt.convolve_adjoint(d[result], a, v, mode, 0)
    d[v] = _rt.convolve_adjoint(d[result], a, v, mode, 1)


@tangent(np.convolve)
def _(result, a, v, mode="full"):
    t = _rt.bilinear_jvp(np.convolve, a, v, d[a], d[v], mode)
    d[result] = t


@adjoint(np.correlate)
def _(result, a, v, mode="valid"):
    d[a] = _rt.correlate_adjoint(d[result], a, v, mode, 0)
    d[v] = _rt.correlate_adjoint(d[result], a, v, mode, 1)


@tangent(np.correlate)
def _(result, a, v, mode="valid"):
    t = _rt.bilinear_jvp(np.correlate, a, v, d[a], d[v], mode)
    d[result] = t


# -- linear algebra -----------------------------------------------------------


@adjoint(np.linalg.det)
def _(result, a):
    d[a] = _rt.det_adjoint(d[result], a, result)


@tangent(np.linalg.det)
def _(result, a):
    d[result] = _rt.det_jvp(d[a], a, result)


@adjoint(np.linalg.slogdet)
def _(result, a):
    d[a] = _rt.slogdet_adjoint(d[result], a)


@tangent(np.linalg.slogdet)
def _(result, a):
    d[result] = _rt.slogdet_jvp(d[a], a, result)


@adjoint(np.linalg.inv)
def _(result, a):
    d[a] = -(_rt.mT(result) @ d[result] @ _rt.mT(result))


@tangent(np.linalg.inv)
def _(result, a):
    d[result] = -(result @ d[a] @ result)


@adjoint(np.linalg.solve)
def _(result, a, b):
    d[a] = _rt.solve_adjoint(d[result], a, b, result, 0)
    d[b] = _rt.solve_adjoint(d[result], a, b, result, 1)


@tangent(np.linalg.solve)
def _(result, a, b):
    t = _rt.solve_jvp(d[a], d[b], a, b, result)
    d[result] = t


@adjoint(np.linalg.cholesky)
def _(result, a, upper=False):
    d[a] = _rt.fold_triangle(_rt.cholesky_adjoint(d[result], result, upper), upper)


@tangent(np.linalg.cholesky)
def _(result, a, upper=False):
    d[result] = _rt.cholesky_jvp(_rt.mirror_triangle(d[a], upper), result, upper)


@adjoint(np.linalg.eigh)
def _(result, a, UPLO="L"):
    d[a] = _rt.fold_triangle(_rt.eigh_adjoint(d[result], a, result), UPLO)


@tangent(np.linalg.eigh)
def _(result, a, UPLO="L"):
    d[result] = _rt.eigh_jvp(_rt.mirror_triangle(d[a], UPLO), result)


@adjoint(np.linalg.eigvalsh)
def _(result, a, UPLO="L"):
    d[a] = _rt.fold_triangle(_rt.eigvalsh_adjoint(d[result], a, UPLO), UPLO)


@tangent(np.linalg.eigvalsh)
def _(result, a, UPLO="L"):
    d[result] = _rt.eigvalsh_jvp(_rt.mirror_triangle(d[a], UPLO), a, UPLO)


@adjoint(np.linalg.pinv)
def _(result, a, rcond=None, hermitian=False, rtol=None):
    d[a] = _rt.pinv_adjoint(d[result], a, result)


@tangent(np.linalg.pinv)
def _(result, a, rcond=None, hermitian=False, rtol=None):
    d[result] = _rt.pinv_jvp(d[a], a, result)


nondifferentiable(np.linalg.matrix_rank, np.einsum_path)


# -- forward rules of the helpers the adjoints above call ---------------------
# (srcad.hvp differentiates generated adjoint code in forward mode).  A product's
# adjoint helper f(g, a, b, ..., wrt) is linear in g and in the other operand.

linear(_rt.mT, params=("x",))
linear(_rt.fold_triangle, params=("g",))
linear(_rt.mirror_triangle, params=("x",))


@tangent(_rt.dot_adjoint)
def _(out, g, a, b, wrt=0):
    d[out] = (
        _rt.dot_adjoint(d[g], a, b, wrt)
        + _rt.adjoint_jvp_a(_rt.dot_adjoint, g, d[a], b, wrt)
        + _rt.adjoint_jvp_b(_rt.dot_adjoint, g, a, d[b], wrt)
    )


@tangent(_rt.inner_adjoint)
def _(out, g, a, b, wrt=0):
    d[out] = (
        _rt.inner_adjoint(d[g], a, b, wrt)
        + _rt.adjoint_jvp_a(_rt.inner_adjoint, g, d[a], b, wrt)
        + _rt.adjoint_jvp_b(_rt.inner_adjoint, g, a, d[b], wrt)
    )


@tangent(_rt.outer_adjoint)
def _(out, g, a, b, wrt=0):
    d[out] = (
        _rt.outer_adjoint(d[g], a, b, wrt)
        + _rt.adjoint_jvp_a(_rt.outer_adjoint, g, d[a], b, wrt)
        + _rt.adjoint_jvp_b(_rt.outer_adjoint, g, a, d[b], wrt)
    )


@tangent(_rt.kron_adjoint)
def _(out, g, a, b, wrt=0):
    d[out] = (
        _rt.kron_adjoint(d[g], a, b, wrt)
        + _rt.adjoint_jvp_a(_rt.kron_adjoint, g, d[a], b, wrt)
        + _rt.adjoint_jvp_b(_rt.kron_adjoint, g, a, d[b], wrt)
    )


@tangent(_rt.tensordot_adjoint)
def _(out, g, a, b, axes=2, wrt=0):
    d[out] = (
        _rt.tensordot_adjoint(d[g], a, b, axes, wrt)
        + _rt.adjoint_jvp_a(_rt.tensordot_adjoint, g, d[a], b, wrt, axes)
        + _rt.adjoint_jvp_b(_rt.tensordot_adjoint, g, a, d[b], wrt, axes)
    )


@tangent(_rt.cross_adjoint)
def _(out, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, wrt=0):
    d[out] = (
        _rt.cross_adjoint(d[g], a, b, axisa, axisb, axisc, axis, wrt)
        + _rt.adjoint_jvp_a(_rt.cross_adjoint, g, d[a], b, wrt, axisa, axisb, axisc, axis)
        + _rt.adjoint_jvp_b(_rt.cross_adjoint, g, a, d[b], wrt, axisa, axisb, axisc, axis)
    )


@tangent(_rt.convolve_adjoint)
def _(out, g, a, v, mode="full", wrt=0):
    d[out] = (
        _rt.convolve_adjoint(d[g], a, v, mode, wrt)
        + _rt.adjoint_jvp_a(_rt.convolve_adjoint, g, d[a], v, wrt, mode)
        + _rt.adjoint_jvp_b(_rt.convolve_adjoint, g, a, d[v], wrt, mode)
    )


@tangent(_rt.correlate_adjoint)
def _(out, g, a, v, mode="valid", wrt=0):
    d[out] = (
        _rt.correlate_adjoint(d[g], a, v, mode, wrt)
        + _rt.adjoint_jvp_a(_rt.correlate_adjoint, g, d[a], v, wrt, mode)
        + _rt.adjoint_jvp_b(_rt.correlate_adjoint, g, a, d[v], wrt, mode)
    )


@tangent(_rt.vecdot_adjoint)
def _(out, g, other, axis=-1):
    d[out] = _rt.vecdot_adjoint(d[g], other, axis) + _rt.vecdot_adjoint(g, d[other], axis)


@tangent(_rt.einsum_adjoint)
def _(out, g, subscripts, operands):
    t = _rt.einsum_adjoint_jvp(g, subscripts, operands, d[g], d[operands], d[subscripts])
    d[out] = t


@tangent(_rt.einsum_first_adjoint)
def _(out, g, subscripts, operands):
    t = _rt.einsum_adjoint_jvp(g, subscripts, operands, d[g], d[operands], d[subscripts], True)
    d[out] = t


@tangent(_rt.det_adjoint)
def _(out, g, a, result):
    t = _rt.det_adjoint_jvp(g, a, result, d[g], d[a], d[result])
    d[out] = t


@tangent(_rt.slogdet_adjoint)
def _(out, g, a):
    t = _rt.slogdet_adjoint_jvp(g, a, d[g], d[a])
    d[out] = t


@tangent(_rt.solve_adjoint)
def _(out, g, a, b, x, wrt=0):
    t = _rt.solve_adjoint_jvp(g, a, b, x, wrt, d[g], d[a], d[x])
    d[out] = t


@tangent(_rt.cholesky_adjoint)
def _(out, g, result, upper=False):
    t = _rt.cholesky_adjoint_jvp(g, result, upper, d[g], d[result])
    d[out] = t


@tangent(_rt.eigh_adjoint)
def _(out, g, a, result):
    t = _rt.eigh_adjoint_jvp(g, a, result, d[g], d[a], d[result])
    d[out] = t


@tangent(_rt.eigvalsh_adjoint)
def _(out, g, a, UPLO="L"):
    t = _rt.eigvalsh_adjoint_jvp(g, a, UPLO, d[g], d[a])
    d[out] = t


@tangent(_rt.pinv_adjoint)
def _(out, g, a, X):
    t = _rt.pinv_adjoint_jvp(g, a, X, d[g], d[a], d[X])
    d[out] = t
