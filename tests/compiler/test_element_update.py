"""`y = Y[i]; y -= v` and `for y in Y: y -= v`: an element of a 1-D array is a
number (the update rebinds it), a row of a 2-D array is a view (the update writes
into ``Y``).  Without shapes the compiler cannot tell, so it checks at run time:
right gradients for numbers, a located UnsupportedError for arrays in source mode,
and the tape in auto mode.  References: central finite differences in float64."""

import warnings

import numpy as np
import pytest

import srcad

from .fdcheck import fd


def by_index(w, Y):
    s = 0.0
    for i in range(Y.shape[0]):
        y = Y[i]
        y -= 0.1 * w
        s = s + np.sum(y * w) + np.sum(Y) * np.sum(w)
    return s


def by_iteration(w, Y):
    s = 0.0
    for y in Y:
        y *= w
        s = s + np.sum(np.sin(y)) + np.sum(Y) * w[0]
    return s


def by_pair(w, X, Y):
    s = 0.0
    for i, (x, y) in enumerate(zip(X, Y)):
        x = x * (1.0 + 0.1 * i)
        y += x * w[0]
        s = s + y * np.sum(X) + np.sum(Y) * w[1]
    return s


RNG = np.random.default_rng(0)
ONE_D = [
    (by_index, (RNG.normal(size=3), RNG.normal(size=4))),
    (by_iteration, (RNG.normal(size=2), RNG.normal(size=5))),
    (by_pair, (RNG.normal(size=2), RNG.normal(size=3), RNG.normal(size=3))),
]


@pytest.mark.parametrize("f, args", ONE_D, ids=lambda v: getattr(v, "__name__", ""))
def test_numbers_are_rebound_and_differentiated(f, args):
    for k in range(len(args)):
        keep = [a.copy() for a in args]
        got = srcad.grad(f, wrt=k, mode="source")(*args)
        np.testing.assert_allclose(got, fd(f, args, k), rtol=1e-6, atol=1e-8)
        for a, b in zip(args, keep):
            np.testing.assert_array_equal(a, b)  # the caller's arrays are unchanged
    tangent = RNG.normal(size=args[0].shape)
    _, out = srcad.jvp(f, mode="source")(*args, tangent)
    np.testing.assert_allclose(out, fd(f, args, 0) @ tangent, rtol=1e-6, atol=1e-8)


TWO_D = [
    (by_index, (RNG.normal(size=3), RNG.normal(size=(4, 3))), 19),
    (by_iteration, (RNG.normal(size=2), RNG.normal(size=(3, 2))), 27),
]


@pytest.mark.parametrize("f, args, line", TWO_D, ids=lambda v: getattr(v, "__name__", ""))
def test_rows_are_views_refused_at_run_time(f, args, line):
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(f, mode="source")(*[a.copy() for a in args])
    exc = info.value
    assert exc.filename == __file__
    assert exc.lineno == f.__code__.co_firstlineno + (4 if f is by_index else 3)
    assert "-=" in exc.line or "*=" in exc.line
    assert "copy" in exc.hint


@pytest.mark.parametrize("f, args, line", TWO_D, ids=lambda v: getattr(v, "__name__", ""))
def test_rows_are_views_auto_mode_uses_the_tape(f, args, line):
    ref = fd(f, [a.copy() for a in args], 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = srcad.grad(f, mode="auto")(*[a.copy() for a in args])
    assert any(issubclass(w.category, srcad.FallbackWarning) for w in caught)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)
