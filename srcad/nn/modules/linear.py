"""``Linear``, ``Identity`` and ``Flatten``."""

import math

from ... import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Linear", "LazyLinear", "Identity", "Flatten", "Unflatten"]


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002 - PyTorch's parameter name
        return input


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    Initialised as in PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))`` and
    ``bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features))``.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Flattens dimensions ``start_dim`` .. ``end_dim`` into one (a view)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dimension ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):  # noqa: A002
        shape = tuple(input.shape)
        d = self.dim % len(shape)
        return input.reshape(shape[:d] + self.unflattened_size + shape[d + 1 :])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` is read from the first input.

    The parameters exist from the start (empty, 1-D), so an optimizer may be built
    before the first call; that call fills them in place (same Parameter objects),
    initialises them as ``Linear`` does, and turns the module into a ``Linear``.
    Loading a state dict first takes the shapes from it, as PyTorch does (the repr
    says ``in_features=0`` until the first call).
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self._factory = {"device": device, "dtype": dtype}
        self.weight = Parameter(empty(0, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(0, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def has_uninitialized_params(self):
        return self.weight.ndim != 2

    def reset_parameters(self):
        if not self.has_uninitialized_params():
            super().reset_parameters()

    def _materialize(self, in_features):
        kw = self._factory
        self.weight.data = empty(self.out_features, in_features, **kw)
        if self.bias is not None:
            self.bias.data = empty(self.out_features, **kw)

    def initialize_parameters(self, input):  # noqa: A002
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self._materialize(self.in_features)
            self.reset_parameters()

    def _materialize_from_state(self, state_dict, prefix):
        """Loading a state dict into an uninitialised module takes its shapes from it."""
        weight = state_dict.get(prefix + "weight")
        if weight is None or not self.has_uninitialized_params() or len(weight.shape) != 2:
            return
        self._materialize(weight.shape[1])

    def forward(self, input):  # noqa: A002
        self.initialize_parameters(input)
        self.in_features = self.weight.shape[1]
        del self._factory
        self.__class__ = self.cls_to_become
        return F.linear(input, self.weight, self.bias)
