"""``torch.cuda``: what srcad finds of an NVIDIA GPU, through CuPy.

srcad's arrays live on a GPU only through CuPy, so a GPU is "available" exactly when
CuPy imports and reports at least one device; without CuPy (or without a driver) every
query answers as PyTorch does on a machine without CUDA: ``is_available()`` is False,
``device_count()`` is 0, seeding is a no-op, and what needs a device raises.
"""

from .device import cupy as _cupy
from .device import device as _device

__all__ = [
    "current_device",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "synchronize",
]


def device_count():
    """How many GPUs CuPy sees (0 without CuPy or a driver).

    Example: ``srcad.cuda.device_count()`` is ``0`` on a machine without a GPU.
    """
    try:
        import cupy  # noqa: PLC0415

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean none
        return 0


def is_available():
    """True when a GPU can hold srcad tensors (CuPy and at least one device)."""
    return device_count() > 0


def is_initialized():
    return is_available()


def current_device():
    """The index of the current GPU (raises without one)."""
    return int(_cupy().cuda.runtime.getDevice())


def get_device_name(device=None):
    cp = _cupy()
    index = current_device() if device is None else _index(device)
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    _cupy().cuda.runtime.deviceSynchronize()


def empty_cache():
    """Return cached GPU memory to the driver (nothing to do without a GPU)."""
    if is_available():
        _cupy().get_default_memory_pool().free_all_blocks()


def manual_seed(seed):
    """PyTorch seeds CUDA lazily and ignores the call without a GPU; so does srcad
    (its random numbers come from one generator, seeded by ``srcad.manual_seed``)."""


def manual_seed_all(seed):
    """As :func:`manual_seed`, for every GPU."""


def _index(device):
    if isinstance(device, int):
        return device
    d = device if isinstance(device, _device) else _device(device)
    return d.index or 0
