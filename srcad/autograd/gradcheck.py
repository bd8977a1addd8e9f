"""``srcad.autograd.gradcheck`` (as ``torch.autograd.gradcheck``)."""

from ..tape.gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
