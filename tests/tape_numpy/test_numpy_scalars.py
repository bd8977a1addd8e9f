"""NumPy's scalars in a NumPy program on the tape (FINDINGS, "Tape crashes").

``np.sum(D)`` of an array not being differentiated is ``np.float64`` in NumPy; on the
tape it was a 0-d tensor, and ``c[0] -= np.sum(D)`` into an integer array ``c`` then
met NumPy's item assignment as a Python int: ``OverflowError: Python integer -595 out
of bounds for uint8`` where NumPy casts (the fuzzer's one tape crash class for several
sessions).  Now an inactive result that NumPy gives as a scalar stays that scalar
(``interop.numpy_scalar``).

Reference: NumPy itself.  Each program writes a value made from a held array into an
integer array ``c``, then returns ``np.sum(x * c)``, whose gradient with respect to
``x`` is ``c`` as NumPy left it.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad

FORMS = [
    "np.sum(D)",
    "np.sum(D * 2.0)",
    "D[1]",
    "np.max(D)",
    "np.mean(D)",
    "D.sum()",
    "D.max()",
    "D.mean()",
    "D @ D",
    "np.dot(D, D)",
    "D[0] * D[1]",
    "abs(D[0])",
    "np.exp(D[0] / 50.0)",
    "D.item(1)",
    "np.float64(D[1])",
]
WRITES = ["c[0] -= {}", "c[0] += {}", "c[1] = c[1] - {}"]
DIRECT = [
    "np.sum(D)",
    "D[1]",
    "np.max(D)",
    "np.dot(D, D)",
    "np.mean(D * 3.0)",
    "D.sum()",
    "D.max()",
    "D.mean()",
    "D.dot(D)",
    "D.std()",
]


def _program(write, form):
    src = (
        f"def f(x, c, D):\n    c = c.copy()\n    {write.format(form)}\n    return np.sum(x * c)\n"
    )
    env = {"np": np}
    exec(compile(src, "<scalar program>", "exec"), env)
    return env["f"]


def _check(f, D, dtype):
    x = np.ones(3)
    c = np.array([5, 100, 7], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's own cast warnings)
        try:
            f(x, c, D)
        except (OverflowError, ValueError, TypeError):
            return  # NumPy itself refuses this one (a Python number out of range)
        want = _after(f, c, D)
        got = srcad.grad(f, mode="tape")(x, c, D)
    np.testing.assert_array_equal(got, want.astype(np.float64))


def _after(f, c, D):
    """``c`` as ``f`` leaves it, read back through the gradient of ``np.sum(x * c)``
    computed by NumPy arithmetic: the function's value at the unit vectors."""
    x0 = np.zeros(3)
    out = []
    for k in range(3):
        e = x0.copy()
        e[k] = 1.0
        out.append(f(e, c, D))
    return np.array(out)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(WRITES),
    st.sampled_from(FORMS),
    st.sampled_from([np.uint8, np.int8, np.int16, np.uint16]),
    st.lists(st.floats(-400.0, 400.0), min_size=2, max_size=2),
)
def test_integer_items_take_numpy_scalars(write, form, dtype, values):
    _check(_program(write, form), np.array(values), dtype)


@pytest.mark.parametrize("form", DIRECT)
def test_a_scalar_assigned_as_it_is(form):
    _check(_program("c[0] = -{}", form), np.array([100.0, 250.0]), np.uint8)


def held_types(x, D):
    s = np.sum(D)
    e = D[0]
    ok = type(s) is np.float64 and isinstance(e, np.floating) and not hasattr(s, "backward")
    return np.sum(x) * (2.0 if ok else 3.0)


def test_they_are_numpy_scalars():
    got = srcad.grad(held_types, mode="tape")(np.ones(2), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(got, [2.0, 2.0])


def test_a_differentiated_value_is_still_recorded():
    def f(x, D):
        return np.sum(D) * np.sum(x) + D[0] * x[1]

    x, D = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    got = srcad.grad(f, mode="tape")(x, D)
    np.testing.assert_allclose(got, [7.0, 10.0])
    got_d = srcad.grad(f, wrt=1, mode="tape")(x, D)
    np.testing.assert_allclose(got_d, [3.0 + 2.0, 3.0])


def narrow_then_math(x, N):
    x -= np.prod(np.tanh(N))  # (np.tanh of uint8 data is float16: x becomes np.float16)
    w = math.sqrt(x * x + 1.0)  # (math takes a Python float: computes in float64)
    return w * 0.5 + w + math.exp(x / 4.0) + math.erf(x / 3.0)


@pytest.mark.parametrize("seed", range(5))
def test_math_of_a_narrow_float_computes_in_float64(seed):
    rng = np.random.default_rng(seed)
    x = float(rng.uniform(-2.0, 2.0))
    N = rng.integers(0, 4, size=3).astype(np.uint8)
    value, grad = srcad.value_and_grad(narrow_then_math, mode="tape")(x, N)
    assert value == narrow_then_math(x, N)  # NumPy's own value, to the bit
    assert type(grad) is float
    # the derivative through the float16 cast is the smooth one, as source mode's
    np.testing.assert_allclose(grad, srcad.grad(narrow_then_math, mode="source")(x, N), rtol=1e-3)
