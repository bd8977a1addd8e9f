"""A row per NumPy primitive (with broadcasting where it means something)."""

import numpy as np

# -- elementwise, one argument --------------------------------------------


def np_exp(x):
    return np.sum(np.exp(x))


def np_log(P):
    return np.sum(np.log(P) * P)


def np_log_scalar(a):
    return np.log(a) * a


def np_log1p(P):
    return np.sum(np.log1p(P))


def np_log2(P):
    return np.sum(np.log2(P))


def np_log10(P):
    return np.sum(np.log10(P) * P)


def np_expm1(x):
    return np.sum(np.expm1(x))


def np_sin(x):
    return np.sum(np.sin(x) * x)


def np_sin_scalar(a):
    return np.sin(a) * np.cos(a)


def np_cos(x):
    return np.sum(np.cos(x))


def np_tan(x):
    return np.sum(np.tan(0.5 * x))


def np_arcsin(x):
    return np.sum(np.arcsin(0.5 * x))


def np_arccos(x):
    return np.sum(np.arccos(0.5 * x) * x)


def np_arctan(x):
    return np.sum(np.arctan(x))


def np_sinh(x):
    return np.sum(np.sinh(x))


def np_cosh(x):
    return np.sum(np.cosh(x))


def np_tanh(x):
    return np.sum(np.tanh(x) ** 2)


def np_tanh_matrix(M):
    return np.sum(np.tanh(M))


def np_sqrt(P):
    return np.sum(np.sqrt(P))


def np_sqrt_scalar(a):
    return np.sqrt(a) * a


def np_square(x):
    return np.sum(np.square(x))


def np_reciprocal(P):
    return np.sum(np.reciprocal(P))


def np_abs(x):
    return np.sum(np.abs(x) * x)


def np_absolute_matrix(A):
    return np.sum(np.absolute(A))


def np_negative(x):
    return np.sum(np.negative(x) * x)


def np_sigmoid_composite(x):
    return np.sum(1.0 / (1.0 + np.exp(-x)))


def np_softmax_composite(x):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return np.sum(p * x)


