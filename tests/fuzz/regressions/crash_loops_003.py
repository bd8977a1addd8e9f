# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[0]
# what: TypeError: 'NoneType' object is not callable (generated `min(len(X), len(Y))` after a local named `min`)
# fuzz-case: {"name": "f", "seed": 333, "family": "loops", "params": [["w", "arr", [3], null], ["X", "data", [2, 3], null], ["Y", "data", [2], null]]}
import numpy as np


def f(w, X, Y):
    total = 0.0
    for x, y in zip(X, Y):
        t2 = np.exp(np.tanh(np.sum(X, axis=0)))
        z = np.tanh(x @ w) - y
        n5 = 0
        while n5 < 3:
            n5 += 1
            z = z + (w).min()
        total = total + np.log(1.0 + np.exp(-z)) + 0.1 * np.cos(t2[-3])
    return total + 0.1 * np.sum(w * w)
