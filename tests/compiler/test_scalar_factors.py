"""A constant factor of the backward sweep applied once (compiler/factors.py): the
``1/n`` of a mean multiplies the gradient's small result instead of every array the
sweep passes through.

Checked on random losses over ``z = X @ w`` (80 samples): heads that scale (means,
sums divided by a number, signs, constant multiples), terms that are linear and
nonlinear in the sweep, and the things that must stop a factor or keep it where it
was: an adjoint read twice in a product, a branch (a symbolic zero), a loop, an
item assignment (arrays that share memory), integer arrays.  With the pass on and
off the gradients must agree to rounding, both must agree with central finite
differences, the value of ``value_and_grad`` must keep its bits (the primal is never
touched), and no gradient may share memory with an argument.
"""

import gast
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler import factors
from srcad.compiler.astutil import walk
from srcad.compiler.emit import to_source
from srcad.compiler.optimize import maybe_zero_names
from tests.fuzz import check as fuzz_check

from .fdcheck import fd

N, D = 80, 3

HEADS = [
    "np.mean({E})",
    "-np.mean({E})",
    "np.sum({E}) / {N}",
    "np.sum({E}) / np.shape(X)[0]",
    "0.5 * np.sum({E})",
    "np.sum({E}) * 0.01",
    "-np.sum({E}) / {N}.0",
    "np.mean({E}) / 3.0",
    "np.sum({E})",
]
UNARY = [
    "np.exp(-{a})",
    "1.0 / (1.0 + np.exp(-{a}))",
    "np.tanh({a})",
    "np.log(1.0 + np.exp(-{a}))",
    "np.logaddexp(0.0, -{a})",
    "np.sin({a}) * 0.5",
    "{a} * {a}",
    "np.maximum({a}, 0.0)",
    "np.log(1.0 / (1.0 + np.exp(-{a})))",
    "{a} / (1.0 / (1.0 + {a} * {a}))",
]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} * (1.0 - {b})", "({a} - {b}) ** 2"]
TRAPS = ["branch", "loop", "item", "twice", "none", "none", "none", "none"]


@st.composite
def programs(draw):
    """``def f(w, X, y)``: w of length 3, X 80x3, y 80 labels in [0, 1]."""
    lines = [draw(st.sampled_from(["z = X @ w", "z = np.dot(X, w)", "z = X.dot(w)"]))]
    live = ["z", "y"]
    for k in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            form = draw(st.sampled_from(UNARY))
            a = draw(st.sampled_from(live[:1] + live[2:] or live))
            lines.append(f"t{k} = " + form.format(a=a))
        else:
            form = draw(st.sampled_from(BINARY))
            a, b = draw(st.sampled_from(live)), draw(st.sampled_from(live))
            lines.append(f"t{k} = " + form.format(a=a, b=b))
        live.append(f"t{k}")
    trap = draw(st.sampled_from(TRAPS))
    last = live[-1]
    if trap == "branch":
        lines += [
            f"if np.sum(y) > {draw(st.sampled_from(['0.0', '1e9']))}:",
            f"    {last} = {last} * 2.0",
        ]
    elif trap == "loop":
        lines += ["for i in range(2):", f"    {last} = {last} * 0.75 + z * 0.125"]
    elif trap == "item":
        lines += [f"u = {last} * 1.0", "u[0] = u[1] * 1.5", f"{last} = u"]
    elif trap == "twice":
        lines.append(f"{last} = {last} * {last}")
    terms = [
        draw(st.sampled_from([f"{t}", f"{t} * y", f"(1.0 - y) * {t}", f"0.25 * {t}"]))
        for t in live[2:]
    ]
    head = draw(st.sampled_from(HEADS)).format(E=" + ".join(terms), N=N)
    body = lines + [f"return {head}"]
    return "import numpy as np\n\n\ndef f(w, X, y):\n" + "".join(f"    {ln}\n" for ln in body)


def _run(f, args, wrt, on, monkeypatch, with_value=False):
    monkeypatch.setattr(factors, "ENABLED", on)
    srcad.clear_cache()
    try:
        make = srcad.value_and_grad if with_value else srcad.grad
        g = make(f, wrt=wrt, mode="source")
        with np.errstate(all="ignore"):
            return g(*args), g.source
    finally:
        srcad.clear_cache()


def _args(rng):
    X = rng.standard_normal((N, D))
    w = 0.5 * rng.standard_normal(D)
    y = rng.random(N)
    return (w, X, y)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(), st.integers(0, 2**31 - 1), st.sampled_from([(0,), (0, 1)]))
