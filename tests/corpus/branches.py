"""``if`` / ``elif`` / ``else``, conditional expressions and several ``return``s."""

import numpy as np


def if_taken(a):
    if a > 0:
        b = a * a
    else:
        b = -a
    return b


def else_taken(a):
    if a < 0:
        b = a * a
    else:
        b = -3.0 * a
    return b


def if_without_else(a, b):
    c = a
    if b > 0:
        c = c * b
    return c


def if_without_else_not_taken(a, b):
    c = a * 2.0
    if b < 0:
        c = c * b
    return c


def elif_first(a):
    if a < 10.0:
        r = a * a
    elif a < 20.0:
        r = a * 3.0
    else:
        r = -a
    return r


def elif_second(a):
    if a < 0.0:
        r = a * a
    elif a < 20.0:
        r = np.sin(a) * a
    else:
        r = -a
    return r


def elif_else(a):
    if a < -1.0:
        r = a * a
    elif a < 0.0:
        r = a * 3.0
    else:
        r = a**3
    return r


def elif_chain_in_loop(x):
    s = 0.0
    for t in x:
        if t < -1.0:
            s = s + t * t
        elif t < 0.0:
            s = s - 2.0 * t
        elif t < 1.0:
            s = s + np.exp(t)
        else:
            s = s + t
    return s


def both_branches_in_loop(x):
    s = 0.0
    for j in range(4):
        if x[j] > 0:
            s = s + x[j] ** 2
        else:
            s = s - 3.0 * x[j]
    return s


def branch_on_array_value(x):
    if np.sum(x * x) > 0:
        return np.sum(np.sin(x))
    return np.sum(np.cos(x))


def nested_if(a, b):
    if a > 0:
        if b > 0:
            r = a * b
        else:
            r = a
    else:
        r = b
    return r


def nested_if_inner_else(a, b):
    if a > 0:
        if b < 0:
            r = a * b
        else:
            r = a * a + b
    else:
        r = b
    return r


def overwrite_in_branch(x):
    y = x * 2.0
    if np.sum(x) > -100.0:
        y = np.sin(y)
    return np.sum(y * x)


def branch_defines_variable(a):
    if a > 0:
        t = a * 2.0
    else:
        t = a * 3.0
    return t * a


def branch_constant_or_active(a, b):
    if a > 0:
        c = 3.0
    else:
        c = b
    return c * a


def branch_activates_variable(a, b):
    c = 3.0
    if a > 0:
        c = b * b
    return c * a


def early_return(a):
    if a > 0:
        return a * a
    return -a


def early_return_skipped(a):
    if a < 0:
        return a * a
    return a**3


def three_returns(a):
    if a > 1.0e3:
        return a
    if a > 0:
        return a * a * a
    return -a


def return_inside_loop(x):
    for j in range(4):
        if x[j] < 0:
            return x[j] * 3.0 + x[0]
    return np.sum(x)


def return_in_both_branches(a, b):
    if a > b - 10.0:
        return a * b
    else:
        return a + b


def conditional_expression(a, b):
    return a * b if a > 0 else a - b


def conditional_expression_false(a, b):
    return a * b if a < 0 else a - b * b


def conditional_expression_in_loop(x):
    s = 0.0
    for t in x:
        s = s + (t * t if t > 0 else -t)
    return s


def branch_on_int(x, n):
    if n > 5:
        y = x
    elif n > 2:
        y = x**2
    else:
        y = -x
    return np.sum(y)


def branch_on_flag_and_value(x, flag):
    s = 0.0
    for t in x:
        if flag and t > 0:
            s = s + t
        elif t < 0:
            s = s + t * t
    return s


def branch_after_loop(x):
    s = 0.0
    for t in x:
        s = s + t
    if s > -100.0:
        s = s * s
    return s


def branch_on_matrix(M, u):
    v = M @ u
    if v[0] > v[1]:
        return np.sum(v * v)
    return np.sum(v)


def branch_with_several_statements(a, b):
    if a > 0:
        t = a * b
        t = t + a
        t = t * t
    else:
        t = b
    return t


def branch_on_list_length(lst):
    if len(lst) > 2:
        return lst[0] * lst[2]
    return lst[0]


def branch_on_shape(A, u):
    if A.shape[1] == u.shape[0]:
        return np.sum(A @ u)
    return np.sum(A)
