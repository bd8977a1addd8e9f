"""Helpers for the rules of ``numpy_extra``: linspace, ``np.r_``/``np.c_``, select,
partition, gradient, angle, real_if_close, and the SVD and general eigenproblem.

Complex results follow JAX's convention (see ``spectral``): cotangents pair
bilinearly with tangents, linear maps are transposed without conjugation, and a
real input gets the real part of its cotangent.

* ``np.r_[...]``/``np.c_[...]`` are index expressions on objects, not calls: the
  compiler rewrites them into :func:`r_concat`/:func:`c_concat` of the items (a
  tuple; slices stay ``slice`` objects, a directive string stays a string).  The
  layout is NumPy's own: ``np.r_`` is run once on *position* arrays standing in
  for the items, and the values are gathered from the items' flattened
  concatenation at those positions.  The adjoint scatters back.
* ``svd`` and ``eig`` assume distinct (and, for ``svd``, nonzero) singular values /
  eigenvalues.  ``eig``'s eigenvectors follow LAPACK's gauge (unit norm, largest
  entry real), and the rules differentiate that gauge, so any loss of them works;
  SVD vectors are real, defined up to a sign that is locally constant.  ``svd(full_matrices=True)``
  of a non-square matrix is refused when the singular vectors are used: the
  extra columns are not unique.  Second derivatives through them are refused.
"""

import numbers

import numpy as np

from ..core import is_zero, real_cotangent, unbroadcast, zeros_like

__all__ = [
    "linspace_adjoint",
    "r_concat",
    "c_concat",
    "index_concat_adjoint",
    "index_concat_jvp",
    "select_adjoint",
    "select_jvp",
    "partition_adjoint",
    "partition_jvp",
    "gradient_adjoint",
    "gradient_spacing_adjoint",
    "angle_adjoint_jvp",
    "linspace_jvp",
    "gradient_jvp",
    "angle_adjoint",
    "angle_jvp",
    "real_if_close_adjoint",
    "scalar_cast_adjoint",
    "real_if_close_jvp",
    "svd_adjoint",
    "svd_jvp",
    "eig_adjoint",
    "eig_jvp",
    "eigvals_adjoint",
    "eigvals_jvp",
    "refuse_second_order",
]


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _eye_like(n, like):
    dtype = getattr(like, "dtype", np.dtype(np.float64))
    return np.eye(n, dtype=dtype)


# ---------------------------------------------------------------------------
# linspace


def _linspace_t(num, endpoint, dtype):
    """The fractions ``t_k`` with ``y_k = start + t_k (stop - start)``, and the step's divisor."""
    div = num - 1 if endpoint else num
    if div > 0:
        return np.arange(num, dtype=dtype) / div, div
    return np.zeros(num, dtype=dtype), div


def linspace_adjoint(
    g, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, wrt=0
):
    """Adjoint of ``np.linspace`` for ``start`` (``wrt=0``) or ``stop`` (``wrt=1``).

    The samples are ``start + t (stop - start)``; with ``retstep=True`` the step
    ``(stop - start) / div`` has its own cotangent.  An integer ``dtype`` floors
    the samples: a piecewise-constant function, zero gradient.
    """
    x = stop if wrt else start
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        return zeros_like(x)
    gs, gstep = (g[0], g[1]) if retstep else (g, 0.0)
    out = 0.0
    real = np.real(np.zeros((), getattr(gs, "dtype", np.float64))).dtype
    t, div = _linspace_t(int(num), endpoint, real)
    if not is_zero(gs):
        moved = np.moveaxis(gs, axis, -1)
        w = t if wrt else 1 - t
        out = np.sum(moved * w, axis=-1)
    if not is_zero(gstep) and div > 0:
        out = out + (gstep / div if wrt else -gstep / div)
    if is_zero(out):
        return zeros_like(x)
    return unbroadcast(out, x) if getattr(x, "shape", None) is not None else np.sum(out)


def linspace_jvp(
    dstart, dstop, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0
):
    """Tangent of ``np.linspace`` (linear in ``start`` and ``stop``)."""
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        dtype = None
        zero = True
    else:
        zero = False
    ds = zeros_like(start) if is_zero(dstart) else dstart
    de = zeros_like(stop) if is_zero(dstop) else dstop
    out = np.linspace(ds, de, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)
    if zero:
        return tuple(o * 0 for o in out) if retstep else out * 0
    return out


