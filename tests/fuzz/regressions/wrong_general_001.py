# ruff: noqa
# srcad fuzz finding: mode=source kind=wrong api=grad[0]
# what: gradient of 0
# expected: 2.
# got: -0.
# fuzz-case: {"name": "f", "seed": 10907, "family": "general", "params": [["x0", "float", [], null], ["x1", "arr", [4], null], ["x2", "arr", [4, 2], null]]}
import numpy as np


def f(x0, x1, x2):
    if (w1 := (x0 * 2.0)) > 0.0:
        pass
    return w1
