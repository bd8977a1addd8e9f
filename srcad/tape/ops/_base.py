"""Helpers every op family uses."""

import builtins

import numpy as np

from .. import dtypes as _dt
from ..tensor import (
    Tensor,
    wrap,
)

_bsum, _bmax, _bmin, _babs, _bround = builtins.sum, builtins.max, builtins.min, abs, round


def _default_float():
    return _dt.get_default_dtype().np


def _as_tensor(x, like=None):
    """``x`` as a tensor (Python numbers and arrays become constants)."""
    if isinstance(x, Tensor):
        return x
    from ..factories import tensor as _tensor  # noqa: PLC0415

    if like is not None and isinstance(x, (int, float, bool)):
        return wrap(np.full_like(like._data, x, shape=()))
    return _tensor(x)


def _as_array(out):
    return np.asarray(out) if isinstance(out, np.generic) or not hasattr(out, "shape") else out
