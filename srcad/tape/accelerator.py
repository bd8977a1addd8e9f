"""``torch.accelerator``: the device-generic view of :mod:`srcad.tape.cuda`.

srcad's only accelerator is an NVIDIA GPU through CuPy: ``current_accelerator()`` is
``device(type='cuda')`` when one is there and None otherwise, as in PyTorch.
"""

from . import cuda as _cuda
from .device import device as _device

__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "is_available",
    "synchronize",
]

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    """True when there is an accelerator (a GPU through CuPy)."""
    return _cuda.is_available()


def device_count():
    return _cuda.device_count()


def current_accelerator(check_available=False):
    """``device(type='cuda')`` with a GPU, else None (``check_available`` changes
    nothing: without a GPU there is no accelerator type to report)."""
    return _device("cuda") if _cuda.is_available() else None


def current_device_index():
    if not _cuda.is_available():
        raise RuntimeError(_NONE)
    return _cuda.current_device()


def synchronize(device=None):
    if not _cuda.is_available():
        raise RuntimeError(_NONE)
    _cuda.synchronize(device)
