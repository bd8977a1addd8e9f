"""Like terms of an adjoint sum collected (compiler/terms.py), checked three ways:

* the pass alone on random straight-line programs of products, sums and the things
  that make moving a term wrong (a name bound again, an item assigned, a stack popped,
  the sum read in the middle), run on float64, float32 and integer arrays: the same
  values as before the pass (to rounding), the same dtypes and shapes, never more
  operations;
* whole gradients of random functions whose products repeat a factor (``c * x * x``,
  ``x * y * x``, both branches of ``np.where``), in float64 against central finite
  differences and against the gradient with the pass off, and in float32 with the
  dtype of the gradient with the pass off;
* the Huber loss of benchmarks/bench_styles.py and ``0.5 * r * r``: the code a person
  writes (``dr = d * r``), no scaled temporary left.
"""

import ast

import gast
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler import terms
from srcad.compiler.terms import collect_like_terms

from .fdcheck import fd
from .genload import load
from .test_negations import _run  # (a program's values, every argument copied)

PARAMS = ("a", "b", "c")
CONSTS = ("0.5", "2.0", "-3.0", "0.25", "1", "3", "1.5")


# -- the pass alone ---------------------------------------------------------------------


def _product(draw, names, depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(list(names) + list(CONSTS)))
    form = draw(st.sampled_from(["{} * {}", "{} * {}", "-{}", "{} / 4.0", "np.sin({})"]))
    args = [_product(draw, names, depth - 1) for _ in range(form.count("{}"))]
    return form.format(*args)


@st.composite
def straight_programs(draw):
    """``def f(a, b, c): ...`` of temporaries bound to products and of sums ``v = T``,
    ``v = v + T``, ``v = v - T``, with hazards between; returns every name it made."""
    live = list(PARAMS)
    sums = []
    lines = ["_stack = [a, b, c] * 4"]
    for k in range(draw(st.integers(3, 14))):
        kind = draw(
            st.sampled_from(["temp", "temp", "sum", "sum", "sum", "again", "item", "pop", "read"])
        )
        if kind == "temp":
            lines.append(f"t{k} = {_product(draw, live, 3)}")
            live.append(f"t{k}")
        elif kind == "sum":
            v = draw(st.sampled_from(sums + [f"v{k}"]))
            term = _product(draw, live, 3)
            if v not in sums:
                sums.append(v)
                lines.append(f"{v} = {term}")
            else:
                lines.append(f"{v} = {v} {draw(st.sampled_from('+-'))} {term}")
        elif kind == "again":  # (a name bound a second time)
            t = draw(st.sampled_from(live))
            lines.append(f"{t} = {t} * 2.0")
        elif kind == "item":  # (a write into an array)
            t = draw(st.sampled_from(live))
            lines.append(f"{t} = {t} * 1.0 + 0.0 * b")  # (surely an array)
            lines.append(f"{t}[0] = 7.0")
        elif kind == "pop":
            lines.append(f"p{k} = _stack.pop()")
            live.append(f"p{k}")
        elif sums:  # (the sum read in the middle)
            lines.append(f"r{k} = {draw(st.sampled_from(sums))} * 0.5")
            live.append(f"r{k}")
    out = [n for n in live[3:] + sums] or ["a"]
    lines.append(f"return [{', '.join(out)}]")
    return "def f(a, b, c):\n" + "\n".join("    " + ln for ln in lines)


def _env(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "int":  # (one integer argument: products of integers are never taken)
        return {
            "a": rng.integers(-3, 4, 5),
            "b": rng.uniform(0.5, 2.0, 5),
            "c": rng.integers(-3, 4, 5).astype(np.int32),
        }
    dtype = np.float32 if kind == "float32" else np.float64
    return {p: rng.uniform(0.5, 2.0, 5).astype(dtype) * rng.choice([-1, 1], 5) for p in PARAMS}


def _ops(fdef):
    return sum(1 for n in ast.walk(gast.gast_to_ast(fdef)) if isinstance(n, ast.BinOp))


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(straight_programs(), st.sampled_from(["float64", "float32", "int"]), st.integers(0, 9))
def test_the_pass_keeps_every_value(src, kind, seed):
    env = _env(kind, seed)
    want = _run(src, env)
    fdef = gast.parse(src).body[0]
    floating = frozenset(p for p in PARAMS if env[p].dtype.kind == "f")
    before = _ops(fdef)
    collect_like_terms(fdef, floating)
    new_src = ast.unparse(gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[])))
    got = _run(new_src, env)
    assert _ops(fdef) <= before, new_src
    rtol = 1e-4 if kind == "float32" else 1e-11
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, new_src
        scale = max(1.0, float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0)))
        assert np.allclose(g, w, rtol=rtol, atol=rtol * scale, equal_nan=True), new_src


