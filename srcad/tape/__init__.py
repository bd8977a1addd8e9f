"""The tape engine: PyTorch-style tensors with dynamic-graph autograd (see api.py).

``tensor`` is imported first: it defines ``Tensor`` and then lets ``ops`` install the
math methods on it, whichever tape module a caller imports first.
"""

from . import tensor as _tensor  # noqa: F401
