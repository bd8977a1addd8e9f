# ruff: noqa
# srcad fuzz finding: mode=tape kind=wrong api=grad[0]
# what: gradient of 0
# expected: [-0.190171, -0.016098]
# got: [-0.189834, -0.016006]
# fuzz-case: {"name": "f", "seed": 3, "family": "loops", "params": [["w", "arr", [2], null], ["X", "data", [4, 2], null], ["Y", "data", [4], null]]}
import numpy as np


def f(w, X, Y):
    X = np.copy(X)
    s = 0.0
    for epoch in range(1):
        for i in range(4):
            x = X[i]
            y = Y[i]
            z = np.dot(w, x) * y
            X[0, 0] -= X[0, -1] + z
            s = s + np.log(1.0 + np.exp(-z))
            w = w - 0.1 * np.tanh(z) * x
    return s
