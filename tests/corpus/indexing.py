"""Array subscripts, slices, fancy indexing, boolean masks, and assignment into
array elements and slices (also inside loops)."""

import numpy as np

from . import may_refuse, no_strict


def element(x):
    return x[1] * x[2]


def negative_element(x):
    return x[-1] ** 2


def element_by_variable(x, i):
    return x[i] * 3.0


def element_by_int_expression(x, k):
    return x[k] * x[k + 1]


def slice_middle(x):
    return np.sum(x[1:3] ** 2)


def slice_open_ends(x):
    return np.sum(x[:2]) * np.sum(x[2:])


def slice_step(x):
    return np.sum(x[::2] * x[1::2])


def slice_reversed(x):
    return np.sum(x[::-1] * x * x)


def slice_negative_step_bounds(x):
    return np.sum(x[3:0:-2] ** 2)


def slice_by_variables(x, k, i):
    return np.sum(x[k : i + 1] ** 2)


def matrix_element(M):
    return M[0, 1] * M[2, 2]


def matrix_row(M):
    return np.sum(M[0, :] ** 2)


def matrix_column(M):
    return np.sum(M[:, 1] * M[:, 2])


def matrix_row_single_index(M):
    return np.sum(M[1] * 2.0 + M[1] ** 2)


def matrix_block(M):
    return np.sum(M[1:, :2] ** 2)


def matrix_negative_indices(M):
    return M[-1, -2] ** 2


def matrix_reversed_rows(A):
    return np.sum(A[::-1, :] * A)


def chained_subscripts(M):
    return M[1][2] * M[0][0]


def ellipsis_index(A):
    return np.sum(A[..., 0] ** 2)


def newaxis_outer(x, u):
    return np.sum((x[:, None] * u[None, :]) ** 2)


def tuple_index_variable(M):
    idx = (1, 2)
    return M[idx] * 3.0


def index_result_of_matmul(A, u):
    return (A @ u)[2] * 2.0


def fancy_list(x):
    return np.sum(x[[0, 2]] ** 2)


def fancy_repeated(x):
    return np.sum(x[[0, 0, 3]] * x[[1, 2, 2]])


def fancy_rows(A):
    return np.sum(A[[0, 3]] ** 2)


def fancy_int_array(x):
    idx = np.array([3, 1])
    return np.sum(x[idx] * x[1])


def mask_positive(x):
    return np.sum(x[x > 0] ** 2)


def mask_from_other_array(x, y):
    return np.sum(x[y > 0] * 2.0)


def mask_stored(x):
    m = x < 0
    return np.sum(x[m] ** 3)


def setitem_loop_from_zeros_like(x):
    y = np.zeros_like(x)
    for j in range(4):
        y[j] = x[j] * 2.0
    return np.sum(y * y)


@no_strict("builds a host array with np.zeros(4) and writes device values into it")
def setitem_loop_from_host_zeros(x):
    y = np.zeros(4)
    for j in range(4):
        y[j] = x[j] * 2.0
    return np.sum(y * y)


def setitem_loop_sin(x):
    y = np.zeros_like(x)
    for j in range(4):
        y[j] = np.sin(x[j])
    return np.sum(y * x)


def setitem_slice(x, y):
    z = np.zeros_like(x)
    z[1:3] = y[:2] * 3.0
    return np.sum(z * x)


def setitem_scalar_into_array(x, a):
    y = x * 1.0
    y[0] = a
    return np.sum(y**2)


def setitem_on_copy(x):
    y = x.copy()
    y[2] = y[2] * 5.0
    return np.sum(y * y)


def setitem_matrix_rows(M, u):
    Z = np.zeros_like(M)
    Z[1, :] = u
    Z[0] = u * 2.0
    return np.sum(Z @ u)


def setitem_matrix_column(M, u):
    Z = M.copy()
    Z[:, 0] = u * u
    return np.sum(Z**2)


def setitem_mask(x):
    y = x * 1.0
    y[x < 0] = 0.0
    return np.sum(y**2)


def setitem_fancy(x, y):
    z = x * 1.0
    z[[0, 2]] = y[:2]
    return np.sum(z * z)


def setitem_reads_earlier_writes(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for j in range(1, 4):
        y[j] = y[j - 1] * 0.5 + x[j]
    return np.sum(y**2)


def setitem_overwrite_same_element(x):
    y = np.zeros_like(x)
    for j in range(3):
        y[1] = y[1] * x[j] + x[j]
    return y[1] * 2.0


def setitem_reversed_slice(x, y):
    z = x.copy()
    z[::-1] = y * 2.0
    return np.sum(z * x)


def slice_assign_then_read(x):
    y = x.copy()
    y[:2] = y[2:] ** 2
    return np.sum(y * x)


def diagonal_in_loop(M):
    s = 0.0
    for j in range(3):
        s = s + M[j, j] ** 2
    return s


def index_reversed_in_loop(x, y):
    s = 0.0
    for j in range(4):
        s = s + x[j] * y[3 - j]
    return s


def element_squared_sum_2d(A):
    s = 0.0
    for j in range(4):
        for m in range(3):
            s = s + A[j, m] * A[j, m] * (j + m)
    return s


def slice_object(x):
    s = slice(1, 3)
    return np.sum(x[s] ** 2)


def newaxis_constant(u):
    return np.sum(u[np.newaxis, :] * u[:, np.newaxis])


def list_reversed_slice(lst):
    r = lst[::-1]
    return r[0] * r[1] * 2.0 + r[2]


def setitem_mutates_saved_array(x):
    y = x * 1.0
    s = 0.0
    for j in range(3):
        s = s + np.sum(np.sin(y) * y)
        y[j] = y[j] * 2.0 + 1.0
    return s


@may_refuse("z is an alias of y: writing z[0] changes y")
def setitem_through_alias(x):
    y = x * 1.0
    z = y
    z[0] = 3.0 * x[1]
    return np.sum(y * y)
