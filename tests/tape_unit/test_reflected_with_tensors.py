"""Reflected operators called with a tensor on the left: ``b.__rsub__(a)`` and
``b.__rpow__(a)`` (what Python calls first when ``a``'s type is a subclass that
overrides them, and what code may call directly).  They took the left operand for a
number and gave it no gradient: ``a.grad`` stayed None, silently.  References: the
derivatives by hand (``d(a - b) = 1, -1``; ``d(a ** b) = b a**(b-1), a**b log a``) and
PyTorch's grad_fn names."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad


@settings(max_examples=60, deadline=None)
@given(
    av=st.lists(st.floats(0.2, 3.0), min_size=1, max_size=4),
    bv=st.floats(-2.0, 2.0),
    op=st.sampled_from(["__rsub__", "__rpow__", "__radd__", "__rmul__", "__rtruediv__"]),
)
def test_reflected_operator_with_a_tensor_on_the_left(av, bv, op):
    a0 = np.array(av)
    b0 = np.full_like(a0, bv)
    a = srcad.tensor(a0, requires_grad=True)
    b = srcad.tensor(b0, requires_grad=True)
    r = getattr(b, op)(a)  # a <op> b
    r.sum().backward()
    want = {
        "__rsub__": (a0 - b0, np.ones_like(a0), -np.ones_like(a0)),
        "__rpow__": (a0**b0, b0 * a0 ** (b0 - 1), a0**b0 * np.log(a0)),
        "__radd__": (a0 + b0, np.ones_like(a0), np.ones_like(a0)),
        "__rmul__": (a0 * b0, b0, a0),
        "__rtruediv__": (a0 / b0, 1 / b0, -a0 / b0**2) if bv != 0 else None,
    }[op]
    if want is None:
        return
    value, da, db = want
    np.testing.assert_allclose(r.detach().numpy(), value, rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), da, rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), db, rtol=1e-10)


def test_grad_fn_names_are_pytorchs():
    a = srcad.tensor([0.7, 0.4], requires_grad=True)
    b = srcad.tensor([1.3, 0.9], requires_grad=True)
    assert b.__rsub__(a).grad_fn.name() == "RsubBackward0"
    assert b.__rpow__(a).grad_fn.name() == "PowBackward1"
    assert (1.0 - b).grad_fn.name() == "RsubBackward1"
    assert (2.0**b).grad_fn.name() == "PowBackward2"