def _collected(src, floating=PARAMS):
    fdef = gast.parse(src).body[0]
    changed = collect_like_terms(fdef, frozenset(floating))
    return changed, ast.unparse(gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[])))


def test_the_hand_written_product():
    src = """def f(a, b):
    s = 0.5 * a
    d_s = b * a
    v = b * s
    v = v + d_s * 0.5
    return v"""
    changed, out = _collected(src)
    assert changed
    assert out.splitlines()[-2].strip() == "v = b * a"


@pytest.mark.parametrize(
    "between",
    [
        "a = a * 2.0",  # a factor bound again between the terms
        "a[0] = 1.0",  # a write into an array
        "w = v * 2.0",  # the sum read in the middle
        "v = b",  # the sum bound afresh
    ],
)
def test_nothing_moves_past_a_hazard(between):
    src = f"""def f(a, b):
    v = b * a
    {between}
    v = v + a * b * 3.0
    return v"""
    changed, out = _collected(src)
    assert not changed, out
    alike = src.replace(f"    {between}\n", "    w = a * 2.0\n")
    assert _collected(alike)[0], alike  # (without the hazard: collected)


def _values_kept(src):
    """Whether the pass changed ``src`` and kept its value (float64 arguments)."""
    env = _env("float64", 1)
    want = _run(src, env)
    changed, out = _collected(src)
    got = _run(out, env)
    assert all(np.allclose(g, w, rtol=1e-12) for g, w in zip(got, want)), out
    return changed, out


@pytest.mark.parametrize(
    "body, collected",
    [
        # the sum read through a temporary bound before it: not a factor to move
        (
            "v = a * b\n    w = v * 0.5\n    v = v + w * a\n"
            "    v = v + np.sin(b)\n    v = v + a * w",
            False,
        ),
        # a parameter bound again: its binding is not seen through
        ("a = a * 2.0\n    v = b * a\n    v = v + a * b * 0.5", True),
        # the first term goes: the next one binds the sum afresh
        ("v = b * a\n    v = v + np.sin(a)\n    v = v + a * b", True),
        ("v = b * a\n    v = v - np.sin(a)\n    v = v + a * b * 3.0", True),
        (
            "v = b * a\n    v = v - np.sin(a)\n    v = v - a * b * 3.0\n    v = v + 0.5 * a * b",
            True,
        ),
    ],
)
def test_sums_that_look_alike(body, collected):
    changed, out = _values_kept(f"def f(a, b, c):\n    {body}\n    return [v]")
    assert changed == collected, out


def test_one_term_written_twice_is_left_to_the_exact_sum():
    # (double_repeated_terms makes it v = v + v, bit for bit, at the same cost)
    src = "def f(a, b):\n    v = b * a\n    v = v + b * a\n    return v"
    assert not _collected(src)[0]
    assert _collected(src.replace("v + b * a", "v + a * b"))[0]
    # beside a sum that is collected, too
    both = src.replace("return v", "u = b * a\n    u = u + a * b * 0.5\n    return v, u")
    changed, out = _collected(both)
    assert changed and "v = v + b * a" in out, out


def test_a_dearer_product_is_not_taken():
    # (a * b * c * 2.0 would be three products where t + t is one sum)
    src = "def f(a, b, c):\n    t = a * b * c\n    v = t\n    v = v + t\n    return v"
    changed, out = _collected(src)
    assert not changed, out