# ---------------------------------------------------------------------------
# np.r_ / np.c_


def _split_directive(items):
    if items and isinstance(items[0], str):
        return items[0], tuple(items[1:])
    return None, tuple(items)


def _index_layout(kind, items):
    """(values, positions): the items as flat arrays, and where each lands in the result."""
    directive, rest = _split_directive(items)
    values, stand_ins, offset = [], [], 0
    for item in rest:
        if isinstance(item, slice):
            if directive is not None:
                raise NotImplementedError(
                    f"srcad: np.{kind}_ with a directive string and a slice has no derivative "
                    "rule; build the range with np.arange/np.linspace"
                )
            item = np.r_[item]
        elif isinstance(item, str):
            raise NotImplementedError(
                f"srcad: np.{kind}_ takes a directive string only first (got {item!r})"
            )
        shape = np.shape(item)
        size = int(np.prod(shape))
        values.append(item)
        pos = np.arange(offset, offset + size).reshape(shape)
        stand_ins.append(int(pos) if isinstance(item, numbers.Number) else pos)
        offset += size
    maker = np.r_ if kind == "r" else np.c_
    index = maker[((directive,) if directive is not None else ()) + tuple(stand_ins)]
    if type(index) is not np.ndarray:
        raise NotImplementedError(
            f"srcad: np.{kind}_ producing a matrix has no derivative rule; use np.concatenate"
        )
    return values, index


def _index_concat(kind, items):
    values, index = _index_layout(kind, tuple(items))
    flat = [np.reshape(v, (-1,)) if getattr(v, "shape", None) is not None else v for v in values]
    flat = [np.atleast_1d(v) for v in flat]
    scalars = [v for v in values if getattr(v, "shape", None) is None]
    arrays = [v for v in values if getattr(v, "shape", None) is not None]
    allv = np.concatenate(flat) if flat else np.zeros(0)
    out = allv[index]
    if arrays and all(type(v) is np.ndarray for v in arrays):
        dtype = np.result_type(*arrays, *scalars)
        if out.dtype != dtype:
            out = out.astype(dtype)
    return out


def r_concat(items):
    """``np.r_[items]`` (``items`` a tuple of the subscript's entries), differentiable."""
    return _index_concat("r", items)


def c_concat(items):
    """``np.c_[items]``, differentiable."""
    return _index_concat("c", items)


def index_concat_adjoint(g, items, kind="r"):
    """Adjoints of the items of ``np.r_``/``np.c_`` (0.0 for slices and the directive)."""
    values, index = _index_layout(kind, tuple(items))
    inverse = np.argsort(np.reshape(index, (-1,)), kind="stable")
    flat = np.reshape(g, (-1,))[inverse]
    out, offset = [], 0
    it = iter(values)
    for item in items:
        if isinstance(item, str):
            out.append(0.0)
            continue
        v = next(it)
        size = int(np.prod(np.shape(v)))
        piece = flat[offset : offset + size]
        offset += size
        if isinstance(item, slice):
            out.append(0.0)
        elif getattr(item, "shape", None) is None:
            out.append(piece[0])
        else:
            out.append(np.reshape(piece, np.shape(item)))
    return type(items)(out) if isinstance(items, list) else tuple(out)


def index_concat_jvp(ditems, items, kind="r"):
    """Tangent of ``np.r_``/``np.c_``: the same layout of the items' tangents."""
    dz = [0.0] * len(items) if is_zero(ditems) else list(ditems)
    filled = []
    for d, item in zip(dz, items):
        if isinstance(item, (slice, str)):
            filled.append(item if isinstance(item, str) else np.zeros(np.shape(np.r_[item])))
        elif is_zero(d):
            filled.append(zeros_like(item) if getattr(item, "shape", None) is not None else 0.0)
        else:
            filled.append(d)
    return _index_concat(kind, tuple(filled))


# ---------------------------------------------------------------------------
# select, partition, gradient, angle, real_if_close


def _select_masks(condlist):
    taken = False
    masks = []
    for c in condlist:
        masks.append(np.logical_and(c, np.logical_not(taken)))
        taken = np.logical_or(taken, c)
    return masks, np.logical_not(taken)


