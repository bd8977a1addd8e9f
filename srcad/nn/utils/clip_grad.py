"""``clip_grad_norm_`` and ``clip_grad_value_``: rescale or clamp ``.grad`` in place.

The total norm is the ``norm_type``-norm of the per-parameter gradient norms (as
PyTorch computes it), returned as a 0-d tensor; gradients are scaled by
``min(1, max_norm / (total + 1e-6))``.  Nothing here is recorded on the tape.
"""

import math

import numpy as np

from ...tape.grad_mode import no_grad
from ...tape.tensor import Tensor, raw, wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _host(a):
    """A NumPy view or copy of ``a`` (CuPy arrays are copied to the host)."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def _norm(a, norm_type):
    a = np.abs(np.asarray(a))
    if norm_type == math.inf:
        return a.max() if a.size else np.zeros((), a.dtype)
    if norm_type == -math.inf:
        return a.min() if a.size else np.zeros((), a.dtype)
    if norm_type == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    return (a**norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, a 0-d tensor."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return wrap(np.zeros((), dtype=np.float32))
    arrays = [_host(raw(t)) for t in tensors]
    dtype = np.result_type(*arrays)
    per = np.array([_norm(a, norm_type) for a in arrays], dtype=dtype)
    total = np.asarray(_norm(per, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return wrap(total)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so their total norm is at most ``max_norm``; returns the
    total norm before clipping."""
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    coef = float(max_norm) / (raw(total) + 1e-6)  # float32, as torch
    coef = min(coef, 1.0)
    with no_grad():
        for g in grads:
            g.mul_(coef)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
