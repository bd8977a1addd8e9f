"""Signs that cancel (compiler/negations.py), checked three ways:

* ``lift`` on random expression trees of ``+ - * /``, unary minus, ``//``, ``**``,
  the two logistic helpers, numbers and names gives bit-identical results on arrays
  holding signed zeros, infinities, NaN, tiny and huge values (the exactness the
  module claims);
* ``cancel_negations`` on random straight-line programs of temporaries (some read
  once, some twice, some bound again, a stack popped between): the same values, bit
  for bit, as the program before the pass, and never more signs;
* whole gradients with the signs the templates make (logistic loss, a subtraction
  chain) against central finite differences, with the signs gone from the code.
"""

import ast
import math

import gast
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad import runtime as _rt
from srcad.compiler import factors, identities
from srcad.compiler.negations import cancel_negations, lift, signs, surely_floating

from .fdcheck import fd

NAMES = ("a", "b", "c", "d")
SPECIAL = np.array(
    [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-310, -1e308, 3.0, -7.0, 0.5]
)


@pytest.fixture(autouse=True)
def _exact_passes_only(monkeypatch):
    """The comparisons here are bit for bit with the unoptimized code: the sign pass is
    exact.  factors.py is not (on purpose; tests/compiler/test_scalar_factors.py)."""
    monkeypatch.setattr(factors, "ENABLED", False)
    srcad.clear_cache()
    yield
    srcad.clear_cache()


def _env(seed):
    rng = np.random.default_rng(seed)
    return {n: rng.permutation(SPECIAL) for n in NAMES}


def _same(x, y):
    x, y = np.asarray(x), np.asarray(y)
    return (
        x.shape == y.shape
        and np.array_equal(x, y, equal_nan=True)
        and np.array_equal(np.signbit(x[~np.isnan(x)]), np.signbit(y[~np.isnan(y)]))
    )


# -- expression trees -----------------------------------------------------------------


def _name(n):
    return gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)


leaves = st.one_of(
    st.sampled_from(NAMES).map(_name),
    st.sampled_from([0.0, 2.0, -3.0, 0.5, 1, 2]).map(lambda v: gast.Constant(value=v, kind=None)),
)


def _rt_call(fname, arg):
    func = gast.Attribute(value=_name("_rt"), attr=fname, ctx=gast.Load())
    return gast.Call(func=func, args=[arg], keywords=[])


def _extend(children):
    ops = st.sampled_from([gast.Add, gast.Sub, gast.Mult, gast.Div, gast.FloorDiv])
    return st.one_of(
        children.map(lambda e: gast.UnaryOp(op=gast.USub(), operand=e)),
        st.tuples(st.sampled_from(["logistic", "logistic_neg"]), children).map(
            lambda t: _rt_call(*t)
        ),
        st.tuples(children, ops, children).map(
            lambda t: gast.BinOp(left=t[0], op=t[1](), right=t[2])
        ),
    )


exprs = st.recursive(leaves, _extend, max_leaves=10)


def _eval(e, env):
    tree = gast.gast_to_ast(gast.Expression(body=e))
    ast.fix_missing_locations(tree)
    with np.errstate(all="ignore"):
        return eval(compile(tree, "<expr>", "eval"), {"_rt": _rt}, dict(env))


@settings(max_examples=1500, deadline=None)
@given(exprs, st.integers(0, 3))
def test_lift_is_exact(e, seed):
    env = _env(seed)
    lifted = lift(e, lambda x: surely_floating(x, set(NAMES)))  # (names hold floats)
    assert signs(lifted) <= signs(e)
    try:  # (numbers alone divide as Python floats: the same error both ways)
        want = _eval(e, env)
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            _eval(lifted, env)
        return
    assert _same(_eval(lifted, env), want)


# -- straight-line programs -------------------------------------------------------------

_TEMPLATE_OPS = [
    "-{x}",
    "-{x} * {y}",
    "{x} * -{y}",
    "-{x} / {y}",
    "{x} + {y}",
    "{x} - {y}",
    "-{x} - {y}",
    "{x} * 0.25",
    "-({x} * 2.0)",
    "{x} / -4.0",
    "np.sin({x})",
    "{x} - -{y}",
    "_rt.logistic(-{x})",
    "_rt.logistic_neg({x}) * {y}",
    "2.0 * _rt.logistic({x} - {y})",
]


