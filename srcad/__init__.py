"""srcad: source-transformation automatic differentiation for Python.

See ``shared/API.md`` for the contract; everything public is re-exported here.
"""

from . import rules as _rules  # noqa: F401  (registers every rule family)
from .errors import FallbackWarning, SrcadError, UnsupportedError
from .api import (
    grad,
    hessian,
    hvp,
    insert_grad_of,
    jacobian,
    jvp,
    stop_gradient,
    value_and_grad,
    vjp,
)
from .rules.registry import adjoint, nondifferentiable, tangent

__all__ = [
    "FallbackWarning",
    "SrcadError",
    "UnsupportedError",
    "adjoint",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "vjp",
    "insert_grad_of",
    "stop_gradient",
    "value_and_grad",
    "nondifferentiable",
    "tangent",
]
from .tape.api import *  # noqa: F401,F403,E402  (the tape: import srcad as torch)
from . import autograd  # noqa: F401,E402
from . import nn, optim  # noqa: F401,E402

__version__ = "0.1.0"