def test_the_same_gradient_with_the_factor_moved(monkeypatch, src, seed, wrt):
    f = fuzz_check.load(src)
    rng = np.random.default_rng(seed)
    args = _args(rng)
    kept = [a.copy() for a in args]
    try:
        (value, got), code = _run(f, args, wrt, True, monkeypatch, with_value=True)
    except srcad.UnsupportedError:
        return
    for a, b in zip(args, kept):
        np.testing.assert_array_equal(a, b)  # (never a changed caller's array)
    (value_off, want), _ = _run(f, args, wrt, False, monkeypatch, with_value=True)
    with np.errstate(all="ignore"):
        direct = f(*[a.copy() for a in args])
    # the primal is never touched: the value keeps its bits
    assert np.array_equal(value, direct, equal_nan=True), (src, code)
    assert np.array_equal(value_off, direct, equal_nan=True)
    (plain, code) = _run(f, args, wrt, True, monkeypatch)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    plain = plain if isinstance(plain, tuple) else (plain,)
    with np.errstate(all="ignore"):
        fds = [fd(f, args, k) for k in wrt]
    scale = max(1.0, abs(float(direct)), *(float(np.max(np.abs(d))) for d in fds))
    if not np.isfinite(scale) or scale > 1e8:
        return
    for g1, g2, g3, d, k in zip(got, want, plain, fds, wrt):
        for a in args:
            assert not np.shares_memory(g3, a), (src, code)
        np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-13 * scale, err_msg=src + code)
        np.testing.assert_allclose(g3, g2, rtol=1e-12, atol=1e-13 * scale, err_msg=src + code)
        # (against finite differences where the unmoved gradient agrees with them: a
        # chain rule that overflows to NaN, or a sine of 1e9, says nothing about the pass)
        if np.allclose(g2, d, rtol=1e-5, atol=1e-6 * scale):
            np.testing.assert_allclose(g3, d, rtol=1e-5, atol=1e-6 * scale, err_msg=src + code)
        assert g3.dtype == args[k].dtype and g3.shape == args[k].shape


def logreg(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, -z) + (1.0 - y) * z)


def sigmoid_loss(w, X, y):
    z = np.dot(X, w)
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def squares(w, X, y):
    r = X @ w - y
    return 0.5 * np.sum(r * r) / 80.0


@pytest.mark.parametrize("f", [logreg, sigmoid_loss, squares])
def test_the_factor_goes_to_the_small_result(f, monkeypatch):
    """On the shapes where it pays (80 samples, 3 weights) the factor multiplies one
    array, the 3 weights' gradient, and the arrays of 80 are not multiplied by it."""
    args = _args(np.random.default_rng(1))
    got, code = _run(f, args, 0, True, monkeypatch)
    want, off = _run(f, args, 0, False, monkeypatch)
    assert code != off
    backward = code.split("# Grad of", 1)[1]
    last = [ln.strip() for ln in backward.splitlines() if "@" in ln or "dot" in ln][-1]
    assert last.startswith("dw = ") and " * (" in last, code
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(got, fd(f, args, 0), rtol=1e-6, atol=1e-9)


def test_small_arrays_keep_the_factor_where_it_was(monkeypatch):
    """Under 64 elements nothing is moved: the rounding stays the chain rule's."""
    rng = np.random.default_rng(2)
    args = (rng.standard_normal(3), rng.standard_normal((10, 3)), rng.random(10))
    _, code = _run(logreg, args, 0, True, monkeypatch)
    _, off = _run(logreg, args, 0, False, monkeypatch)
    assert code == off


def int_chain(w, M, K):
    return np.mean((w @ M) * K)


def test_integer_arrays_never_carry_a_moved_factor(monkeypatch):
    """``K`` is an integer array: ``K @ M.T`` in integers would wrap around (the
    products are near 1e19) where ``(c * K) @ M.T`` is computed in floats."""
    rng = np.random.default_rng(3)
    M = rng.integers(2**31, 2**32, size=(3, 100))
    K = rng.integers(2**31, 2**32, size=100)
    w = rng.standard_normal(3)
    got, code = _run(int_chain, (w, M, K), 0, True, monkeypatch)
    want = (M.astype(float) @ K.astype(float)) / 100.0
    np.testing.assert_allclose(got, want, rtol=1e-12)


def writes_a_view(w, X, y):
    z = X @ w
    t = 1.0 - y
    t[0] = 3.0  # (an item assignment: no bare name may stand for another's array)
    return np.mean(t * z + y * z)


