"""Helpers that derivative rules call (reductions, shapes, linear algebra).

Kept apart from the rules so a rule stays one readable line.  Each helper takes
its namespace from its arguments (NumPy functions dispatch to CuPy or tensors).
"""

import numpy as np

__all__ = [
    "log_or_zero",
    "expand_reduced", "matmul_adjoint_a", "matmul_adjoint_b", "sum_to_like"]


def _norm_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, tuple):
        axis = (axis,)
    return tuple(a % ndim if ndim else 0 for a in axis)


def expand_reduced(g, x, axis=None, keepdims=False):
    """Broadcast the adjoint ``g`` of a reduction over ``axis`` back to ``x``'s shape."""
    shape = getattr(x, "shape", ())
    if not keepdims and shape != ():
        axes = _norm_axis(axis, len(shape))
        new = tuple(1 if i in axes else n for i, n in enumerate(shape))
        g = np.reshape(g, new)
    return np.broadcast_to(g, shape) if shape != () else g


def sum_to_like(g, x):
    """``g`` summed to the shape of ``x``; alias of unbroadcast for rule readability."""
    from .core import unbroadcast

    return unbroadcast(g, x)


def matmul_adjoint_a(g, a, b):
    """Adjoint of ``a`` in ``a @ b`` for any ranks (1-d vectors and batches included)."""
    if np.ndim(b) == 1:
        if np.ndim(a) == 1:
            return g * b
        return np.multiply.outer(g, b) if np.ndim(g) == 1 and np.ndim(a) == 2 else (
            np.expand_dims(g, -1) * b)
    if np.ndim(a) == 1:
        # a (k,) @ b (..., k, n) -> (..., n): da = sum over batch of b @ g
        out = np.matmul(b, np.expand_dims(g, -1))[..., 0]
        return out if out.ndim == 1 else np.sum(out, axis=tuple(range(out.ndim - 1)))
    out = np.matmul(g, np.swapaxes(b, -1, -2))
    return _sum_batch(out, a)


def matmul_adjoint_b(g, a, b):
    """Adjoint of ``b`` in ``a @ b`` for any ranks."""
    if np.ndim(a) == 1:
        if np.ndim(b) == 1:
            return g * a
        if np.ndim(b) == 2:
            return np.multiply.outer(a, g)
        return np.expand_dims(a, -1) * np.expand_dims(g, -2)
    if np.ndim(b) == 1:
        out = np.matmul(np.swapaxes(a, -1, -2), np.expand_dims(g, -1))[..., 0]
        return out if out.ndim == 1 else np.sum(out, axis=tuple(range(out.ndim - 1)))
    out = np.matmul(np.swapaxes(a, -1, -2), g)
    return _sum_batch(out, b)


def _sum_batch(out, like):
    shape = np.shape(like)
    if out.shape == shape:
        return out
    extra = out.ndim - len(shape)
    if extra > 0:
        out = np.sum(out, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and out.shape[i] != 1)
    if axes:
        out = np.sum(out, axis=axes, keepdims=True)
    return out


def log_or_zero(x):
    """``log(x)`` where ``x != 0`` and ``0`` where ``x == 0`` (d/dy of x**y at x = 0)."""
    if getattr(x, "shape", None) is None:
        import math

        return math.log(x) if x > 0 else (0.0 if x == 0 else float("nan"))
    safe = np.where(x == 0, 1, x)
    return np.where(x == 0, 0, np.log(safe))
