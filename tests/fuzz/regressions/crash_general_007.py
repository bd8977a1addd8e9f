# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=value_and_grad
# what: TypeError: srcad's symbolic zero reached NumPy: this is a bug in srcad
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "arr", [4], null], ["x1", "arr", [4], null], ["k0", "int", [], 2], ["D1", "data", [4], null]]}
import numpy as np


def f(x0, x1, k0, D1):
    v5 = D1[2:4]
    u6, u7 = (
        np.where((np.sum(v5) * np.ones((4, 4))) > 0.0, (np.sum(v5) * np.ones((4, 4))), x1[1]),
        D1,
    )
    t9 = 1.5 + u6[min(k0, 1), 0]
    t9 -= t9
    return t9
