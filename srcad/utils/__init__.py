"""``srcad.utils``: PyTorch's ``torch.utils`` names that programs reach for (``data``)."""

from . import data

__all__ = ["data"]
