"""Augmented assignment on scalars, arrays and subscripts."""

import numpy as np


def add_scalar(a, b):
    s = a
    s += b * 2.0
    return s * a


def sub_scalar(a, b):
    s = a * a
    s -= b
    return s * s


def mul_scalar(a, b):
    s = a
    s *= b
    s *= a
    return s


def div_scalar(a, b):
    s = a * 3.0
    s /= b
    return s * a


def pow_scalar(a):
    s = a
    s **= 3
    return s


def self_referential(a):
    s = a
    s += s
    s *= s
    return s


def in_loop(x):
    s = 0.0
    for t in x:
        s += t**2
    return s


def in_loop_product(x):
    p = 1.0
    for t in x:
        p *= t + 2.0
    return p


def array_add(x, y):
    z = x * 1.0
    z += y
    return np.sum(z**2)


def array_sub(x, y):
    z = x.copy()
    z -= y * y
    return np.sum(z * x)


def array_mul(x, y):
    z = x + 0.0
    z *= y
    return np.sum(z)


def array_div(x, P):
    z = x.copy()
    z /= P
    return np.sum(z * z)


def array_broadcast_scalar(x, a):
    z = x * 1.0
    z += a
    return np.sum(z**2)


def array_broadcast_row(A, u):
    Z = A.copy()
    Z *= u
    return np.sum(Z**2)


def subscript_add_in_loop(x):
    y = np.zeros_like(x)
    for j in range(4):
        y[j] += x[j] * 3.0
    return np.sum(y * x)


def subscript_mul(x):
    y = x.copy()
    y[1] *= 4.0
    y[2] *= y[3]
    return np.sum(y**2)


def subscript_sub_matrix_row(M):
    Z = M.copy()
    Z[0, :] -= M[1, :]
    return np.sum(Z**2)


def subscript_div(x, P):
    y = x.copy()
    y[0] /= P[1]
    return np.sum(y * y)


def slice_add(x, y):
    z = x.copy()
    z[1:3] += y[2:] * 2.0
    return np.sum(z**2)


def list_item(lst):
    l = [lst[0], lst[1], lst[2]]
    l[0] += l[1] * 2.0
    return l[0] * l[2]


def dict_item(dct):
    d = {"p": dct["p"] * 1.0, "q": dct["q"]}
    d["q"] *= 3.0
    d["p"] += 1.0
    return np.sum(d["p"] ** 2) * d["q"]


def accumulate_matrix(X, w):
    s = 0.0
    for row in X:
        s += np.tanh(row @ w) ** 2
    return s
