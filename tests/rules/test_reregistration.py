"""A rule registered again is the rule both engines run from then on.

The tape compiles each rule once (tape/node.py's OpInfo cache); before the registry
told it of registrations, a re-registered rule was still run in its old form by the
tape while the compiler took the new one: a silently different gradient per engine.
Each primitive here is new to the test, so the registry's own rules are untouched.
"""

import numpy as np
import pytest

import srcad


def _fresh_primitive():
    def scale(x):
        return x * 3.0

    return scale


@pytest.mark.parametrize("mode", ["source", "tape"])
def test_reregistered_rule_is_used(mode):
    scale = _fresh_primitive()

    def f(x):
        return np.sum(scale(x) * x)

    x = np.array([1.0, -2.0, 0.5])

    @srcad.adjoint(scale)
    def _(result, x):
        d[x] = d[result] * 3.0  # noqa: F821

    # d/dx sum(scale(x) * x) = x * scale'(x) + scale(x); scale(x) = 3x
    np.testing.assert_allclose(srcad.grad(f, mode=mode)(x), 3.0 * x + 3.0 * x)

    @srcad.adjoint(scale)
    def _(result, x):
        d[x] = d[result] * 7.0  # noqa: F821  (a rule replaced on purpose)

    np.testing.assert_allclose(srcad.grad(f, mode=mode)(x), 7.0 * x + 3.0 * x)


def test_reregistered_rule_on_the_direct_tape():
    """``backward`` on tensors uses the rule of the moment too."""
    scale = _fresh_primitive()

    @srcad.adjoint(scale)
    def _(result, x):
        d[x] = d[result] * 3.0  # noqa: F821

    from srcad.tape.interop import apply_prim

    def run():
        t = srcad.tensor([1.0, 2.0], requires_grad=True)
        apply_prim(scale, (t,), {}).sum().backward()
        return t.grad.numpy()

    np.testing.assert_allclose(run(), [3.0, 3.0])

    @srcad.adjoint(scale)
    def _(result, x):
        d[x] = d[result] * -1.0  # noqa: F821

    np.testing.assert_allclose(run(), [-1.0, -1.0])
