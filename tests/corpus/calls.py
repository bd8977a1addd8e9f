"""Calls of the user's own functions: positional, keyword and default arguments,
helpers calling helpers, recursion, closures and helpers from another module."""

import numpy as np

from . import helpers_mod as hm
from . import may_refuse, no_strict
from .helpers_mod import softplus_sum


def _square(t):
    return t * t


def _affine(t, scale, shift=1.0):
    return t * scale + shift


def _kw_only(t, *, factor=2.0):
    return t * factor


def _poly(t):
    return _square(t) + 3.0 * t


def _norm_sq(v):
    return np.sum(v * v)


def _pair(t, s):
    return t + s, t * s


def _power(t, depth):
    if depth == 0:
        return 1.0
    return t * _power(t, depth - 1)


def _sum_down(v, depth):
    if depth == 0:
        return np.sum(v)
    return _sum_down(v * 0.5 + v * v * 0.1, depth - 1)


def _relu_sum(v):
    s = 0.0
    for t in v:
        if t > 0:
            s = s + t
    return s


def _repeat_mul(v, times):
    for _ in range(times):
        v = v * 1.5 + v * v * 0.1
    return v


def _maybe_scale(t, s=None):
    if s is None:
        return t * 2.0
    return t * s


def _double(v):
    return 2.0 * v


def _many_results(v):
    return np.sum(v), np.max(v), v * v


def _evenly(t, depth):
    if depth == 0:
        return t
    return _oddly(t * 1.1, depth - 1)


def _oddly(t, depth):
    if depth == 0:
        return t * t
    return _evenly(t + t * t * 0.1, depth - 1)


def _make_scaler(c):
    def scaled_sum(v):
        return np.sum(v * c)

    return scaled_sum


def _make_polynomial(c0, c1):
    def poly(t):
        return c0 + c1 * t + t * t

    return poly


def _make_offset_norm(offset):
    def inner(x):
        return np.sum((x - offset) ** 2)

    return inner


_times_three = _make_scaler(3.0)
_shifted_poly = _make_polynomial(2.0, -1.0)


def call_helper(a):
    return _square(a) + a


def call_helper_on_array(x):
    return _norm_sq(np.sin(x))


def call_positional(a, b):
    return _affine(a, b, 0.5)


def call_keyword(a, b):
    return _affine(a, scale=b)


def call_default(a):
    return _affine(a, 3.0)


def call_keywords_reordered(a, b):
    return _affine(shift=b, t=a, scale=2.0)


def call_keyword_only(a):
    return _kw_only(a, factor=3.0)


def call_keyword_only_default(a):
    return _kw_only(a) * a


def call_default_none(a, b):
    return _maybe_scale(a) + _maybe_scale(a, b)


def call_nested_helpers(a):
    return _poly(a) * _square(a)


def call_helper_twice(x):
    return _norm_sq(x) + _norm_sq(x * 2.0)


def call_with_expression_argument(a, b):
    return _square(a * b + 1.0)


def call_in_loop(x):
    s = 0.0
    for t in x:
        s = s + _square(t)
    return s


def call_returns_tuple(a, b):
    p, q = _pair(a, b)
    return p * q


def call_returns_tuple_indexed(a, b):
    r = _pair(a, b)
    return r[0] + r[1] ** 2


def call_returns_three(x):
    total, largest, squares = _many_results(x)
    return total * largest + np.sum(squares)


def call_returns_array(x):
    y = _double(x)
    return np.sum(y * x)


def call_recursion(a):
    return _power(a, 4)


def call_recursion_depth_argument(a, n):
    return _power(a, n)


def call_recursion_on_array(x):
    return _sum_down(x, 3)


def call_mutual_recursion(a):
    return _evenly(a, 4)


def call_helper_with_branches(x):
    return _relu_sum(x) * 2.0


def call_helper_with_loop(x, n):
    return np.sum(_repeat_mul(x, n))


def call_helper_result_in_helper(a):
    return _square(_square(a) + _poly(a))


def closure_scaled_sum(x):
    return _times_three(x)


def closure_polynomial(a):
    return _shifted_poly(a) * a


closure_offset_norm = _make_offset_norm(0.5)
closure_offset_norm_array = no_strict("closes over a host NumPy array")(
    _make_offset_norm(np.array([0.1, -0.2, 0.3, 0.0]))
)


def call_other_module(x):
    return hm.weighted_sum(x, 2.0)


def call_imported_name(x):
    return softplus_sum(x)


def call_other_module_chain(a):
    return hm.cube_plus(a)


def call_other_module_matrix(M, u):
    return hm.quad(M, u)


def call_other_module_global_constant(x):
    return np.sum(hm.shifted(x) ** 2)


def call_other_module_default(x):
    return np.sum(hm.scaled(x) * x)


def _fill_first(target, v):
    target[0] = v[1] * v[2]


@may_refuse("the helper writes into its argument in place")
def call_helper_mutates_argument(x):
    y = x * 2.0
    _fill_first(y, x)
    return np.sum(y * y)