def select_adjoint(g, condlist, choicelist, default=0, wrt="choicelist"):
    """Adjoint of ``np.select``: each choice gets ``g`` where it was the first true one."""
    masks, rest = _select_masks(condlist)
    if wrt == "default":
        return unbroadcast(np.where(rest, g, 0), default)
    out = [unbroadcast(np.where(m, g, 0), c) for m, c in zip(masks, choicelist)]
    return out if isinstance(choicelist, list) else tuple(out)


def select_jvp(dchoicelist, ddefault, condlist, choicelist, default=0):
    dc = [0.0] * len(choicelist) if is_zero(dchoicelist) else list(dchoicelist)
    dc = [zeros_like(c) if is_zero(d) else d for d, c in zip(dc, choicelist)]
    dd = 0.0 if is_zero(ddefault) else ddefault
    return np.select(condlist, dc, dd)


def _partition_index(a, result, axis):
    """For each result position, the input position it came from (matching ranks)."""
    if axis is None:
        a = np.reshape(a, (-1,))
        axis = -1
    order_a = np.argsort(a, axis=axis, kind="stable")
    order_r = np.argsort(result, axis=axis, kind="stable")
    rank_r = np.argsort(order_r, axis=axis, kind="stable")
    return np.take_along_axis(order_a, rank_r, axis=axis), axis


def partition_adjoint(g, a, result, axis=-1):
    """Adjoint of ``np.partition``: ``g`` scattered back to where each value came from."""
    src, ax = _partition_index(a, result, axis)
    out = np.zeros(np.shape(src), dtype=getattr(g, "dtype", np.float64))
    np.put_along_axis(out, src, g, axis=ax)
    return np.reshape(out, np.shape(a))


def partition_jvp(da, a, result, axis=-1):
    src, ax = _partition_index(a, result, axis)
    if axis is None:
        da = np.reshape(da, (-1,))
    return np.take_along_axis(da, src, axis=ax)


def _gradient_axes(f, axis):
    nd = np.ndim(f)
    if axis is None:
        return list(range(nd))
    if isinstance(axis, (tuple, list)):
        return [int(a) % nd for a in axis]
    return [int(axis) % nd]


def _gradient_matrix(n, spacing, edge_order, like):
    """The matrix ``D`` with ``np.gradient(v, spacing) == D @ v`` for length-``n`` vectors."""
    eye = np.eye(n, dtype=np.result_type(getattr(like, "dtype", np.float64), np.float64))
    args = () if spacing is None else (spacing,)
    return np.gradient(eye, *args, axis=0, edge_order=edge_order)


def _spacings(varargs, naxes):
    if len(varargs) == 0:
        return [None] * naxes
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [varargs[0]] * naxes
    return list(varargs)


def gradient_adjoint(g, f, varargs=(), axis=None, edge_order=1):
    """Adjoint of ``np.gradient`` in ``f`` (it is linear in ``f``): ``D^T`` per axis."""
    axes = _gradient_axes(f, axis)
    gs = list(g) if isinstance(g, (list, tuple)) else [g]
    out = 0.0
    for gk, ax, h in zip(gs, axes, _spacings(varargs, len(axes))):
        if is_zero(gk):
            continue
        D = _gradient_matrix(np.shape(f)[ax], h, edge_order, f).astype(
            np.real(np.zeros((), getattr(gk, "dtype", np.float64))).dtype
        )
        moved = np.moveaxis(gk, ax, -1) @ D
        out = out + np.moveaxis(moved, -1, ax)
    return zeros_like(f) if is_zero(out) else out


def gradient_spacing_adjoint(g):
    """``np.gradient``'s spacing arguments are not differentiated: refuse, never zero."""
    raise NotImplementedError(
        "srcad: np.gradient has no derivative with respect to its spacing arguments; "
        "pass the spacing as a constant"
    )


def gradient_jvp(df, dvarargs, f, varargs=(), axis=None, edge_order=1):
    if not is_zero(dvarargs) and any(not is_zero(d) for d in dvarargs):
        refuse_second_order("np.gradient with respect to its spacing")
    return np.gradient(df, *varargs, axis=axis, edge_order=edge_order)


def angle_adjoint(g, z, deg=False):
    """Adjoint of ``np.angle``: ``-1j g / z`` for complex ``z`` (angle = Im log z), else 0."""
    if not np.iscomplexobj(z):
        return zeros_like(z)
    scale = 180.0 / np.pi if deg else 1.0
    zero = z == 0
    g = real_cotangent(g)  # the angle is real: only Re(g) is its cotangent
    return np.where(zero, 0, -1j * scale * g / np.where(zero, 1, z))


