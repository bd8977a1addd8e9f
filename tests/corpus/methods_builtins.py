"""Array methods and attributes (``x.sum()``, ``M.T``, ``x.reshape(2, 2)``, ...)
and Python builtins (``abs``, ``sum``, ``min``, ``max``, ``float``, ``pow``)."""

import numpy as np


def method_sum(x):
    return (x * x).sum()


def method_sum_axis(A):
    return (A.sum(axis=0) ** 2).sum()


def method_sum_keepdims(A):
    return (A * A.sum(axis=1, keepdims=True)).sum()


def attribute_T(M):
    return np.sum(M.T @ M * M)


def attribute_T_rectangular(A, B):
    return np.sum(A.T * B[:, :4])


def method_reshape(x):
    return np.sum(x.reshape(2, 2) @ x.reshape(2, 2))


def method_reshape_tuple(x):
    return np.sum(x.reshape((2, 2)).T * x.reshape((2, 2)))


def method_reshape_minus_one(A):
    r = A.reshape(-1)
    return np.sum(r * r[::-1])


def method_mean(A):
    return A.mean() * A.mean(axis=0).sum()


def method_max(x):
    return x.max() * 3.0


def method_max_axis(A):
    return A.max(axis=1).sum()


def method_min(x):
    return x.min() ** 2


def method_min_axis(A):
    return np.sum(A.min(axis=0) * 2.0)


def method_prod(P):
    return P.prod()


def method_dot(x, y):
    return x.dot(y)


def method_dot_matrix(M, u):
    return np.sum(M.dot(u) ** 2)


def method_transpose(A):
    return np.sum(A.transpose() @ A)


def method_transpose_axes(A):
    return np.sum(A.transpose(1, 0) * A.T)


def method_ravel(A):
    r = A.ravel()
    return np.sum(r * r[::-1])


def method_flatten(A):
    r = A.flatten()
    return np.sum(r[:6] * r[6:])


def method_copy(x):
    y = x.copy()
    return np.sum(y * x)


def method_astype(x):
    return np.sum(x.astype(x.dtype) ** 2)


def method_var(x):
    return x.var()


def method_std(A):
    return np.sum(A.std(axis=0))


def method_squeeze(x):
    return np.sum(x.reshape(1, 4).squeeze() ** 3)


def method_clip(x):
    return np.sum(x.clip(-0.5, 0.5) * x)


def method_cumsum(x):
    return np.sum(x.cumsum() ** 2)


def method_repeat(x):
    r = x.repeat(2)
    return np.sum(r[::3] ** 2)


def method_item(x):
    return x[1].item() * x[2]


def method_chain(A):
    return A.T.reshape(-1).sum() ** 2


def attribute_shape_used(A):
    return np.sum(A) * A.shape[0] / A.size


def builtin_abs_scalar(a):
    return abs(a - 2.0) * a


def builtin_abs_array(x):
    return np.sum(abs(x) * x)


def builtin_sum_array(x):
    return sum(x * x)


def builtin_sum_list(lst):
    return sum(lst) ** 2


def builtin_min_scalars(a, b):
    return min(a, b + 0.1) * a


def builtin_max_scalars(a, b):
    return max(a, b + 0.1) * b


def builtin_max_array(x):
    return max(x) * 2.0


def builtin_min_list(lst):
    return min(lst) * lst[0]


def builtin_float(a, x):
    return float(x[0]) * a


def builtin_float_of_sum(x):
    return float(np.sum(x * x))


def builtin_pow(a):
    return pow(a, 3) + pow(a, 0.5)


def builtin_len(a, lst):
    return a * len(lst)


def returns_size1_array(x):
    return x[:1] * x[1:2]


def returns_0d_array(M):
    return np.sum(M, axis=(0, 1)) ** 2
