"""Derivative rules.  Importing this package registers every rule family."""

from . import (  # noqa: F401
    arithmetic,
    builtins_and_methods,
    nn_ops,
    numpy_creation,
    numpy_elementwise,
    numpy_extra,
    numpy_fft,
    numpy_linalg,
    numpy_reductions,
    numpy_shape,
    runtime_rules,
    tape_ops,
)
from .registry import adjoint, lookup, nondifferentiable, tangent  # noqa: F401
