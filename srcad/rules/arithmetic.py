"""Rules for Python's operators and their NumPy ufunc twins.

Each template is registered for the operator (what ``a * b`` means in source)
and for the ufunc (``np.multiply(a, b)``): one rule, both spellings.  Adjoints
of broadcasting primitives are reduced to each argument's shape by the engines
(``broadcast=True``), so no rule here mentions broadcasting.
"""

import operator

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, nondifferentiable, tangent


@adjoint(operator.add, np.add, broadcast=True, linear=("x", "y"))
def _(result, x, y):
    d[x] = d[result]
    d[y] = d[result]


@adjoint(operator.sub, np.subtract, broadcast=True, linear=("x", "y"))
def _(result, x, y):
    d[x] = d[result]
    d[y] = -d[result]


@adjoint(operator.mul, np.multiply, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result] * y
    d[y] = d[result] * x


@adjoint(operator.truediv, np.divide, np.true_divide, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result] / y
    d[y] = -d[result] * result / y


@adjoint(operator.neg, np.negative, linear=("x",))
def _(result, x):
    d[x] = -d[result]


@adjoint(operator.pos, np.positive, linear=("x",))
def _(result, x):
    d[x] = d[result]


@adjoint(operator.pow, np.power, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result] * _rt.power_deriv(x, y)
    d[y] = d[result] * result * _rt.log_or_zero(x)


@adjoint(operator.matmul, np.matmul)
def _(result, x, y):
    d[x] = _rt.matmul_adjoint_a(d[result], x, y)
    d[y] = _rt.matmul_adjoint_b(d[result], x, y)


@adjoint(operator.mod, np.mod, np.remainder, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result]
    d[y] = -d[result] * np.floor_divide(x, y)


@tangent(operator.matmul, np.matmul)
def _(result, x, y):
    d[result] = d[x] @ y + x @ d[y]


nondifferentiable(
    operator.eq,
    operator.ne,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.not_,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.invert,
    operator.floordiv,
    operator.is_,
    operator.is_not,
    operator.contains,
    np.equal,
    np.not_equal,
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.floor_divide,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.sign,
    np.floor,
    np.ceil,
    np.round,
    np.rint,
    np.trunc,
    np.argmax,
    np.argmin,
    np.argsort,
    np.shape,
    np.ndim,
    np.size,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.full_like,
    np.zeros,
    np.ones,
    np.empty,
    np.full,
    np.arange,
    np.eye,
    np.identity,
    len,
    range,
    int,
    bool,
    isinstance,
    round,
    np.nonzero,
    np.flatnonzero,
    np.count_nonzero,
    np.all,
    np.any,
    np.array_equal,
    np.allclose,
    np.isclose,
)


# -- rules of the power helper (grad of grad and hvp differentiate adjoint code) --


@adjoint(_rt.power_deriv, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result] * _rt.power_deriv2(x, y)
    d[y] = d[result] * _rt.power_deriv_y(x, y)


# third order through x ** y in x: the same helper one exponent down
@adjoint(_rt.power_deriv2, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result] * y * _rt.power_deriv2(x, y - 1)
    d[y] = d[result] * x ** (y - 2) * (2 * y - 1 + y * (y - 1) * _rt.log_or_zero(x))


@adjoint(_rt.power_deriv_y, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = d[result] * x ** (y - 2) * ((y - 1) * (1 + y * _rt.log_or_zero(x)) + y)
    d[y] = d[result] * x ** (y - 1) * _rt.log_or_zero(x) * (2 + y * _rt.log_or_zero(x))
