"""Helpers every op family uses, and ``out=``: the result written into a given tensor.

``out=`` is a write into an existing tensor, so, as in PyTorch, it is refused while
autograd would have to record it (an operand or ``out`` requires grad), a wrong-shaped
``out`` is resized (with PyTorch's deprecation warning when it held elements), and the
dtype rule is that of the op: elementwise ops cast into ``out`` unless that lowers the
category (float into an integer tensor), matrix products want ``out``'s dtype exactly.
"""

import builtins
import functools
import warnings

import numpy as np

from .. import cow as _cow
from .. import dtypes as _dt
from ..grad_mode import STATE
from ..tensor import (
    Tensor,
    _cast_for_inplace,
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


# C++ names PyTorch's exact-dtype ``out=`` check prints.
_CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _same_dtype(want, got):
    if want != got:
        raise RuntimeError(
            f"Expected out tensor to have dtype {_CPP_NAMES.get(want.name, want.name)}, "
            f"but got {_CPP_NAMES.get(got.name, got.name)} instead"
        )


def _into(out, res, name, operands=(), exact=False):
    """``res`` written into ``out`` (returned), or ``res`` itself when ``out`` is None."""
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if STATE.enabled and (res._rg or out._rg):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    new = res._data
    if exact:
        _same_dtype(new.dtype, out._data.dtype)
    new = _cast_for_inplace(new, out._data.dtype, operands)
    if out._data.shape != new.shape:
        if out._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(new.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        out._data = new.copy()
    else:
        _cow.before_write(out._data)
        out._data[...] = new
    out._vc[0] += 1
    return out


def with_out(name, exact=False):
    """Give ``fn`` PyTorch's keyword ``out=`` (see :func:`_into`)."""

    def wrap_fn(fn):
        @functools.wraps(fn)
        def op(*args, out=None, **kwargs):
            if exact and isinstance(out, Tensor) and args and isinstance(args[0], Tensor):
                _same_dtype(args[0]._data.dtype, out._data.dtype)
            res = fn(*args, **kwargs)
            if out is None or res is NotImplemented:
                return res
            return _into(out, res, name, args[:2], exact)

        return op

    return wrap_fn