def np_logsumexp_composite(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


# -- elementwise, two arguments, broadcasting ------------------------------


def np_add_broadcast(A, u):
    return np.sum(np.add(A, u) ** 2)


def np_subtract(x, y):
    return np.sum(np.subtract(x, y) ** 2)


def np_multiply_broadcast(A, u):
    return np.sum(np.multiply(A, u))


def np_divide_broadcast(A, P):
    return np.sum(np.divide(A.T, P))


def np_power(P, x):
    return np.sum(np.power(P, x))


def np_power_const(x):
    return np.sum(np.power(x, 3))


def np_maximum(x, y):
    return np.sum(np.maximum(x, y) ** 2)


def np_maximum_zero(x):
    return np.sum(np.maximum(x, 0.0) * x)


def np_maximum_broadcast(A, u):
    return np.sum(np.maximum(A, u))


def np_minimum(x, y):
    return np.sum(np.minimum(x, y) * x)


def np_minimum_scalar(x, a):
    return np.sum(np.minimum(x, a))


def np_where(x):
    return np.sum(np.where(x > 0, x, 0.1 * x))


def np_where_two_arrays(x, y):
    return np.sum(np.where(x > y, x * x, y))


def np_where_broadcast(A, u):
    return np.sum(np.where(A > 0, A, u) ** 2)


def np_where_scalar(x, a):
    return np.sum(np.where(x > 0, a, x))


def np_clip(x):
    return np.sum(np.clip(x, -0.5, 0.5) * x)


def np_clip_upper_only(x):
    return np.sum(np.clip(x, None, 0.6) ** 2)


# -- reductions ------------------------------------------------------------


def np_sum(A):
    return np.sum(A**2)


def np_sum_axis0(A):
    return np.sum(np.sum(A, axis=0) ** 2)


def np_sum_axis_negative(A):
    return np.sum(np.sum(A, axis=-1) ** 3)


def np_sum_keepdims(A):
    return np.sum(np.sum(A, axis=1, keepdims=True) * A)


def np_sum_tuple_axes(X):
    return np.sum(np.sum(X.reshape(5, 2, 2), axis=(0, 2)) ** 2)


def np_mean(A):
    return np.mean(A**2)


def np_mean_axis(A):
    return np.sum(np.mean(A, axis=1) ** 2)


def np_mean_keepdims(A):
    return np.sum((A - np.mean(A, axis=0, keepdims=True)) ** 2)


def np_prod(P):
    return np.prod(P)


def np_prod_axis(A):
    return np.sum(np.prod(A, axis=0))


def np_max(x):
    return np.max(x) * 2.0


def np_max_axis(A):
    return np.sum(np.max(A, axis=0) ** 2)


def np_max_keepdims(A):
    return np.sum(A * np.max(A, axis=1, keepdims=True))


def np_min(x):
    return np.min(x * x)


def np_min_axis(A):
    return np.sum(np.min(A, axis=1))


def np_amax(A):
    return np.amax(A) + np.amin(A)


def np_var(x):
    return np.var(x)


def np_var_axis(A):
    return np.sum(np.var(A, axis=0))


def np_var_ddof(x):
    return np.var(x, ddof=1)


def np_std(x):
    return np.std(x)


def np_std_axis(A):
    return np.sum(np.std(A, axis=1))


def np_cumsum(x):
    return np.sum(np.cumsum(x) ** 2)


def np_cumsum_axis(A):
    return np.sum(np.cumsum(A, axis=1) ** 2)


def np_cumprod(P):
    return np.sum(np.cumprod(P))


def np_norm(x):
    return np.linalg.norm(x)


def np_norm_matrix(A):
    return np.linalg.norm(A)


def np_norm_axis(A):
    return np.sum(np.linalg.norm(A, axis=1))


# -- products and linear algebra -----------------------------------------


def np_dot_vectors(x, y):
    return np.dot(x, y)


def np_dot_matrix_vector(M, u):
    return np.sum(np.dot(M, u) ** 2)


def np_dot_matrices(A, B):
    return np.sum(np.dot(A, B))


def np_dot_scalar(a, x):
    return np.sum(np.dot(a, x))


def np_matmul(A, B):
    return np.sum(np.matmul(A, B) ** 2)


def np_matmul_vector(M, u):
    return np.sum(np.matmul(u, M) * u)


def np_tensordot_one(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2)


def np_tensordot_two(M, N):
    return np.tensordot(M, N, axes=2)


def np_tensordot_explicit_axes(A, W):
    return np.sum(np.tensordot(A, W, axes=([0], [0])) ** 2)


def np_einsum_matvec(A, u):
    return np.sum(np.einsum("ij,j->i", A, u) ** 2)


def np_einsum_frobenius(M, N):
    return np.einsum("ij,ij->", M, N)


def np_einsum_dot(x, y):
    return np.einsum("i,i->", x, y)


def np_einsum_matmul(A, B):
    return np.sum(np.einsum("ij,jk->ik", A, B) ** 2)


def np_einsum_trace(M):
    return np.einsum("ii->", M) ** 2


def np_einsum_implicit(A, W):
    return np.sum(np.einsum("ij,ik", A, W))


def np_outer(x, u):
    return np.sum(np.outer(x, u) ** 2)


def np_inner(x, y):
    return np.inner(x, y) * 2.0


def np_trace(M):
    return np.trace(M @ M)


def np_det(M):
    return np.linalg.det(M)


def np_inv(M):
    return np.sum(np.linalg.inv(M))


def np_solve_vector(M, u):
    return np.sum(np.linalg.solve(M, u) ** 2)


def np_solve_matrix(M, N):
    return np.sum(np.linalg.solve(M, N))


# -- shapes ------------------------------------------------------------------


def np_reshape(x):
    return np.sum(np.reshape(x, (2, 2)) @ np.reshape(x, (2, 2)))


def np_reshape_minus_one(A):
    r = np.reshape(A, (-1,))
    return np.sum(r * np.cumsum(np.ones_like(r)))


def np_transpose(A):
    return np.sum(np.transpose(A) @ A)


def np_transpose_axes(X):
    T = np.transpose(X.reshape(5, 2, 2), (2, 0, 1))
    return np.sum(T * np.cumsum(np.ones_like(T)).reshape(2, 5, 2))


def np_swapaxes(A):
    return np.sum(np.swapaxes(A, 0, 1) @ A)


def np_moveaxis(X):
    T = np.moveaxis(X.reshape(5, 2, 2), 0, -1)
    return np.sum(T**2 * np.cumsum(np.ones_like(T), axis=2))


def np_expand_dims(x, u):
    return np.sum((np.expand_dims(x, 1) * u) ** 2)


def np_expand_dims_front(x):
    return np.sum(np.expand_dims(x, 0) @ np.expand_dims(x, 1))


def np_squeeze(x):
    return np.sum(np.squeeze(x.reshape(1, 4, 1)) ** 3)


def np_squeeze_axis(x):
    return np.sum(np.squeeze(x.reshape(1, 4), axis=0) * x)


def np_concatenate(x, y):
    c = np.concatenate([x, y])
    return np.sum(c**2 * np.cumsum(np.ones_like(c)))


def np_concatenate_axis1(A):
    return np.sum(np.concatenate([A, 2.0 * A], axis=1) ** 2)


def np_concatenate_sizes(x, u):
    c = np.concatenate((x, u))
    return np.sum(c * np.cumsum(np.ones_like(c)))


def np_stack(x, y):
    S = np.stack([x, y])
    return np.sum(S**2 * np.cumsum(np.ones_like(S), axis=1))


def np_stack_axis1(x, y):
    S = np.stack([x, y * y], axis=1)
    return np.sum(S[:, 0] * 2.0 + S[:, 1] ** 2)


def np_hstack(x, u):
    return np.sum(np.hstack([x, u]) ** 3)


def np_vstack(x, y):
    return np.sum(np.vstack([x, y]) @ x)


def np_vstack_matrix_row(A, u):
    return np.sum(np.vstack([A, u]) ** 2)


def np_split(x):
    p, q = np.split(x, 2)
    return np.sum(p * q)


def np_split_indices(A):
    parts = np.split(A, [1, 3])
    return np.sum(parts[0] ** 2) + np.sum(parts[1] * parts[2][0])


def np_tile(x):
    t = np.tile(x, 2)
    return np.sum(t * np.cumsum(np.ones_like(t)))


def np_tile_2d(u):
    return np.sum(np.tile(u, (2, 1)) ** 2)


def np_repeat(x):
    r = np.repeat(x, 2)
    return np.sum(r * np.cumsum(np.ones_like(r)))


def np_repeat_axis(A):
    return np.sum(np.repeat(A, 2, axis=0) ** 2)


def np_broadcast_to(u):
    T = np.broadcast_to(u, (4, 3))
    return np.sum(T * np.cumsum(np.ones_like(T), axis=0))


def np_atleast_2d(x):
    return np.sum(np.atleast_2d(x) @ np.atleast_2d(x).T)


def np_ravel(A):
    r = np.ravel(A)
    return np.sum(r * np.cumsum(np.ones_like(r)))


def np_flip(x):
    return np.sum(np.flip(x) * x)


def np_flip_axis(A):
    return np.sum(np.flip(A, axis=0) * A)


def np_diag_vector(u):
    return np.sum(np.diag(u) @ u)


def np_diag_matrix(M):
    return np.sum(np.diag(M) ** 2)


def np_slogdet(M):
    sign, logdet = np.linalg.slogdet(M)
    return sign * logdet


def np_sum_keepdims_return(x):
    return np.sum(x * x, keepdims=True)


def np_clip_active_bounds(x, a):
    return np.sum(np.clip(x, -a, a * 0.8) * x)


def np_maximum_scalar_first(a, x):
    return np.sum(np.maximum(a * 0.5, x))


def np_where_active_scalars(x, a, b):
    return np.sum(np.where(x > 0, a * x, b))
