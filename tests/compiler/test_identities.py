"""Adjoint products simplified with the identities of their factors' bindings
(compiler/identities.py), checked three ways:

* the pass alone on random straight-line programs of sigmoids written out, reciprocals,
  ``c +- x`` bindings and products, sums and quotients of them (arrays of two shapes
  that broadcast, integer arrays among them): the same values as before the pass (to
  rounding, NaN where NaN), the same dtypes and shapes, never more operations, and
  nothing rewritten before the sweep's start;
* whole gradients of random losses of a sigmoid (cross-entropies, squares, products
  with ``1 - p``, a reciprocal) in float64 against central differences and against
  the gradient with the pass off; in float32 with the pass off's dtype and code;
* the logistic regression of benchmarks/bench_styles.py (``dz = y - p``) and the
  cases where nothing may change: a name bound twice, an item written, a narrower
  dtype, a cancelled factor that broadcast the result.
"""

import ast

import gast
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler import identities
from srcad.compiler.identities import simplify_products
from srcad.compiler.negations import floating_names

from .genload import load

PARAMS = ("a", "b", "k")  # k: an integer array


# -- the pass alone ---------------------------------------------------------------------


def _expr(draw, names, depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(list(names) + ["2.0", "0.5", "-1.5", "3"]))
    form = draw(
        st.sampled_from(
            ["{} * {}", "{} * {}", "{} + {}", "{} - {}", "{} / {}", "-{}", "({} * {}) * {}"]
        )
    )
    parts = [_expr(draw, names, depth - 1) for _ in range(form.count("{}"))]
    return "(" + form.format(*parts) + ")"


@st.composite
def straight_programs(draw):
    """``def f(a, b, k): ...``, each name bound once; returns (source, sweep start)."""
    live = list(PARAMS)
    lines = []
    start = None
    for i in range(draw(st.integers(4, 16))):
        if start is None and i >= 2 and draw(st.booleans()):
            start = len(lines)
        kind = draw(st.sampled_from(["sigmoid", "affine", "recip", "expr", "expr", "expr"]))
        x = draw(st.sampled_from(live))
        if kind == "sigmoid":  # (or, one number in three changed, an impostor)
            one = draw(st.sampled_from(["1.0", "1"]))
            c1, c2, c3 = (draw(st.sampled_from([one, one, "2.0"])) for _ in range(3))
            lines += [
                f"n{i} = -{x}",
                f"e{i} = np.exp(n{i})",
                f"s{i} = {c1} + e{i}" if draw(st.booleans()) else f"s{i} = e{i} + {c1}",
                f"p{i} = {c2} / s{i}",
                f"q{i} = {c3} - p{i}",
            ]
            live += [f"e{i}", f"s{i}", f"p{i}", f"q{i}"]
        elif kind == "affine":
            c = draw(st.sampled_from(["1.0", "2.0", "-0.5"]))
            lines.append(
                draw(
                    st.sampled_from(
                        [f"t{i} = {c} - {x}", f"t{i} = {x} + {c}", f"t{i} = {c} + {x}"]
                    )
                )
            )
            live.append(f"t{i}")
        elif kind == "recip":
            lines.append(
                f"r{i} = {draw(st.sampled_from(['1.0', '2.0', '1e200']))} / {x}"
            )  # (1e200: coefficients near overflow)
            live.append(f"r{i}")
        else:
            lines.append(f"v{i} = {_expr(draw, live, 3)}")
            live.append(f"v{i}")
    if start is None:
        start = len(lines)
    out = live[len(PARAMS) :] or ["a"]
    lines.append(f"return [{', '.join(out)}]")
    return "def f(a, b, k):\n" + "\n".join("    " + ln for ln in lines), start


ENVS = {
    "same": lambda r: {"a": r.uniform(0.3, 2.0, 6), "b": r.uniform(-2.0, 2.0, 6)},
    "broadcast": lambda r: {"a": r.uniform(0.3, 2.0, (4, 6)), "b": r.uniform(-2.0, 2.0, 6)},
    "column": lambda r: {"a": r.uniform(0.3, 2.0, (4, 1)), "b": r.uniform(-2.0, 2.0, (4, 6))},
}
KS = {  # k: integers, small or wrapping in a product (int8), or booleans
    "int64": lambda r, n: r.integers(1, 4, n),
    "int8": lambda r, n: r.integers(-60, 60, n).astype(np.int8),
    "int64 wrapping": lambda r, n: r.integers(2**40, 2**41, n),
    "bool": lambda r, n: r.random(n) < 0.5,
}


