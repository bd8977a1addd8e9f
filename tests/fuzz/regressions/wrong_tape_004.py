# ruff: noqa
# srcad fuzz finding: mode=tape kind=wrong api=grad[0]
# what: gradient of 0
# expected: -5.00848
# got: -0.
# fuzz-case: {"name": "f", "seed": 20, "family": "general", "params": [["x0", "float", [], null], ["x1", "arr", [3, 3], null], ["x2", "arr", [3], null], ["k0", "int", [], 2]]}
import numpy as np


def f(x0, x1, x2, k0):
    T16 = (np.outer(np.ones(3), x2), np.min(x1, axis=1))
    u14, u15 = T16
    z17 = np.zeros(3)
    T18 = (
        (x0 / (x0 * x0 + 1.0)),
        z17[::-1],
        (u14 / (x0 * x0 + 1.0)),
    )
    z17 -= T18[0] + T18[0]
    return np.sum(T18[1] * T18[1])
