# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[0]
# what: NameError: name '_' is not defined
# fuzz-case: {"name": "f", "seed": 1000, "family": "general", "params": [["x0", "arr", [4], null], ["x1", "float", [], null], ["x2", "arr", [4, 4], null]]}
import numpy as np


def f(x0, x1, x2):
    t2 = (w1 := (1.0 / (1.0 + 1.5 * 1.5))) * 0.5 + w1
    z3 = np.zeros((4, 4))
    z3[:, -1] = np.square((w1 * np.ones(4)))
    return np.sum(np.sin(z3))
