"""Runtime support for generated code and the tape (imported as ``_rt`` there)."""

from .core import (  # noqa: F401
    add,
    add_at,
    add_at_inplace,
    broadcast_like,
    check_scalar,
    concat_adj,
    finalize,
    getitem_adj,
    index_value,
    is_zero,
    like_sequence,
    namespace_of,
    ones_like,
    pop_adj,
    push_adj,
    restore_item,
    restore_tangent,
    seed,
    set_tangent,
    setitem_adj,
    shape_of,
    unbroadcast,
    zeros_like,
)
from .grads import *  # noqa: F401,F403
