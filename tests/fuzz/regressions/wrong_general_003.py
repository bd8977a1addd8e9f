# ruff: noqa
# srcad fuzz finding: mode=source kind=wrong api=value_and_grad
# what: gradient of 2
# expected: [ 0. , 0. , 0. , -0.262642]
# got: [ 0. , 0.907791, 0. , -0.262642]
# (FINDINGS W5: a float added into an item of an int8 array is cast; fixed in
# _rt.setitem_adj)
# fuzz-case: {"name": "f", "seed": 471, "family": "general", "params": [["x0", "arr", [4], null], ["x1", "float", [], null], ["x2", "arr", [4], null], ["N0", "idata", [4], "int8"]]}
import numpy as np
import math


def f(x0, x1, x2, N0):
    for i5, r4 in enumerate(x2):
        if True:
            N0 = np.array(N0)
            N0[1] += x2[1]
        elif (1.0 + 2.0) > -0.2:
            pass
        else:
            pass
    t14 = (np.ones((4, 1)) * N0) / (np.array([x1, r4, r4, x1]) * np.array([x1, r4, r4, x1]) + 1.0)
    return np.mean(t14)
