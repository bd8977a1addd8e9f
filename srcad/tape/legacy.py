"""PyTorch's legacy constructors: ``torch.FloatTensor``, ``torch.LongTensor``, ...,
and ``torch.autograd.Variable``.

Each ``XxxTensor`` is a class whose metaclass (``tensortype``, PyTorch's name) makes
calling it build a tensor of its dtype (from data, from sizes, or empty) and makes
``isinstance(t, torch.FloatTensor)`` test the dtype of a CPU tensor.  ``Variable`` is
what it has been since PyTorch 0.4: calling it returns a plain tensor (sharing the
data, detached, with the requested ``requires_grad``), and every tensor is an
instance of it.
"""

from numbers import Number

import numpy as np

from . import dtypes as _dt
from .tensor import Size, Tensor

_NEW_SIGNATURES = (
    " * (*, torch.device device = None)\n"
    " * (torch.Storage storage)\n"
    " * (Tensor other)\n"
    " * (tuple of ints size, *, torch.device device = None)\n"
    " * (object data, *, torch.device device = None)\n"
)

# the C++ names PyTorch prints for TensorOptions in the legacy constructor's errors
_CPP = {
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


def _options(dt):
    return (
        f"TensorOptions(dtype={_CPP[dt.np.name]}, device=cpu, layout=Strided, "
        "requires_grad=false (default), pinned_memory=false (default), "
        "memory_format=(nullopt))"
    )


class tensortype(type):  # noqa: N801 - PyTorch's name
    """The metaclass of the legacy tensor types."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and not obj.is_cuda

    def __call__(cls, *args, **kwargs):
        return _new(cls.dtype, args, kwargs)


def _kw_error(args, kwargs):
    words = [type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in args]
    words += [f"{k}={type(v).__name__}" for k, v in sorted(kwargs.items())]
    got = ", ".join(words) if args else "".join(w + ", " for w in words)
    return TypeError(
        f"new() received an invalid combination of arguments - got ({got}), but expected "
        f"one of:\n{_NEW_SIGNATURES}"
    )


def _new(dt, args, kwargs):
    from .factories import tensor, zeros  # noqa: PLC0415

    device = kwargs.pop("device", None)
    if kwargs:
        raise _kw_error(args, kwargs)
    if not args:
        return zeros(0, dtype=dt, device=device)
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        for a in args:
            if a < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {a}: {list(args)}"
                )
        return zeros(*args, dtype=dt, device=device)
    if len(args) > 1:
        raise _kw_error(args, {})
    data = args[0]
    if isinstance(data, Tensor):
        if data.dtype != dt:
            raise TypeError(f"expected {_options(dt)} (got {_options(data.dtype)})")
        return data
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, Number):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    if isinstance(data, np.ndarray):
        return tensor(data.astype(dt.np), device=device)
    return tensor(data, device=device).to(dt)


def _legacy_type(dt):
    name = dt._legacy
    return tensortype(name, (), {"dtype": dt, "__module__": "torch", "__qualname__": name})


FloatTensor = _legacy_type(_dt.float32)
DoubleTensor = _legacy_type(_dt.float64)
HalfTensor = _legacy_type(_dt.float16)
LongTensor = _legacy_type(_dt.int64)
IntTensor = _legacy_type(_dt.int32)
ShortTensor = _legacy_type(_dt.int16)
CharTensor = _legacy_type(_dt.int8)
ByteTensor = _legacy_type(_dt.uint8)
BoolTensor = _legacy_type(_dt.bool)

LEGACY_TYPES = (
    FloatTensor,
    DoubleTensor,
    HalfTensor,
    LongTensor,
    IntTensor,
    ShortTensor,
    CharTensor,
    ByteTensor,
    BoolTensor,
)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Legacy ``torch.autograd.Variable``: ``Variable(t, requires_grad=True)`` returns a
    tensor sharing ``t``'s data, detached from its graph, with that ``requires_grad``.

    Example: ``v = Variable(srcad.ones(2), requires_grad=True)`` is a leaf tensor.
    """

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            if data.dtype.np.kind not in "fc":
                from .factories import E8  # noqa: PLC0415

                raise RuntimeError(E8)
            out.requires_grad_(True)
        return out
