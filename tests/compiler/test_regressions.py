"""Regression tests: gradients of functions that once broke, against finite differences."""

import os
import sys

import numpy as np
import pytest

import srcad
from srcad.testing import assert_grad_close, numerical_grad

sys.path.insert(0, os.path.dirname(__file__))
import regress_funcs as R  # noqa: E402

X = np.random.default_rng(3).standard_normal((3, 4))


@pytest.mark.parametrize(
    "fn",
    [
        # the saved state of `row = helper(row)` was popped before the helper's backward
        R.helper_overwrites_its_argument_in_loop,
        R.helper_overwrite_in_branch_in_loop,
        # a value recomputed in the inner loop's reverse step depended on the outer index
        R.nested_loop_inner_depends_on_outer,
    ],
)
@pytest.mark.parametrize("optimize", [True, False])
def test_regression(fn, optimize):
    g = srcad.grad(fn, mode="source", optimize=optimize)(X)
    assert_grad_close(g, numerical_grad(fn, (X,), 0), 1e-5, 1e-8)


@pytest.mark.parametrize("fn", [R.callable_object, R.method_of_object])
def test_methods_in_forward_and_second_order(fn):
    v = np.random.default_rng(4).standard_normal(X.shape)
    hv = srcad.hvp(fn, mode="source")(X, v)
    g = srcad.grad(fn, mode="source")
    eps = 1e-5
    fd = (g(X + eps * v) - g(X - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)