def _values(src, env):
    """The value of every name of program ``src`` (each argument copied)."""
    ns = {"np": np, "float32": np.float32}
    head, _, last = src.rpartition("\n    return ")
    body = f"{head}\n    _out = {last}\n    return locals()"
    exec(compile(body, "<prog>", "exec"), ns)  # noqa: S102
    with np.errstate(all="ignore"):
        out = ns["f"](**{k: v.copy() for k, v in env.items()})
    out.pop("_out", None)
    return out


def _ops(fdef):
    return sum(
        1 for n in ast.walk(gast.gast_to_ast(fdef)) if isinstance(n, (ast.BinOp, ast.UnaryOp))
    )


def _same(g, w, rtol=1e-9):
    g, w = np.asarray(g), np.asarray(w)
    if g.dtype != w.dtype or g.shape != w.shape:
        return False
    finite = np.isfinite(w) & (np.abs(w) < 1e100)
    if not np.all(np.isfinite(g[finite])):
        return False
    scale = max(1.0, float(np.max(np.abs(w[finite]), initial=0.0)))
    return bool(np.allclose(g[finite], w[finite], rtol=rtol, atol=rtol * scale))


def _magnitude(e, values, defs, depth=0):
    """A first-order bound on the rounding error of ``e`` in units of the precision
    (``(value, bound)``), through the arithmetic bindings ``defs``: a cancellation's
    condition, and a division by one, included."""
    if isinstance(e, ast.Constant):
        v = float(e.value)
        return v, abs(v)
    if isinstance(e, ast.Name):
        v = np.asarray(values[e.id], dtype=np.float64)  # (an int8 square would wrap)
        if e.id in defs and depth < 12:
            return v, _magnitude(defs[e.id], values, defs, depth + 1)[1]
        return v, np.abs(v)
    if isinstance(e, ast.UnaryOp):
        v, m = _magnitude(e.operand, values, defs, depth)
        return -v, m
    (a, ma), (b, mb) = (_magnitude(x, values, defs, depth) for x in (e.left, e.right))
    if isinstance(e.op, ast.Add):
        v, m = a + b, ma + mb
    elif isinstance(e.op, ast.Sub):
        v, m = a - b, ma + mb
    elif isinstance(e.op, ast.Mult):
        v, m = a * b, ma * np.abs(b) + np.abs(a) * mb
    else:
        v, m = a / b, ma / np.abs(b) + np.abs(a) * mb / (b * b)
    return v, m + np.abs(v)


def _arith_defs(fdef):
    """name -> value of the bindings of ``fdef`` made of ``+ - * /``, names, numbers."""
    out = {}
    for s in ast.parse(ast.unparse(gast.gast_to_ast(fdef))).body[0].body:
        if isinstance(s, ast.Assign) and isinstance(s.value, (ast.BinOp, ast.UnaryOp)):
            kinds = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.operator, ast.unaryop)
            if all(isinstance(n, (*kinds, ast.Load)) for n in ast.walk(s.value)):
                out[s.targets[0].id] = s.value
    return out


def _check_rewrites(old_fdef, new_fdef, values, start):
    """Every statement the same but the rewritten ones, each of which gives, from the
    values the old program had, its old value to rounding (and its dtype and shape)."""
    old = [ast.unparse(gast.gast_to_ast(s)) for s in old_fdef.body]
    new = [ast.unparse(gast.gast_to_ast(s)) for s in new_fdef.body]
    assert len(old) == len(new)
    defs = _arith_defs(old_fdef)
    rewritten = 0
    for i, (o, n) in enumerate(zip(old, new)):
        if o == n:
            continue
        rewritten += 1
        assert i >= start, (o, n)  # (the primal keeps its bits)
        stmt = ast.parse(n).body[0]
        target = stmt.targets[0].id
        with np.errstate(all="ignore"):
            expr = compile(ast.Expression(stmt.value), "<new>", "eval")
            got = eval(expr, {"np": np}, dict(values))  # noqa: S307
            scale = _magnitude(defs[target], values, defs)[1]
            scale = scale + _magnitude(stmt.value, values, defs)[1]
        want = values[target]
        got, want = np.asarray(got), np.asarray(want)
        assert got.dtype == want.dtype and got.shape == want.shape, (o, n)
        scale = np.broadcast_to(scale, want.shape)
        ok = np.isfinite(want) & np.isfinite(scale) & (scale < 1e250)
        assert np.all(np.isfinite(got[ok])), (o, n)
        assert np.all(np.abs(got - want)[ok] <= 1e-12 * scale[ok] + 1e-300), (o, n)
    return rewritten


def _rewritten(src, start, env):
    """The number of statements the pass rewrote in ``src``, each checked."""
    values = _values(src, env)
    fdef = gast.parse(src).body[0]
    old_fdef = gast.parse(src).body[0]
    shapes = {n: np.shape(v) for n, v in values.items()}
    floating = floating_names(fdef, frozenset(p for p in PARAMS if env[p].dtype.kind == "f"))
    before = _ops(fdef)
    small = frozenset(p for p in PARAMS if env[p].dtype.itemsize < 4)  # (the driver's)
    simplify_products(fdef, start, shapes, floating, frozenset(), small=small)
    assert _ops(fdef) <= before
    return _check_rewrites(old_fdef, fdef, values, start)


