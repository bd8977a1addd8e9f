# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=value_and_grad
# what: UFuncTypeError: Cannot cast ufunc 'add' output from dtype('_') to dtype('_') with casting rule 'same_kind'
# (an integer array rebound to floats: its adjoint was made as integer zeros, and the
# float adjoint could not be added into them; fixed in _rt.add_at)
# fuzz-case: {"name": "f", "seed": 1, "family": "general", "params": [["x0", "float", [], null], ["x1", "arr", [2], null], ["x2", "float", [], null], ["N0", "idata", [3, 2], "uint8"], ["N1", "idata", [3, 2], "uint8"]]}
import numpy as np
import math


def f(x0, x1, x2, N0, N1):
    t2 = (N0[:, 0] - (x0 * np.ones(3))) / (
        ((x2 * np.ones(3)) / (N1[:, -1] * N1[:, -1] + 1.0))
        * ((x2 * np.ones(3)) / (N1[:, -1] * N1[:, -1] + 1.0))
        + 1.0
    )
    N0 = t2[0:2] * (N1 + N1)
    return np.mean(N0)
