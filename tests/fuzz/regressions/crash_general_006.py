# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=value_and_grad
# what: UnboundLocalError: cannot access local variable '_' where it is not associated with a value
# fuzz-case: {"name": "f", "seed": 1, "family": "general", "params": [["x0", "arr", [2], null]]}
import numpy as np


def f(x0):
    u1, u2 = (
        ((x0[:, None] * np.ones(3)) if x0[-1] >= 0.0 else (x0[:, None] * np.ones(3))),
        (x0[:, None] * np.ones(3)),
    )
    return np.sum(u2 * u2)
