"""The construct corpus (``tests/corpus``), differentiated in ``mode="source"``.

For every corpus function and every differentiable parameter:

* the gradient matches central finite differences in float64 (or the
  hand-derived gradient a case declares), and follows the type contract
  (a float gets a float, an array an array of its shape and dtype, containers
  the same structure); the arguments are left unchanged;
* a tuple ``wrt`` gives the tuple of the single gradients;
* float32 inputs (a subset) give float32 gradients close to the float64 ones;
* the same run on :class:`srcad.testing.StrictArray` inputs (CuPy's conversion
  rules on the CPU) gives StrictArray gradients equal to the NumPy run, so the
  generated code never converts an array to NumPy behind the user's back.

The last section checks the harness itself (inputs, finite differences,
StrictArray) and needs no compiler.
"""

import functools
import inspect
import os
import sys

import numpy as np
import pytest

import srcad
from srcad.testing import (
    StrictArray,
    assert_grad_close,
    assert_grad_like,
    check_grad,
    numerical_grad,
    strict,
    unstrict,
)

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402
from corpus import diff_params, make_args, rng_for  # noqa: E402

RTOL, ATOL = 1e-5, 1e-7
CASES = corpus.collect()
F32_FAMILIES = ("arith", "numpy_prims", "methods_builtins", "loops", "indexing", "augassign")
TUPLE_WRT_FAMILIES = ("arith", "loops", "calls", "containers", "numpy_prims")
VALUE_FAMILIES = ("branches", "loops", "calls", "containers", "indexing")
_ARRAY_PARAMS = ("x", "y", "z", "u", "v", "M", "N", "A", "B", "X", "w", "W", "P", "tup", "dct")


def _params(cases, keep=lambda case, wrt: True):
    return [
        pytest.param(case, wrt, id=f"{case.id}-{wrt}")
        for case in cases
        for wrt in diff_params(case.fn)
        if keep(case, wrt)
    ]


def _tolerance(case):
    rtol, atol = getattr(case.fn, "corpus_tolerance", (None, None))
    return rtol or RTOL, atol or ATOL


def _index(f, wrt):
    names = [
        p.name
        for p in inspect.signature(f).parameters.values()
        if p.default is inspect.Parameter.empty
    ]
    return names.index(wrt)


def _scale(g, s):
    if isinstance(g, (tuple, list)):
        return type(g)(_scale(t, s) for t in g)
    if isinstance(g, dict):
        return {k: _scale(t, s) for k, t in g.items()}
    return g * s


def expected_grad(case, args, wrt):
    """The reference gradient: hand-derived, a scaled plain twin's, or finite differences."""
    hand = getattr(case.fn, "corpus_expected", {})
    if wrt in hand:
        return hand[wrt](*args)
    ref = getattr(case.fn, "corpus_reference", None)
    if ref is not None:
        plain, scale = ref
        return _scale(numerical_grad(plain, args, wrt), scale.get(wrt, 1.0))
    return numerical_grad(case.fn, args, wrt)


@functools.cache
def _grad_of(case, wrt):
    return srcad.grad(case.fn, wrt=wrt, mode="source")


def grad_of(case, wrt):
    """``srcad.grad`` of a case (built once per (case, wrt), shared by the tests).

    A case marked ``may_refuse`` that the compiler refuses is skipped: refusing
    it is allowed, a wrong gradient is not.
    """
    g = _grad_of(case, wrt)
    if not hasattr(case.fn, "corpus_may_refuse"):
        return g

    def call(*args):
        try:
            return g(*args)
        except srcad.UnsupportedError as exc:
            pytest.skip(f"refused (allowed: {case.fn.corpus_may_refuse}): {exc}")

    return call


def _refusal_allowed(case):
    if not hasattr(case.fn, "corpus_may_refuse"):
        return ()
    return (srcad.UnsupportedError,)


def _needs_srcad_runtime(case):
    src = inspect.getsource(case.fn)
    return "srcad." in src and not all(
        hasattr(srcad, name) for name in ("insert_grad_of", "stop_gradient", "no_grad")
    )


def _same_values(a, b):
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_values(s, t) for s, t in zip(a, b))
    if isinstance(a, dict):
        return set(a) == set(b) and all(_same_values(a[k], b[k]) for k in a)
    return np.array_equal(np.asarray(a), np.asarray(b))


# ---------------------------------------------------------------------------
# The gradient of every case against finite differences


