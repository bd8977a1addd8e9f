"""Arithmetic: binary and unary operators, ``**`` and ``@``, on floats and arrays."""

import numpy as np


def add_scalars(a, b):
    return a + b


def sub_scalars(a, b):
    return a - b


def mul_scalars(a, b):
    return a * b


def div_scalars(a, b):
    return a / b


def neg_scalar(a):
    return -a


def pos_scalar(a):
    return +a * 2.0


def square_by_mul(a):
    return a * a


def pow_int_const(a):
    return a**3


def pow_float_const(a):
    return a**2.5


def pow_half(a):
    return a**0.5


def pow_negative(a):
    return a**-2


def pow_var_exponent(a, b):
    return a**b


def pow_const_base(a):
    return 2.0**a


def reciprocal(a):
    return 1.0 / a


def polynomial(a):
    return 3.0 * a**3 - 2.0 * a**2 + a - 7.0


def three_scalars(a, b, c):
    return (a + b) * c - a / (b + c)


def division_chain(a, b, c):
    return a / b / c


def reuse_temporary(a):
    t = a * a
    return t * t + t


def unused_argument(a, b):
    return b * 2.0


def constant_output(a):
    return 3.0


def int_times_float(a, n):
    return a * n + n


def scalar_times_array(a, x):
    return np.sum(a * x)


def array_plus_scalar(x, b):
    return np.sum((x + b) ** 2)


def array_times_array(x, y):
    return np.sum(x * y)


def array_divide(x, P):
    return np.sum(x / P)


def scalar_divide_array(a, P):
    return np.sum(a / P)


def negate_difference(x, y):
    return np.sum(-(x - y) * x)


def array_pow_int(x):
    return np.sum(x**3)


def array_pow_array(P, x):
    return np.sum(P**x)


def array_rpow(x):
    return np.sum(1.5**x)


def array_mod(x):
    return np.sum(x % 2.0)


def rational_function(x, y, a):
    return np.sum((x * a + y) / (1.0 + x * x))


def matvec(M, u):
    return np.sum(M @ u)


def vecmat(u, M):
    return np.sum((u @ M) * u)


def matmat(A, B):
    return np.sum((A @ B) ** 2)


def vec_dot_matmul(x, y):
    return x @ y


def quadratic_form(u, M):
    return u @ M @ u


def matrix_cube(M):
    return np.sum(M @ M @ M)


def scaled_quadratic(a, M, v):
    return a * (v @ M @ v)


def data_times_weights(X, w):
    return np.sum((X @ w) ** 2)


def weights_matmul(X, W):
    return np.sum(np.tanh(X @ W))


def broadcast_row(A, u):
    return np.sum(A * u)


def broadcast_column(A, x):
    return np.sum(A * x.reshape(4, 1))


def broadcast_outer_sum(x, u):
    return np.sum((x.reshape(4, 1) + u) ** 2)


def broadcast_scalar_array_mix(a, b, x):
    return np.sum(a * x + b * x * x - a * b)


def numpy_scalar_constant(x):
    return np.sum(np.float64(2.0) * x)


def long_expression(x, y, z):
    return np.sum(x * y + y * z + z * x - x * y * z)


SCALE = 2.5


def module_constant(a, x):
    return np.sum(x * SCALE) * a / SCALE


def numpy_constants(a):
    return np.sin(np.pi * a / 4.0) * np.e


def unary_plus_array(x):
    return np.sum(+x * -x)


def multiple_targets(a):
    p = q = a * 2.0
    return p * q + a