def angle_jvp(dz, z, deg=False):
    """Tangent of ``np.angle``: ``Im(dz / z)`` (0 for a real input)."""
    if not np.iscomplexobj(z):
        return np.zeros_like(np.real(dz) * 1.0)
    scale = 180.0 / np.pi if deg else 1.0
    zero = z == 0
    return np.where(zero, 0, scale * np.imag(dz / np.where(zero, 1, z)))


def angle_adjoint_jvp(g, z, deg, dg, dz):
    """Tangent of :func:`angle_adjoint` (``-1j g / z``): ``-1j (dg / z - g dz / z^2)``."""
    if not np.iscomplexobj(z):
        return zeros_like(z)
    out = 0.0
    if not is_zero(dg):
        out = angle_adjoint(dg, z, deg)
    if not is_zero(dz):
        zero = z == 0
        safe = np.where(zero, 1, z)
        scale = 180.0 / np.pi if deg else 1.0
        out = out + np.where(zero, 0, 1j * scale * g * dz / (safe * safe))
    return zeros_like(z) if is_zero(out) else out


def scalar_cast_adjoint(g, x):
    """Adjoint of ``np.float64(x)``/``np.complex128(x)``...: ``g`` in ``x``'s dtype; a
    real ``x`` gets the real part (JAX's convention)."""
    if not np.iscomplexobj(x) and np.iscomplexobj(g):
        g = np.real(g)
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind in "fc" and getattr(g, "dtype", dtype) != dtype:
        g = g.astype(dtype)
    return g


def real_if_close_adjoint(g, a, result):
    """``real_if_close`` is the identity or ``real``: the cotangent passes through."""
    if np.iscomplexobj(a) and not np.iscomplexobj(result):
        return g + 0j
    return g


def real_if_close_jvp(da, a, result):
    return np.real(da) if np.iscomplexobj(a) and not np.iscomplexobj(result) else da


# ---------------------------------------------------------------------------
# SVD and the general eigenproblem


def refuse_second_order(what):
    raise NotImplementedError(
        f"srcad: second derivatives through {what} are not implemented; "
        "use finite differences of srcad.grad for them"
    )


def _gap_matrix(x, squared):
    """``F_ij = 1 / (x_j - x_i)`` (of squares when ``squared``), 0 on the diagonal."""
    k = np.shape(x)[-1]
    v = x * x if squared else x
    eye = _eye_like(k, v)
    return (1 - eye) / (np.expand_dims(v, -2) - np.expand_dims(v, -1) + eye)


def _parts(g, n):
    if is_zero(g):
        return [0.0] * n
    return list(g) if isinstance(g, (list, tuple)) else [g]


def svd_adjoint(g, a, result, full_matrices=True, compute_uv=True, hermitian=False):
    """Adjoint of ``np.linalg.svd`` (real input, distinct nonzero singular values).

    ``hermitian=True`` reads the lower triangle (NumPy calls ``eigh``): the
    general adjoint is symmetrised and folded onto it.
    """
    out = _svd_adjoint(g, a, result, full_matrices, compute_uv)
    if hermitian:
        from . import fold_triangle  # noqa: PLC0415  (the package imports this module)

        out = fold_triangle(0.5 * (out + _mT(out)), "L")
    return out


def _svd_adjoint(g, a, result, full_matrices, compute_uv):
    if np.iscomplexobj(a):
        return _svd_adjoint_complex(g, a, result, full_matrices, compute_uv)
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return (u * np.expand_dims(g, -2)) @ vh
    gu, gs, gvh = _parts(g, 3)
    u, s, vh = result[0], result[1], result[2]
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    k = min(m, n)
    if full_matrices and m != n and not (is_zero(gu) and is_zero(gvh)):
        raise NotImplementedError(
            "srcad: the gradient of svd(full_matrices=True) through U or Vh of a non-square "
            "matrix is not defined (the extra singular vectors are not unique); "
            "pass full_matrices=False"
        )
    u, vh = u[..., :, :k], vh[..., :k, :]
    v = _mT(vh)
    srow = np.expand_dims(s, -2)
    mid = 0.0
    if not is_zero(gs):
        mid = np.expand_dims(gs, -2) * _eye_like(k, s)
    out = 0.0
    F = _gap_matrix(s, True)
    if not is_zero(gu):
        gu = gu[..., :, :k]
        J = F * (_mT(u) @ gu)
        mid = mid + (J + _mT(J)) * srow
        out = out + (gu - u @ (_mT(u) @ gu)) / srow @ vh
    if not is_zero(gvh):
        gv = _mT(gvh[..., :k, :])
        K = F * (_mT(v) @ gv)
        mid = mid + np.expand_dims(s, -1) * (K + _mT(K))
        out = out + u @ _mT((gv - v @ (_mT(v) @ gv)) / srow)
    if not is_zero(mid):
        out = out + u @ mid @ vh
    return zeros_like(a) if is_zero(out) else out


