# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[1]
# what: TypeError: srcad's symbolic zero reached NumPy: this is a bug in srcad
# fuzz-case: {"name": "f", "seed": 5, "family": "general", "params": [["x0", "arr", [2], null], ["x1", "arr", [4, 2], null], ["D0", "data", [2], null]]}
import numpy as np


def f(x0, x1, D0):
    d8 = {
        "k0": np.sum((D0[:, None] * np.ones(4)), axis=1, keepdims=True) * np.ones(4),
        "k1": np.cos(x1),
        "k2": np.cos(D0[0]),
    }
    d8["k0"] = np.sum(d8["k0"], axis=1, keepdims=True) * np.ones(4)
    return np.mean(d8["k1"])
