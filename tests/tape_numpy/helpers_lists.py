"""A module that imports NumPy functions by name (for test_fuzz_findings.py)."""

from numpy import maximum, mean, tanh, zeros
from numpy import sum as npsum


def imported_names(x):
    return npsum([x[0], tanh(x[1]), 1.0]) * mean([x[2], x[0]]) + npsum(maximum([x[1], x[2]], 0.0))


def filled(x):
    h = zeros(3)
    for i in range(3):
        h[i] = x[i] * (i + 1.0)
    return npsum(h * h)
