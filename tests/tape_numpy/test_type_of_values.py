"""``type(v)`` in NumPy programs on the tape, and the values that stay Python floats.

NumPy code can branch on ``type(s) is float`` (a Python float: an argument, ``a *
2.0``, ``math.sin(a)``, ``float(v)``, ``x[i].item()``) against ``np.float64`` (a
reduction, ``x[i]``, ``np.sin(a)``, ``a * np.float64(2)``), or on ``type(x) is
np.ndarray``.  On the tape every such value is a tensor, and ``type`` said so: every
test was false, the other branch ran, and its gradient came back without a word.
Now ``type`` in a NumPy program answers what NumPy would hold (``tape/numpy_mode.py``,
``type_``), and arithmetic on Python floats and numbers alone gives a tensor that
stands for a Python float (``NumberTensor``), whose ``hasattr``/``getattr`` are a
float's (``hasattr(a, "shape")`` is false) and whose ``round`` is Python's (it
raised).  The reference is central finite differences of the function run by NumPy
itself, on programs drawn by hypothesis.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad.testing import numerical_grad

# scalar expressions of x (a vector) and a (a Python float), each a Python float or a
# NumPy scalar in NumPy
SCALARS = [
    "a",
    "a * 2.0",
    "2.0 * a - 1",
    "-a",
    "abs(a) + 3",
    "a ** 2",
    "math.sin(a)",
    "math.exp(a) / (1 + a * a)",
    "float(np.sum(x))",
    "float(x[0]) * a",
    "x[1].item()",
    "np.sum(x)",
    "x[0]",
    "np.sin(a)",
    "a * np.float64(2.0)",
    "np.float64(a)",
    "np.sum(x) * a",
    "x[2] - a",
    "sum([a, a, 1.0])",
    "max(a, 0.1) * a",
    "round(a, 1) + a",
    "a * round(a * 3)",
    "np.sum(x) + round(np.sum(x))",
    "math.erf(a) * 2.0 + math.erfc(a * a)",
    "math.copysign(a, -1.0) + math.fmod(a, 2.0) * a",
]
TESTS = [
    "type(s) is float",
    "type(s) == float",
    "type(s) is not float",
    "type(s) is np.float64",
    "type(s) in (float, int)",
    "isinstance(s, float)",
    "isinstance(s, np.floating)",
    "type(x) is np.ndarray",
    "type(x * s) is np.ndarray",
    "type(s).__name__ == 'float'",
    "hasattr(s, 'shape')",
    "getattr(s, 'ndim', -1) == 0",
    "hasattr(s, 'is_integer')",
]


def _program(expr, test, convert):
    body = [f"s = {expr}"]
    if convert:  # the type as a function: keeps the derivative
        body.append("s = type(s)(s * 1.5)")
    body += [
        f"if {test}:",
        "    return np.sum(x * x) * s + s",
        "return np.sum(np.sin(x)) * s * s",
    ]
    src = "def f(x, a):\n" + "".join(f"    {line}\n" for line in body)
    namespace = {"np": np, "math": math}
    exec(src, namespace)  # a module function: the tape patches its globals as for a file's
    return namespace["f"], src


@settings(max_examples=250, deadline=None)
@given(
    expr=st.sampled_from(SCALARS),
    test=st.sampled_from(TESTS),
    convert=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_type_tests_take_numpys_branch(expr, test, convert, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.2, 1.5, 3)
    a = float(rng.uniform(0.3, 1.2))
    f, src = _program(expr, test, convert)
    g = srcad.grad(f, wrt=(0, 1), mode="tape")(x, a)
    for i, got in enumerate(g):
        want = numerical_grad(f, (x, a), wrt=i)
        np.testing.assert_allclose(np.asarray(got, float), want, rtol=1e-6, atol=1e-8, err_msg=src)


def makes_a_class(x, a):
    C = type("C", (), {"k": 2.0})
    if isinstance(C, type) and issubclass(type(C), type) and isinstance(a, float):
        return np.sum(x) * C.k * a
    return np.sum(x * x)


def float_of_a_type(x, a):
    s = np.sum(x * x)
    t = type(a)(s)  # float(s): a Python float, derivative kept
    u = type(s)(a)  # np.float64(a)
    return t * u + type(x)((2,)).size  # np.ndarray((2,)): NumPy's constructor


def test_type_keeps_pythons_meanings():
    x, a = np.array([0.4, 1.3, 0.7]), 0.9
    for f in (makes_a_class, float_of_a_type):
        g = srcad.grad(f, wrt=(0, 1), mode="tape")(x, a)
        for i, got in enumerate(g):
            want = numerical_grad(f, (x, a), wrt=i)
            np.testing.assert_allclose(np.asarray(got, float), want, rtol=1e-6, atol=1e-8)


def test_plain_tensor_minus_a_number():
    """``x[2] - a``: Python asks the number's reflected method first (a subclass);
    the plain tensor on the left must keep its derivative."""

    def f(x):
        x = x.copy()
        a = float(x[0])
        x[2] = x[2] - a
        return np.sum(x * x)

    x = np.array([0.3, -1.7, 0.9])
    np.testing.assert_allclose(
        srcad.grad(f, mode="tape")(x), numerical_grad(f, (x,), wrt=0), rtol=1e-6, atol=1e-8
    )
