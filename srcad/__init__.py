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
from . import viz  # noqa: F401,E402  (Graphviz DOT pictures; imports nothing heavy)
from .api import (  # noqa: E402
    clear_cache,
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
from .serialization import load, save  # noqa: E402
from . import utils  # noqa: F401,E402  (torch.utils.data)
from .rules.registry import adjoint, nondifferentiable, tangent  # noqa: E402
from .tape import api as _tape_api  # noqa: E402

__all__ = [
    "FallbackWarning",
    "SrcadError",
    "UnsupportedError",
    "adjoint",
    "autograd",
    "clear_cache",
    "grad",
    "hessian",
    "hvp",
    "insert_grad_of",
    "jacobian",
    "jvp",
    "load",
    "nn",
    "nondifferentiable",
    "optim",
    "save",
    "stop_gradient",
    "tangent",
    "utils",
    "value_and_grad",
    "vjp",
] + [n for n in _tape_api.__all__]

__version__ = "0.1.0"