@st.composite
def programs(draw):
    """``def f(a, b, c, d): ...`` of temporaries, returning a list of them all."""
    live = list(NAMES)
    lines = ["_stack = [a, b, c, d] * 3"]  # (at most 9 pops)
    n = draw(st.integers(2, 9))
    made = []
    for k in range(n):
        expr = draw(st.sampled_from(_TEMPLATE_OPS)).format(
            x=draw(st.sampled_from(live)), y=draw(st.sampled_from(live))
        )
        kind = draw(st.sampled_from(["new", "new", "again", "pop"]))
        if kind == "again" and made:
            target = draw(st.sampled_from(made))  # bound a second time
        else:
            target = f"t{k}"
        if kind == "pop":
            lines.append(f"p{k} = _stack.pop()")
            live.append(f"p{k}")
        lines.append(f"{target} = {expr}")
        if target not in live:
            live.append(target)
            made.append(target)
    out = draw(st.lists(st.sampled_from(live[4:] or live), min_size=1, max_size=3))
    lines.append(f"return [{', '.join(out)}]")
    return "def f(a, b, c, d):\n" + "\n".join("    " + ln for ln in lines)


def _run(src, env):
    ns = {"np": np, "_rt": _rt}
    exec(compile(src, "<prog>", "exec"), ns)
    with np.errstate(all="ignore"):
        return ns["f"](**{k: v.copy() for k, v in env.items()})


@settings(max_examples=600, deadline=None)
@given(programs(), st.integers(0, 4))
def test_cancel_negations_keeps_every_value(src, seed):
    env = _env(seed) if seed < 4 else INTS  # (seed 4: integer arrays, uint8 among them)
    try:
        want = _run(src, env)
    except (TypeError, OverflowError):
        return  # (NumPy refuses some integer mixes)
    fdef = gast.parse(src).body[0]
    before = signs(fdef)
    cancel_negations(fdef, protected=())
    assert signs(fdef) <= before
    new_src = ast.unparse(gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[])))
    got = _run(new_src, env)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert _same(g, w), new_src


INTS = {
    "a": np.array([-128, 127, 0, 5, -1, 64], dtype=np.int8),
    "b": np.array([200, 1, 0, 255, 128, 7], dtype=np.uint8),
    "c": np.array([0.0, -0.0, 2.5, np.inf, -3.0, 1e-310]),
    "d": np.array([-(2**63), 3, -4, 2**62, 0, -1], dtype=np.int64),
}


@settings(max_examples=1500, deadline=None)
@given(exprs)
def test_lift_leaves_integer_signs(e):
    """``-u * 0.5`` of a uint8 ``u`` is not ``u * -0.5``: on integer arrays (their
    minimum, unsigned values) a sign stays where it is, with the default predicate
    and with the names' own (only ``c`` is floating)."""
    with np.errstate(all="ignore"):
        try:
            want = _eval(e, INTS)
        except (ZeroDivisionError, TypeError, OverflowError):
            return  # (NumPy refuses some integer mixes; not ours to keep)
        for floating in (None, lambda x: isinstance(x, gast.Name) and x.id == "c"):
            assert _same(_eval(lift(e, floating), INTS), want)


def test_uint8_data_in_a_gradient():
    def f(w, u):
        return np.sum(w * (-u * 0.5)) - np.sum(-u / 4.0 * w)

    w = np.array([0.5, -1.0, 2.0])
    u = np.array([200, 3, 128], dtype=np.uint8)
    want = (-u) * 0.5 - (-u) / 4.0  # NumPy's own arithmetic: -u wraps
    for mode in ("source", "tape"):
        np.testing.assert_allclose(srcad.grad(f, mode=mode)(w, u), want, rtol=1e-15)


def _rewritten(src, **kw):
    """``(fdef, code)``: the one function of ``src`` after the pass."""
    fdef = gast.parse(src).body[0]
    cancel_negations(fdef, **kw)
    return fdef, ast.unparse(gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[])))


def scaled_data(w, u):
    return np.sum(w * (-u * 0.5)) + np.sum(np.logaddexp(0.0, -u * w))


def test_the_same_shape_with_float_then_integer_data():
    """The specialization knows whether ``u`` holds floats: a version made for a float
    ``u`` (its sign moved) is never run for a uint8 ``u`` of the same shape."""
    w = np.array([0.5, -1.0, 2.0])
    g = srcad.grad(scaled_data, mode="source")
    for u in (np.array([200.0, 3.0, 128.0]), np.array([200, 3, 128], dtype=np.uint8)):
        for _ in range(2):  # (the second call takes the cheap path)
            want = (-u) * 0.5 + (-u) / (1.0 + np.exp(-((-u) * w)))  # (-u: NumPy wraps)
            np.testing.assert_allclose(g(w, u), want, rtol=1e-12)