def test_a_function_that_writes_into_arrays(monkeypatch):
    """Where an array may be written, a factor never leaves a name sharing another's
    array; the gradient is right and shares no memory with the arguments."""
    args = _args(np.random.default_rng(4))
    kept = [a.copy() for a in args]
    got, code = _run(writes_a_view, args, (0, 2), True, monkeypatch)
    for a, b in zip(args, kept):
        np.testing.assert_array_equal(a, b)
    for k, g in zip((0, 2), got):
        assert not any(np.shares_memory(g, a) for a in args)
        np.testing.assert_allclose(g, fd(writes_a_view, args, k), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype, monkeypatch):
    args = tuple(a.astype(dtype) for a in _args(np.random.default_rng(5)))
    got, _ = _run(logreg, args, 0, True, monkeypatch)
    want, _ = _run(logreg, args, 0, False, monkeypatch)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-13)


def test_second_order_through_a_moved_factor(monkeypatch):
    """hvp and the hessian differentiate the generated gradient again."""
    args = _args(np.random.default_rng(6))
    monkeypatch.setattr(factors, "ENABLED", True)
    srcad.clear_cache()
    h = srcad.hessian(logreg)(*args)
    w, X, y = args
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    want = (X.T * (p * (1.0 - p))) @ X / N
    np.testing.assert_allclose(h, want, rtol=1e-10, atol=1e-12)
    srcad.clear_cache()


# -- the pass alone, on random straight-line code ----------------------------------------
# Statements over vectors of 100 (``v0``, ``v1``, ...), the parameters ``X`` (100x3) and
# ``y`` (100), in the forms a backward sweep has and some it never has: origins with
# literal or named factors (the same or different), linear and nonlinear uses, products
# of two pending names, branches, loops, augmented assignments, writes into an array,
# sums to a number.  The pass runs with every name's size known; the code before and
# after must compute the same values (to rounding) and return no array it did not.

_ORIGINS = [
    "{c} * (y + 1.0)",
    "(y - {v}) * {c}",
    "{c} * np.exp(-{v})",
    "{c} * y",
    "{c} * {v}[::-1]",
]
_LINEAR = [
    "{a} + {b}",
    "{a} - {b}",
    "-{a}",
    "{a} * y",
    "{a} / (y + 2.0)",
    "np.negative({a})",
    "{a}.copy()",
    "np.multiply({a}, y)",
    "{a}[::-1]",
    "np.reshape({a}, (100,))",
    "{a} * {b}",
    "np.multiply({a}, {b})",
]
_OTHER = [
    "{a} * {b}",
    "np.tanh({a})",
    "np.maximum({a}, 0.0)",
    "{a} + 1.0",
    "{a} / {b}",
    "np.sum({a}) * y",
    "{a} ** 2",
]
_FACTORS = ["0.001", "-0.5", "c0", "c1", "3.0"]


@st.composite
def straight_code(draw):
    lines = ["c0 = -1.0 / 80.0", "c1 = 0.25"]
    live = ["y"]
    for k in range(draw(st.integers(2, 9))):
        kind = draw(
            st.sampled_from(
                [
                    "origin",
                    "origin",
                    "origin",
                    "linear",
                    "linear",
                    "linear",
                    "other",
                    "other",
                    "branch",
                    "aug",
                    "aug_alias",
                    "write",
                    "loop",
                    "rebind",
                ]
            )
        )
        pool = live[1:] if len(live) > 1 and draw(st.integers(0, 3)) else live
        v, a, b = (draw(st.sampled_from(pool)) for _ in range(3))
        t = f"v{k}"
        if kind == "origin" or len(live) == 1:
            form = draw(st.sampled_from(_ORIGINS))
            lines.append(f"{t} = " + form.format(c=draw(st.sampled_from(_FACTORS)), v=v))
        elif kind == "linear":
            lines.append(f"{t} = " + draw(st.sampled_from(_LINEAR)).format(a=a, b=b))
        elif kind == "other":
            lines.append(f"{t} = " + draw(st.sampled_from(_OTHER)).format(a=a, b=b))
        elif kind == "branch":
            lines += [f"{t} = {a} * 1.0", "if np.sum(y) > 0.0:", f"    {t} = {t} * 2.0"]
        elif kind == "aug":
            lines += [f"{t} = {a} + 0.0", f"{t} += {b}"]
        elif kind == "aug_alias":  # in place, into a name that may be pending or share
            lines += [f"{t} = {a}", f"{draw(st.sampled_from([a, t]))} += {b}"]
        elif kind == "rebind":  # bound again in a branch, not read there
            lines += [f"{t} = {a} * 0.5", "if np.sum(y) > 0.0:", f"    {a} = {b} * 3.0"]
        elif kind == "write":
            lines += [f"{t} = {a} * 1.0", f"{a}[0] = 7.0"]
        else:
            lines += [f"{t} = {a} - 0.0", "for i in range(2):", f"    {t} = {t} + {b}"]
        live.append(t)
    last = live[-1]
    tail = draw(
        st.sampled_from(
            [
                [f"dw = {last} @ X", "return dw"],
                [f"dw = np.dot({last}, X)", f"return dw, {live[-2]}"],
                [f"s = np.sum({last})", f"dw = {last} @ X", "return dw, s"],
                [f"dw = X.T @ {last}", f"dv = {last}", "return dw, dv"],
            ]
        )
    )
    return "def g(X, y):\n" + "".join(f"    {ln}\n" for ln in lines + tail)


