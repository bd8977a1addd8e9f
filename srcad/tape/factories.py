"""Tensor factories: ``tensor``, ``ones``, ``zeros``, ``arange``, ``randn``, ...

Dtypes follow PyTorch: Python floats give the default dtype (float32), ints give
int64, bools give bool, NumPy arrays keep their dtype.  ``device="cuda"`` puts the
data in CuPy.  An explicit ``requires_grad=True`` is kept even under ``no_grad``.
"""

import builtins
import math
import warnings

import numpy as np

from . import dtypes as _dt
from . import random as _random
from .device import as_device, is_cupy, or_default, to_device
from .grad_mode import no_grad as _no_grad
from .tensor import Tensor, wrap

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "ones",
    "zeros",
    "empty",
    "full",
    "ones_like",
    "zeros_like",
    "empty_like",
    "full_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "eye",
    "arange",
    "linspace",
    "logspace",
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "manual_seed",
    "seed",
    "initial_seed",
]

E8 = "Only Tensors of floating point and complex dtype can require gradients"
W5 = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "torch.tensor(sourceTensor)."
)


def _finish(data, requires_grad, device=None):
    if device is not None:
        data = to_device(data, as_device(device))
    t = wrap(data)
    if requires_grad:
        if data.dtype.kind not in "fc":
            raise RuntimeError(E8)
        t._rg = True
    return t


def _unwrap_nested(data):
    if isinstance(data, Tensor):
        d = data._data
        return d.get() if is_cupy(d) else d
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(v) for v in data]
    return data


def _infer(data, exact=False):
    """NumPy array for Python data with PyTorch's dtype inference.

    ``exact``: a dtype was asked for, so Python floats (and complex numbers) keep their
    full precision here and are rounded once, to that dtype, by the caller (PyTorch's
    ``tensor([0.1], dtype=float64)`` holds the double 0.1, not a float32 rounding of it).
    """
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
        try:
            arr = np.asarray(data)
        except ValueError:
            raise _ragged_error(data) from None
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data[0]).__name__}")
        if exact:
            return arr
        if arr.size == 0 and arr.dtype.kind == "f":
            return arr.astype(_dt.get_default_dtype().np)
        return _python_dtype(arr, data)
    if isinstance(data, builtins.bool):
        return np.asarray(data)
    if isinstance(data, builtins.int):
        return np.asarray(data, dtype=np.int64)
    if isinstance(data, builtins.float):
        return np.asarray(data, dtype=np.float64 if exact else _dt.get_default_dtype().np)
    if isinstance(data, complex):
        if exact:
            return np.asarray(data, dtype=np.complex128)
        return np.asarray(data, dtype=_dt.get_default_dtype().to_complex().np)
    if isinstance(data, np.generic):
        return np.asarray(data)
    if hasattr(data, "__array_interface__") or hasattr(data, "__array__"):
        return np.asarray(data)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _ragged_error(data):
    """PyTorch's message for nested sequences of unequal lengths."""
    sizes = []
    s = data
    while isinstance(s, (list, tuple)):
        sizes.append(len(s))
        if not s:
            break
        s = s[0]

    def check(seq, dim):
        if dim >= len(sizes):
            return None
        if not isinstance(seq, (list, tuple)) or len(seq) != sizes[dim]:
            got = len(seq) if isinstance(seq, (list, tuple)) else type(seq).__name__
            return ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {got})")
        for v in seq:
            err = check(v, dim + 1)
            if err is not None:
                return err
        return None

    return check(data, 0) or ValueError("expected sequences of equal lengths")


def _python_dtype(arr, data):
    k = arr.dtype.kind
    if k == "f" and _all_python(data):
        return arr.astype(_dt.get_default_dtype().np)
    if k == "c" and _all_python(data):
        return arr.astype(_dt.get_default_dtype().to_complex().np)
    if k in "iu" and _all_python(data):
        return arr.astype(np.int64, copy=False)
    return arr


