"""Comparisons, ``and`` / ``or`` / ``not`` on values that carry no gradient,
and ints and bools passed through active code."""

import numpy as np


def compare_guard_true(a, b):
    if a < b + 10.0:
        return a * b
    return a


def flag_selects_branch(x, flag):
    if flag:
        return np.sum(x * x)
    return np.sum(x)


def not_flag(x, flag):
    if not flag:
        return np.sum(x)
    return np.sum(3.0 * x * x)


def and_condition(a, b, flag):
    if flag and a > 0:
        return a * b
    return a + b


def or_condition(a, b, flag):
    if a < 0 or flag:
        return a * a * b
    return b


def chained_comparison(a):
    if 0.0 < a < 2.0:
        return a * a
    return a


def int_passthrough(x, n):
    return np.sum(x) * n


def int_arithmetic(a, n, k):
    m = n * 2 + k
    return a * m


def int_floor_division(a, n):
    m = n // 2
    return a**m + a


def bool_as_float(a, flag):
    return a * float(flag) + a


def mask_multiply(x):
    return np.sum(x * (x > 0))


def count_positive(x):
    m = np.sum(x > 0)
    return np.sum(x) * m


def int_equality(a, n):
    if n == 3:
        return a * 3.0
    return a


def int_inequality(a, k):
    if k != 0:
        return a**2
    return a


def any_and_not_all(x):
    if np.any(x > 0) and not np.all(x > 0):
        return np.sum(x**2)
    return np.sum(x)


def length_of_array(x):
    return np.sum(x) / len(x)


def shape_arithmetic(A):
    rows, cols = A.shape
    return np.sum(A) / (rows * cols)


def argmax_index(x):
    j = np.argmax(x)
    return x[j] * 2.0


def sign_times_value(x):
    return np.sum(np.sign(x) * x)


def floor_as_constant(x):
    return np.sum(x * np.floor(x))


def isinstance_check(a, x):
    if isinstance(a, float):
        return a * np.sum(x)
    return np.sum(x)


def comparison_stored_unused(a, b):
    bigger = a > b  # noqa: F841
    return a * b


def comparison_stored_used(a, b):
    bigger = a > b
    if bigger:
        return a - b
    return b - a


def none_sentinel(a, flag):
    scale = None
    if flag:
        scale = 2.0
    if scale is None:
        return a
    return a * scale


def count_in_loop(x):
    count = 0
    for t in x:
        if t > 0:
            count = count + 1
    return np.sum(x * x) * count


def min_of_ints(a, n, k):
    m = min(n, k)
    return a * (m + 1)


def int_index_arithmetic(x, i, k):
    return x[i - k] * x[i + k - 1]