@pytest.mark.parametrize("case, wrt", _params(CASES))
def test_grad_matches_finite_differences(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    g = grad_of(case, wrt)(*args)
    arg = args[_index(case.fn, wrt)]
    assert_grad_like(g, arg)
    rtol, atol = _tolerance(case)
    label = f"d {case.name} / d {wrt}"
    assert_grad_close(g, expected_grad(case, args, wrt), rtol, atol, label=label)
    fresh = make_args(case.fn, rng_for(case.id))
    assert _same_values(args, fresh), "the gradient function modified its arguments"


def _has_two_params(case):
    return len(diff_params(case.fn)) >= 2


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c.id)
        for c in CASES
        if c.family in TUPLE_WRT_FAMILIES and _has_two_params(c)
    ],
)
def test_grad_tuple_wrt(case):
    names = tuple(diff_params(case.fn))
    args = make_args(case.fn, rng_for(case.id))
    try:
        g = srcad.grad(case.fn, wrt=names, mode="source")(*args)
    except _refusal_allowed(case) as exc:
        pytest.skip(f"refused (allowed): {exc}")
    assert isinstance(g, tuple) and len(g) == len(names), f"expected a tuple of {len(names)}"
    rtol, atol = _tolerance(case)
    for wrt, gw in zip(names, g):
        assert_grad_like(gw, args[_index(case.fn, wrt)], path=wrt)
        assert_grad_close(gw, expected_grad(case, args, wrt), rtol, atol, label=f"d/d{wrt}")


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id) for c in CASES if c.family in VALUE_FAMILIES]
)
def test_value_and_grad_value(case):
    wrt = diff_params(case.fn)[0]
    args = make_args(case.fn, rng_for(case.id))
    try:
        value, g = srcad.value_and_grad(case.fn, wrt=wrt, mode="source")(*args)
    except _refusal_allowed(case) as exc:
        pytest.skip(f"refused (allowed): {exc}")
    assert float(np.asarray(value).reshape(())) == pytest.approx(
        float(np.asarray(case.fn(*args)).reshape(())), rel=1e-12, abs=1e-14
    )
    assert_grad_like(g, args[_index(case.fn, wrt)])


# ---------------------------------------------------------------------------
# float32: gradients keep the dtype


def _f32_case(case, wrt):
    return (
        case.family in F32_FAMILIES
        and wrt in _ARRAY_PARAMS
        and not hasattr(case.fn, "corpus_no_float32")
    )


def _max_abs(g):
    if isinstance(g, (tuple, list)):
        return max(_max_abs(t) for t in g)
    if isinstance(g, dict):
        return max(_max_abs(t) for t in g.values())
    return float(np.max(np.abs(g)))


@pytest.mark.parametrize("case, wrt", _params(CASES, _f32_case))
def test_grad_float32(case, wrt):
    args = make_args(case.fn, rng_for(case.id), dtype=np.float32)
    g = grad_of(case, wrt)(*args)
    assert_grad_like(g, args[_index(case.fn, wrt)])
    want = expected_grad(case, args, wrt)
    scale = max(1.0, _max_abs(want))
    assert_grad_close(g, want, rtol=2e-3, atol=2e-3 * scale, label=f"float32 d/d{wrt}")


# ---------------------------------------------------------------------------
# Backend neutrality: StrictArray inputs (CuPy's rules) give StrictArray gradients


def _has_array_arg(case):
    return any(p in _ARRAY_PARAMS for p in inspect.signature(case.fn).parameters)


def _strict_case(case, wrt):
    return _has_array_arg(case) and not hasattr(case.fn, "corpus_no_strict")


