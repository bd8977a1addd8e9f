# ruff: noqa
# srcad fuzz finding: mode=tape kind=crash api=grad[0]
# what: ValueError: object __array__ method not producing an array
# fuzz-case: {"name": "f", "seed": 1837, "family": "loops", "params": [["w", "arr", [2], null], ["X", "data", [2, 2], null], ["Y", "data", [2], null]]}
import numpy as np


def f(w, X, Y):
    total = 0.0
    for epoch in range(1):
        for i in range(X.shape[0]):
            x = X[i]
            y = Y[i]
            t1 = -y
            t2 = X
            z = np.sum(w * x, axis=-1) * y
            total += np.log1p(np.exp(-z)) + 0.1 * np.sum([3.0, t1])
    return total / len(X)
