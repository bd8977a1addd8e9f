# ruff: noqa
# srcad fuzz finding: mode=source kind=crash api=grad[2]
# what: srcad's compiler failed on f (IndentationError: expected an indented block after 'for' statement
# fuzz-case: {"name": "f", "seed": 0, "family": "general", "params": [["x0", "arr", [4, 3], null], ["x1", "arr", [4], null], ["x2", "float", [], null]]}
import numpy as np


def f(x0, x1, x2):
    for i1 in range(3):
        x2 = x2
    return x2
