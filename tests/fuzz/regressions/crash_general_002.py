# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[1]
# what: IndexError: tuple index out of range
# fuzz-case: {"name": "f", "seed": 3, "family": "general", "params": [["x0", "arr", [4], null], ["x1", "arr", [4], null], ["x2", "float", [], null], ["k0", "int", [], 0]]}
import numpy as np


def f(x0, x1, x2, k0):
    t1 = np.log(
        ((x2 * np.ones((4, 3))) * (x2 * np.ones(3))) * ((x2 * np.ones((4, 3))) * (x2 * np.ones(3)))
        + 1.0
    )
    t2 = np.log1p(np.exp(-np.tanh(x0)))
    for i3 in range(1, 3):
        T9 = (np.dot((x1[:, None] * np.ones(2)), (np.sum(x1) * np.ones((2, 3)))), t1)
        u7, u8 = T9
        for i10 in range(3):
            x2 += (
                (x2 if t2[-1] >= -0.2 else x2)
                if np.dot(t2, t2) < -0.2
                else np.log(u8[i10, 1] * u8[i10, 1] + 1.0)
            )
    t14 = x2
    return t14
