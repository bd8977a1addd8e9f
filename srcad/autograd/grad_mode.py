"""``srcad.autograd.grad_mode`` (as ``torch.autograd.grad_mode``)."""

from ..tape.grad_mode import (  # noqa: F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
