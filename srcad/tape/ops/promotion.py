"""PyTorch's type promotion for binary ops: a dimensioned tensor outranks a 0-d tensor,
which outranks a Python number, within each dtype category."""

import builtins

import numpy as np

from .. import dtypes as _dt
from ..tensor import (
    Tensor,
)
from ._base import _bmax, _default_float


def _kind(v):
    if isinstance(v, Tensor):
        d = v._data
        return ("dim" if d.ndim else "zero", d.dtype)
    if hasattr(v, "dtype") and hasattr(v, "ndim") and not isinstance(v, np.generic):
        return ("dim" if v.ndim else "zero", v.dtype)
    if isinstance(v, np.generic):
        return ("scalar", builtins.type(v.item()))
    return ("scalar", builtins.type(v))


def _fix_dtype(out, a, b, true_div=False):
    want = _dt.result_type((_kind(a), _kind(b)))
    if true_div and want.kind in "biu":
        want = _default_float()
    if out.dtype != want:
        out = out.astype(want)
    return out


_PY_SCALARS = (int, float, bool)


def _needs_fix(ad, b, true_div):
    """Whether NumPy's result dtype may differ from PyTorch's for ``ad <op> b``."""
    if isinstance(b, Tensor):
        bd = b._data
        if bd.dtype != ad.dtype:
            return True
        return true_div and ad.dtype.kind in "biu"
    tb = builtins.type(b)
    if tb is float:
        return ad.dtype.kind not in "fc"
    if tb is int or tb is bool:
        return true_div and ad.dtype.kind in "biu"
    return True


def _broadcast_error(a, b):
    sa, sb = np.shape(a), np.shape(b)
    n = _bmax(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                f"at non-singleton dimension {i}"
            )
    return RuntimeError(f"operands could not be broadcast together with shapes {sa} {sb}")