def test_a_chain_of_signs_cancels():
    src = (
        "def f(dp, p, s, e, q):\n"
        "    dshifted = -dp * p / s\n"
        "    dneg = dshifted * e\n"
        "    dz = -dneg\n"
        "    dq = -q\n"
        "    dq = dq + dz\n"
        "    return dq\n"
    )
    fdef, code = _rewritten(src, float_params={"dp", "p", "s", "e", "q"})
    assert signs(fdef) == 0, code
    assert "dz - q" in code or "dp * p / s * e - q" in code, code


def test_a_temporary_read_twice_keeps_its_sign():
    src = "def f(a, b):\n    t = -a\n    u = t * b\n    return u + t\n"
    fdef, code = _rewritten(src)
    assert "t = -a" in code


def test_a_sign_goes_back_to_a_number_and_renames_on_the_way():
    src = (
        "def f(x, y, e):\n"
        "    ds = 1.0 / x.shape[0]\n"
        "    dt = ds / e\n"
        "    dm = -dt\n"
        "    return dm * y\n"
    )
    fdef, code = _rewritten(src)
    assert signs(fdef) == 0, code
    assert "neg_ds = -1.0 / x.shape[0]" in code and "neg_dt = neg_ds / e" in code, code
    x, y, e = np.arange(4.0), np.array([2.0, -3.0]), np.array([0.5, -0.25])
    ns = {}
    exec(code, ns)
    assert _same(ns["f"](x, y, e), -(1.0 / 4 / e) * y)


def test_no_carry_past_a_write():
    """A statement that can write into an array (here an item store) stops the carry."""
    src = "def f(a, b):\n    t = -a\n    a[0] = 5.0\n    return [b + t]\n"
    fdef, code = _rewritten(src)
    assert "t = -a" in code


# -- whole gradients -----------------------------------------------------------------------


def margin_loss(w, X, y):
    margins = y * np.dot(X, w)
    return np.sum(np.log(1.0 + np.exp(-margins))) / X.shape[0]


def logaddexp_loss(w, X, y):
    z = X.dot(w)
    return np.mean(np.logaddexp(0, -y * z))


