"""``srcad.autograd.graph``: the node type of ``grad_fn`` objects."""

from ..tape.node import AccumulateGrad, Node  # noqa: F401
