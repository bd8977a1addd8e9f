# ruff: noqa
# srcad fuzz finding (written by hand, eleventh session): mode=source kind=crash api=grad[0]
# what: a result shares memory with the caller's array (dx = dx + x1 with dx the symbolic zero on the branch not taken: ZERO + x1 is x1 itself, and the cheap call had passed x1 without a view)
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "arr", [3], null], ["x1", "arr", [3], null]]}
import numpy as np


def f(x0, x1):
    a = np.dot(x0, x1)
    if np.sum(x0) > 100.0:
        s = np.sum(np.sin(x0))
    else:
        s = 0.0
    return a + s
