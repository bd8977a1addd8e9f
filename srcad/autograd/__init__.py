"""``srcad.autograd``: the tape's autograd namespace, as ``torch.autograd``.

``Function`` for custom ops, ``grad`` and ``backward`` for running the engine,
``gradcheck`` for checking gradients against finite differences.
"""

from ..tape.engine import backward, grad
from ..tape.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ..tape.legacy import Variable
from . import function, functional, grad_mode, graph, profiler  # noqa: F401  (submodules, as in torch.autograd)
from .anomaly import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
