"""A called helper whose name is not an identifier (a lambda bound to a global:
``__name__ == "<lambda>"``) crashed the compiler with a SyntaxError in the
generated code (``<lambda>_fwd(x)``).  Reference: hand-derived gradients."""

import numpy as np
import pytest

import srcad

scale3 = lambda v: 3.0 * v  # noqa: E731 - the case under test
pair = (lambda v: v * v, lambda v: np.sin(v))


def uses_lambda(x):
    return np.sum(scale3(x) ** 2)


def uses_two_lambdas(x):
    return np.sum(pair[0](x)) + np.sum(pair[1](x))


@pytest.mark.parametrize("mode", ["source", "auto"])
def test_global_lambda_helper(mode):
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(srcad.grad(uses_lambda, mode=mode)(x), 18.0 * x)


def test_lambdas_in_a_tuple():
    x = np.array([1.0, -2.0, 0.5])
    got = srcad.grad(uses_two_lambdas, mode="auto")(x)
    np.testing.assert_allclose(got, 2.0 * x + np.cos(x))
