# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=jvp
# what: srcad's compiler failed on f (AttributeError: 'Constant' object has no attribute 'op')
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "arr", [4], null], ["x1", "float", [], null], ["x2", "arr", [4, 4], null], ["D0", "data", [4], null], ["D1", "data", [4, 4], null]]}
import numpy as np


def f(x0, x1, x2, D0, D1):
    d5 = {"k0": x2[1], "k1": (x2 * D1), "k2": (D1 / (1.0 * 1.0 + 1.0))}
    t6 = np.sin(x1)
    z7 = np.empty(4)
    z7[:] = t6 * np.ones(4)
    return np.sum(np.sin(z7))
