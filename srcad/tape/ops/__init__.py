"""Tensor operations: forward with NumPy on the raw arrays, backward from the registry.

Each op computes its result on the arrays, applies PyTorch's dtype rules, and hands
the call to :func:`tensor.record` with the primitive whose rule differentiates it and
the PyTorch name of its ``grad_fn``.  The same functions serve as ``torch.exp(x)`` and
``x.exp()`` (:func:`install` puts them on ``Tensor``).

The ops live in one module per family, in dependency order: ``promotion`` (type
promotion), ``arithmetic``, ``unary``, ``reductions``, ``linalg``, ``shapes`` (shapes and
views), ``conversions`` (dtype and device), ``inplace``, ``indexing`` (scatter and
friends), ``sorting`` (sort, topk, histograms), ``composites``; ``install`` puts them on
``Tensor``.
"""

from .arithmetic import *  # noqa: F403
from .composites import *  # noqa: F403
from .conversions import *  # noqa: F403
from .indexing import *  # noqa: F403
from .inplace import *  # noqa: F403
from .install import install as install
from .linalg import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shapes import *  # noqa: F403
from .sorting import *  # noqa: F403
from .unary import *  # noqa: F403