def _compile(src, tree=None):
    ns = {"np": np}
    exec(to_source([tree]) if tree is not None else src, ns)  # noqa: S102 - test code
    return ns["g"]


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(straight_code(), st.integers(0, 2**31 - 1))
def test_the_pass_alone_keeps_the_values(src, seed):
    tree = gast.parse(src).body[0]
    sizes = dict.fromkeys(ast_names(tree), 100)
    sizes.update(dw=3, s=1, c0=1, c1=1)
    floating = frozenset(sizes) | {"X", "y"}
    changed = factors.defer_scalar_factors(tree, 0, sizes, floating, maybe_zero_names(tree))
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((100, 3)), rng.standard_normal(100)
    before, after = _compile(src), _compile(src, tree)
    with np.errstate(all="ignore"):
        want = before(X.copy(), y.copy())
        got = after(X.copy(), y.copy())
    code = to_source([tree])
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    for a, b in zip(got, want):
        finite = np.abs(np.asarray(b, dtype=float))[np.isfinite(b)]
        scale = max(1.0, float(np.max(finite))) if finite.size else 1.0
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12 * scale, err_msg=src + code)
    if not changed:
        assert code.strip() == _compile_text(src).strip()


def _compile_text(src):
    return to_source([gast.parse(src).body[0]])


def ast_names(tree):
    return {n.id for n in walk(tree) if isinstance(n, gast.Name)}


TRICKY = [
    # two pending factors in one product: c * c, not c
    "v0 = 0.001 * (y + 1.0)\n    v1 = 0.001 * (y + 2.0)\n    v2 = v0 * v1\n    dw = v2 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v2 = np.multiply(v0, v0)\n    dw = v2 @ X",
    # a pending divisor, a pending index, a pending exponent
    "v0 = 0.001 * (y + 1.0)\n    v2 = y / v0\n    dw = v2 @ X",
    "v0 = 0.5 * (y * y + 1.0)\n    v2 = y[(v0 > 1.3).nonzero()[0][:3]]\n"
    "    dw = np.sum(v2) * X[0]",
    "v0 = 0.5 * (y + 3.0)\n    v2 = y ** v0\n    dw = v2 @ X",
    # different factors meeting in a sum, a sum with something not pending
    "v0 = 0.001 * (y + 1.0)\n    v1 = 0.002 * (y + 2.0)\n    v2 = v0 + v1\n    dw = v2 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v2 = v0 + y\n    dw = v2 @ X",
    # calls whose extra arguments are not shapes
    "v0 = 0.001 * (y + 1.0)\n    v2 = np.sum(v0, 0, int) * y\n    dw = v2 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v2 = np.sum(v0, initial=5.0) * y\n    dw = v2 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v2 = v0.sum(0, int) * y\n    dw = v2 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v2 = v0.astype(int) * y\n    dw = v2 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v2 = np.add(v0, y)\n    dw = v2 @ X",
    # a write into the pending array, and through an alias of it
    "v0 = 0.001 * (y + 1.0)\n    v0[0] = 5.0\n    dw = v0 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v1 = v0\n    v1[0] = 5.0\n    dw = v0 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v1 = v0[:50]\n    np.copyto(v1, 5.0)\n    dw = v0 @ X",
    # a bare name standing for an array that a call writes into (out= by position)
    "v0 = 0.001 * y\n    np.add(y, 1.0, y)\n    dw = v0 @ X",
    "v0 = 0.001 * y\n    np.copyto(y, 2.0)\n    dw = v0 @ X",
    # an augmented assignment into a pending name, and into a name sharing its array
    "v0 = 0.001 * (y + 1.0)\n    v0 += y\n    dw = v0 @ X",
    "v0 = 0.001 * (y + 1.0)\n    v1 = v0\n    v1 += y\n    dw = v0 @ X",
    # a pending name bound again inside a branch or a loop (without being read there)
    "v0 = 0.001 * (y + 1.0)\n    if np.sum(y) > -1e9:\n        v0 = y * 1.0\n    dw = v0 @ X",
    "v0 = 0.001 * (y + 1.0)\n    for i in range(1):\n        v0 = y * 2.0\n    dw = v0 @ X",
]