def _mH(x):
    return np.conj(_mT(x))


def _svd_adjoint_complex(g, a, result, full_matrices, compute_uv):
    """Complex input.  Worked in the Hermitian pairing (PyTorch's form, cotangents
    conjugated on the way in) and conjugated on the way out (JAX's convention).

    ``Gu = conj(gU)``, ``Gv = gVh^T``; ``X = U^H Gu``, ``Y = V^H Gv``::

        Abar = U [diag(gs) + (F o (X - X^H)) S + S (F o (Y - Y^H))
                  + I o (X - X^H) / (2 S)] V^H
               + (Gu - U X) S^-1 V^H + U S^-1 (Gv - V Y)^H

    The ``I o`` term follows the phase U's columns carry; losses that do not
    depend on that phase (|U|, s, U S V^H) get their gradient.
    """
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return np.conj((u * np.expand_dims(real_cotangent(g), -2)) @ vh)
    gu, gs, gvh = _parts(g, 3)
    gs = real_cotangent(gs)  # the singular values are real
    u, s, vh = result[0], result[1], result[2]
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    k = min(m, n)
    if full_matrices and m != n and not (is_zero(gu) and is_zero(gvh)):
        raise NotImplementedError(
            "srcad: the gradient of svd(full_matrices=True) through U or Vh of a non-square "
            "matrix is not defined (the extra singular vectors are not unique); "
            "pass full_matrices=False"
        )
    u, vh = u[..., :, :k], vh[..., :k, :]
    v = _mH(vh)
    srow, scol = np.expand_dims(s, -2), np.expand_dims(s, -1)
    eye = _eye_like(k, s)
    F = _gap_matrix(s, True)
    mid = np.zeros(np.shape(u)[:-2] + (k, k), dtype=np.result_type(a, 1j))
    out = 0.0
    if not is_zero(gs):
        mid = mid + np.expand_dims(gs, -2) * eye
    if not is_zero(gu):
        Gu = np.conj(gu[..., :, :k])
        X = _mH(u) @ Gu
        skew = X - _mH(X)
        mid = mid + (F * skew) * srow + eye * skew / (2.0 * scol)
        out = out + (Gu - u @ X) / srow @ vh
    if not is_zero(gvh):
        Gv = _mT(gvh[..., :k, :])
        Y = _mH(v) @ Gv
        mid = mid + scol * (F * (Y - _mH(Y)))
        out = out + u @ _mH((Gv - v @ Y) / srow)
    return np.conj(out + u @ mid @ vh)


