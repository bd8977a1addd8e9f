"""``srcad.nn.init``: in-place initialisers with PyTorch's formulas and streams.

Every function fills its tensor under ``no_grad`` and returns it.  The samples are
PyTorch's for the same seed (the tensor methods ``uniform_``/``normal_`` draw them,
see ``srcad/tape/random.py``); the gains, fans and bounds are computed in PyTorch's
order of operations, so the float32 bounds, and hence the values, are the same.
``trunc_normal_`` follows PyTorch 2.13's rejection sampling; its acceptance test
takes a float32 ``log`` rounded from float64, where PyTorch's vectorised ``log`` may
differ by one unit in the last place, which could flip a test exactly at the boundary.
"""

import math
import warnings

import numpy as np

from ..tape import random as _rnd
from ..tape.grad_mode import no_grad
from ..tape.tensor import raw, wrap

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "trunc_normal_",
]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (``relu``: sqrt(2), ``tanh``: 5/3, ...)."""
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    )
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fill(tensor, sample):
    """Copy ``sample`` (a tensor of the same shape) into ``tensor`` in place."""
    with no_grad():
        tensor.copy_(sample)
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples of U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples of N(mean, std**2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std**2) restricted to [a, b], by rejection as PyTorch 2.13 samples it.

    When [a, b] holds more than 30% of the mass: draw normals, then redraw a whole
    tensor of normals and take from it every element still outside [a, b], until none
    is.  Otherwise: uniform proposals on [a, b], each accepted when the log of a
    second uniform is below its log-density relative to the peak; rejected ones are
    proposed again (whole tensors drawn each round).
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    data = raw(tensor)
    gen = _rnd.generator_for(generator, tensor.device, "trunc_normal_")
    n, dt = data.size, np.dtype(data.dtype)
    with no_grad():
        if _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std) > 0.3:
            contiguous = bool(getattr(data, "flags", None) is None or data.flags.c_contiguous)
            values = _truncated_by_redrawing(gen, n, dt, mean, std, a, b, contiguous)
        else:
            values = _truncated_by_proposals(gen, n, dt, mean, std, a, b)
        tensor.copy_(wrap(_rnd.place(values, data)))
    return tensor


def _truncated_by_redrawing(gen, n, dt, mean, std, a, b, contiguous):
    lo, hi = dt.type(a), dt.type(b)
    result = _rnd.normal_values(gen, n, dt, mean, std, contiguous)
    while True:
        outside = (result < lo) | (result > hi)
        if not outside.any():
            return result
        fresh = _rnd.normal_values(gen, n, dt, mean, std, contiguous)
        result = np.where(outside, fresh, result)


def _truncated_by_proposals(gen, n, dt, mean, std, a, b):
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    c = dt.type

    def log_density(x):  # relative to the peak, in the tensor's precision
        z = (x - c(mean)) / c(std)
        return (z * z) * c(-0.5) - c(log_peak)

    def rejected(candidates):
        with np.errstate(divide="ignore"):
            log_u = np.log(_rnd.uniform_values(gen, n, dt).astype(np.float64)).astype(dt)
        return log_u > log_density(candidates)

    result = _rnd.uniform_values(gen, n, dt, a, b)
    pending = rejected(result)
    while pending.any():
        candidates = _rnd.uniform_values(gen, n, dt, a, b)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, rejected(candidates), pending)
    return result


def constant_(tensor, val):
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    with no_grad():
        tensor.zero_()
    return tensor


def eye_(tensor):
    from .. import eye  # noqa: PLC0415

    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = math.prod(tensor.shape[2:]) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with ``bound = gain * sqrt(3 / fan)`` (He et al., 2015).

    ``nn.Linear`` and ``nn.Conv2d`` use ``a=sqrt(5)``, which gives ``1/sqrt(fan_in)``.
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)