@pytest.mark.parametrize("body", TRICKY)
def test_the_pass_alone_on_the_cases_that_must_stop_a_factor(body):
    src = f"def g(X, y):\n    {body}\n    return dw\n"
    tree = gast.parse(src).body[0]
    sizes = dict.fromkeys(ast_names(tree), 100)
    sizes.update(dw=3)
    factors.defer_scalar_factors(tree, 0, sizes, frozenset(sizes) | {"X", "y"}, set())
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((100, 3)), rng.uniform(0.5, 1.5, 100)
    with np.errstate(all="ignore"):
        want = _compile(src)(X.copy(), y.copy())
        got = _compile(src, tree)(X.copy(), y.copy())
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_pass_fires_on_straight_code():
    """The generator above is not idle: a plain chain moves its factor."""
    src = (
        "def g(X, y):\n    v0 = 0.001 * (y + 1.0)\n    v1 = v0 * y\n"
        "    dw = v1 @ X\n    return dw\n"
    )
    tree = gast.parse(src).body[0]
    sizes = {"v0": 100, "v1": 100, "dw": 3}
    assert factors.defer_scalar_factors(tree, 0, sizes, frozenset(sizes) | {"X", "y"}, set())
    code = to_source([tree])
    assert "v0 = y + 1.0" in code and "dw = 0.001 * (v1 @ X)" in code, code


def test_a_write_keeps_bare_names_from_standing_for_arrays():
    """``v0 = 0.001 * y`` may become ``v0 = y`` only where nothing writes into arrays: a
    runtime helper that restores an item of ``y`` would change ``v0`` too."""
    sizes = {"v0": 100, "v1": 100, "dw": 3}
    for write, moved in (
        ("", True),
        ("    y[0] = 7.0\n", False),
        ("    _rt.restore_item(y, 0, 7.0)\n", False),
    ):
        src = (
            f"def g(X, y):\n    v0 = 0.001 * y\n{write}    v1 = v0 * X[:, 0]\n"
            "    dw = v1 @ X\n    return dw\n"
        )
        tree = gast.parse(src).body[0]
        floating = frozenset(sizes) | {"X", "y"}
        factors.defer_scalar_factors(tree, 0, sizes, floating, set())
        assert ("v0 = y\n" in to_source([tree])) == moved, to_source([tree])


# -- a reciprocal read twice (factors.square_reciprocals) ---------------------------------

SPECIAL = [0.0, -0.0, 1e-310, -1e-310, 1e-160, 1e154, 4.9e307, 1e308, np.inf, -np.inf, np.nan]


def _values(draw, n):
    return np.array(
        [
            draw(st.sampled_from(SPECIAL))
            if draw(st.booleans())
            else draw(st.floats(allow_nan=False, allow_infinity=False))
            for _ in range(n)
        ]
    )


