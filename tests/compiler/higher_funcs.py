"""Functions for the higher-order tests (a module, so srcad can read their source)."""

import numpy as np


def cubic_sin(x):
    return x**3 + np.sin(x)


def loop_poly(x):
    s = 0.0
    for i in range(4):
        s = s + x * x * i
    return s


def branchy(x):
    if x > 1.0:
        y = x * x * x
    else:
        y = np.exp(x)
    return y * x


def tanh_sq_sum(x):
    return np.sum(np.tanh(x) ** 2)


def quad_form(x, M):
    return x @ (M @ x)


def vector_out(x):
    return np.sin(x) * x[0]
