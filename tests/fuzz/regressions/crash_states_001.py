# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=jvp
# what: ValueError: matmul: Input operand N does not have enough dimensions (fuzz 116026, shrunk by hand: the tangent of a dict's missing key was the number 0.0 for an array default)
# fuzz-case: {"name": "f", "seed": 1681, "family": "states", "params": [["x0", "float", [], null], ["W", "arr", [4, 4], null], ["D0", "data", [2, 4], null]]}
import numpy as np


def f(x0, W, D0):
    hs = {}
    hs[-1] = np.array([x0, 1.0])
    z = hs.get(7, D0[:, -1]) @ D0
    return np.sum(z * z) + x0 * np.sum(W) + np.sum(hs[-1] @ D0)
