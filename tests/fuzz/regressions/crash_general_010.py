# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=value_and_grad
# what: ValueError: cannot reshape array of size 1 into shape (3,2) (FINDINGS C8: a computed zero adjoint taken for the placeholder)
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "arr", [2], null], ["c0", "cfloat", [], 0.5], ["c1", "float", [], null]]}
import numpy as np


def f(x0, c0, c1):
    z3 = np.empty(3)
    u5, u6 = (np.outer(np.ones(3), x0) if c1 < 0.3 else (z3[:, None] * np.ones(2))), c1
    for i7 in range(1, 2):
        u6 = u6 + ((c1 - c1) * np.sum(u5.reshape(2, 3)))
    return u6
