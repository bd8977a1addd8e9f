# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[0]
# what: TypeError: 'float' object is not subscriptable
# fuzz-case: {"name": "f", "seed": 427, "family": "loops", "params": [["w", "arr", [4], null], ["X", "data", [2, 4], null], ["Y", "data", [2], null], ["c0", "cfloat", [], 0.5]]}
import numpy as np


def f(w, X, Y, c0):
    total = 0.0
    for i, x in enumerate(X):
        y = Y[i]
        z = (x @ w) * y
        total += np.maximum(0.0, 1.0 - z) + 0.1 * np.sum([1.5, c0, total])
    return total