def test_integer_factors_are_left_alone():
    src = """def f(a, b):
    v = b * a
    v = v + b * a * 3
    return v"""
    assert not _collected(src, floating=())[0]  # (integers: no float factor)
    assert _collected(src, floating=("a",))[0]


def test_terms_that_cancel_are_left_alone():
    src = """def f(a, b):
    v = b * a * 2.0
    v = v - a * b * 2.0
    return v"""
    assert not _collected(src)[0]  # (inf - inf is NaN; 0 * inf too)


def test_the_symbolic_zero_is_left_alone():
    src = """def f(a, b):
    z = _rt.ZERO
    v = z * a
    v = v + a * z
    return v"""
    assert not _collected(src)[0]


# -- whole gradients --------------------------------------------------------------------

FORMS = [
    "{c} * {x} * {x}",
    "{x} * {c} * {x}",
    "{x} * {y} * {x}",
    "({x} * {y}) * ({y} * {c})",
    "{c} * ({x} * {x}) * {x}",
    "np.where({x} > 0.3, {c} * {x} * {x}, {y} - {c})",
    "np.where(np.abs({x}) < 1.0, {c} * {x} * {x}, np.abs({x}) - {c})",
    "np.sin({x}) * {x} * {x}",
    "{x} * {y} - {y} * {x} * {c}",
    "-{x} * {x} / 4.0",
]


@st.composite
def functions(draw):
    """``def f(x, y, s): ...`` whose products repeat a factor; the source."""
    names = ["x", "y", "s"]
    lines = []
    for k in range(draw(st.integers(1, 3))):
        form = draw(st.sampled_from(FORMS))
        e = form.format(
            x=draw(st.sampled_from(names)),
            y=draw(st.sampled_from(names)),
            c=draw(st.sampled_from(["0.5", "2.0", "1.5", "3"])),
        )
        lines.append(f"    t{k} = {e}")
        names.append(f"t{k}")
    last = names[-1]
    lines.append(f"    return np.sum({last} * {draw(st.sampled_from(['1.0', 'x', 'y']))})")
    return "def f(x, y, s):\n" + "\n".join(lines) + "\n"


def _grads(f, args, on, monkeypatch):
    monkeypatch.setattr(terms, "ENABLED", on)
    srcad.clear_cache()
    try:
        g = srcad.grad(f, wrt=(0, 1, 2), mode="source")
        return g(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args]), g.source
    finally:
        srcad.clear_cache()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=functions(), seed=st.integers(0, 2**16))
def test_random_gradients(src, seed, monkeypatch, tmp_path_factory):
    f = load("import numpy as np\n\n\n" + src, tmp_path_factory.mktemp("lt"), "like_terms")
    rng = np.random.default_rng(seed)
    args = [rng.uniform(-1.5, 1.5, 4), rng.uniform(-1.5, 1.5, 4), float(rng.uniform(-1.5, 1.5))]
    got, code = _grads(f, args, True, monkeypatch)
    off, _ = _grads(f, args, False, monkeypatch)
    for k, (g, o) in enumerate(zip(got, off)):
        want = fd(lambda *a: f(*a[:2], float(a[2])), args, k)
        scale = max(1.0, float(np.max(np.abs(want))))
        assert np.allclose(g, want, rtol=1e-5, atol=1e-6 * scale), (src, code)
        assert np.allclose(g, o, rtol=1e-12, atol=1e-12 * scale), (src, code)
        assert type(g) is type(o) and np.shape(g) == np.shape(o)
    # float32 data: the gradient's dtype as with the pass off
    a32 = [args[0].astype(np.float32), args[1].astype(np.float32), args[2]]
    got32, code = _grads(f, a32, True, monkeypatch)
    off32, _ = _grads(f, a32, False, monkeypatch)
    for g, o in zip(got32, off32):
        assert np.asarray(g).dtype == np.asarray(o).dtype, (src, code)
        assert np.allclose(g, o, rtol=1e-4, atol=1e-4 * max(1.0, float(np.max(np.abs(o)))))


# -- the forms the pass is for ----------------------------------------------------------


def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


