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
linear(_rt.add_at, _rt.add_at_inplace, params=("dx", "g"))
linear(_rt.getitem_adj, params=("dx",))
linear(_rt.display_entry_adj, params=("dx",))
linear(_rt.setitem_adj, params=("dx",))
linear(_rt.pop_adj, params=("dlst",))
linear(_rt.push_adj, params=("dlst", "g"))
linear(_rt.index_value, params=("x",))
linear(_rt.set_tangent, params=("dx", "dv"))
linear(_rt.restore_tangent, params=("dx", "dold"))
linear(_rt.broadcast_like, params=("dx",))
linear(_rt.adjoint_like, params=("g",))
linear(_rt.instantiate, params=("dx",))
linear(_rt.real_cotangent, params=("g",))
nondifferentiable(_rt.seed, _rt.zeros_like, _rt.ones_like, _rt.check_scalar, _rt.is_zero)
nondifferentiable(_rt.sorted_item_keys)  # the loop order of sorted(d.items())


@tangent(_rt.matmul_adjoint_a)
def _(result, g, a, b):
    d[result] = _rt.matmul_adjoint_a(d[g], a, b) + _rt.matmul_adjoint_a(g, a, d[b])


@tangent(_rt.matmul_adjoint_b)
def _(result, g, a, b):
    d[result] = _rt.matmul_adjoint_b(d[g], a, b) + _rt.matmul_adjoint_b(g, d[a], b)


@tangent(_rt.log_or_zero)
def _(result, x):
    d[result] = d[x] / x


@adjoint(_rt.stack_copy, elementwise=True)
def _(result, x):
    d[x] = d[result]


@adjoint(list, tuple, linear=("iterable",))
def _(result, iterable=()):
    d[iterable] = _rt.like_sequence(d[result], iterable)


# Reverse rules for the helpers, so grad(grad(f)) can stay in source mode.


@adjoint(_rt.unbroadcast, _rt.sum_to_like)
def _(result, g, x):
    d[g] = _rt.broadcast_like(d[result], g)


@adjoint(_rt.adjoint_like)
def _(result, g, x):
    d[g] = _rt.stack_like(d[result], g)


# grad(grad(f)) of np.stack / np.unstack: each helper cuts or joins along the axis,
# so each one's adjoint is the other


@adjoint(_rt.stack_adjoint)
def _(result, g, arrays, axis=0):
    d[g] = _rt.unstack_adjoint(d[result], result, axis)


@adjoint(_rt.unstack_adjoint)
def _(result, g, pieces, axis=0):
    d[g] = _rt.stack_adjoint(d[result], pieces, axis)


@adjoint(_rt.instantiate)
def _(result, dx, x):
    d[dx] = d[result]


@adjoint(_rt.broadcast_like)
def _(result, dx, result_like):
    d[dx] = _rt.unbroadcast(d[result], dx)


@adjoint(_rt.add)
def _(result, a, b):
    d[a] = d[result]
    d[b] = d[result]


@adjoint(_rt.add_at, _rt.add_at_inplace)
def _(result, dx, x, i, g):
    d[dx] = d[result]
    d[g] = _rt.unbroadcast(_rt.getitem_adj(d[result], i), g)


@adjoint(_rt.getitem_adj)
def _(result, dx, i):
    d[dx] = _rt.add_at(0.0, dx, i, d[result])


@adjoint(_rt.index_value)
def _(result, x, i):
    d[x] = _rt.add_at(0.0, x, i, d[result])


linear(_rt.mean_adjoint, params=("g",))


@adjoint(_rt.expand_reduced)
def _(result, g, x, axis=None, keepdims=False):
    d[g] = _rt.reduce_to(d[result], g, x, axis, keepdims)


@adjoint(_rt.mean_adjoint)
def _(result, g, a, axis=None, keepdims=False, where=True):
    d[g] = _rt.reduce_to(_rt.masked(d[result], where), g, a, axis, keepdims) / (
        _rt.reduced_count(a, axis, where)
    )
