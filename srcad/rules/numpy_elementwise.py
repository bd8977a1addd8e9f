"""Rules for NumPy's elementwise functions (ufuncs) and their ``math`` twins.

One template per derivative, registered for every spelling that shares it:
``np.exp`` and ``math.exp``, ``np.absolute``, ``np.fabs`` and the builtin
``abs``.  Templates read ``result`` where that is cheaper than recomputing
(``exp``, ``sqrt``, ``tanh``).  Broadcasting primitives say ``broadcast=True``;
the engines then sum each adjoint back to its argument's shape.

Ties in ``maximum``/``minimum``/``fmax``/``fmin`` split the adjoint evenly;
``clip`` passes it to ``a`` where ``a_min <= a <= a_max``.  Complex arguments
follow JAX's convention for ``real``/``imag``/``conj``; the other rules are for
real arguments.
"""

import math

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, linear, nondifferentiable, tangent


def _math(*names):
    """The ``math`` functions among ``names`` that this Python has (exp2, cbrt: 3.11+)."""
    return tuple(getattr(math, n) for n in names if hasattr(math, n))


# -- exponentials and logarithms ---------------------------------------------


@adjoint(np.exp, *_math("exp"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * result


@adjoint(np.exp2, *_math("exp2"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * result * _rt.LN2


@adjoint(np.expm1, *_math("expm1"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * (result + 1.0)


@adjoint(np.log, elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / x


@adjoint(math.log)
def _(result, x, base=None):
    d[x] = d[result] / (x * _rt.log_base(base))
    d[base] = -d[result] * result / (base * _rt.log_base(base))


@tangent(math.log)
def _(result, x, base=None):
    d[result] = d[x] / (x * _rt.log_base(base)) - d[base] * result / (
        _rt.first_given(base, 1.0) * _rt.log_base(base)
    )


@adjoint(np.log2, *_math("log2"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (x * _rt.LN2)


@adjoint(np.log10, *_math("log10"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (x * _rt.LN10)


@adjoint(np.log1p, *_math("log1p"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (x + 1.0)


@adjoint(np.logaddexp, broadcast=True, elementwise=True)
def _(result, x, y, out=None):
    # exp(x - result) is the logistic function of x - y: computed without ``result``,
    # so a gradient that does not need the value skips the logaddexp itself
    d[x] = d[result] * _rt.logistic(x - y)
    d[y] = d[result] * _rt.logistic(y - x)


@adjoint(_rt.logistic, elementwise=True)
def _(result, t):
    d[t] = d[result] * result * _rt.logistic(-t)  # s(t) s(-t): no cancellation in 1 - s


@adjoint(_rt.logistic_neg, elementwise=True)
def _(result, t):
    d[t] = -(d[result] * result * _rt.logistic(t))  # s(-t) = 1 / (1 + exp(t))


@adjoint(np.logaddexp2, broadcast=True, elementwise=True)
def _(result, x, y, out=None):
    d[x] = d[result] * np.exp2(x - result)
    d[y] = d[result] * np.exp2(y - result)


# -- powers and roots ---------------------------------------------------------


@adjoint(np.sqrt, *_math("sqrt"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (2.0 * result)


@adjoint(np.cbrt, *_math("cbrt"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (3.0 * result * result)


@adjoint(np.square, elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * 2.0 * x


@adjoint(np.reciprocal, elementwise=True)
def _(result, x, out=None):
    d[x] = -d[result] * result * result


@adjoint(np.float_power, broadcast=True, elementwise=True)
def _(result, x, y, out=None):
    d[x] = d[result] * _rt.float_power_deriv(x, y)
    d[y] = d[result] * result * _rt.log_or_zero(x)


@adjoint(np.hypot, *_math("hypot"), broadcast=True, elementwise=True)
def _(result, x, y, out=None):
    d[x] = d[result] * x / result
    d[y] = d[result] * y / result


# math.hypot takes any number of coordinates: its own template.
@adjoint(math.hypot)
def _(result, *coordinates):
    d[coordinates] = _rt.hypot_adjoint(d[result], result, coordinates)


@tangent(math.hypot)
def _(result, *coordinates):
    d[result] = _rt.hypot_jvp(d[coordinates], result, coordinates)


# -- trigonometric and hyperbolic ---------------------------------------------


@adjoint(np.sin, *_math("sin"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * np.cos(x)


@adjoint(np.cos, *_math("cos"), elementwise=True)
def _(result, x, out=None):
    d[x] = -d[result] * np.sin(x)


@adjoint(np.tan, *_math("tan"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * (1.0 + result * result)


@adjoint(np.arcsin, *_math("asin"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, *_math("acos"), elementwise=True)
def _(result, x, out=None):
    d[x] = -d[result] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, *_math("atan"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (1.0 + x * x)


@adjoint(np.arctan2, *_math("atan2"), broadcast=True, elementwise=True)
def _(result, x1, x2, out=None):
    d[x1] = d[result] * x2 / (x1 * x1 + x2 * x2)
    d[x2] = -d[result] * x1 / (x1 * x1 + x2 * x2)


@adjoint(np.sinh, *_math("sinh"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * np.cosh(x)


@adjoint(np.cosh, *_math("cosh"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * np.sinh(x)


@adjoint(np.tanh, *_math("tanh"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * (1.0 - result * result)


@adjoint(np.arcsinh, *_math("asinh"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh, *_math("acosh"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh, *_math("atanh"), elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] / (1.0 - x * x)


@adjoint(np.sinc, elementwise=True)
def _(result, x, out=None):
    d[x] = d[result] * _rt.sinc_deriv(x)


@adjoint(np.deg2rad, np.radians, *_math("radians"), linear=("x",))
def _(result, x, out=None):
    d[x] = d[result] * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, *_math("degrees"), linear=("x",))
def _(result, x, out=None):
    d[x] = d[result] * (180.0 / np.pi)


@adjoint(math.erf, elementwise=True)
def _(result, x):
    d[x] = d[result] * 1.1283791670955126 * np.exp(-x * x)


@adjoint(math.erfc, elementwise=True)
def _(result, x):
    d[x] = -d[result] * 1.1283791670955126 * np.exp(-x * x)


# -- absolute value, sign games, selections -----------------------------------


@adjoint(np.absolute, np.fabs, abs, *_math("fabs"))
def _(result, x, out=None):
    d[x] = _rt.real_cotangent(d[result]) * _rt.abs_deriv(x)


@tangent(np.absolute, np.fabs, abs, *_math("fabs"))
def _(result, x, out=None):
    d[result] = _rt.abs_jvp(d[x], x)


@adjoint(np.copysign, *_math("copysign"), broadcast=True, elementwise=True)
def _(result, x1, x2, out=None):
    d[x1] = d[result] * np.sign(x1) * np.sign(result)


@adjoint(np.fmod, *_math("fmod"), broadcast=True, elementwise=True)
def _(result, x1, x2, out=None):
    d[x1] = d[result]
    d[x2] = -d[result] * np.trunc(x1 / x2)


@adjoint(np.maximum, np.minimum, np.fmax, np.fmin, broadcast=True)
def _(result, x, y, out=None):
    d[x] = _rt.pick_adjoint(d[result], x, y, result)
    d[y] = _rt.pick_adjoint(d[result], y, x, result)


@tangent(np.maximum, np.minimum, np.fmax, np.fmin)
def _(result, x, y, out=None):
    d[result] = _rt.pick_adjoint(d[x], x, y, result) + _rt.pick_adjoint(d[y], y, x, result)


@adjoint(np.clip, broadcast=True)
def _(result, a, a_min=None, a_max=None, out=None, min=None, max=None):
    lo = _rt.first_given(a_min, min)
    hi = _rt.first_given(a_max, max)
    d[a] = d[result] * _rt.clip_inside(a, lo, hi)
    d[a_min] = d[result] * _rt.clip_below(a, lo, hi)
    d[a_max] = d[result] * _rt.clip_above(a, lo, hi)
    d[min] = d[result] * _rt.clip_below(a, lo, hi)
    d[max] = d[result] * _rt.clip_above(a, lo, hi)


@tangent(np.clip)
def _(result, a, a_min=None, a_max=None, out=None, min=None, max=None):
    lo = _rt.first_given(a_min, min)
    hi = _rt.first_given(a_max, max)
    d[result] = (
        d[a] * _rt.clip_inside(a, lo, hi)
        + d[a_min] * _rt.clip_below(a, lo, hi)
        + d[min] * _rt.clip_below(a, lo, hi)
        + d[a_max] * _rt.clip_above(a, lo, hi)
        + d[max] * _rt.clip_above(a, lo, hi)
    )


@adjoint(np.where, broadcast=True, linear=("x", "y"))
def _(result, condition, x=None, y=None):
    d[x] = np.where(condition, d[result], 0.0)
    d[y] = np.where(condition, 0.0, d[result])


@adjoint(np.nan_to_num, elementwise=True)
def _(result, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[x] = d[result] * np.isfinite(x)


# -- complex parts (JAX's convention for complex arguments) -------------------


@adjoint(np.real, linear=("val",))
def _(result, val):
    d[val] = np.real(d[result])


@adjoint(np.imag, linear=("val",))
def _(result, val):
    d[val] = _rt.imag_adjoint(d[result], val)


@adjoint(np.conjugate, linear=("x",))
def _(result, x, out=None):
    d[x] = np.conjugate(d[result])


nondifferentiable(
    np.heaviside,
    np.signbit,
    np.around,
    np.fix,
    np.spacing,
    np.nextafter,
    np.gcd,
    np.lcm,
    np.isreal,
    np.iscomplex,
    np.isneginf,
    np.isposinf,
    np.isnat,
    np.iscomplexobj,
    np.isrealobj,
    np.isin,
    np.array_equiv,
    np.result_type,
    np.can_cast,
    math.floor,
    math.ceil,
    math.trunc,
    math.isnan,
    math.isinf,
    math.isfinite,
    math.isclose,
    math.gcd,
    math.factorial,
    math.comb,
    math.perm,
)


# -- forward rules of the helpers the adjoints above call ---------------------
# (srcad.hvp differentiates generated adjoint code in forward mode)

linear(_rt.pick_adjoint, _rt.imag_adjoint, params=("g",))
nondifferentiable(_rt.clip_inside, _rt.clip_below, _rt.clip_above)


@tangent(_rt.sinc_deriv)
def _(out, x):
    d[out] = d[x] * _rt.sinc_deriv2(x)


@tangent(_rt.log_base)
def _(out, base):
    d[out] = d[base] / base


@tangent(_rt.first_given)
def _(out, a, b):
    t = _rt.first_given_jvp(a, d[a], d[b])
    d[out] = t


@tangent(_rt.hypot_adjoint)
def _(out, g, result, coordinates):
    t = _rt.hypot_adjoint_jvp(g, result, coordinates, d[g], d[result], d[coordinates])
    d[out] = t


@adjoint(_rt.float_power_deriv, broadcast=True, elementwise=True)
def _(out, x, y):
    d[x] = d[out] * _rt.float_power_deriv2(x, y)
    d[y] = d[out] * np.float_power(x, y - 1.0) * (1.0 + y * _rt.log_or_zero(x))


@adjoint(_rt.abs_deriv)
def _(result, x):
    d[x] = _rt.abs_deriv_adjoint(d[result], x)


@tangent(_rt.abs_deriv)
def _(result, x):
    d[result] = _rt.abs_deriv_jvp(d[x], x)


linear(_rt.abs_deriv_adjoint, params=("g",))
linear(_rt.abs_jvp, params=("dx",))
linear(_rt.abs_deriv_jvp, params=("dx",))


@tangent(_rt.float_power_deriv2)
def _(out, x, y):
    d[out] = d[x] * y * _rt.float_power_deriv2(x, y - 1.0) + d[y] * np.float_power(x, y - 2.0) * (
        2.0 * y - 1.0 + y * (y - 1.0) * _rt.log_or_zero(x)
    )
