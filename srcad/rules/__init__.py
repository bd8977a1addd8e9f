"""Derivative rules.  Importing this package registers every rule family."""

from . import arithmetic, runtime_rules  # noqa: F401
from .registry import adjoint, lookup, nondifferentiable, tangent  # noqa: F401

try:  # the larger NumPy families; each module registers on import
    from . import numpy_elementwise, numpy_linalg, numpy_reductions, numpy_shape  # noqa: F401
except ImportError:  # pragma: no cover - while a family is being written
    pass
