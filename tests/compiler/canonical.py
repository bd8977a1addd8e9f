"""Canonical functions whose generated code is snapshot-tested (test_snapshots.py)."""

import numpy as np


def loss(w, x, y):
    p = np.tanh(x @ w)
    return np.mean((p - y) ** 2)


def power_loop(a, b):
    c = a * b
    for _ in range(3):
        c = c * a + b
    return c


def damped_while(x, n):
    s = 0.0
    i = 0
    while i < n:
        if x > 1.0:
            s = s + x * x
        else:
            s = s - x
        x = x * 0.9
        i += 1
    return s


def _affine(t, scale=2.0):
    return t * scale + 1.0


def calls_helper(x):
    y = _affine(x)
    return np.sum(_affine(y, scale=0.5) * x)


def fill_loop(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    return np.sum(y)