def _close(a, b):
    """Equal classes (NaN, signed infinity, signed zero) and within 4 units in the last
    place (or 4 of the smallest subnormal)."""
    for x, y in zip(np.atleast_1d(a), np.atleast_1d(b)):
        if np.isnan(y) or np.isinf(y) or y == 0:
            assert np.array_equal(x, y, equal_nan=True) and np.signbit(x) == np.signbit(y)
        elif x != y:
            assert abs(x - y) <= 4 * np.spacing(abs(y)) + 2e-323, (x, y)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_reciprocal_squared_is_as_accurate(data):
    """``(g * r) * r`` for ``(g * r) / s`` with ``r = 1.0 / s``, on finite numbers of every
    size and the special values: the same classes, and at most a few units in the last
    place apart (both round twice from the true ``g / s**2``)."""
    s, g = _values(data.draw, 8), _values(data.draw, 8)
    with np.errstate(all="ignore"):
        r = 1.0 / s
        old, new = (g * r) / s, (g * r) * r
    for o, n, ss, rr in zip(old, new, s, r):
        if np.isnan(o) or np.isinf(o) or o == 0 or np.isinf(rr) or rr == 0:
            # (where a value overflows or vanishes both do, with one sign; tiny values
            # at the underflow threshold may land on either side of it)
            assert np.isnan(o) == np.isnan(n)
            if np.isinf(o):
                assert n == o or abs(n) > 1e307, (o, n, ss)
        else:
            _close(n, o) if abs(o) > 1e-300 else None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_product_for_a_division_by_a_reciprocal_is_never_less_accurate(data):
    """``e * s`` for ``e / r`` with ``r = 1.0 / s``: one rounding of the true ``e s``, so
    never farther from it than the original (compared in exact rational arithmetic)."""
    from fractions import Fraction

    s, e = _values(data.draw, 8), _values(data.draw, 8)
    with np.errstate(all="ignore"):
        old, new = e / (1.0 / s), e * s
    for o, n, ee, ss in zip(old, new, e, s):
        if not (np.isfinite(ee) and np.isfinite(ss)):
            # (an infinity or NaN given: the same answer, or NaN where 1/s overflowed
            # and inf/inf became NaN while the product is the infinity)
            assert np.isnan(o) or np.array_equal(o, n, equal_nan=True), (ee, ss, o, n)
            continue
        true = Fraction(float(ee)) * Fraction(float(ss))
        if not np.isfinite(n):  # (the true product overflows: the original did too, or
            assert abs(true) > Fraction(1.7e308)  # it was inf or nan already)
            continue
        if np.isfinite(o):
            assert abs(Fraction(float(n)) - true) <= abs(Fraction(float(o)) - true)


RECIP_CASES = [
    # (body, rewritten?)
    ("r = 1.0 / s\n    out = g * r / s", True),
    ("r = 1.0 / s\n    out = g / r", True),
    ("r = 1 / s\n    out = (g * r / s, r / s)", True),
    # s bound again, r bound again, s bound in a loop, a write somewhere, an int product
    ("r = 1.0 / s\n    s = s + 1.0\n    out = g * r / s", False),
    ("r = 1.0 / s\n    out = g * r / s\n    r = g * 2.0", False),
    ("t = g * 1.0\n    for i in range(2):\n        t = t + 1.0\n    r = 1.0 / t\n"
     "    out = g * r / t", False),
    ("r = 1.0 / s\n    g[0] = 2.0\n    out = g * r / s", False),
    ("r = 1.0 / k\n    out = j / r", False),
    ("r = 1.0 / s\n    out = (g / 80.0, g * r / 3.0)", False),  # (not a name: not s)
]  # fmt: skip


@pytest.mark.parametrize("body, rewritten", RECIP_CASES)
def test_reciprocals_rewritten_only_where_r_is_one_over_s(body, rewritten):
    from srcad.compiler.negations import floating_names

    src = f"def h(g, s, k, j):\n    {body}\n    return out\n"
    tree = gast.parse(src).body[0]
    floating = floating_names(tree, frozenset({"g", "s"}))
    changed = factors.square_reciprocals(tree, floating)
    assert changed == rewritten, to_source([tree])
    rng = np.random.default_rng(0)
    args = (rng.standard_normal(5), rng.uniform(0.5, 2.0, 5), np.arange(1, 6), np.arange(5))
    ns = {"np": np}
    exec(src, ns)  # noqa: S102 - test code
    want = ns["h"](*[a.copy() for a in args])
    exec(to_source([tree]), ns)  # noqa: S102
    got = ns["h"](*[a.copy() for a in args])
    for a, b in zip(np.atleast_1d(got) if not isinstance(got, tuple) else got,
                    np.atleast_1d(want) if not isinstance(want, tuple) else want):  # fmt: skip
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_a_factor_of_one_is_left_alone():
    """``v = 1.0 * P`` has nothing to move (it would only make ``v`` share ``P``)."""
    src = "def g(X, y):\n    v0 = y * 1.0\n    v1 = v0 * y\n    dw = v1 @ X\n    return dw\n"
    tree = gast.parse(src).body[0]
    sizes = {"v0": 100, "v1": 100, "dw": 3}
    assert not factors.defer_scalar_factors(tree, 0, sizes, frozenset(sizes) | {"X", "y"}, set())
    assert to_source([tree]).strip() == _compile_text(src).strip()
