# ruff: noqa
# srcad fuzz finding: mode=source kind=wrong api=grad[0]
# what: gradient of 0
# expected: [ 0.42674 , -0.043774, 0.203041, -0.543273]
# got: [ 0.441118, -0.055565, 0.218049, -0.565943]
# fuzz-case: {"name": "f", "seed": 10368, "family": "loops", "params": [["w", "arr", [4], null], ["b", "float", [], null], ["X", "data", [2, 4], null], ["Y", "data", [2], null], ["c0", "cfloat", [], 0.5]]}
import numpy as np


def f(w, b, X, Y, c0):
    s = 0.0
    for i, x in enumerate(X):
        y = Y[i]
        z = np.dot(w, x) * y
        s = s + np.log(1.0 + np.exp(-z)) + 0.1 * (3.0) ** 2
    return s
