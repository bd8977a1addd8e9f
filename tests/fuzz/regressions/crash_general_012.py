# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=value_and_grad
# what: TypeError: srcad's symbolic zero reached NumPy: this is a bug in srcad
# fuzz-case: {"name": "f", "seed": 3, "family": "general", "params": [["x0", "float", [], null], ["x1", "arr", [3, 4], null], ["x2", "float", [], null], ["c0", "cfloat", [], 2.0], ["N1", "idata", [4], "int8"]]}
import numpy as np
import math


def f(x0, x1, x2, c0, N1):
    c5 = np.copy(N1)
    c5[0:2] = np.prod(np.tanh((np.sum(x1) * np.ones((3, 2)))), axis=0)
    t7 = c0
    t8 = x1
    t9 = t8[2] - (c5 + (t7 * np.ones(4)))
    return np.sum(np.sin(t9))
