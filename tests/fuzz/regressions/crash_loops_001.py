# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[1]
# what: IndexError: invalid index to scalar variable.
# fuzz-case: {"name": "f", "seed": 175, "family": "loops", "params": [["w", "arr", [3], null], ["b", "float", [], null], ["X", "data", [2, 3], null], ["Y", "data", [2], null], ["c0", "cfloat", [], 0.5]]}
import numpy as np


def f(w, b, X, Y, c0):
    total = 0.0
    for x, y in zip(X, Y):
        z = np.cos(2.0) - np.mean([b, 2.0, total])
        total += np.log(1.0 + np.exp(-z))
    return total
