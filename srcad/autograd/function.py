"""``srcad.autograd.function`` (as ``torch.autograd.function``)."""

from ..tape.function import (  # noqa: F401
    BackwardCFunction,
    Function,
    FunctionCtx,
    InplaceFunction,
    NestedIOFunction,
    once_differentiable,
)
