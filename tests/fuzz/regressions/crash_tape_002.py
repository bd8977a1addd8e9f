# ruff: noqa
# srcad fuzz finding: mode=tape kind=crash api=value_and_grad
# what: RuntimeError: expected _ and _ to have the same dtype, but got: torch._ != torch._
# (a NumPy program on the tape: float @ int8 raised PyTorch's same-dtype error; NumPy
# promotes. Fixed in tape/ops/linalg.matmul)
# fuzz-case: {"name": "f", "seed": 4071, "family": "general", "params": [["x0", "arr", [4, 4], null], ["N0", "idata", [4], "int8"]]}
import numpy as np
import math


def f(x0, N0):
    T8 = (np.where(x0 > 0.0, x0, x0[1]), ((np.sum(x0) * np.ones((4, 3))) @ N0[0:3]))
    u6, u7 = T8
    return np.mean(u7)
