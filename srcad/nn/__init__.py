"""``srcad.nn``: modules, parameters, hooks and the functional API on the tape.

Written to be imported in place of ``torch.nn``::

    import srcad as torch
    import srcad.nn as nn
    import srcad.nn.functional as F
"""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils", *_modules_all]
