"""srcad: source-transformation automatic differentiation for Python.

``srcad.grad`` and friends transform a function's source (see ``shared/API.md``
section 1); the tape engine (section 2) makes ``import srcad as torch`` work.
Everything public is re-exported here; the rest of the package is private.
"""

from . import rules as _rules  # noqa: F401  (registers every rule family)

# The tape first: its names (tensor, no_grad, float32, sum, max, ...) follow
# PyTorch's; the transformations below are srcad's own and must win any clash.
from .tape.api import *  # noqa: F401,F403,E402  (import srcad as torch)
from . import autograd, nn, optim  # noqa: F401,E402
from .api import (  # noqa: E402
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
from . import testing  # noqa: F401,E402  (srcad.testing.check_grads after `import srcad`)
from .errors import FallbackWarning, SrcadError, UnsupportedError  # noqa: E402
from .rules.registry import adjoint, nondifferentiable, tangent  # noqa: E402
from .tape import api as _tape_api  # noqa: E402

__all__ = [
    "FallbackWarning",
    "SrcadError",
    "UnsupportedError",
    "adjoint",
    "autograd",
    "grad",
    "hessian",
    "hvp",
    "insert_grad_of",
    "jacobian",
    "jvp",
    "nn",
    "nondifferentiable",
    "optim",
    "stop_gradient",
    "tangent",
    "value_and_grad",
    "vjp",
] + [n for n in _tape_api.__all__]

__version__ = "0.1.0"