REWRITES = []  # (how many statements each random program had rewritten)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    straight_programs(),
    st.sampled_from(sorted(ENVS)),
    st.sampled_from(sorted(KS)),
    st.integers(0, 2**32 - 1),
)
def test_the_pass_keeps_every_value(program, env_kind, k_kind, seed):
    src, start = program
    rng = np.random.default_rng(seed)
    env = ENVS[env_kind](rng)
    env["k"] = KS[k_kind](rng, env["b"].shape[-1:])
    try:
        _values(src, env)
    except (ValueError, ZeroDivisionError, TypeError):
        return  # (shapes that do not broadcast, an integer division by zero, -bool)
    REWRITES.append(_rewritten(src, start, env))


def test_the_random_programs_do_get_rewritten():
    """(run after the test above, in file order: its check is not vacuous)"""
    if len(REWRITES) < 100:
        pytest.skip("the random programs' test did not run before this one")
    assert sum(1 for r in REWRITES if r) >= len(REWRITES) // 20


def _simplified(src, start, **arrays):
    values = _values(src, arrays)
    fdef = gast.parse(src).body[0]
    shapes = {n: np.shape(v) for n, v in values.items()}
    floating = floating_names(fdef, frozenset(n for n, v in arrays.items() if v.dtype.kind == "f"))
    changed = simplify_products(fdef, start, shapes, floating, frozenset())
    return changed, ast.unparse(gast.gast_to_ast(fdef))


SIGMOID_BCE = """def f(z, y):
    n = -z
    e = np.exp(n)
    s = 1.0 + e
    p = 1.0 / s
    sy = 1.0 - y
    sp = 1.0 - p
    dsp = sy / sp
    dp = y * s - dsp
    dz = dp * p * p * e
    return dz"""


def test_the_cross_entropy_of_a_sigmoid_is_y_minus_p():
    z, y = np.linspace(-3, 3, 7), np.array([0.0, 1, 1, 0, 1, 0, 0])
    changed, out = _simplified(SIGMOID_BCE, 6, z=z, y=y)
    assert changed
    assert out.splitlines()[-2].strip() in ("dz = y - p", "dz = -p + y")


@pytest.mark.parametrize(
    "hazard, start",
    [
        ("    p = p * 1.0\n", 5),  # (bound twice)
        ("    sp[0] = 0.5\n", 6),  # (an item written)
        ("    w = np.multiply(sp, 0.5, out=sp)\n", 6),  # (written through out=)
        ("    y = y.astype(np.float32)\n", 6),  # (a narrower dtype named)
        ("    y = float32(y)\n", 6),  # (the same, imported)
        ("    y = np.asarray(y, 'f4')\n", 6),  # (the same, as a string)
    ],
)
def test_nothing_changes_where_a_value_may_differ(hazard, start):
    lines = SIGMOID_BCE.splitlines()
    src = "\n".join(lines[: start + 1]) + "\n" + hazard + "\n".join(lines[start + 1 :])
    z, y = np.linspace(-3, 3, 7), np.array([0.0, 1, 1, 0, 1, 0, 0])
    changed, _ = _simplified(src, start + 2, z=z, y=y)
    assert not changed
    changed, _ = _simplified(SIGMOID_BCE, start + 1, z=z, y=y)  # (without it: changed)
    assert changed


def test_a_cancelled_factor_that_broadcast_the_result_stays():
    src = """def f(a, x):
    r = 1.0 / x
    t = a * x
    v = t * r
    return v"""
    a, x = np.ones(3), np.full((4, 3), 2.0)
    changed, out = _simplified(src, 1, a=a, x=x)
    assert not changed, out
    # (the same shapes, but the result would be ``v = a``: a second name for an array)
    changed, out = _simplified(src, 1, a=np.ones((4, 3)), x=x)
    assert not changed, out
    # (the same shapes: a, which is not written as a bare name, times the number)
    changed, out = _simplified(src.replace("1.0 / x", "2.0 / x"), 1, a=np.ones((4, 3)), x=x)
    assert changed and out.splitlines()[-2].strip() == "v = a * 2.0", out


# -- whole gradients --------------------------------------------------------------------

