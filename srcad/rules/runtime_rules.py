"""Rules for the runtime helpers that generated code calls.

They make generated code differentiable again: ``srcad.jvp(srcad.grad(f))``
(forward over reverse) transforms the gradient code itself, so each helper it
calls needs a forward rule.  Most of them are linear in their adjoint inputs.
"""

from .. import runtime as _rt
from .registry import adjoint, linear, nondifferentiable, tangent

linear(_rt.unbroadcast, _rt.sum_to_like, params=("g",))
linear(_rt.expand_reduced, params=("g",))
linear(_rt.add, params=("a", "b"))
linear(_rt.concat_adj, params=("g",))
linear(_rt.add_at, params=("dx", "g"))
linear(_rt.getitem_adj, params=("dx",))
linear(_rt.setitem_adj, params=("dx",))
linear(_rt.pop_adj, params=("dlst",))
linear(_rt.index_value, params=("x",))
linear(_rt.set_tangent, params=("dx", "dv"))
linear(_rt.restore_tangent, params=("dx", "dold"))
linear(_rt.broadcast_like, params=("dx",))
nondifferentiable(_rt.seed, _rt.zeros_like, _rt.ones_like, _rt.check_scalar, _rt.is_zero)


@tangent(_rt.matmul_adjoint_a)
def _(result, g, a, b):
    d[result] = _rt.matmul_adjoint_a(d[g], a, b) + _rt.matmul_adjoint_a(g, a, d[b])


@tangent(_rt.matmul_adjoint_b)
def _(result, g, a, b):
    d[result] = _rt.matmul_adjoint_b(d[g], a, b) + _rt.matmul_adjoint_b(g, d[a], b)


@tangent(_rt.log_or_zero)
def _(result, x):
    d[result] = d[x] / x


@adjoint(list, tuple, linear=("iterable",))
def _(result, iterable=()):
    d[iterable] = _rt.like_sequence(d[result], iterable)
