"""``nn.Parameter``: a tensor that a :class:`~srcad.nn.Module` registers as a parameter."""

from ..tape.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered when set on a Module.

    Example::

        >>> w = srcad.nn.Parameter(srcad.ones(2))
        >>> w
        Parameter containing:
        tensor([1., 1.], requires_grad=True)

    It shares ``data``'s array.  Results of operations on it are plain tensors.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import empty  # noqa: PLC0415

            data = empty(0)
        if isinstance(data, Tensor):
            data = data.detach()
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
