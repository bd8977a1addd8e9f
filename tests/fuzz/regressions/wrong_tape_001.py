# ruff: noqa
# srcad fuzz finding: mode=tape kind=wrong api=grad[0]
# what: iterating a 1-D array and `r += ...` on the element (hand-reduced from a seed-2 case)
# fuzz-case: {"name": "f", "seed": 8964, "family": "general", "params": [["x0", "arr", [4], null]]}
import numpy as np


def f(x0):
    for r1 in x0:
        r1 += r1
    return np.sum(np.sin(x0))
