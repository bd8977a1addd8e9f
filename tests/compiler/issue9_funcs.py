"""The programs of issue 9 (each once gave a wrong gradient or an internal error)."""

import numpy as np


def logistic_zip(w, X, Y):
    s = 0.0
    for x, y in zip(X, Y):
        z = np.dot(w, x) * y
        s = s + np.log1p(np.exp(-z))
    return s


def made_in_loop_then_written(m, v):
    for _i in range(2):
        y = np.array(m)
        y[:, 3] = v[:3]
        v = np.cos(y.T @ v[-3:])
    return np.sum(v * v)


def parts_of_broadcasts(v):
    parts = [v[:2][:, None] * v, v[1:3][:, None] * v[::-1]]
    return np.sum(parts[0] ** 2)


def list_with_constants(a):
    b = [1, a * a, 2]
    return np.sum(b)


def walrus_in_test(x):
    if (y := x * x) > 0.5:
        return y * x
    return x


def array_family(x):
    return np.sum(np.array(x) * 2) + np.sum(np.asarray(x)) + np.sum(x.copy()) + np.sum(np.copy(x))


def array_of_scalars(a, b):
    return np.sum(np.array([a, b]) ** 2)


def _rec(x, n):
    if n == 0:
        return x
    return _rec(x * 1.0001, n - 1)


def deep_recursion(x):
    return _rec(x, 600)


def vector_map(x):
    return np.sin(x) * x[0]


def view_read_after_write(x, w):
    v = x[1:3]
    x[1] = w
    return np.sum(v)


def view_read_before_write(x, w):
    y = np.array(x)
    v = y[1:3]
    s = np.sum(v * v)
    y[1] = w
    return s + np.sum(y)


def alias_then_augmented(x, w):
    y = x
    y += w
    return np.sum(x)


def rows_written_in_a_loop(w, X):
    h = np.zeros((3, 2))
    h[0] = w
    for t in range(2):
        h[t + 1] = np.tanh(h[t] * X[t])
    return np.sum(h)
