"""``torch.linalg``: norms, inverse, determinant, solve, Cholesky and pseudo-inverse.

Each is NumPy's ``np.linalg`` function recorded with its registry rule (so its gradient
is the one the compiler uses), under PyTorch's grad_fn name; vector norms other than
the 2-norm are written with the elementwise ops.  Failures raise :class:`LinAlgError`
(a RuntimeError, as PyTorch's) with PyTorch's messages.
"""

import numpy as np

from .interop import apply_prim
from .names import grad_fn_name
from .tensor import Tensor

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "inv",
    "matrix_norm",
    "norm",
    "pinv",
    "solve",
    "vector_norm",
]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed (a singular or non-positive-definite matrix)."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"  # PyTorch's class name


def _failing_minor(a):
    """The order of the first leading minor that is not positive-definite."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return a.shape[-1]


def _ops():
    from . import ops  # noqa: PLC0415

    return ops


def _square(A, name):
    d = A._data
    if d.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if d.shape[-1] != d.shape[-2]:
        raise RuntimeError(
            f"linalg.{name}: A must be batches of square matrices, but they are "
            f"{d.shape[-2]} by {d.shape[-1]} matrices"
        )


def _first_zero_pivot(a):
    """1-based index of the first zero pivot of Gaussian elimination with partial
    pivoting (what PyTorch's singular-matrix message names), or 0."""
    m = np.array(a, dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1 :] -= np.outer(m[k + 1 :, k] / m[k, k], m[k])
    return 0


def _renamed(t, key):
    from .node import node_class  # noqa: PLC0415

    if t._fn is not None:
        t._fn.__class__ = node_class(grad_fn_name(key))
    return t


def inv(A, *, out=None):  # noqa: N803 - PyTorch's parameter name
    """The inverse of a square matrix (or a batch of them)."""
    _square(A, "inv")
    try:
        return apply_prim(np.linalg.inv, (A,), {})
    except np.linalg.LinAlgError:
        d = A._data
        k = _first_zero_pivot(d if d.ndim == 2 else d.reshape(-1, *d.shape[-2:])[0])
        raise LinAlgError(
            f"linalg.inv: The diagonal element {k} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        ) from None


def det(A, *, out=None):  # noqa: N803
    """The determinant of a square matrix (or a batch of them)."""
    _square(A, "det")
    return apply_prim(np.linalg.det, (A,), {})


def solve(A, B, *, left=True, out=None):  # noqa: N803
    """``X`` with ``A @ X == B``."""
    _square(A, "solve")
    b = B._data if isinstance(B, Tensor) else np.asarray(B)
    try:
        if b.ndim == A._data.ndim - 1:  # a vector (batch) right-hand side
            x = apply_prim(np.linalg.solve, (A, _ops().unsqueeze(B, -1)), {})
            return _renamed(_ops().squeeze(x, -1), "linalg_solve")
        return _renamed(apply_prim(np.linalg.solve, (A, B), {}), "linalg_solve")
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "torch.linalg.solve: The solver failed because the input matrix is singular."
        ) from None


def cholesky(A, *, upper=False, out=None):  # noqa: N803
    """The lower Cholesky factor ``L`` of a symmetric positive-definite ``A``."""
    _square(A, "cholesky")
    try:
        from ..rules.tape_ops import linalg_cholesky  # noqa: PLC0415

        L = apply_prim(linalg_cholesky, (A,), {})  # noqa: N806
    except np.linalg.LinAlgError:
        d = A._data
        k = _failing_minor(d if d.ndim == 2 else d.reshape(-1, *d.shape[-2:])[0])
        raise LinAlgError(
            "linalg.cholesky: The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {k} is not positive-definite)."
        ) from None
    L = _renamed(L, "linalg_cholesky")  # noqa: N806
    return _ops().transpose(L, -2, -1) if upper else L


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):  # noqa: N803
    """The Moore-Penrose pseudo-inverse."""
    return _renamed(apply_prim(np.linalg.pinv, (A,), {}), "linalg_pinv")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """The ``ord``-norm of ``x`` over ``dim`` (all of it, flattened, by default)."""
    ops = _ops()
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{str(x.dtype).removeprefix('torch.')[0].upper()}"
            f"{str(x.dtype).removeprefix('torch.')[1:]}"
        )
    src, d = (ops.reshape(x, (-1,)), 0) if dim is None else (x, dim)
    if ord == 2:
        res = ops.norm(src, 2, dim=d, keepdim=keepdim and dim is not None)
    elif ord == float("inf"):
        res = ops.amax(ops.abs(src), d, keepdim)
    elif ord == -float("inf"):
        res = ops.amin(ops.abs(src), d, keepdim)
    elif ord == 0:
        res = ops.sum(ops.ne(src, 0).to(x.dtype), d, keepdim)
    elif ord == 1:
        res = ops.sum(ops.abs(src), d, keepdim)
    else:
        res = ops.sum(ops.abs(src) ** ord, d, keepdim) ** (1.0 / ord)
    if dim is None and keepdim:
        res = ops.reshape(res, (1,) * x._data.ndim)
    return _renamed(res, "linalg_vector_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):  # noqa: A002, N803
    """The Frobenius norm of the matrices in ``A`` (other orders are not supported)."""
    if ord != "fro":
        raise NotImplementedError(
            f"srcad's linalg.matrix_norm supports ord='fro' only, got {ord!r}"
        )
    return vector_norm(A, 2, dim, keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002, N803
    """A vector norm (``ord`` a number, or None for the 2-norm of everything) or the
    Frobenius norm of matrices (``ord='fro'``)."""
    if ord is None or ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise NotImplementedError(f"srcad's linalg.norm does not support ord={ord!r}")
    if dim is None and A._data.ndim > 1:
        raise NotImplementedError(
            "srcad's linalg.norm supports matrix norms with ord='fro' only; pass dim= for a "
            "vector norm"
        )
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
