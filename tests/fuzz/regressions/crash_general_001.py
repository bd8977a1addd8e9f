# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=jvp
# what: srcad's compiler failed on f (IndentationError: expected an indented block after 'else' statement on line N (jvp_of_f_Nf
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "arr", [3], null], ["x1", "arr", [3, 4], null], ["c0", "cfloat", [], 2.0], ["c1", "cfloat", [], 0.5]]}
import numpy as np


def f(x0, x1, c0, c1):
    if c1 > 0.3:
        pass
    else:
        t4 = x0
    return np.sum(x1 * x1)