@pytest.mark.parametrize("case, wrt", _params(CASES, _strict_case))
def test_grad_strict_arrays(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    g_host = grad_of(case, wrt)(*args)
    sargs = strict(args)
    g = grad_of(case, wrt)(*sargs)
    assert_grad_like(g, sargs[_index(case.fn, wrt)], strict_scalars=True)
    assert_grad_close(g, g_host, rtol=1e-9, atol=1e-12, label=f"StrictArray d/d{wrt}")


# The tape on StrictArrays: a NumPy program run by srcad.grad(mode="tape") on device
# arrays gives the NumPy gradient (a CuPy run on an H200 raised on 26 cases, three of
# them silently wrong, and the same three were wrong on NumPy arrays too)
_STAND_IN_IN_PLACE = {  # the stand-in has no .base: a view's write is not seen as one
    "indexing.slice_assign_then_read",
    "indexing.setitem_mutates_saved_array",
}


@pytest.mark.parametrize("case, wrt", _params(CASES, _strict_case))
def test_tape_grad_strict_arrays(case, wrt):
    ref = corpus.tape_reference(case, wrt)
    if ref is None:
        pytest.skip(f"the tape refuses {case.id} on NumPy arrays too")
    args, g_host, tol = ref
    sargs = strict(args)
    if case.id in _STAND_IN_IN_PLACE:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            srcad.grad(case.fn, wrt=wrt, mode="tape")(*sargs)
        return
    g = srcad.grad(case.fn, wrt=wrt, mode="tape")(*sargs)
    assert_grad_like(g, sargs[_index(case.fn, wrt)], strict_scalars=True)
    assert_grad_close(g, g_host, *tol, label=f"tape, StrictArray d/d{wrt}")


# ---------------------------------------------------------------------------
# The harness itself (no compiler needed)


def test_corpus_is_large_enough():
    assert len(CASES) >= 220
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.family for c in CASES} == set(corpus.FAMILIES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_case_returns_a_scalar_and_runs_on_strict_arrays(case):
    if _needs_srcad_runtime(case) or "insert_grad_of" in inspect.getsource(case.fn):
        pytest.skip("runs only under srcad.grad")
    args = make_args(case.fn, rng_for(case.id))
    value = case.fn(*args)
    assert np.asarray(value).size == 1
    value = float(np.asarray(value).reshape(()))
    assert diff_params(case.fn), "a case needs a differentiable parameter"
    if _has_array_arg(case) and not hasattr(case.fn, "corpus_no_strict"):
        svalue = case.fn(*strict(args))
        svalue = float(np.asarray(unstrict(svalue)).reshape(()))
        assert svalue == pytest.approx(value, rel=1e-12)


def test_make_args_follows_the_convention():
    def f(a, b, c, x, y, z, u, v, M, N, A, B, X, w, W, n, k, i, flag, lst, tup, dct, P, d=7):
        return 0.0

    got = dict(zip(list(inspect.signature(f).parameters)[:-1], make_args(f, rng_for("f"))))
    for name in "abc":
        assert type(got[name]) is float and 0.5 <= got[name] <= 1.5
    shapes = {"x": (4,), "y": (4,), "z": (4,), "u": (3,), "v": (3,), "M": (3, 3)}
    shapes.update({"N": (3, 3), "A": (4, 3), "B": (3, 5), "X": (5, 4), "w": (4,), "W": (4, 3)})
    for name, shape in shapes.items():
        assert got[name].shape == shape and got[name].dtype == np.float64
    assert np.all(np.abs(got["x"]) >= 0.3) and list(np.sign(got["x"])) == [1, -1, 1, -1]
    assert np.linalg.cond(got["M"]) < 10
    assert np.all(got["P"] > 0)
    assert (got["n"], got["k"], got["i"], got["flag"]) == (3, 1, 2, True)
    assert isinstance(got["lst"], list) and len(got["lst"]) == 3
    assert isinstance(got["tup"], tuple) and [t.shape for t in got["tup"]] == [(4,), (4,)]
    assert set(got["dct"]) == {"p", "q"} and type(got["dct"]["q"]) is float
    assert make_args(f, rng_for("f"), dtype=np.float32)[3].dtype == np.float32
    with pytest.raises(ValueError, match="no test input"):
        make_args(lambda q: q, rng_for("g"))


def test_numerical_grad_structures():
    def f(a, x, tup, lst, dct):
        return a * np.sum(x**2) + np.sum(tup[0] * tup[1]) + lst[0] * lst[1] + dct["q"] * 3.0

    x = np.array([1.0, -2.0])
    tup = (np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    args = (2.0, x, tup, [5.0, 6.0], {"q": 1.5, "p": np.ones(2)})
    ga, gx, gt, gl, gd = numerical_grad(f, args, wrt=(0, "x", 2, 3, "dct"))
    assert type(ga) is float and ga == pytest.approx(5.0)
    np.testing.assert_allclose(gx, 2 * 2.0 * x, rtol=1e-7)
    assert isinstance(gt, tuple) and np.allclose(gt[0], tup[1]) and np.allclose(gt[1], tup[0])
    assert isinstance(gl, list) and np.allclose(gl, [6.0, 5.0])
    assert gd["q"] == pytest.approx(3.0) and np.allclose(gd["p"], 0.0)
    g32 = numerical_grad(lambda x: np.sum(x**3), (np.array([1.0, 2.0], np.float32),))
    np.testing.assert_allclose(g32, [3.0, 12.0], rtol=1e-7)
    gs = numerical_grad(lambda x: np.sum(np.sin(x)), (StrictArray(np.zeros(2)),))
    assert isinstance(gs, StrictArray) and np.allclose(gs.get(), 1.0)


def test_assert_grad_close_reports_a_readable_diff():
    with pytest.raises(AssertionError, match=r"max abs err .*\n  \[1\]: actual 5.0, expected 2.0"):
        assert_grad_close(np.array([1.0, 5.0]), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match="Python float"):
        assert_grad_like(np.float64(1.0), 1.0)
    with pytest.raises(AssertionError, match="dtype"):
        assert_grad_like(np.zeros(2), np.zeros(2, np.float32))
    with pytest.raises(AssertionError, match="keys"):
        assert_grad_like({"p": 1.0}, {"p": 1.0, "q": 2.0})


def test_check_grad_uses_srcad():
    if not hasattr(srcad, "grad"):
        pytest.skip("srcad.grad is not there yet")
    g = check_grad(_square_sum, np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-6)


def _square_sum(x):
    return np.sum(x * x)


_CUPY_TEXT = "Implicit conversion to a NumPy array is not allowed"


def test_strict_array_refuses_implicit_conversion():
    s = StrictArray(np.arange(4.0))
    for convert in (np.asarray, np.array, lambda t: np.array([t, t])):
        with pytest.raises(TypeError, match=_CUPY_TEXT):
            convert(s)
    for mix in (
        lambda: s + np.ones(4),
        lambda: np.ones(4) * s,
        lambda: np.concatenate([s, np.ones(2)]),
        lambda: np.maximum(s, np.zeros(4)),
        lambda: s + [1.0, 2.0, 3.0, 4.0],
    ):
        with pytest.raises(TypeError, match="Unsupported type"):
            mix()
    with pytest.raises(TypeError, match="only"):
        float(s)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(s > 1)
    with pytest.raises(TypeError, match="Unsupported type"):
        s[0:2] = np.ones(2)
    assert not isinstance(s, np.ndarray)


def test_strict_array_works_through_numpy():
    s = StrictArray(np.array([[1.0, -2.0], [3.0, 4.0]]))
    for out in (
        np.sin(s),
        np.sum(s, axis=0),
        np.zeros_like(s),
        s.sum(),
        s.T @ s,
        s * 2.0 + 1,
        2.0 - s,
        np.float64(2.0) * s,
        np.where(s > 0, s, 0.0),
        np.linalg.inv(s),
        np.einsum("ij,j->i", s, s[0]),
        s[0],
        s[0, 1],
        s[s > 0],
        s[[1, 0]],
        np.broadcast_to(s[0], (3, 2)),
    ):
        assert isinstance(out, StrictArray), type(out)
    assert all(isinstance(t, StrictArray) for t in np.split(s, 2))
    assert [r.shape for r in s] == [(2,), (2,)]
    assert float(s[1, 0]) == 3.0 and bool(s[0, 0] > 0) and int(s[1, 1]) == 4 and len(s) == 2
    np.testing.assert_array_equal(abs(s).get(), np.abs(s.get()))
    t = s.copy()
    t[0] = 0.0
    t[1, :] += 1.0
    t *= 2.0
    np.testing.assert_array_equal(t.get(), [[0.0, 0.0], [8.0, 10.0]])
    rows = StrictArray(np.array([0, 0]))
    np.add.at(t, (rows, rows + 1), StrictArray(np.array([1.0, 2.0])))
    assert t.get()[0, 1] == 3.0
    with pytest.raises(TypeError):  # CuPy's ufunc.at declines list indices (seen on a GPU)
        np.add.at(t, ([0, 0], [1, 1]), StrictArray(np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="zero-dim"):  # and CuPy's tensordot a 0-d operand
        np.tensordot(s[0, 0], s, axes=([], []))
    assert isinstance(np.asarray(np.ones(2), like=s), StrictArray)  # explicit copy in
    assert s.astype(np.float32).dtype == np.float32 and s.reshape(4).shape == (4,)
    for name in ("mean", "max", "min", "prod", "var", "std", "ravel", "flatten", "cumsum"):
        assert isinstance(getattr(s, name)(), StrictArray), name
    assert s.dot(s).shape == (2, 2) and s.clip(0, 1).shape == (2, 2)
    assert s.squeeze().shape == (2, 2) and s.repeat(2).shape == (8,)
    assert s.tolist() == [[1.0, -2.0], [3.0, 4.0]] and s[0, 0].item() == 1.0
    assert repr(s[0]) == "StrictArray([ 1., -2.])"
    assert unstrict(strict({"p": [np.ones(1)]}))["p"][0].dtype == np.float64
