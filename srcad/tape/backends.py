"""``torch.backends``: the flags tutorials check before choosing a device.

srcad has no MPS backend and no cuDNN: ``mps.is_available()`` is False and the cuDNN
switches (``benchmark``, ``deterministic``, ...) are plain attributes nothing reads;
``cuda.is_built()`` says whether CuPy is there to run tensors on a GPU.
"""

import types

from . import cuda as _cuda

__all__ = ["cuda", "cudnn", "mps"]


def _false():
    return False


def _cupy_present():
    try:
        import cupy  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


mps = types.SimpleNamespace(is_available=_false, is_built=_false, is_macos13_or_newer=_false)
cudnn = types.SimpleNamespace(
    enabled=True,
    benchmark=False,
    deterministic=False,
    allow_tf32=True,
    is_available=_cuda.is_available,
    version=lambda: None,
)
cuda = types.SimpleNamespace(
    is_built=_cupy_present, matmul=types.SimpleNamespace(allow_tf32=False)
)