def svd_jvp(da, a, result, full_matrices=True, compute_uv=True, hermitian=False):
    """Tangent of ``np.linalg.svd`` for the factors NumPy returned (thin, or square)."""
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    k = min(m, n)
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            "srcad: the tangent of svd(full_matrices=True) of a non-square matrix is not "
            "defined (the extra singular vectors are not unique); pass full_matrices=False"
        )
    if hermitian:
        from . import mirror_triangle  # noqa: PLC0415  (the package imports this module)

        da = mirror_triangle(da, "L")
    if compute_uv:
        u, s, vh = result[0][..., :, :k], result[1], result[2][..., :k, :]
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    if np.iscomplexobj(a) or np.iscomplexobj(da):
        return _svd_jvp_complex(da, u, s, vh, compute_uv)
    v = _mT(vh)
    P = _mT(u) @ da @ v
    ds = np.diagonal(P, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    F = _gap_matrix(s, True)
    srow, scol = np.expand_dims(s, -2), np.expand_dims(s, -1)
    du = u @ (F * (P * srow + scol * _mT(P))) + (da @ v - u @ P) / srow
    dv = v @ (F * (scol * P + _mT(P) * srow)) + (_mT(da) @ u - v @ _mT(P)) / srow
    return du, ds, _mT(dv)


def _svd_jvp_complex(da, u, s, vh, compute_uv):
    """Complex tangent (the transpose of :func:`_svd_adjoint_complex`): with
    ``P = U^H dA V``, ``ds = Re diag(P)`` and U's columns carrying the phase term."""
    v = _mH(vh)
    P = _mH(u) @ da @ v
    ds = np.real(np.diagonal(P, axis1=-2, axis2=-1))
    if not compute_uv:
        return ds
    k = np.shape(s)[-1]
    F = _gap_matrix(s, True)
    srow, scol = np.expand_dims(s, -2), np.expand_dims(s, -1)
    PH = _mH(P)
    inner = F * (P * srow + scol * PH) + _eye_like(k, s) * (P - PH) / (2.0 * scol)
    du = u @ inner + (da @ v - u @ P) / srow
    dv = v @ (F * (scol * P + PH * srow)) + (_mH(da) @ u - v @ PH) / srow
    return du, ds, _mH(dv)


def _phase_rows(V):
    """Per eigenvector, the row of its largest entry, which LAPACK makes real."""
    return np.argmax(np.abs(V), axis=-2)


def _phase_fix(dV, V):
    """Tangent of LAPACK's phase gauge: ``dv -= 1j Im(dv_k / v_k) v`` at the largest entry."""
    if not np.iscomplexobj(V):
        return dV
    k = np.expand_dims(_phase_rows(V), -2)
    vk = np.take_along_axis(V, k, axis=-2)
    dvk = np.take_along_axis(dV, k, axis=-2)
    return dV - 1j * np.imag(dvk / vk) * V


def _phase_fix_adjoint(gv, V):
    """Transpose of :func:`_phase_fix` (bilinear pairing ``Re sum(ct * dv)``)."""
    if not np.iscomplexobj(V):
        return gv
    k = np.expand_dims(_phase_rows(V), -2)
    vk = np.take_along_axis(V, k, axis=-2)
    s = np.sum(gv * V, axis=-2, keepdims=True)
    # d Im(dv_k / v_k) pairs with -Im(s): Im(z) = Re(-1j z), so the row k gets -1j Im(s) / v_k
    add = np.zeros(np.shape(gv), dtype=np.result_type(gv, V))
    np.put_along_axis(add, k, -1j * np.imag(s) / vk, axis=-2)
    return gv + add


def eig_adjoint(g, a, result):
    """Adjoint of ``np.linalg.eig`` (distinct eigenvalues; unit-norm eigenvectors whose
    phase the loss does not see): ``V^-T (diag(gw) + F o (V^T g'V)) V^T``."""
    gw, gv = _parts(g, 2)
    w, V = result[0], result[1]
    n = np.shape(w)[-1]
    M = 0.0
    if not is_zero(gw):
        M = np.expand_dims(gw, -2) * _eye_like(n, w)
    if not is_zero(gv):
        gv = _phase_fix_adjoint(gv, V)
        c = np.sum(gv * V, axis=-2, keepdims=True)
        gv = gv - np.conjugate(V) * np.real(c)
        M = M + _gap_matrix(w, False) * (_mT(V) @ gv)
    if is_zero(M):
        return zeros_like(a)
    ct = np.linalg.solve(_mT(V), M @ _mT(V))
    return ct if np.iscomplexobj(a) else np.real(ct)


def eig_jvp(da, a, result):
    w, V = result[0], result[1]
    P = np.linalg.solve(V, da @ V)
    dw = np.diagonal(P, axis1=-2, axis2=-1)
    dV = V @ (_gap_matrix(w, False) * P)
    dV = dV - V * np.real(np.sum(np.conjugate(V) * dV, axis=-2, keepdims=True))
    return dw, _phase_fix(dV, V)


def eigvals_adjoint(g, a):
    """Adjoint of ``np.linalg.eigvals``: ``V^-T diag(g) V^T``."""
    _, V = np.linalg.eig(a)
    ct = np.linalg.solve(_mT(V), np.expand_dims(g, -1) * _mT(V))
    return ct if np.iscomplexobj(a) else np.real(ct)


def eigvals_jvp(da, a):
    _, V = np.linalg.eig(a)
    return np.diagonal(np.linalg.solve(V, da @ V), axis1=-2, axis2=-1)
