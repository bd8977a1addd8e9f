"""srcad/runtime/fpstate.py: NumPy's error state set and restored as ``np.errstate``
would, on the fast path (NumPy's context variable) and on the fallback (an
``np.errstate`` entered by hand), and the helpers that use it (``_rt.logistic``,
``_rt.logistic_neg``, the tape's backward pass)."""

import warnings

import numpy as np
import pytest

import srcad
from srcad.runtime import fpstate
from srcad.runtime.grads import logistic, logistic_neg

KEYS = ("divide", "over", "under", "invalid")


@pytest.fixture(params=["fast", "fallback"])
def path(request):
    if request.param == "fast" and fpstate._STATE is None:  # pragma: no cover
        pytest.skip("this NumPy has no _extobj_contextvar: only the fallback exists")
    fpstate.use(request.param == "fast")
    try:
        yield request.param
    finally:
        fpstate.use(True)


@pytest.mark.parametrize(
    "user, settings",
    [
        ({"all": "warn"}, {"over": "ignore"}),
        (
            {"divide": "raise", "under": "warn", "over": "print", "invalid": "call"},
            {"over": "ignore"},
        ),
        ({"all": "raise"}, {"divide": "ignore", "invalid": "ignore", "over": "ignore"}),
        ({"all": "ignore"}, {"under": "raise"}),
    ],
)
def test_enter_sets_what_errstate_sets_and_leave_restores(path, user, settings):
    with np.errstate(**user):
        before = np.geterr()
        with np.errstate(**settings):
            want = np.geterr()
        assert np.geterr() == before
        token = fpstate.enter(**settings)
        try:
            assert np.geterr() == want
        finally:
            fpstate.leave(token)
        assert np.geterr() == before


def test_nested_and_after_an_exception(path):
    before = np.geterr()
    outer = fpstate.enter(over="ignore")
    try:
        inner = fpstate.enter(divide="raise")
        try:
            assert np.geterr()["over"] == "ignore" and np.geterr()["divide"] == "raise"
            with pytest.raises(FloatingPointError):
                np.array([1.0]) / 0.0
        finally:
            fpstate.leave(inner)
        assert np.geterr()["divide"] == before["divide"]
        assert np.geterr()["over"] == "ignore"
    finally:
        fpstate.leave(outer)
    assert np.geterr() == before


T = np.array(
    [
        -1000.0,
        -745.5,
        -709.9,
        -30.0,
        -1.0,
        -0.0,
        0.0,
        1e-300,
        2.5,
        40.0,
        709.9,
        800.0,
        np.inf,
        -np.inf,
        np.nan,
    ]
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_logistic_quiet_about_its_own_overflow_and_the_same_numbers(path, dtype):
    t = T.astype(dtype)
    with np.errstate(all="ignore"):
        want = 1.0 / (1.0 + np.exp(-t))
        want_neg = 1.0 / (1.0 + np.exp(t))
    before = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            before = np.geterr()
            got, got_neg = logistic(t), logistic_neg(t)
            token = fpstate.quiet_overflow()
            try:
                assert np.geterr() == dict(before, over="ignore")
            finally:
                fpstate.leave(token)
            assert np.geterr() == before  # (the user's state, back after each call)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_neg, want_neg)
    assert got.dtype == t.dtype and got_neg.dtype == t.dtype


def test_tape_backward_runs_quiet_and_restores_the_users_state(path):
    seen = []
    x = srcad.tensor(np.array([0.0, 1.0, 800.0]), requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: seen.append(np.geterr()) or g)
    with np.errstate(all="raise"):
        before = np.geterr()
        (y * y).sum().backward()
        assert np.geterr() == before
    assert seen and {k: seen[0][k] for k in ("divide", "invalid", "over")} == dict.fromkeys(
        ("divide", "invalid", "over"), "ignore"
    )
    assert seen[0]["under"] == "raise"  # (what the pass does not name stays the user's)
    np.testing.assert_array_equal(x.grad.numpy(), 8.0 * np.array([0.0, 1.0, 800.0]))
