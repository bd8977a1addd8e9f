# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=jvp
# what: AxisError: axis N is out of bounds for array of dimension N
# fuzz-case: {"name": "f", "seed": 9, "family": "loops", "params": [["w", "arr", [3], null], ["X", "data", [2, 3], null], ["Y", "data", [2], null], ["c0", "cfloat", [], 0.5]]}
import numpy as np


def f(w, X, Y, c0):
    s = 0.0
    for x, y in zip(X, Y):
        z = np.dot(w, x) * y
        if x[2] > 0.3:
            L1 = [(w + X), (y - s)]
            L1[0] = X
            z2 = np.empty(2)
            z2[:] = (L1[0].T).mean(axis=0)
        elif np.abs(z) < 0.3:
            pass
        else:
            pass
    return s / Y.shape[0]
