"""Devices: ``cpu`` arrays are NumPy, ``cuda`` arrays are CuPy.

The array module always comes from the data at hand; nothing here converts a CuPy
array to NumPy behind the user's back.  ``Tensor.to("cpu")`` / ``.cpu()`` is the one
explicit copy to the host.
"""

import numpy as np

__all__ = ["device"]


class device:  # noqa: N801 - PyTorch's spelling
    """Where a tensor's data lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's parameter name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string, got {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index "
                    f"was passed explicitly: {type}"
                )
            type, idx = type.split(":", 1)
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type
            )
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def is_cupy(a):
    """True for device arrays: CuPy arrays (checked without importing CuPy) and
    stand-ins that behave like them (``srcad.testing.StrictArray``: not an
    ``ndarray``, NumPy functions dispatch to it, ``.get()`` copies to the host)."""
    t = type(a)
    if t is np.ndarray:
        return False
    if t.__module__.startswith("cupy"):
        return True
    return hasattr(t, "__array_function__") and hasattr(t, "get") and hasattr(a, "shape")


def memory_root(a):
    """The array that owns ``a``'s memory: NumPy's and CuPy's views name their base."""
    while (isinstance(a, np.ndarray) or is_cupy(a)) and getattr(a, "base", None) is not None:
        a = a.base
    return a


def c_contiguous(a):
    """True when ``a`` is known to be C-contiguous (unknown counts as not)."""
    return bool(getattr(getattr(a, "flags", None), "c_contiguous", False))


def writeable(a):
    """False for read-only NumPy views (``broadcast_to``); device arrays count as writable."""
    return bool(getattr(getattr(a, "flags", None), "writeable", True))


def owned_copy(a, dtype=None):
    """A C-ordered copy of ``a`` (in ``dtype``) that shares memory with nothing."""
    dtype = a.dtype if dtype is None else dtype
    if isinstance(a, np.generic):  # a NumPy scalar (0-d results): copy into a real array
        a = np.asarray(a)
    if type(a) is np.ndarray:
        return np.array(a, dtype=dtype, order="C", copy=True)
    try:
        return a.astype(dtype, order="C", copy=True)
    except TypeError:
        return a.astype(dtype, copy=True)


def xp_of(a):
    """The array module (NumPy or CuPy) that owns array ``a``."""
    if is_cupy(a):
        import cupy  # noqa: PLC0415

        return cupy
    return np


def device_of(a):
    if is_cupy(a):
        return device("cuda", getattr(a.device, "id", 0))
    return CPU


def check_same_device(a, b):
    """PyTorch's error where arrays of two devices meet in one operation (NumPy and
    CuPy would each raise their own TypeError, or copy behind the user's back).
    srcad is stricter than PyTorch in one case: a 0-d CPU tensor does not mix with
    CUDA tensors either (PyTorch treats it as a number)."""
    da, db = device_of(a), device_of(b)
    if da != db:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two "
            f"devices, {da} and {db}!"
        )


def cupy():
    try:
        import cupy as cp  # noqa: PLC0415
    except ImportError:  # pragma: no cover - only without a GPU stack
        raise RuntimeError(
            "Found no NVIDIA driver on your system (srcad needs CuPy for device='cuda')"
        ) from None
    return cp


def to_device(a, dev):
    """``a`` moved to ``dev`` (a copy only when the device changes)."""
    dev = device(dev) if not isinstance(dev, device) else dev
    if dev.type == "cpu":
        return a.get() if is_cupy(a) else a
    if dev.type == "cuda":
        cp = cupy()
        if is_cupy(a) and (dev.index is None or a.device.id == dev.index):
            return a
        if dev.index is not None:
            with cp.cuda.Device(dev.index):
                return cp.asarray(a)
        return cp.asarray(a)
    raise RuntimeError(f"srcad has no arrays on device {dev}")


_DEFAULT = [None]  # set_default_device's device; None means the CPU


def set_default_device(device):  # noqa: A002 - PyTorch's parameter name
    """The device factories use when given none (``None`` restores the CPU).

    Example: ``srcad.set_default_device("cpu")``.
    """
    _DEFAULT[0] = None if device is None else as_device(device)
    if _DEFAULT[0] is not None and _DEFAULT[0].type == "cpu":
        _DEFAULT[0] = None


def get_default_device():
    """The device factories use when given none (``device(type='cpu')`` by default)."""
    d = _DEFAULT[0]
    if d is None:
        return CPU
    if d.type == "cuda" and d.index is None:
        cupy()
        return device("cuda", 0)
    return d


def or_default(d):
    """``d``, or the default device when ``d`` is None."""
    return _DEFAULT[0] if d is None else d


def as_device(d):
    if d is None or isinstance(d, device):
        return d
    if isinstance(d, int):
        return device("cuda", d)
    return device(d)
