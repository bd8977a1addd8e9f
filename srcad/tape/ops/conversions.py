"""dtype and device conversions: ``to``, ``type``, ``float()`` and friends, ``cpu``/``cuda``."""

import builtins

from ...rules import tape_ops as T
from .. import dtypes as _dt
from ..grad_mode import STATE
from ..names import grad_fn_name
from ..node import info, node_class
from ..tensor import (
    Tensor,
    raw,
    record,
    wrap,
)
from .shapes import clone

__all__ = ["cpu", "cuda", "to", "type", "type_as"]


def to(input, *args, **kwargs):  # noqa: A002
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
    from ..device import as_device, device  # noqa: PLC0415

    _check_to_kwargs(args, kwargs)
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    for a in args:
        if isinstance(a, _dt.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, (str, device, int)):
            dev = a
        elif a is not None and not isinstance(a, bool):
            dtype = _dt.to_dtype(a)
    out = input
    if dev is not None:
        out = _to_device(out, as_device(dev))
    if dtype is not None:
        out = _to_dtype(out, _dt.to_dtype(dtype))
    if copy and out is input:
        out = clone(input)
    return out


_TO_KWARGS = {"device", "dtype", "non_blocking", "copy", "memory_format"}
_TO_SIGNATURES = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
)


def _type_word(v):
    """How PyTorch's argument parser names the type of ``v`` in its errors."""
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, _dt.dtype):
        return "torch.dtype"
    from ..device import device  # noqa: PLC0415

    if isinstance(v, device):
        return "torch.device"
    return builtins.type(v).__name__


def _check_to_kwargs(args, kwargs):
    """``to()`` takes no other keywords (``requires_grad=`` is refused, as in PyTorch)."""
    if set(kwargs) <= _TO_KWARGS:
        return
    pos = [_type_word(a) for a in args]
    kws = [f"{k}={_type_word(v)}" for k, v in sorted(kwargs.items())]
    got = ", ".join(pos + kws) if pos else "".join(k + ", " for k in kws)
    raise TypeError(
        f"to() received an invalid combination of arguments - got ({got}), but expected one "
        f"of:\n{_TO_SIGNATURES}"
    )


def _to_dtype(input, dtype):
    d = input._data
    if d.dtype == dtype.np:
        return input
    out = d.astype(dtype.np)
    if input._rg and STATE.enabled and dtype.np.kind in "fc":
        return record(
            info(T.to_dtype), (input, dtype.np), out, node_class(grad_fn_name(T.to_dtype))
        )
    return wrap(out)


def _to_device(input, dev):
    from ..device import device_of, to_device  # noqa: PLC0415

    d = input._data
    if device_of(d) == dev or (dev.index is None and device_of(d).type == dev.type):
        return input
    out = to_device(d, dev)
    if input._rg and STATE.enabled:
        return record(
            info(T.to_array_module),
            (input, "cupy" if dev.type == "cuda" else "numpy"),
            out,
            node_class(grad_fn_name(T.to_dtype)),
        )
    return wrap(out)


def type(input, dtype=None, non_blocking=False):  # noqa: A001,A002
    if dtype is None:
        d = input._data
        prefix = "torch.cuda." if input.is_cuda else "torch."
        return prefix + _dt.NP2DT[d.dtype]._legacy
    legacy = getattr(dtype, "dtype", None) if isinstance(dtype, builtins.type) else None
    if isinstance(legacy, _dt.dtype):  # a legacy type: x.type(torch.DoubleTensor)
        dtype = legacy
    if isinstance(dtype, str):
        dtype = {v._legacy: v for v in _dt._ALL}.get(dtype.split(".")[-1], None) or _dt.to_dtype(
            dtype
        )
    return _to_dtype(input, _dt.to_dtype(dtype))


def type_as(input, other):  # noqa: A002
    return _to_dtype(input, other.dtype)


def _caster(dt):
    def cast(input, memory_format=None):  # noqa: A002
        return _to_dtype(input, dt)

    return cast


def cpu(input, memory_format=None):  # noqa: A002
    from ..device import CPU  # noqa: PLC0415

    return _to_device(input, CPU)


def cuda(input, device=None, non_blocking=False, memory_format=None):  # noqa: A002
    from ..device import as_device  # noqa: PLC0415
    from ..device import device as _device  # noqa: PLC0415

    dev = _device("cuda") if device is None else as_device(device)
    return _to_device(input, dev)


# --------------------------------------------------------------------------------------
# New tensors like an existing one (its dtype and device unless told otherwise)


def _like_kwargs(input, dtype, device):  # noqa: A002
    return {
        "dtype": input.dtype if dtype is None else dtype,
        "device": input.device if device is None else device,
    }


def new_zeros(input, *size, dtype=None, device=None, requires_grad=False, **_):  # noqa: A002
    from ..factories import zeros  # noqa: PLC0415

    kw = _like_kwargs(input, dtype, device)
    return zeros(*size, requires_grad=requires_grad, **kw)


def new_ones(input, *size, dtype=None, device=None, requires_grad=False, **_):  # noqa: A002
    from ..factories import ones  # noqa: PLC0415

    kw = _like_kwargs(input, dtype, device)
    return ones(*size, requires_grad=requires_grad, **kw)


def new_empty(input, *size, dtype=None, device=None, requires_grad=False, **_):  # noqa: A002
    from ..factories import empty  # noqa: PLC0415

    kw = _like_kwargs(input, dtype, device)
    return empty(*size, requires_grad=requires_grad, **kw)


def new_full(input, size, fill_value, *, dtype=None, device=None, requires_grad=False, **_):  # noqa: A002
    from ..factories import full  # noqa: PLC0415

    kw = _like_kwargs(input, dtype, device)
    return full(size, fill_value, requires_grad=requires_grad, **kw)


def new_tensor(input, data, *, dtype=None, device=None, requires_grad=False, **_):  # noqa: A002
    """A new leaf holding a copy of ``data`` with ``input``'s dtype and device."""
    from ..factories import W5, tensor  # noqa: PLC0415

    if isinstance(data, Tensor):
        import warnings  # noqa: PLC0415

        warnings.warn(W5.replace("torch.tensor", "tensor.new_tensor"), UserWarning, stacklevel=2)
    kw = _like_kwargs(input, dtype, device)
    return tensor(
        raw(data) if isinstance(data, Tensor) else data, requires_grad=requires_grad, **kw
    )