def _huber_data(seed, n, k):
    """``(w, X, y)`` and the hand-written gradient of ``huber`` there."""
    rng = np.random.default_rng(seed)
    X, y, w = rng.standard_normal((n, k)), rng.standard_normal(n), rng.standard_normal(k)
    r = X @ w - y
    return (w, X, y), X.T @ np.where(np.abs(r) < 1.0, r, np.sign(r))


def test_huber_loss_reads_like_the_hand_written_gradient():
    (w, X, y), want = _huber_data(0, 40, 5)
    g = srcad.grad(huber, mode="source")
    assert np.allclose(g(w, X, y), want, rtol=1e-13, atol=1e-13)
    code = [ln for ln in g.source.splitlines() if not ln.strip().startswith("#")]
    assert not any("0.5" in ln or "scaled_r =" in ln for ln in code), g.source
    assert "    dr = dscaled_r_times_r * r" in code, g.source


def test_half_square():
    g = srcad.grad(lambda r: np.sum(0.5 * r * r), mode="source")
    r = np.linspace(-2.0, 2.0, 7)
    out = g(r)
    assert np.array_equal(out, r) and out is not r
    code = [ln.strip() for ln in g.source.splitlines()[1:] if not ln.strip().startswith("#")]
    assert code == ["dr = r * 1.0", "return dr"], g.source  # (a new array, not r)


# -- one mask for the np.where calls that test one comparison (compiler/masks.py) -------

CONDS = ("a < 1.0", "a > b", "np.abs(a) < 1.0", "b >= 0.5")


@st.composite
def where_programs(draw):
    """``def f(a, b, c): ...`` of ``np.where`` calls over a few comparisons, with a name
    bound again, an item written, a conditional expression between; every value."""
    lines, made = [], []
    for k in range(draw(st.integers(2, 9))):
        cond = draw(st.sampled_from(CONDS))
        kind = draw(
            st.sampled_from(["where", "where", "where", "again", "item", "ifexp", "rebind"])
        )
        x, y = draw(st.sampled_from(["c", "1.0", "b"])), draw(st.sampled_from(["0.0", "a"]))
        if kind == "where":
            lines.append(f"t{k} = np.where({cond}, {x}, {y}) * 2.0")
        elif kind == "again":
            lines.append(f"{draw(st.sampled_from('ab'))} = c * 0.5")
        elif kind == "rebind":  # (the comparison's own name bound by its statement)
            lines.append(f"a = np.where({cond}, {x}, {y}) + 0.25")
        elif kind == "item":
            lines.append(f"{draw(st.sampled_from('ab'))}[0] = -5.0")
        else:
            lines.append(f"t{k} = np.where({cond}, {x}, {y}) if c[0] > 0 else c")
        if kind in ("where", "ifexp"):
            made.append(f"t{k}")
    lines.append(f"return [a, b, {', '.join(made)}]")
    return "def f(a, b, c):\n" + "\n".join("    " + ln for ln in lines)


def _same(g, w):
    g, w = np.asarray(g), np.asarray(w)
    return g.dtype == w.dtype and np.array_equal(g, w, equal_nan=True)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(where_programs(), st.integers(0, 9))
def test_shared_masks_keep_every_value(src, seed):
    from srcad.compiler.masks import share_masks
    from srcad.compiler.optimize import _pure

    env = _env("float64", seed)
    env["a"][1] = np.nan
    want = _run(src, env)
    fdef = gast.parse(src).body[0]
    share_masks(fdef, _pure)
    tree = gast.gast_to_ast(gast.Module(body=[fdef], type_ignores=[]))
    new_src = ast.unparse(ast.fix_missing_locations(tree))
    got = _run(new_src, env)
    assert len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want)), new_src
    assert new_src.count(" < 1.0") <= src.count(" < 1.0")


def test_huber_loss_compares_once():
    (w, X, y), want = _huber_data(1, 30, 4)
    for make in (srcad.grad, srcad.value_and_grad):
        g = make(huber, mode="source")
        out = g(w, X, y)
        code = [ln for ln in g.source.splitlines() if not ln.strip().startswith("#")]
        assert sum(ln.count("a < 1.0") for ln in code) == 1, g.source
        assert np.allclose(out[1] if make is srcad.value_and_grad else out, want, rtol=1e-13)
