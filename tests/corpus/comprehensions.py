"""List comprehensions."""

import numpy as np


def squares(x):
    l = [t**2 for t in x]
    return sum(l)


def over_range(x):
    return sum([x[j] * j for j in range(4)])


def with_condition(x):
    return sum([t * 3.0 for t in x if t > 0])


def over_list_argument(lst):
    return sum([t * t for t in lst])


def over_zip(x, y):
    return sum([p * q for p, q in zip(x, y)])


def nested_generators(u, v):
    return sum([p * q for p in u for q in v])


def of_calls(X, w):
    return sum([np.tanh(row @ w) for row in X])


def with_enumerate(lst):
    return sum([j * t for j, t in enumerate(lst)])


def then_indexed(a, b):
    l = [a * t for t in (b, 2.0, 3.0)]
    return l[0] * l[2]


def stacked(x, a):
    rows = np.stack([x * t for t in (a, 2.0, 3.0)])
    return np.sum(rows**2)


def comprehension_in_loop(x):
    s = 0.0
    for j in range(2):
        s = s + sum([t * j + t * t for t in x])
    return s


def closes_over_active_value(x, a):
    return sum([t * a for t in x])
