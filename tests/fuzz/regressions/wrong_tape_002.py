# ruff: noqa
# srcad fuzz finding: mode=tape kind=wrong api=value_and_grad
# what: value
# expected: 4.169326
# got: 2.029229
# fuzz-case: {"name": "f", "seed": 248, "family": "loops", "params": [["w", "arr", [3], null], ["X", "data", [2, 3], null], ["Y", "data", [2], null]]}
import numpy as np


def f(w, X, Y):
    total = 0.0
    for epoch in range(2):
        for x, y in zip(X, Y):
            t1 = total
            z = np.sum(w * x, axis=-1) * y
            for i3 in range(1, 3):
                t1 += y
            total = total + np.maximum(0.0, 1.0 - z) + 0.1 * total
    return total