def _all_python(data):
    if isinstance(data, list):
        return builtins.all(_all_python(v) for v in data)
    return not isinstance(data, (np.ndarray, np.generic)) or (
        isinstance(data, np.ndarray) and data.dtype.kind not in "fc"
    )


def _from_data(data, dtype=None, device=None, copy=True):
    if isinstance(data, Tensor):
        arr = data._data
    elif is_cupy(data):
        arr = data
    else:
        arr = _infer(data, exact=dtype is not None)
    if dtype is not None:
        arr = arr.astype(_dt.to_dtype(dtype).np, copy=False)
    if copy:
        arr = arr.copy()
    device = or_default(device)
    if device is not None:
        arr = to_device(arr, as_device(device))
    return wrap(arr)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays).

    Example: ``srcad.tensor([1., 2.], requires_grad=True)`` is float32.
    """
    if isinstance(data, Tensor):
        warnings.warn(W5, UserWarning, stacklevel=2)
    t = _from_data(data, dtype, device)
    if requires_grad:
        if t._data.dtype.kind not in "fc":
            raise RuntimeError(E8)
        t._rg = True
    return t


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory with an array or tensor when possible."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None:
            out = out.to(_dt.to_dtype(dtype))
        if device is not None:
            out = out.to(device)
        return out
    if isinstance(data, np.ndarray) or is_cupy(data):
        arr = data if dtype is None else data.astype(_dt.to_dtype(dtype).np, copy=False)
        if device is not None:
            arr = to_device(arr, as_device(device))
        return wrap(arr)
    return _from_data(data, dtype, device, copy=False)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with the NumPy array ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return wrap(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        return tuple(builtins.int(s) for s in size)
    except TypeError:
        raise TypeError(
            f"empty(): argument 'size' must be tuple of ints, but found element of type "
            f"{type(size[0]).__name__}"
        ) from None


def _np_dtype(dtype):
    return (_dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)).np


def _xp(device):
    dev = as_device(or_default(device))
    if dev is not None and dev.type == "cuda":
        from .device import cupy  # noqa: PLC0415

        return cupy(), dev
    return np, None


def _make(fill, size, dtype, device, requires_grad, size_kw=None):
    shape = _size(size if size_kw is None else (size_kw,))
    xp, dev = _xp(device)
    dt = _np_dtype(dtype)
    if dev is not None and dev.index is not None:
        with xp.cuda.Device(dev.index):
            data = fill(xp, shape, dt)
    else:
        data = fill(xp, shape, dt)
    return _finish(data, requires_grad)


def ones(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    size_kw=None,
    **kw,
):
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    if "size" in kw:
        size = (kw.pop("size"),)
    return _make(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def zeros(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kw,
):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    if "size" in kw:
        size = (kw.pop("size"),)
    return _make(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def empty(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    memory_format=None,
    **kw,
):
    """An uninitialized tensor (srcad fills it with zeros)."""
    if "size" in kw:
        size = (kw.pop("size"),)
    return _make(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def _fill_dtype(value):
    if isinstance(value, builtins.bool):
        return _dt.bool
    if isinstance(value, builtins.int):
        return _dt.int64
    if isinstance(value, complex):
        return _dt.get_default_dtype().to_complex()
    if isinstance(value, Tensor):
        return value.dtype
    return _dt.get_default_dtype()


def full(
    size,
    fill_value,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """A tensor of shape ``size`` filled with ``fill_value``."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = _dt.to_dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    return _make(
        lambda xp, s, d: xp.full(s, fill_value, d),
        (size,) if not isinstance(size, builtins.int) else (size,),
        dt,
        device,
        requires_grad,
    )


def _check_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def _like(input, fill, dtype, device, requires_grad):
    _check_tensor(input, "full_like")
    d = input._data
    dt = d.dtype if dtype is None else _dt.to_dtype(dtype).np
    data = np.full_like(d, fill, dtype=dt)  # dispatches to CuPy for CuPy data
    return _finish(data, requires_grad, device)


def ones_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
):
    return _like(input, 1, dtype, device, requires_grad)


def zeros_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
):
    return _like(input, 0, dtype, device, requires_grad)