TERMS = [
    "y * np.log(p)",
    "(1.0 - y) * np.log(1.0 - p)",
    "p * p",
    "p * (1.0 - p) * y",
    "(p - y) ** 2",
    "np.log(1.0 - p) * 0.5",
    "y / p",
    "p * z",
    "np.log(p * y + (1.0 - p) * (1.0 - y))",
]
SIGMOIDS = [
    "1.0 / (1.0 + np.exp(-z))",
    "1 / (1 + np.exp(-z))",
    "1.0 / (np.exp(-z) + 1.0)",
    "2.0 / (1.0 + np.exp(-z))",
]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(SIGMOIDS),
    st.lists(
        st.tuples(st.sampled_from(TERMS), st.sampled_from(["+", "-"])), min_size=1, max_size=4
    ),
    st.sampled_from(["np.mean", "np.sum"]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_random_sigmoid_losses(tmp_path_factory, sigmoid, terms, reduce, bias, seed):
    if sigmoid.startswith("2.0"):
        terms = [(t, s) for t, s in terms if "1.0 - p" not in t] or [("p * p", "+")]
    total = " ".join(f"{s} {t}" for t, s in terms)
    src = (
        "import numpy as np\n\n\ndef f(w, X, y, c):\n"
        f"    z = np.dot(X, w){' + c' if bias else ''}\n"
        f"    p = {sigmoid}\n"
        f"    return {reduce}({total})\n"
    )
    f = load(src, tmp_path_factory.mktemp("ids"), "ids")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 5))
    w, c = 0.3 * rng.standard_normal(5), 0.1
    y = (rng.random(40) < 0.5).astype(np.float64)
    off = _without_the_pass(f, w, X, y, c)
    g = srcad.grad(f, 0, mode="source")
    got = g(w, X, y, c)
    np.testing.assert_allclose(got, off, rtol=1e-9, atol=1e-12 * np.max(np.abs(off)))
    v, eps = rng.standard_normal(5), 1e-6
    fd = (f(w + eps * v, X, y, c) - f(w - eps * v, X, y, c)) / (2 * eps)
    assert abs(fd - got @ v) <= 1e-6 * (1.0 + abs(fd))
    # float32: the pass stays off (every value float64 is its condition), bit for bit
    X32, w32, y32 = X.astype(np.float32), w.astype(np.float32), y.astype(np.float32)
    want32 = _without_the_pass(f, w32, X32, y32, c)
    got32 = srcad.grad(f, 0, mode="source")(w32, X32, y32, c)
    assert got32.dtype == np.float32
    assert np.array_equal(got32, want32)


def _without_the_pass(f, *args):
    """``f``'s gradient built with the pass switched off (the cache emptied before and
    after: a gradient built with it on would be found there, and the other way)."""
    try:
        identities.ENABLED = False
        srcad.clear_cache()
        return srcad.grad(f, 0, mode="source")(*args)
    finally:
        identities.ENABLED = True
        srcad.clear_cache()


def test_the_logistic_regression_of_the_benchmark():
    def lr_a(w, X, y):
        z = np.dot(X, w)
        p = 1.0 / (1.0 + np.exp(-z))
        return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))

    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((200, 10)), 0.1 * rng.standard_normal(10)
    y = (rng.random(200) < 0.5).astype(np.float64)
    g = srcad.grad(lr_a, 0, mode="source")
    got = g(w, X, y)
    src = g.source if isinstance(g.source, str) else g.source()
    assert "dz = y - p" in src and "shifted_y" not in src, src
    p = 1.0 / (1.0 + np.exp(-X @ w))
    np.testing.assert_allclose(got, X.T @ (p - y) / 200, rtol=1e-12)
    value, grad = srcad.value_and_grad(lr_a, 0, mode="source")(w, X, y)
    assert value == lr_a(w, X, y)  # (the primal keeps its bits)
    np.testing.assert_allclose(grad, got, rtol=1e-13)


def test_no_coefficient_that_overflows():
    src = """def f(a, x):
    r = 1e200 / x
    t = a * x
    u = t * x
    v = u * r * r
    return v"""
    a, x = np.full(3, 0.5), np.full(3, 1e200)
    changed, out = _simplified(src, 1, a=a, x=x)
    assert not changed, out  # (a * 1e400 would be a * inf)
    changed, out = _simplified(src.replace("1e200", "2.0"), 1, a=a, x=x)
    assert changed and out.splitlines()[-2].strip() == "v = a * 4.0", out


def test_an_integer_product_that_wraps_stays():
    src = """def f(z, k):
    n = -z
    e = np.exp(n)
    s = 1.0 + e
    p = 1.0 / s
    q = 1.0 - p
    v = k * k * e * p
    return v"""
    z, k = np.linspace(-2, 2, 5), np.full(5, 2**40)
    changed, out = _simplified(src, 5, z=z, k=k)
    assert not changed, out  # (k * k wraps in int64; q * k * k would not)
    changed, out = _simplified(src.replace("k * k * e", "k * e * k"), 5, z=z, k=k)
    assert changed and out.splitlines()[-2].strip() == "v = q * k * k", out