@pytest.mark.parametrize("f", [margin_loss, logaddexp_loss])
def test_signs_taken_by_numbers(f):
    """margin_loss's sign goes back to the 1 of 1 / n; logaddexp_loss's ``-y`` stays
    (``y`` might be an integer array: its sign is not ours to move)."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((50, 4))
    w = 0.5 * rng.standard_normal(4)
    y = np.where(rng.random(50) < 0.5, -1.0, 1.0)
    g = srcad.grad(f, mode="source")
    got = g(w, X, y)
    assert "= -d" not in g.source, g.source
    if f is margin_loss:
        assert "neg_d" in g.source, g.source
    np.testing.assert_allclose(got, fd(f, (w, X, y), 0), rtol=1e-7, atol=1e-10)
    assert _same(got, srcad.grad(f, mode="source", optimize=False)(w, X, y))


def logistic_loss(w, X, y):
    z = np.dot(X, w)
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def differences(x, c):
    for _ in range(4):
        x = np.tanh(x * c + 0.1) - x * x * 0.01 - (c - x) / 3.0
    return np.sum(x)


def scalar_signs(a, b):
    t = -(a * b) - math.sin(-a)
    return -t / (b - a)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_loss(dtype):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    w = (0.3 * rng.standard_normal(5)).astype(dtype)
    y = (rng.random(40) < 0.5).astype(float)
    g = srcad.grad(logistic_loss, mode="source")
    got = g(w, X, y)
    backward = g.source.split("# Grad of", 1)[1]
    assert "-dp" not in backward, g.source
    if dtype == np.float64:  # (a float32 argument: the seed is the value's own, a name)
        assert "= -d" not in backward, g.source
    want = fd(logistic_loss, (w.astype(float), X, y), 0)
    tol = 1e-8 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_differences_and_scalars():
    rng = np.random.default_rng(4)
    x, c = rng.standard_normal(6), rng.standard_normal(6)
    for argnum in (0, 1):
        got = srcad.grad(differences, wrt=argnum, mode="source")(x, c)
        np.testing.assert_allclose(got, fd(differences, (x, c), argnum), rtol=1e-7, atol=1e-9)
    got = srcad.grad(scalar_signs, wrt=(0, 1), mode="source")(0.7, 1.9)
    for k in (0, 1):
        np.testing.assert_allclose(got[k], fd(scalar_signs, (0.7, 1.9), k), rtol=1e-7)


def test_same_numbers_as_without_the_pass(monkeypatch):
    """The optimized gradient equals the unoptimized one bit for bit on these, but for
    the algebra of identities.py (``y - p`` for the chain rule's steps), which rounds as
    a hand-written gradient does."""
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((30, 4)), (rng.random(30) < 0.5).astype(float)
    w = rng.standard_normal(4)
    b = srcad.grad(logistic_loss, mode="source", optimize=False)(w, X, y)
    a = srcad.grad(logistic_loss, mode="source")(w, X, y)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-16)
    monkeypatch.setattr(identities, "ENABLED", False)
    srcad.clear_cache()  # (the gradient above is cached: built again without the pass)
    a = srcad.grad(logistic_loss, mode="source")(w, X, y)
    srcad.clear_cache()
    assert _same(a, b)


# -- the logistic pair: a sign goes into the name -------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([np.float64, np.float32, np.float16]),
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, 709.7, 709.8, -745.0, 88.7, 1e-310, -36.0, 37.0]),
        ),
        min_size=0,
        max_size=8,
    ),
    st.sampled_from(["array", "0-d", "number", "scalar"]),
)
def test_logistic_neg_is_logistic_of_minus_bit_for_bit(dtype, values, form):
    with np.errstate(all="ignore"):
        t = np.array(values, dtype=dtype)
    if form != "array":
        if not values:
            return
        t = t[0] if form == "scalar" else np.array(t[0]) if form == "0-d" else float(t[0])
    with np.errstate(all="ignore"):
        want = _rt.logistic(-t)
    got = _rt.logistic_neg(t)
    assert type(got) is type(want)
    assert _same(got, want)
    if form == "array":
        assert got.dtype == want.dtype


def logaddexp_negated(w, X):
    z = X @ w
    return np.sum(np.logaddexp(0.0, -z))


def test_logaddexp_of_a_negation_reads_logistic_neg():
    """The adjoint of ``np.logaddexp(0.0, -z)`` is ``logistic(-z)``: written as
    ``logistic_neg(z)`` (no pass negates z twice), the same numbers as without the
    passes, and finite differences agree; its own derivatives (hessian, hvp) too."""
    rng = np.random.default_rng(8)
    X, w = rng.standard_normal((30, 4)), rng.standard_normal(4)
    g = srcad.grad(logaddexp_negated, mode="source")
    got = g(w, X)
    code = [ln for ln in g.source.splitlines() if not ln.strip().startswith("#")]
    assert "_rt.logistic_neg(z)" in g.source and "-z" not in "\n".join(code), g.source
    assert _same(got, srcad.grad(logaddexp_negated, mode="source", optimize=False)(w, X))
    np.testing.assert_allclose(got, fd(logaddexp_negated, (w, X), 0), rtol=1e-8, atol=1e-10)
    # d2/dw2 = X.T diag(s(z) s(-z)) X, by hand
    z = X @ w
    s = 1.0 / (1.0 + np.exp(-z))
    want_h = X.T @ (X * (s * (1.0 - s))[:, None])
    h = srcad.hessian(logaddexp_negated, mode="source")(w, X)
    np.testing.assert_allclose(h, want_h, rtol=1e-9, atol=1e-12)
    v = rng.standard_normal(4)
    hv = srcad.hvp(logaddexp_negated, mode="source")(w, X, v)
    np.testing.assert_allclose(hv, want_h @ v, rtol=1e-9, atol=1e-12)


def _logistic_neg_sum(t):
    return np.sum(_rt.logistic_neg(t) * t)


def test_logistic_neg_derivative():
    t = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 40.0])
    got = srcad.grad(_logistic_neg_sum, mode="source")(t)
    s = 1.0 / (1.0 + np.exp(t))  # logistic(-t)
    np.testing.assert_allclose(got, s - t * s * (1.0 - s), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, fd(_logistic_neg_sum, (t,), 0), rtol=1e-7, atol=1e-10)