empty_like = zeros_like


def full_like(
    input,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):
    return _like(input, fill_value, dtype, device, requires_grad)


def eye(
    n,
    m=None,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """The ``n`` x ``m`` identity matrix."""
    xp, _ = _xp(device)
    return _finish(xp.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad)


def _is_float_arg(*vals):
    return builtins.any(
        isinstance(v, builtins.float) or (isinstance(v, Tensor) and v.is_floating_point())
        for v in vals
    )


def arange(
    start=0,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """``[start, end)`` in steps of ``step``; float if any argument is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dt = _dt.get_default_dtype() if _is_float_arg(*vals) else _dt.int64
    else:
        dt = _dt.to_dtype(dtype)
    n = builtins.max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    data = (
        (vals[0] + np.arange(n, dtype=np.float64) * vals[2])
        if dt.np.kind in "fc"
        else (np.arange(vals[0], vals[1], vals[2]))
    )
    xp, _ = _xp(device)
    data = data.astype(dt.np)
    return _finish(data if xp is np else xp.asarray(data), requires_grad)


def linspace(
    start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False
):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    s = start.item() if isinstance(start, Tensor) else start
    e = end.item() if isinstance(end, Tensor) else end
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    idx = np.arange(steps, dtype=np.float64)
    if steps > 1:
        step = (e - s) / (steps - 1)
        half = steps // 2
        data = np.where(idx < half, s + step * idx, e - step * (steps - 1 - idx))
    else:
        data = np.full(steps, s, dtype=np.float64)
    xp, _ = _xp(device)
    data = data.astype(dt.np)
    return _finish(data if xp is np else xp.asarray(data), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    lin = linspace(start, end, steps, dtype=_dt.float64)._data
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    xp, _ = _xp(device)
    data = (base**lin).astype(dt.np)
    return _finish(data if xp is np else xp.asarray(data), requires_grad)


# -- random numbers ------------------------------------------------------------------
# The streams are PyTorch's (see random.py, which draws the values); these functions
# build tensors from them.

manual_seed = _random.manual_seed
seed = _random.seed
initial_seed = _random.initial_seed


def _shape_arg(size, kw, fname):
    """``rand(2, 3)``, ``rand((2, 3))`` and ``rand(size=(2, 3))`` alike."""
    if "size" in kw:
        size = (kw.pop("size"),)
    if kw:
        raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kw))}'")
    return _size(size)


def _new(values, shape, device, requires_grad):
    data = np.asarray(values).reshape(shape)
    xp, _ = _xp(device)
    return _finish(data if xp is np else xp.asarray(data), requires_grad)


def rand(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kw,
):
    """Uniform samples in ``[0, 1)``, PyTorch's stream: ``rand(2, 3)``, ``rand(size=(2, 3))``."""
    shape = _shape_arg(size, kw, "rand")
    gen = _random.generator_for(generator, device, "rand")
    values = _random.uniform_values(gen, math.prod(shape), _np_dtype(dtype))
    return _new(values, shape, device, requires_grad)


def randn(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kw,
):
    """Standard normal samples, PyTorch's stream."""
    shape = _shape_arg(size, kw, "randn")
    gen = _random.generator_for(generator, device, "randn")
    values = _random.normal_values(gen, math.prod(shape), _np_dtype(dtype))
    return _new(values, shape, device, requires_grad)


def _like_device(input, device):
    return device or (input.device if input.is_cuda else None)


def rand_like(
    input,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):
    _check_tensor(input, "rand_like")
    return rand(
        *input.shape,
        generator=generator,
        dtype=dtype or input.dtype,
        requires_grad=requires_grad,
        device=_like_device(input, device),
    )


def randn_like(
    input,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):
    _check_tensor(input, "randn_like")
    return randn(
        *input.shape,
        generator=generator,
        dtype=dtype or input.dtype,
        requires_grad=requires_grad,
        device=_like_device(input, device),
    )


def randint(
    low=0,
    high=None,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """Random integers in ``[low, high)``: ``randint(10, (3,))`` or ``randint(0, 10, (3,))``."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError('randint() missing 1 required positional arguments: "size"')
    shape = _size((size,) if isinstance(size, builtins.int) else tuple(size))
    gen = _random.generator_for(generator, device, "randint")
    dt = np.int64 if dtype is None else _dt.to_dtype(dtype).np
    values = _random.randint_values(gen, math.prod(shape), _int_bound(low), _int_bound(high), dt)
    return _new(values, shape, device, requires_grad)


def _int_bound(v):
    return builtins.int(v.item() if isinstance(v, Tensor) else v)


def randint_like(
    input,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):
    """``randint`` shaped (and typed) like ``input``: ``randint_like(x, 10)``, ``(x, 3, 10)``."""
    _check_tensor(input, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(
        low,
        high,
        tuple(input.shape),
        generator=generator,
        dtype=dtype or input.dtype,
        requires_grad=requires_grad,
        device=_like_device(input, device),
    )


def randperm(
    n,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """A random permutation of ``0 .. n-1`` (PyTorch's, for the same generator state)."""
    gen = _random.generator_for(generator, device, "randperm")
    dt = np.int64 if dtype is None else _dt.to_dtype(dtype).np
    values = _random.randperm_values(gen, builtins.int(n), dt)
    return _new(values, (builtins.int(n),), device, requires_grad)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """N(mean, std**2) samples; ``mean`` and ``std`` may be tensors (broadcast together).

    With tensors the draw is a standard normal of the output's shape, then
    ``z * std + mean`` on the tape, so gradients reach ``mean`` and ``std``.
    """
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError('normal() missing 1 required positional arguments: "size"')
        shape = _size((size,) if isinstance(size, builtins.int) else tuple(size))
        gen = _random.generator_for(generator, device, "normal")
        values = _random.normal_values(gen, math.prod(shape), _np_dtype(dtype), mean, std)
        return _new(values, shape, device, requires_grad)
    if isinstance(std, Tensor) and std.numel() and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    tensors = [a for a in (mean, std) if isinstance(a, Tensor)]
    shape = np.broadcast_shapes(*(tuple(a.shape) for a in tensors))
    dt = np.result_type(*(a._data.dtype for a in tensors))
    dev = tensors[0].device if tensors[0].is_cuda else None
    gen = _random.generator_for(generator, dev, "normal")
    z = _new(_random.normal_values(gen, math.prod(shape), dt), shape, dev, False)
    return z * std + mean


def bernoulli(input, p=None, *, generator=None, out=None):  # noqa: A002
    """0/1 draws with probabilities ``input`` (or the number ``p``), in ``input``'s dtype."""
    _check_tensor(input, "bernoulli")
    result = empty_like(input)
    with _no_grad():
        result.bernoulli_(input if p is None else p, generator=generator)
    return result


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):  # noqa: A002
    """Indices drawn from the categorical distributions in the rows of ``input``."""
    _check_tensor(input, "multinomial")
    probs = input._data.get() if is_cupy(input._data) else np.asarray(input._data)
    _check_multinomial(probs, num_samples, replacement, input.dtype)
    gen = _random.generator_for(generator, input.device, "multinomial")
    rows = probs.reshape(1, -1) if probs.ndim == 1 else probs
    idx = _random.multinomial_values(gen, rows, builtins.int(num_samples), replacement)
    if probs.ndim == 1:
        idx = idx[0]
    return _new(idx, idx.shape, input.device if input.is_cuda else None, False)


def _check_multinomial(probs, num_samples, replacement, dtype):
    if probs.dtype.kind != "f":
        name = dtype._legacy.replace("torch.", "").replace("Tensor", "")
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {name}"
        )
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    ncat = probs.shape[-1]
    if ncat > 2**24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > ncat:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if not np.isfinite(probs).all() or (probs < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if probs.size and (probs.reshape(-1, ncat).sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


_random.install(Tensor)
Tensor.bernoulli = bernoulli
Tensor.multinomial = multinomial
