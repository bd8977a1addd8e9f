"""Functions that once broke the compiler (each test says what went wrong)."""

import numpy as np


def _helper(v):
    return v * np.sin(v)


def helper_overwrites_its_argument_in_loop(x):
    total = 0.0
    for i in range(3):
        row = x[i]
        row = _helper(row)
        total = total + np.sum(row)
    return total


def helper_overwrite_in_branch_in_loop(x):
    total = 0.0
    for i in range(3):
        row = x[i]
        if i % 2 == 0:
            row = _helper(row)
        total = total + np.sum(row * row)
    return total


def nested_loop_inner_depends_on_outer(x):
    s = 0.0
    for i in range(3):
        for j in range(i + 1):
            t = np.sum(x[i]) * (j + 1.0)
            s = s + t * t
    return s


def local_lambdas(x):
    scale = lambda t: t * x  # noqa: E731 - local lambdas are inlined where called
    sq = lambda u, v: u * v + np.sin(u)  # noqa: E731
    return np.sum(scale(2.0) * sq(x, 3.0))


def nested_def(x):
    def inner(t, k):
        """A one-line helper defined inside: inlined like a lambda."""
        return np.tanh(t * k) * x

    return np.sum(inner(x, 2.0) + inner(x * x, 0.5))


def generator_expression(x):
    return sum(v * v for v in x[0]) + max(np.sin(v) for v in x[1])


class Affine:
    """An object of the user's own class: its methods are differentiated with self bound."""

    def __init__(self, scale, shift):
        self.scale = scale
        self.shift = shift

    def __call__(self, t):
        return np.tanh(t * self.scale) + self.shift

    def energy(self, t):
        return np.sum(self(t) ** 2)


AFFINE = Affine(1.5, 0.25)


def callable_object(x):
    return np.sum(AFFINE(x) * x)


def method_of_object(x):
    return AFFINE.energy(x * x)
