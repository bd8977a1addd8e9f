"""The rewrites that make generated code cost what a hand-written gradient costs, each
checked against central finite differences (float64) or a hand-derived formula, in
the cases where the rewrite applies and in the neighbouring ones where it must not:

* a number spread over an array (``_rt.expand_to(s, shape)``) stays a number when it
  only meets arrays of that shape in ``+ - * /`` (optimize.keep_scalar_spreads);
* a forward loop left computing loop invariants runs once (``if len(r) > 0:``,
  optimize.run_invariant_loops_once);
* the derivative of ``math.sin``/``math.cos``/``math.sinh``/``math.cosh`` calls
  ``math``'s twin, not NumPy's (templates._math_twins);
* array methods of known shapes (``X.dot(w)``, ``x.sum(axis=0)``, ...) are modelled by
  shape inference, so their adjoints lose the runtime bookkeeping;
* ``np.maximum``'s adjoint without ``np.where`` when nothing ties;
* ``_rt.logistic`` on float arrays in one temporary;
* a Python-float division by zero in the gradient is a refusal, or a tape call.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad import runtime as _rt

from .fdcheck import fd

RNG = np.random.default_rng(7)


# -- numbers spread over arrays ----------------------------------------------------------


def mean_sq(w, x, y):
    p = np.tanh(x @ w)
    return np.mean((p - y) ** 2)


def sum_of(x):
    return np.sum(x)


def spread_into_call(x):
    return np.sum(np.sin(x)) + np.sum(x)  # the spread of the second sum also meets a cos


def mean_with_int(w, k):
    return np.mean(w * k)  # k an int array: d/dw = k / n


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_spread_kept_as_number_is_right(dtype):
    w = RNG.standard_normal(3).astype(dtype)
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal(5)
    g = srcad.grad(mean_sq, mode="source")
    got = g(w, x, y)
    assert "expand_to" not in g.source
    want = fd(mean_sq, (w.astype(float), x, y), 0)
    tol = 1e-8 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert got.dtype == dtype


def test_spread_returned_or_passed_on_stays_an_array():
    x = RNG.standard_normal(4)
    g = srcad.grad(sum_of, mode="source")
    got = g(x)
    assert type(got) is np.ndarray and got.shape == (4,) and got.flags.writeable
    np.testing.assert_array_equal(got, np.ones(4))
    got = srcad.grad(spread_into_call, mode="source")(x)
    np.testing.assert_allclose(got, np.cos(x) + 1.0, rtol=1e-14)


def test_spread_against_an_int_array():
    w, k = RNG.standard_normal(4), np.array([1, -2, 3, 0])
    got = srcad.grad(mean_with_int, mode="source")(w, k)
    np.testing.assert_allclose(got, k / 4.0, rtol=1e-15)


# -- forward loops of invariants --------------------------------------------------------


def decay(x, y, n):
    total = 0.0
    for i in range(n):
        total += math.exp(-x * i / 10.0) * math.cos(y)
    return total


def reads_its_index(x, n):
    total = 0.0
    for i in range(n):
        total += x * i
    return total


def carried(x, n):
    a = 0.0
    b = x
    for _ in range(n):
        a = b * 2.0  # reads b, written below: the second pass differs
        b = x * 3.0
    return a + b


@pytest.mark.parametrize("n", [0, 1, 7])
def test_invariant_loop_runs_once_and_is_right(n):
    g = srcad.grad(decay, wrt=(0, 1), mode="source")
    dx, dy = g(0.4, 0.9, n)
    assert "if len(range" in g.source or "if len(" in g.source
    want_dx = sum(math.exp(-0.4 * i / 10.0) * (-i / 10.0) * math.cos(0.9) for i in range(n))
    want_dy = sum(-math.exp(-0.4 * i / 10.0) * math.sin(0.9) for i in range(n))
    assert math.isclose(dx, want_dx, rel_tol=1e-13, abs_tol=1e-15)
    assert math.isclose(dy, want_dy, rel_tol=1e-13, abs_tol=1e-15)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_loops_that_are_not_invariant_stay_loops(n):
    assert srcad.grad(reads_its_index, mode="source")(1.5, n) == sum(range(n))
    g = srcad.grad(carried, mode="source")
    want = 1.0 if n == 0 else (2.0 + 3.0 if n == 1 else 6.0 + 3.0)  # a + b by hand
    assert math.isclose(g(0.5, n), want, rel_tol=1e-15)


# -- math's twins ------------------------------------------------------------------------


def trig_loop(x, y):
    for _ in range(20):
        x = x + 0.01 * math.sin(x * y) + 0.001 * math.cosh(math.cos(x))
    return x


def test_math_derivatives_use_math():
    g = srcad.grad(trig_loop, wrt=(0, 1), mode="source")
    got = g(0.3, 0.7)
    assert "np.cos" not in g.source and "np.sinh" not in g.source
    assert "math.cos" in g.source
    for k in range(2):
        want = fd(lambda a, b: trig_loop(float(a), float(b)), (0.3, 0.7), k)
        assert math.isclose(got[k], float(want), rel_tol=1e-7)


def test_math_twins_in_forward_mode():
    jf = srcad.jvp(sin_cosh, mode="source")
    out, tan = jf(0.4, 1.0)
    assert "np.cos" not in jf.source and "math.sinh" in jf.source
    want = math.cos(0.4) * math.cosh(0.4) + math.sin(0.4) * math.sinh(0.4)
    assert math.isclose(tan, want, rel_tol=1e-15)


def sin_cosh(x):
    return math.sin(x) * math.cosh(x)


# -- methods of known shapes ---------------------------------------------------------------


def methods(w, X):
    z = X.dot(w)
    s = z.sum(axis=0) + (X * X).mean()
    return np.sum(X.T.dot(z).ravel() * w) + s.copy() + np.sum(X.transpose().sum(axis=1) * w)


def test_methods_are_modelled_and_right():
    w, X = RNG.standard_normal(3), RNG.standard_normal((6, 3))
    g = srcad.grad(methods, wrt=(0, 1), mode="source")
    got = g(w, X)
    assert "unbroadcast" not in g.source and "dot_adjoint" not in g.source
    for k in range(2):
        np.testing.assert_allclose(got[k], fd(methods, (w, X), k), rtol=1e-7, atol=1e-8)


# -- maximum's adjoint ---------------------------------------------------------------------


def relu_sum(a):
    return np.sum(np.maximum(a, 0.0) * np.arange(1.0, 1.0 + a.size))


def test_maximum_adjoint_with_and_without_ties():
    a = np.array([-1.0, 2.0, 0.5, -0.25])
    weights = np.arange(1.0, 5.0)
    np.testing.assert_array_equal(srcad.grad(relu_sum, mode="source")(a), weights * (a > 0))
    a[1] = 0.0  # a tie: half the gradient each way (as autograd and PyTorch's maximum)
    np.testing.assert_array_equal(
        srcad.grad(relu_sum, mode="source")(a), weights * ((a > 0) + 0.5 * (a == 0))
    )
    g = RNG.standard_normal((3, 4))
    x = RNG.standard_normal((3, 4))
    y = np.where(RNG.random((3, 4)) < 0.3, x, RNG.standard_normal((3, 4)))
    x[0, 0] = np.nan
    r = np.maximum(x, y)
    want = g * np.where(x == y, 0.5, (x == r) * 1.0)
    np.testing.assert_array_equal(_rt.pick_adjoint(g, x, y, r), want)


_EDGE = [0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1e-310, 3.0]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([np.float64, np.float32, np.float16]),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
    st.sampled_from([np.maximum, np.minimum, np.fmax, np.fmin]),
    st.booleans(),
)
def test_pick_adjoint_bit_for_bit(dtype, gdtype, seed, op, with_ties):
    """Against the formula written out (a 0/1 mask of the result's dtype, halves at
    ties): the same numbers, signed zeros and NaNs, and the same dtype."""
    rng = np.random.default_rng(seed)
    x = rng.choice(_EDGE, 6).astype(dtype)
    y = rng.choice(_EDGE, 6).astype(dtype)
    if not with_ties:
        y = np.where(x == y, np.asarray(7.0, dtype), y)
    g = rng.choice(_EDGE, 6).astype(gdtype)
    with np.errstate(all="ignore"):
        r = op(x, y)
        w = (x == r).astype(r.dtype)
        want = g * np.where(x == y, 0.5 * w, w)
        got = _rt.pick_adjoint(g, x, y, r)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))


# -- logistic ------------------------------------------------------------------------------


def _logistic_reference(t):
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


def test_logistic_relative_accuracy():
    t = np.concatenate([np.linspace(-745.0, 745.0, 30001), [0.0, -0.0, 36.7, -36.7, 709.7]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning escapes
        got = _rt.logistic(t)
    want = np.array([_logistic_reference(v) for v in t])
    normal = want >= np.finfo(float).tiny
    np.testing.assert_allclose(got[normal], want[normal], rtol=4e-16, atol=0)
    assert np.all(np.abs(got[~normal] - want[~normal]) <= np.finfo(float).tiny)
    assert _rt.logistic(np.float32([3.0])).dtype == np.float32
    assert math.isclose(_rt.logistic(-800.0), 0.0, abs_tol=1e-300)
    np.testing.assert_allclose(
        _rt.logistic(np.array([-2, 0, 5])), [0.11920292202211755, 0.5, 0.9933071490757153]
    )


def logaddexp_loss(w, X, y):
    return np.mean(np.logaddexp(0, -y * X.dot(w)))


def test_logistic_loss_gradient():
    X, y = RNG.standard_normal((50, 4)), np.sign(RNG.standard_normal(50))
    w = RNG.standard_normal(4)
    got = srcad.grad(logaddexp_loss, mode="source")(w, X, y)
    np.testing.assert_allclose(got, fd(logaddexp_loss, (w, X, y), 0), rtol=1e-7)


# -- division by zero ------------------------------------------------------------------------


def root(x):
    return math.sqrt(x)


def test_division_by_zero_is_a_refusal_in_source_mode():
    g = srcad.grad(root, mode="source")
    with pytest.raises(srcad.UnsupportedError, match="divides a Python float by zero") as info:
        g(0.0)
    assert "test_speed_rewrites.py" in str(info.value)
    assert g(4.0) == 0.25  # the next point is fine, on the same code


def test_division_by_zero_runs_this_call_on_the_tape_in_auto_mode():
    g = srcad.grad(root, mode="auto")
    assert g(4.0) == 0.25
    with pytest.warns(srcad.FallbackWarning, match="for this call"):
        assert g(0.0) == math.inf
    assert g(9.0) == 1.0 / 6.0 and g.mode == "source"


# -- float temporaries -----------------------------------------------------------------------


def damped(a, b):
    s = 0.0
    for i in range(50):
        s = s + a * math.sin(b * i) / (1.0 + i) - math.exp(-a * i / 50.0)
    return s


def sines(a, b):
    s = 0.0
    for i in range(40):
        s = s + a * math.sin(b * i)
    return s


@pytest.mark.parametrize("f", [sines, damped])
def test_float_temporaries_inlined_same_numbers(f):
    g = srcad.grad(f, wrt=(0, 1), mode="source")
    plain = srcad.grad(f, wrt=(0, 1), mode="source", optimize=False)
    got, ref = g(0.8, 0.3), plain(0.8, 0.3)
    assert got == ref  # the same arithmetic, operand for operand
    for k in range(2):
        want = fd(lambda a, b: f(float(a), float(b)), (0.8, 0.3), k)
        assert math.isclose(got[k], float(want), rel_tol=1e-7)
    if f is sines:
        ga = srcad.grad(f, mode="source")
        assert ga(0.8, 0.3) == got[0]
        assert "da = da + math.sin(b * i)" in ga.source  # (the temporary is gone)


def array_temporaries(x):
    t = np.sin(x)
    return np.sum(t * t)


def test_array_temporaries_keep_their_names():
    g = srcad.grad(array_temporaries, mode="source")
    x = RNG.standard_normal(5)
    np.testing.assert_allclose(g(x), 2 * np.sin(x) * np.cos(x), rtol=1e-14)


def test_expand_to_of_a_number_is_np_full():
    """``_rt.expand_to(g, shape)`` of a number makes what ``np.full`` makes: dtype,
    values, signed zeros and NaN (its fast path skips np.full's Python wrapper)."""
    from srcad.runtime.grads import expand_to

    for g in (1.5, -0.0, float("nan"), np.float64(2.0), np.float32(-3.0), 4, 2**70, 1j):
        for shape in [(3,), (2, 2), (0,), (1,)]:
            got, want = expand_to(g, shape), np.full(shape, g)
            assert got.dtype == want.dtype and got.shape == want.shape, (g, shape)
            if want.dtype.kind == "f":
                np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
            np.testing.assert_array_equal(got, want)


# -- a number argument not differentiated: a Python float in its specialization ------


def weighted_sines(a, b):
    return sum(math.sin(a * i) * b + a * a for i in range(50))


def scaled_rows(a, b):
    return np.sum(np.sin(a) * b) + b * np.sum(a)


@pytest.mark.parametrize("b", [0.7, -2.0, 3, True, np.float64(0.7), np.array(0.7)])
@pytest.mark.parametrize("f", [weighted_sines, scaled_rows], ids=lambda f: f.__name__)
def test_an_undifferentiated_number_argument(f, b):
    """``b`` is not differentiated: a float in the build for floats (``1.0 * b`` is
    ``b``, so no multiplication is left in the loop), an int, a bool, a NumPy float or
    a 0-d array in builds of their own, each right."""
    a = 0.3 if f is weighted_sines else RNG.standard_normal(4)
    g = srcad.grad(f, wrt=0)
    for _ in range(2):  # (the careful call, then the cheap one)
        got = g(a, b)
        want = fd(lambda x: f(x, b), (a,), 0)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    if type(b) is float:
        assert "1.0 * b" not in g.source and "b * 1.0" not in g.source, g.source


# -- a spread number meets an adjoint that may be the symbolic zero -------------------


def spread_meets_zero(x0, x1):
    t3 = np.array([x1[0, 0], np.sum(x0)])
    u5 = x1 if 1 > 2 else x1
    if np.sum(x0) < -10.0:
        for _ in range(0):
            t3 = t3 + np.sum(x1)
    return np.mean(u5) + np.sum(np.sin(t3))


def spread_meets_zero_in_a_sum(b, x1):
    h = x1 + b
    u = h * 1.0
    if np.sum(b) < -10.0:
        for _ in range(0):
            h = h + np.sum(x1)
    return np.mean(u) + np.sum(np.sin(h))


@pytest.mark.parametrize("f", [spread_meets_zero, spread_meets_zero_in_a_sum])
def test_a_spread_added_to_what_may_be_the_zero_stays_an_array(f):
    """``dx = dx + s`` where ``dx`` may still be ``_rt.ZERO`` (a branch that added
    nothing): ``ZERO + s`` would be the number ``s``, not the array it stands for, so
    the spread stays an array there (fuzz seed 100026: ``add_at`` of a float, an
    internal AttributeError; older than the session that found it)."""
    rng = np.random.default_rng(3)
    args = (rng.standard_normal(2 if f is spread_meets_zero else 3), rng.standard_normal((2, 3)))
    got = srcad.grad(f, wrt=(0, 1), mode="source")(*args)
    for k in (0, 1):
        np.testing.assert_allclose(got[k], fd(f, args, k), rtol=1e-6, atol=1e-9)
