"""One level per tape transformation, so nested derivatives cannot confuse perturbations.

``srcad.grad(f, mode="tape")`` called while another tape transformation is running
``f`` (a closure over the outer's tensors, ``grad`` of a ``grad`` with other
arguments, the gradient of a container gradient, ``jacobian(jacobian(f))``) is
*nested*.  As JAX and HIPS autograd do, each transformation gets its own level:

* it makes its own differentiation variables: a fresh tape node per argument (an
  identity node on a tensor of an outer level, a new leaf for a plain value), so the
  inner gradient is taken with respect to that node only; an outer tensor passed as
  an argument, or captured by a closure, is never the inner's variable, and the
  outer's perturbation cannot leak into the inner derivative;
* a nested transformation builds its gradient with ``create_graph``: the result is a
  tensor of the outer's graph, differentiable by the outer level; nothing is
  detached, and outer tensors are never turned into plain arrays.

The level stack is per thread.  ``depth()`` is 0 outside every tape transformation.
"""

import threading


class _State(threading.local):
    depth = 0  # a class default: no failed lookup in a thread that never ran one


_STATE = _State()


def depth():
    """How many tape transformations are running their function in this thread."""
    return _STATE.depth


class level:  # noqa: N801 - used as a function: ``with levels.level() as nested:``
    """Run a transformation's function at the next level; gives whether it is nested.

    (A class rather than a generator context manager: entered on every call of a tape
    transformation.)"""

    __slots__ = ("d",)

    def __enter__(self):
        d = self.d = _STATE.depth
        _STATE.depth = d + 1
        return d > 0

    def __exit__(self, *exc):
        _STATE.depth = self.d
        return False


def own_variable(t):
    """This level's variable for tensor ``t``: differentiable by this level only.

    A tensor of an outer level becomes a fresh identity node on the outer graph
    (gradients w.r.t. it are taken at that node, the outer graph is kept); any other
    tensor becomes a new leaf.
    """
    if t.requires_grad:
        v = t.clone()
    else:
        v = t.detach().requires_grad_(True)
    if type(t) is not type(v) and type(t).__name__ == "Tensor":
        v.__class__ = type(t)  # keep a Python number's rebinding augmented assignment
    return v
