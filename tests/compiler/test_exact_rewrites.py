"""Two exact rewrites of generated code (compiler/optimize.py), checked against the
code before them:

* ``drop_float_identities``: ``x - 0.0``, ``x * 1.0``, ``1.0 * x``, ``x / 1.0`` ->
  ``x`` inside an expression, for a floating ``x`` that is never the symbolic zero;
* ``double_repeated_terms``: ``a = E`` then ``a = a + E`` -> ``a = a + a``.

Random straight-line programs over float64 and float32 arrays of signed zeros,
infinities, NaN, subnormal and huge values, integer and boolean arrays, Python
numbers and ``_rt.ZERO``, with these forms planted in them, run before and after the
passes: every value must be the same bit for bit, of the same type and dtype, and
a program that raised must raise the same way.  Then whole gradients whose
templates make these forms, against central finite differences.
"""

import ast

import gast
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
import srcad.runtime as _rt
from srcad.compiler.optimize import double_repeated_terms, drop_float_identities

from .fdcheck import fd

SPECIAL = [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-310, -1e308, 3.0, -7.0, 0.5]
# name -> kind: "f" float array (a floating parameter), "i"/"b" integer/bool array,
# "s" Python float, "n" Python int
PARAMS = {"a": "f", "b": "f", "k": "i", "m": "b", "s": "s", "n": "n"}
FLOATING = frozenset({"a", "b", "s"})
IDENTITY_FORMS = [
    "({}) - 0.0",
    "({}) * 1.0",
    "1.0 * ({})",
    "({}) / 1.0",
    "({}) - -0.0",
    "({}) + 0.0",
]
CALLS = ["np.exp({})", "np.tanh({})", "_rt.logistic({})", "np.sin({})"]


def _leaf(names):
    return st.sampled_from(sorted(names) + ["0.5", "2", "_rt.ZERO"])


@st.composite
def expressions(draw, names, depth=2):
    if depth == 0 or draw(st.booleans()):
        return draw(_leaf(names))
    kind = draw(st.sampled_from(["bin", "ident", "call", "neg"]))
    inner = draw(expressions(names, depth - 1))
    if kind == "bin":
        other = draw(expressions(names, depth - 1))
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({inner} {op} {other})"
    if kind == "ident":
        return draw(st.sampled_from(IDENTITY_FORMS)).format(inner)
    if kind == "call":
        return draw(st.sampled_from(CALLS)).format(inner)
    return f"(-{inner})"


@st.composite
def programs(draw):
    names = set(PARAMS)
    lines = []
    for i in range(draw(st.integers(1, 6))):
        e = draw(expressions(names))
        t = f"t{i}"
        if draw(st.booleans()):  # wrapped, so that the identity is not the whole value
            e = draw(st.sampled_from(IDENTITY_FORMS)).format(e) + " + 0.25"
        lines.append(f"{t} = {e}")
        if draw(st.integers(0, 3)) == 0:  # the x * x adjoint's shape
            r = draw(expressions(names, 1))
            lines += [f"u{i} = {r} * {t}", f"u{i} = u{i} + {r} * {t}"]
            names.add(f"u{i}")
        elif draw(st.integers(0, 5)) == 0:  # ... where E reads the name it binds
            lines += [f"{t} = 2.0 * {t}", f"{t} = {t} + 2.0 * {t}"]
        names.add(t)
    out = ", ".join(sorted(names - set(PARAMS)))
    src = f"def f({', '.join(PARAMS)}):\n" + "".join(f"    {ln}\n" for ln in lines)
    return src + f"    return ({out},)\n"


def _run(fdef, args, dtype):
    mod = gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[]))
    ast.fix_missing_locations(mod)
    env = {"np": np, "_rt": _rt}
    exec(compile(mod, "<program>", "exec"), env)
    with np.errstate(all="ignore"):
        try:
            return env["f"](*args)
        except Exception as exc:  # noqa: BLE001 - compared below, type and text
            return (type(exc), str(exc))


def _args(seed, dtype):
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore"):  # (-1e308 is -inf in float32)
        a = rng.permutation(np.array(SPECIAL, dtype=dtype))
        b = rng.permutation(np.array(SPECIAL, dtype=dtype))
    k = rng.integers(-3, 4, size=len(SPECIAL))
    m = rng.random(len(SPECIAL)) < 0.5
    return a, b, k, m, -0.0, 3


def _same(x, y):
    if type(x) is not type(y):
        return False
    if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], type):
        return x == y
    if isinstance(x, tuple):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y))
    if x is _rt.ZERO or y is _rt.ZERO:
        return x is y
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.dtype != ya.dtype or xa.shape != ya.shape:
        return False
    if xa.dtype.kind not in "fc":
        return np.array_equal(xa, ya)
    return np.array_equal(xa, ya, equal_nan=True) and np.array_equal(
        np.signbit(xa[~np.isnan(xa)]), np.signbit(ya[~np.isnan(ya)])
    )


@settings(max_examples=600, deadline=None)
@given(programs(), st.integers(0, 1000), st.sampled_from([np.float64, np.float32]))
def test_rewrites_keep_every_value_bit_for_bit(src, seed, dtype):
    before = gast.parse(src).body[0]
    after = gast.parse(src).body[0]
    drop_float_identities(after, FLOATING)
    double_repeated_terms(after)
    args = _args(seed, dtype)
    assert _same(_run(before, args, dtype), _run(after, args, dtype)), src


def _source_after(src):
    fdef = gast.parse(src).body[0]
    drop_float_identities(fdef, FLOATING)
    double_repeated_terms(fdef)
    return ast.unparse(gast.gast_to_ast(fdef))


def test_what_is_rewritten_and_what_is_not():
    got = _source_after(
        "def f(a, b, k, m, s, n):\n"
        "    t = _rt.logistic(a - 0.0) + k * 1.0 + (b * 1.0) / 2.0\n"
        "    z = _rt.ZERO * a\n"
        "    w = np.exp(z - 0.0) + (a + 0.0) * 3.0 + (a - -0.0) * 3.0\n"
        "    v = a - 0.0\n"
        "    u = a * b\n"
        "    u = u + a * b\n"
        "    return (t, w, v, u)\n"
    )
    assert "_rt.logistic(a)" in got  # a float parameter
    assert "k * 1.0" in got  # an integer array would become floating
    assert "b / 2.0" in got
    assert "np.exp(z - 0.0)" in got  # z may be the symbolic zero
    assert "(a + 0.0) * 3.0" in got  # -0.0 + 0.0 is +0.0
    assert "(a - -0.0) * 3.0" in got
    assert "v = a - 0.0" in got  # never the whole value: v would share a's array
    assert "u = u + u" in got


def logsumexp_loss(z):
    return np.mean(np.logaddexp(0.0, -z) + 0.3 * z)


def squares(x, c):
    for _ in range(3):
        x = np.tanh(x * c) - x * x * 0.1
    return np.sum(x)


def square_items(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] * x[i] * 0.5
    return total


def test_gradients_against_finite_differences():
    rng = np.random.default_rng(7)
    for f, args in [
        (logsumexp_loss, (rng.standard_normal(6) * 3,)),
        (squares, (rng.standard_normal(5), rng.standard_normal(5))),
        (square_items, (rng.standard_normal(4),)),
    ]:
        g = srcad.grad(f, wrt=0, mode="source")
        got = g(*args)
        np.testing.assert_allclose(got, fd(f, args, 0), rtol=1e-6, atol=1e-8)
        if f is logsumexp_loss:  # (specialized on a float array: z is floating)
            assert "- 0.0" not in g.source
        if f is squares:
            assert "dx = dx + dx" in g.source
