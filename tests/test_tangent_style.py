"""Tangent-style corpus (``tests/corpus_tangent_style.py``) in ``mode="source"``.

Each public function is differentiated with respect to each of its ``a, b, c,
x, y`` parameters and compared with float64 finite differences (or the
hand-derived gradient a function carries in ``expected_grad``).
"""

import inspect
import os
import sys

import numpy as np
import pytest

import srcad
from srcad.testing import assert_grad_close, assert_grad_like, numerical_grad

sys.path.insert(0, os.path.dirname(__file__))
import corpus_tangent_style as functions  # noqa: E402
from corpus import diff_params, make_args, rng_for  # noqa: E402

FUNCTIONS = [
    f
    for name, f in vars(functions).items()
    if inspect.isfunction(f) and not name.startswith("_") and f.__module__ == functions.__name__
]
PARAMS = [
    pytest.param(f, wrt, id=f"{f.__name__}-{wrt}") for f in FUNCTIONS for wrt in diff_params(f)
]


def test_corpus_size():
    assert len(FUNCTIONS) >= 100


@pytest.mark.parametrize("f, wrt", PARAMS)
def test_tangent_style_grad(f, wrt):
    args = make_args(f, rng_for("tangent." + f.__name__))
    g = srcad.grad(f, wrt=wrt, mode="source")(*args)
    assert_grad_like(g, args[list(inspect.signature(f).parameters).index(wrt)])
    hand = getattr(f, "expected_grad", {})
    want = hand[wrt](*args) if wrt in hand else numerical_grad(f, args, wrt)
    assert_grad_close(g, want, rtol=1e-5, atol=1e-7, label=f"d {f.__name__} / d {wrt}")


@pytest.mark.parametrize("f", [pytest.param(f, id=f.__name__) for f in FUNCTIONS])
def test_tangent_style_value(f):
    if "srcad." in inspect.getsource(f):
        pytest.skip("runs only under srcad.grad")
    args = make_args(f, rng_for("tangent." + f.__name__))
    value, _ = srcad.value_and_grad(f, wrt=diff_params(f)[0], mode="source")(*args)
    assert float(np.asarray(value).reshape(())) == pytest.approx(
        float(np.asarray(f(*args)).reshape(())), rel=1e-12, abs=1e-14
    )
