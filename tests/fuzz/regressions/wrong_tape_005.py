# ruff: noqa
# srcad fuzz finding: mode=tape kind=wrong api=value_and_grad
# what: value
# expected: 1.
# got: 0.
# fuzz-case: {"name": "f", "seed": 736, "family": "general", "params": [["x0", "arr", [2], null]]}
import numpy as np
import math


def f(x0):
    z5 = np.ones((2, 3))
    u6, u7 = np.log(z5 * z5 + 1.0), z5[-1, 0]
    x0 = x0.copy()
    x0[1] = u7
    if (u7 - np.mean(x0)) < 0.0:
        pass
    elif x0[1] >= -0.2:
        if u7 >= 0.3:
            z5 -= np.max(z5, axis=1, keepdims=True) * np.ones(3)
        elif 1 > 2:
            pass
    return u7
