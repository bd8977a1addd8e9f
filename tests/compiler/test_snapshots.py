"""Snapshots of ``.source`` for canonical functions: generated code is a user interface.

A change in how the code reads shows up here as a diff. After a deliberate
change, regenerate with ``SRCAD_UPDATE_SNAPSHOTS=1 python -m pytest
tests/compiler/test_snapshots.py`` and review the diff like any other code.
The gradients themselves are checked against finite differences in the same test.
"""

import os
import sys

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
import canonical as C  # noqa: E402

RNG = np.random.default_rng(0)
ARGS = {
    "loss": (RNG.standard_normal(3), RNG.standard_normal((5, 3)), RNG.standard_normal(5)),
    "power_loop": (1.5, 2.0),
    "damped_while": (1.5, 5),
    "calls_helper": (RNG.standard_normal(4),),
    "fill_loop": (RNG.standard_normal(4),),
}


@pytest.mark.parametrize("name", sorted(ARGS))
def test_generated_source_snapshot(name):
    f = getattr(C, name)
    args = ARGS[name]
    g = srcad.grad(f, mode="source")
    value = g(*args)
    srcad.testing.assert_grad_close(value, numerical_grad(f, args, 0), 1e-5, 1e-7)
    path = os.path.join(HERE, "snapshots", f"{name}.py")
    if os.environ.get("SRCAD_UPDATE_SNAPSHOTS"):
        with open(path, "w") as fh:
            fh.write(g.source)
    assert os.path.exists(path), f"no snapshot {path}: write it deliberately (see the docstring)"
    with open(path) as fh:
        expected = fh.read()
    assert g.source == expected


def test_snapshot_properties():
    """What every snapshot must show: comments, named adjoints, no zero inits."""
    src = srcad.grad(C.loss, mode="source").source
    assert "# Grad of: p = np.tanh(x @ w)" in src
    assert "dw = " in src and "dp = " in src
    assert "zeros" not in src
