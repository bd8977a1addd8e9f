"""NumPy's output arguments (``out=`` and the positional forms ``np.sin(x, y)``,
``np.add(a, b, c)``, ``np.cumsum(a, 0, None, c)``) in both engines.

A positional output read as an input, and an ``out=`` call read as a plain call,
gave silently wrong gradients in source mode (the written array kept its old
dependence), and the tape let NumPy write into a tensor's array behind its back.
Each function here is checked against central finite differences: right, or (source
mode only) a located ``UnsupportedError``; ``mode="auto"`` always right.
"""

import warnings

import numpy as np
import pytest

import srcad

from .fdcheck import fd


def ufunc_positional(a, b):
    c = a * 2
    np.sin(b, c)
    return np.sum(c * a)


def ufunc_keyword_only_result(a, b):
    c = a * 2
    np.sin(b, out=c)
    return np.sum(c)


def binary_positional(a, b):
    c = np.zeros(2)
    np.multiply(a, b, c)
    return np.sum(c * a)


def function_positional(a, b):
    c = a * 2
    np.cumsum(b, 0, None, c)
    return np.sum(c * a)


def function_keyword(a, b):
    c = a * 2
    np.cumsum(b * a, out=c)
    return np.sum(c * 3)


def assigned_result(a, b):
    c = np.ones(2)
    t = np.add(a, b, out=c)
    return np.sum(t * c * a)


def into_parameter(a, b):
    r = np.sqrt(a**2.0 + b**2.0)
    theta = np.arctan(b, a)  # Tangent's cart2polar: the 2nd argument is out=
    return np.sum(r) + np.sum(theta * b)


def out_tuple(a, b):
    c = np.empty(2)
    np.exp(a, out=(c,))
    return np.sum(c * b)


def out_none(a, b):
    return np.sum(np.tanh(a, out=None) * b)


def method_out(a, b):
    c = np.zeros(2)
    a.clip(0.1, 0.5, out=c)
    return np.sum(c * b)


def written_twice(a, b):
    c = a * 1.0
    np.multiply(c, b, out=c)
    np.sin(c, out=c)
    return np.sum(c)


def in_loop(a, b):
    c = np.zeros(2)
    s = 0.0
    for i in range(3):
        np.multiply(a, b + i, out=c)
        s = s + np.sum(c * c)
    return s


def unpacked_out(a, b):
    c = np.zeros(2)
    pair = (a, b)
    np.multiply(*pair, c)  # the output hides among the unpacked arguments' neighbours
    return np.sum(c * a)


FUNCS = [
    unpacked_out,
    ufunc_positional,
    ufunc_keyword_only_result,
    binary_positional,
    function_positional,
    function_keyword,
    assigned_result,
    into_parameter,
    out_tuple,
    out_none,
    method_out,
    written_twice,
    in_loop,
]
A = np.array([0.3, 0.7])
B = np.array([0.5, -0.2])


def _grad(f, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        a = A.copy()
        g = srcad.grad(f, mode=mode)(a, B)
        np.testing.assert_array_equal(a, A)  # the caller's array is never changed
        return g


def _tape_refuses(f, mode):
    """A tensor method with out= (``a.clip(lo, hi, out=c)``) is PyTorch's TypeError on
    the tape (Tensor.clamp takes no out=): an error, not a number."""
    if mode == "tape" and f is method_out:
        with pytest.raises(TypeError, match="out"):
            _grad(f, mode)
        return True
    return False


@pytest.mark.parametrize("mode", ["source", "tape", "auto"])
@pytest.mark.parametrize("f", FUNCS, ids=lambda f: f.__name__)
def test_grad_right_or_refused(f, mode):
    want = fd(f, (A, B), 0)
    if _tape_refuses(f, mode):
        return
    try:
        got = _grad(f, mode)
    except srcad.UnsupportedError as exc:
        assert mode == "source", exc
        assert exc.lineno is not None and __file__.rstrip("c") in str(exc)
        return
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["source", "tape"])
@pytest.mark.parametrize("f", FUNCS, ids=lambda f: f.__name__)
def test_jvp_right_or_refused(f, mode):
    v = np.array([0.4, -1.1])
    want = fd(f, (A, B), 0) @ v
    if _tape_refuses(f, mode):
        return
    try:
        _, got = srcad.jvp(f, wrt=0, mode=mode)(A.copy(), B, v)
    except srcad.UnsupportedError:
        assert mode == "source"
        return
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "f", [ufunc_positional, binary_positional, function_positional, function_keyword, in_loop]
)
def test_source_mode_takes_the_common_forms(f):
    """Not refused: the write becomes ``c[...] = ...``, which the compiler differentiates."""
    np.testing.assert_allclose(_grad(f, "source"), fd(f, (A, B), 0), rtol=1e-6, atol=1e-8)


def nested_out(a, b):
    c = np.zeros(2)
    return np.sum(np.sin(a, out=c) * b)


def test_unpacked_arguments_of_a_function_with_an_output_are_refused():
    """Read as a plain call, np.multiply(*pair, c) gave a wrong gradient in source
    mode; whether an output is passed cannot be known before it runs."""
    with pytest.raises(srcad.UnsupportedError, match="output argument") as info:
        srcad.grad(unpacked_out, mode="source")(A.copy(), B)
    assert "np.multiply(*pair, c)" in str(info.value)


def test_out_inside_an_expression_is_refused_at_its_line():
    with pytest.raises(srcad.UnsupportedError, match="out=") as info:
        srcad.grad(nested_out, mode="source")(A.copy(), B)
    assert "np.sin(a, out=c)" in str(info.value)
