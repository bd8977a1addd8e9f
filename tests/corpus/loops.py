"""``for`` (over ranges, arrays, lists, ``enumerate``, ``zip``), ``while``,
``break`` / ``continue``, nested loops and loops that overwrite variables."""

import numpy as np


def range_accumulate(a):
    s = 0.0
    for _ in range(5):
        s = s + a
    return s


def range_multiply(a):
    p = 1.0
    for _ in range(4):
        p = p * a
    return p


def range_n(a, n):
    r = a
    for _ in range(n):
        r = r * a
    return r


def range_start_stop(x):
    s = 0.0
    for j in range(1, 4):
        s = s + x[j] * x[j - 1]
    return s


def range_step(x):
    s = 0.0
    for j in range(0, 4, 2):
        s = s + x[j] ** 2
    return s


def range_negative_step(x):
    s = 0.0
    for j in range(3, -1, -1):
        s = s * 0.5 + x[j]
    return s


def range_len(x):
    s = 0.0
    for j in range(len(x)):
        s = s + x[j] * j
    return s


def range_empty(a):
    s = a * 2.0
    for _ in range(0):
        s = s * a
    return s


def loop_variable_used(a):
    s = 0.0
    for j in range(4):
        s = s + a**j
    return s


def over_array(x):
    s = 0.0
    for t in x:
        s = s + np.sin(t)
    return s


def over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s


def over_matrix_rows(M):
    s = 0.0
    for row in M:
        s = s + np.sum(row) ** 2
    return s


def over_list(lst):
    s = 0.0
    for t in lst:
        s = s + t * t
    return s


def over_list_literal(a, b):
    s = 0.0
    for t in [a, b, a * b]:
        s = s + t**2
    return s


def over_tuple(tup):
    s = 0.0
    for t in tup:
        s = s + np.sum(t**2)
    return s


def over_enumerate(x):
    s = 0.0
    for j, t in enumerate(x):
        s = s + j * t * t
    return s


def over_enumerate_list(lst):
    s = 0.0
    for j, t in enumerate(lst):
        s = s + (j + 1) * t
    return s * s


def over_zip(x, y):
    s = 0.0
    for p, q in zip(x, y):
        s = s + p * q
    return s


def over_zip_three(x, y, z):
    s = 0.0
    for p, q, r in zip(x, y, z):
        s = s + p * q - r * p
    return s


def overwrite_ten_times(x, w):
    for _ in range(10):
        x = x * w
    return np.sum(x)


def overwrite_scalar(a):
    for _ in range(5):
        a = np.sin(a) + a
    return a


def overwrite_two_variables(a, b):
    for _ in range(3):
        a, b = b, a * b
    return a + b


def fibonacci_like(a, b):
    for _ in range(5):
        a, b = b, a + b
    return b


def accumulate_array(x):
    s = np.zeros_like(x)
    for _ in range(3):
        s = s + x * x
    return np.sum(s)


def power_iteration(M, u):
    v = u
    for _ in range(3):
        v = M @ v
    return np.sum(v)


def gradient_descent_steps(w, X):
    for _ in range(3):
        g = X.T @ (X @ w)
        w = w - 0.1 * g
    return np.sum(w**2)


def running_max(x):
    m = x[0]
    for t in x:
        if t > m:
            m = t
    return m * 2.0


def product_of_elements(x):
    p = 1.0
    for t in x:
        p = p * t
    return p


def nested_loops(x, y):
    s = 0.0
    for j in range(4):
        for m in range(4):
            s = s + x[j] * y[m]
    return s


def nested_dependent_bound(x):
    s = 0.0
    for j in range(4):
        for m in range(j):
            s = s + x[j] * x[m]
    return s


def nested_overwrite(a):
    for _ in range(3):
        for _ in range(2):
            a = a * 0.9 + 0.1 * a * a
    return a


def nested_over_rows_and_elements(X):
    s = 0.0
    for row in X:
        for t in row:
            s = s + t * t * t
    return s


def nested_three_deep(a):
    s = 0.0
    for _ in range(2):
        for _ in range(2):
            for _ in range(2):
                s = s + a * s + a
    return s


def break_loop(x):
    s = 0.0
    for t in x:
        if t < 0:
            break
        s = s + t
    return s * x[0]


def break_never_taken(x):
    s = 0.0
    for t in x:
        if t > 100.0:
            break
        s = s + t * t
    return s


def break_on_index(x):
    s = 0.0
    for j in range(10):
        if j >= 4:
            break
        s = s + x[j] ** 3
    return s


def continue_loop(x):
    s = 0.0
    for t in x:
        if t < 0:
            continue
        s = s + t**2
    return s


def break_and_continue(x):
    s = 0.0
    for j in range(4):
        if j == 1:
            continue
        if j == 3:
            break
        s = s + x[j] * x[j]
    return s


def break_in_nested_inner(x, y):
    s = 0.0
    for p in x:
        for q in y:
            if q > 0:
                break
            s = s + p * q
    return s


def while_counter(a):
    j = 0
    s = 0.0
    while j < 5:
        s = s + a * j
        j = j + 1
    return s


def while_value_condition(a):
    while a < 10.0:
        a = a * 1.5
    return a


def while_true_break(x):
    j = 0
    s = 0.0
    while True:
        if j >= 3:
            break
        s = s + x[j] ** 2
        j += 1
    return s


def while_continue(x):
    j = -1
    s = 0.0
    while j < 3:
        j += 1
        if x[j] < 0:
            continue
        s = s + x[j]
    return s * s


def while_two_counters(x, y):
    j = 0
    m = 3
    s = 0.0
    while j < 4 and m >= 0:
        s = s + x[j] * y[m]
        j = j + 1
        m = m - 1
    return s


def while_with_inner_for(x):
    j = 0
    s = 0.0
    while j < 2:
        for t in x:
            s = s + t * j + t * t
        j = j + 1
    return s


def while_not_entered(a):
    s = a * a
    while s > 1.0e6:
        s = s * 0.5
    return s


def loop_carried_array(x):
    y = x
    for _ in range(4):
        y = np.tanh(y) + x
    return np.sum(y)


def loop_collects_list(x):
    out = []
    for t in x:
        out.append(t * 2.0)
    return out[0] * out[3] + out[1]


def loop_temporary_not_active(a):
    t = 0
    for j in range(3):
        t = j * 2
    return a * t


def loop_accumulate_with_bias(x, b):
    s = b
    for t in x:
        s = s * 0.5 + t * b
    return s


def over_reversed_range(x):
    s = 0.0
    for j in reversed(range(4)):
        s = s * 0.5 + x[j] ** 2
    return s


def enumerate_with_start(lst):
    s = 0.0
    for j, t in enumerate(lst, start=1):
        s = s + j * t * t
    return s


def range_of_shape(A):
    s = 0.0
    for j in range(A.shape[0]):
        s = s + np.sum(A[j] * A[j]) * j
    return s


def zip_array_and_list(u, lst):
    s = 0.0
    for p, q in zip(u, lst):
        s = s + p * q
    return s * s


def return_inside_nested_loop(x, y):
    for p in x:
        for q in y:
            if p * q > 0.0:
                return p * q + x[0]
    return np.sum(x)


def loop_variable_shadows_parameter(x, X):
    s = np.sum(x * x)
    for x in X:
        s = s + np.sum(x * x * x)
    return s


def float_counter_while(a):
    t = 0.0
    s = a
    while t < 2.0:
        s = s * a + t
        t = t + 0.5
    return s
