# ruff: noqa
# srcad fuzz finding: mode=source kind=wrong api=value_and_grad
# what: gradient of 0
# expected: 0.
# got: 0.078625
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "float", [], null], ["N1", "idata", [3], "uint8"]]}
# (shrunk by hand from the first campaign with integer data: a float stored into an
# integer array is cast, so nothing flows back to it; the store's adjoint passed the
# slot's adjoint on anyway; fixed in runtime.setitem_adj / set_tangent)
import numpy as np
import math


def f(x0, N1):
    N1 = N1.copy()
    N1[0] = N1[0] / (x0 * x0 + 1.0)
    N1[0] += N1[0]
    t5 = N1
    return np.sum(np.sin(t5 * 1.0))  # (float64: np.sin of uint8 is float16)
