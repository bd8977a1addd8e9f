# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=jvp
# what: TypeError: operand '_Zero' does not support ufuncs (__array_ufunc__=None)
# fuzz-case: {"name": "f", "seed": 576, "family": "general", "params": [["x0", "arr", [4], null], ["x1", "arr", [4], null], ["c0", "cfloat", [], -1.25]]}
import numpy as np


def f(x0, x1, c0):
    v9 = x1[2:4]
    L20 = [(x1 + c0), np.square((np.sum(v9) * np.ones((4, 3))))]
    L20[0] = c0 - (c0 * np.ones(4))
    t22 = L20[0][:, None] * np.ones(3)
    return np.sum(np.sin(t22))
