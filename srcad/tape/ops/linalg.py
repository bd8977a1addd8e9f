"""Linear algebra: matrix and vector products with PyTorch's shape rules and errors."""

import operator

import numpy as np

from ...rules import tape_ops as T
from .. import cow as _cow
from .. import dtypes as _dt
from ..device import check_same_device
from ..grad_mode import STATE
from ..names import grad_fn_name, name_for
from ..node import info, node_class
from ..tensor import (
    Tensor,
    raw,
    record,
    requires,
    wrap,
)
from ._base import _as_array, _as_tensor, with_out

__all__ = ["einsum", "trace", "addmm", "bmm", "dot", "ger", "inner", "matmul", "mm", "mv", "outer"]


def _mat_error(a, b):
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
        f"{b.shape[0]}x{b.shape[1]})"
    )


def _numpy_rules():
    """Whether NumPy's promotion applies (``float @ int8``): while a NumPy program
    runs on the tape, and in a backward pass, whose products meet the forward's
    dtypes (PyTorch-style code raised in its forward already)."""
    return _cow._STATE.reg is not None or STATE.in_backward


@with_out("matmul", exact=True)
def matmul(input, other):  # noqa: A002
    """Matrix product with NumPy's (and PyTorch's) rules for 1-D and batched operands."""
    if not isinstance(input, Tensor):
        return _as_tensor(other).__rmatmul__(input)
    a = input._data
    b = raw(other)
    if a.ndim == 0 or np.ndim(b) == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
            f"{np.ndim(b)}D"
        )
    if type(b) is not type(a) and isinstance(other, Tensor):
        check_same_device(a, b)
    try:
        out = a @ b
    except ValueError:
        if a.ndim == 2 and np.ndim(b) == 2:
            raise _mat_error(a, b) from None
        if a.ndim == 2 and np.ndim(b) == 1:
            raise _mv_error(a, b) from None
        if a.ndim == 1 and np.ndim(b) == 1:
            na, nb = a.shape[0], b.shape[0]
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{na}] and src [{nb}] to have the "
                f"same number of elements, but got {na} and {nb} elements respectively"
            ) from None
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"{list(a.shape)} but got: {list(np.shape(b))}."
        ) from None
    if a.dtype != getattr(b, "dtype", a.dtype) and not _numpy_rules():
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_dt.NP2DT[a.dtype]} != {_dt.NP2DT[b.dtype]}"
        )
    out = _as_array(out)
    if STATE.enabled and (input._rg or requires(other)):
        return record(
            info(operator.matmul),
            (input, other),
            out,
            node_class(name_for(operator.matmul, (a, b))),
        )
    return wrap(out)


@with_out("mm", exact=True)
def mm(input, mat2):  # noqa: A002
    """Product of two matrices."""
    a, b = input._data, raw(mat2)
    if a.ndim != 2 or np.ndim(b) != 2:
        raise RuntimeError("self must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise _mat_error(a, b)
    return matmul(input, mat2)


@with_out("addmm", exact=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)``, one ``AddmmBackward0`` node whose edges
    are ``(input, mat1, mat2)`` in that order, as PyTorch's."""
    a, b = raw(mat1), raw(mat2)
    for name, m in (("mat1", a), ("mat2", b)):
        if np.ndim(m) != 2:
            raise RuntimeError(f"{name} must be a matrix, got {np.ndim(m)}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise _mat_error(a, b)
    if beta != 1 or alpha != 1:
        res = _as_tensor(input) * beta + mm(_as_tensor(mat1), mat2) * alpha
        return res
    try:
        res = T.addmm.impl(raw(input), a, b)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor ({b.shape[1]}) must match the existing size "
            f"({np.shape(raw(input))[-1]}) at non-singleton dimension 1.  Target sizes: "
            f"[{a.shape[0]}, {b.shape[1]}].  Tensor sizes: {list(np.shape(raw(input)))}"
        ) from None
    if STATE.enabled and (requires(input) or requires(mat1) or requires(mat2)):
        inf = info(T.addmm)
        return record(inf, (input, mat1, mat2), res, node_class(grad_fn_name(T.addmm)))
    return wrap(res)


@with_out("bmm", exact=True)
def bmm(input, mat2):  # noqa: A002
    """Batched product of two stacks of matrices (``BmmBackward0``)."""
    a, b = input._data, raw(mat2)
    if a.ndim != 3 or np.ndim(b) != 3:
        which, nd = ("batch1", a.ndim) if a.ndim != 3 else ("batch2", np.ndim(b))
        raise RuntimeError(f"{which} must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    res = matmul(input, mat2)
    if res._fn is not None:
        res._fn.__class__ = node_class(grad_fn_name("bmm"))
    return res


def mv(input, vec):  # noqa: A002
    a, b = input._data, raw(vec)
    if a.ndim != 2 or np.ndim(b) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {np.ndim(b)}")
    if a.shape[1] != b.shape[0]:
        raise _mv_error(a, b)
    return matmul(input, vec)


def _mv_error(a, b):
    return RuntimeError(
        f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
        f"vec ({b.shape[0]})"
    )


@with_out("dot", exact=True)
def dot(input, other):  # noqa: A002
    a, b = input._data, raw(other)
    if a.ndim != 1 or np.ndim(b) != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {np.ndim(b)}D tensors")
    return matmul(input, other)


inner = dot


def outer(input, vec2):  # noqa: A002
    return unsqueeze(input, 1) * unsqueeze(_as_tensor(vec2), 0)


ger = outer


def einsum(equation, *operands):
    """Einstein summation over ``operands`` (given as arguments or one list)."""
    from ..interop import apply_prim  # noqa: PLC0415

    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type(op).__name__}"
            )
    return apply_prim(np.einsum, (equation, *operands), {})


def trace(input):  # noqa: A002
    """The sum of a matrix's diagonal."""
    from ..interop import apply_prim  # noqa: PLC0415

    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    out = apply_prim(np.trace, (input,), {})
    if out._data.dtype.kind in "biu" and out._data.dtype != np.int64:
        out = wrap(out._data.astype(np.int64))
    return out


# Ops of later families, imported last: they import this module.
from .shapes import unsqueeze  # noqa: E402
