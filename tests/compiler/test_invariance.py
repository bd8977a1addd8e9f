"""Values the result does not depend on get no adjoint (compiler/invariance.py).

A stable softmax subtracts each row's max first; the result does not change with it,
and the pass proves so and skips the max's adjoint.  A wrong proof drops a real
part of the gradient, so the random programs here shift a matrix by a value made
from it (a max, a min, a mean, a slice, a number) along some axis, then apply a
random mix of operations: some keep the result independent of the shift
(log-softmax, softmax, log-sum-exp over the shifted axis), most do not (another
axis, no ``keepdims``, a sum, a square, indexing, the shift itself used again).
Every gradient is checked against central differences in float64 and against the
tape, with the optimizer on and off.  The fixed cases assert that the canonical
forms are specialized and that the look-alikes are not.
"""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .fdcheck import fd
from .genload import load

D = 3  # X is N x D, W is D x K: z = X @ W is N x K (N and K drawn, square now and then)

SHIFTS = [  # (the form, the shape as a function of N and K)
    ("np.max({v}, axis=1, keepdims=True)", lambda n, k: (n, 1)),
    ("{v}.max(axis=-1, keepdims=True)", lambda n, k: (n, 1)),
    ("np.max({v}, axis=0, keepdims=True)", lambda n, k: (1, k)),
    ("np.mean({v}, axis=1, keepdims=True)", lambda n, k: (n, 1)),
    ("np.amin({v}, axis=1, keepdims=True)", lambda n, k: (n, 1)),
    ("np.max({v})", lambda n, k: ()),
    ("np.max({v}, axis=0)", lambda n, k: (k,)),
    ("{v}[:, :1]", lambda n, k: (n, 1)),
    ("np.sum({v}, axis=1, keepdims=True) * 0.25", lambda n, k: (n, 1)),
    ("np.tanh({v}[:, 1:2])", lambda n, k: (n, 1)),
]
SHIFTED = ["{z} - {m}", "{m} - {z}", "{z} + {m}", "({z} - {m}) * 0.5", "2.0 * {z} - {m}"]
REDUCERS = ["sum", "mean", "max", "min"]
AXES = ["0", "1", "-1", "None", "(0, 1)"]


class Pool:
    """The names a program has made: shape, a bound on the magnitude, and a positive
    lower bound (0 when the value may be 0 or negative)."""

    def __init__(self):
        self.vals = {}

    def add(self, name, shape, hi, lo=0.0):
        self.vals[name] = (shape, hi, lo)

    def pick(self, draw, ok=lambda v: True, among=None):
        names = sorted(n for n, v in self.vals.items() if ok(v) and (among is None or n in among))
        return draw(st.sampled_from(names)) if names else None


def _reduced(shape, axis, keep):
    axes = range(len(shape)) if axis == "None" else eval(axis)  # noqa: S307
    axes = {a % len(shape) for a in (axes if isinstance(axes, (tuple, range)) else (axes,))}
    if keep:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _statement(draw, pool, t, shifted):
    """One random ``t = ...`` over the pool, or None when the draw does not fit;
    ``shifted``: the names made from the shift, which two of are combined often (the
    coefficients of the shift must cancel exactly for the proof)."""
    kind = draw(st.integers(0, 8))
    a = pool.pick(draw, lambda v: len(v[0]) == 2, shifted if kind in (3, 8) else None)
    if a is None:
        return None
    sa, ha, la = pool.vals[a]
    if kind <= 1 and ha < 6:  # (log-)softmax over an axis
        ax = draw(st.sampled_from(["1", "-1", "0"]))
        if kind == 0:
            pool.add(t, sa, 2 * ha + math.log(max(sa)))
            return f"{t} = {a} - np.log(np.sum(np.exp({a}), axis={ax}, keepdims=True))"
        pool.add(t, sa, 1.0, math.exp(-2 * ha) / max(sa))
        return f"{t} = np.exp({a}) / np.sum(np.exp({a}), axis={ax}, keepdims=True)"
    if kind == 2:  # a reduction
        r = draw(st.sampled_from(REDUCERS))
        ax = draw(st.sampled_from(AXES))
        keep = draw(st.booleans())
        shape = _reduced(sa, ax, keep)
        n = math.prod(sa) if r == "sum" else 1
        pool.add(t, shape, ha * n, la if r != "sum" else la)
        if draw(st.booleans()):
            return f"{t} = np.{r}({a}, axis={ax}, keepdims={keep})"
        return f"{t} = {a}.{r}(axis={ax}, keepdims={keep})"
    if kind in (3, 8):  # a binary operation with a value of a broadcastable shape
        b = pool.pick(draw, lambda v: _fits(sa, v[0]), shifted if kind == 8 else None)
        if b is None:
            return None
        op = draw(st.sampled_from(["+", "-", "*"]))
        sb, hb, lb = pool.vals[b]
        hi = ha * hb if op == "*" else ha + hb
        if hi > 1e3:
            return None
        lo = la * lb if op == "*" else (la + lb if op == "+" else 0.0)
        pool.add(t, np.broadcast_shapes(sa, sb), hi, lo)
        return f"{t} = {a} {op} {b}"
    if kind == 4:  # a division by a positive value
        p = pool.pick(draw, lambda v: v[2] > 1e-3 and _fits(sa, v[0]))
        if p is None:
            return None
        sp, hp, lp = pool.vals[p]
        pool.add(t, np.broadcast_shapes(sa, sp), ha / lp, la / hp)
        return f"{t} = {a} / {p}"
    if kind == 5:  # one value elementwise
        form = draw(st.sampled_from(["np.exp", "np.tanh", "neg", "half", "square", "log"]))
        if form == "np.exp" and ha < 4:
            pool.add(t, sa, math.exp(ha), math.exp(-ha))
            return f"{t} = np.exp({a})"
        if form == "log" and la > 1e-3:
            pool.add(t, sa, max(abs(math.log(la)), abs(math.log(ha))))
            return f"{t} = np.log({a})"
        if form == "neg":
            pool.add(t, sa, ha)
            return f"{t} = -{a}"
        if form == "half":
            pool.add(t, sa, ha / 2, la / 2)
            return f"{t} = {a} * 0.5"
        if form == "square" and ha < 30:
            pool.add(t, sa, ha * ha)
            return f"{t} = {a} ** 2"
        pool.add(t, sa, min(1.0, ha))
        return f"{t} = np.tanh({a})"
    if kind == 6 and sa[1] > 1:  # a slice
        pool.add(t, (sa[0], sa[1] - 1), ha, la)
        return f"{t} = {a}[:, 1:]"
    # a log-sum-exp written with the max taken out again
    if ha < 6:
        ax = draw(st.sampled_from(["1", "0"]))
        m = f"np.max({a}, axis={ax}, keepdims=True)"
        pool.add(t, _reduced(sa, ax, True), 2 * ha + math.log(max(sa)))
        return f"{t} = {m} + np.log(np.sum(np.exp({a} - {m}), axis={ax}, keepdims=True))"
    return None


def _fits(sa, sb):
    try:
        return len(sb) <= 2 and np.broadcast_shapes(sa, sb) == sa
    except ValueError:
        return False


@st.composite
def programs(draw):
    """``(source, N, K)``."""
    N, K = draw(st.sampled_from([(5, 4), (4, 4), (3, 4), (4, 3), (3, 3)]))
    lines = ["def f(W, X, Y):", "    z = X @ W"]
    pool = Pool()
    pool.add("z", (N, K), 1.5)
    shift, mshape = draw(st.sampled_from(SHIFTS))
    lines.append(f"    m = {shift.format(v='z')}")
    pool.add("m", mshape(N, K), 1.5)
    form = draw(st.sampled_from(SHIFTED))
    lines.append(f"    s = {form.format(z='z', m='m')}")
    pool.add("s", (N, K), 3.0)
    shifted = {"m", "s"}
    for i in range(draw(st.integers(1, 6))):
        stmt = _statement(draw, pool, f"t{i}", shifted)
        if stmt is not None:
            lines.append("    " + stmt)
            if set(re.findall(r"\w+", stmt.split("=", 1)[1])) & shifted:
                shifted.add(f"t{i}")
    last = sorted(n for n in pool.vals if n.startswith("t")) or ["s"]
    out = last[-1]
    # a name bound a second time, read by the + a candidate needs: activity is by
    # name, and the first binding's value may still reach the result
    lines.append("    " + draw(st.sampled_from(["", "W = W + 1.0", "m = m + 1.0", "z = z - 1.0"])))
    shape = pool.vals[out][0]
    if shape == (N, K) and draw(st.booleans()):
        lines.append(f"    return -np.sum(Y * {out}) / {N}.0")
    elif draw(st.booleans()):
        lines.append(f"    return np.sum({out} * {out})")
    else:  # (an exp: the pass looks only at bodies with an exp or a log)
        lines.append(f"    return np.mean(np.exp(np.tanh({out})))")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n", N, K


def _args(seed, N=5, K=4):
    rng = np.random.default_rng(seed)
    W = rng.uniform(-0.5, 0.5, (D, K))
    X = rng.uniform(-1, 1, (N, D))
    Y = np.eye(K)[rng.integers(0, K, N)]
    return W, X, Y


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(program=programs(), seed=st.integers(0, 2**16))
def test_random_shifts(program, seed, tmp_path_factory):
    src, N, K = program
    f = load(src, tmp_path_factory.mktemp("inv"), "invariance")
    args = _args(seed, N, K)
    with np.errstate(all="raise"):
        try:
            f(*args)
        except FloatingPointError:
            return  # (not a case: an overflow the bounds above did not foresee)
        except ValueError:
            return  # (not a case: shapes NumPy cannot broadcast, after no keepdims)
    want = fd(f, args, 0)
    scale = max(1.0, float(np.max(np.abs(want))))
    tape = srcad.grad(f, mode="tape")(*args)
    np.testing.assert_allclose(tape, want, rtol=1e-5, atol=1e-6 * scale, err_msg=src)
    for optimize in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", srcad.FallbackWarning)
            got = srcad.grad(f, optimize=optimize)(*args)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * scale, err_msg=src)


@st.composite
def chains(draw):
    """``(source, N, K)``: a shifted matrix taken through steps each of which either
    keeps the result free of the shift or breaks that by a little (another axis, no
    ``keepdims``, a sum for a mean, a coefficient that does not cancel): the proof's
    edges."""
    N, K = draw(st.sampled_from([(4, 3), (3, 3), (4, 4), (3, 4)]))
    mform, _ = draw(st.sampled_from(SHIFTS[:6]))
    lines = [
        "def f(W, X, Y):",
        "    z = X @ W",
        f"    m = {mform.format(v='z')}",
        "    v0 = z - m",
    ]
    for i in range(1, draw(st.integers(1, 4)) + 1):
        v, u = f"v{i - 1}", f"v{i}"
        ax = draw(st.sampled_from(["1", "-1", "0"]))
        kd = draw(st.sampled_from(["True", "True", "False"]))
        step = draw(st.sampled_from([0, 1, 2, 3, 3, 3, 4, 5]))
        if step == 0:
            rhs = f"{v} - np.log(np.sum(np.exp({v}), axis={ax}, keepdims={kd}))"
        elif step == 1:
            rhs = f"np.exp({v}) / np.sum(np.exp({v}), axis={ax}, keepdims={kd})"
        elif step == 2:
            rhs = f"{v} * {draw(st.sampled_from(['0.5', '2.0', '-1.0', '1.0']))}"
        elif step == 3:
            r = draw(st.sampled_from(["max", "mean", "sum", "sum", "min"]))
            rhs = f"{v} - np.{r}({v}, axis={ax}, keepdims={kd})"
        elif step == 4:
            c = draw(st.sampled_from(["0.5", "2.0", "-1.0", "1.0"]))
            rhs = f"{v} + {c} * m"
        else:
            rhs = f"np.tanh({v})" if draw(st.booleans()) else f"np.exp({v})"
        lines.append(f"    {u} = {rhs}")
        last = u
    # (an exp in every program: the pass looks only at bodies with an exp or a log)
    lines.append(f"    return np.sum(np.exp(np.tanh({last})) * np.mean(Y))")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n", N, K


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(program=chains(), seed=st.integers(0, 2**16))
def test_random_shift_chains(program, seed, tmp_path_factory):
    test_random_shifts.hypothesis.inner_test(program, seed, tmp_path_factory)


# -- the forms the pass must take, and look-alikes it must leave -------------------


def log_softmax_ce(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def softmax_method_form(W, X, Y):
    z = np.dot(X, W)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return np.sum((p - Y) ** 2)


def logsumexp(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    return np.sum((m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))) * Y)


def augmented(W, X, Y):
    z = X @ W
    z -= np.max(z)  # (one number: every axis is fine)
    z = z - np.log(np.sum(np.exp(z), axis=0, keepdims=True))
    return np.sum(z * Y)


SPECIALIZED = [log_softmax_ce, softmax_method_form, logsumexp, augmented]


def max_also_returned(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    z = z - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) + np.sum(m * m)


def other_axis(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=0, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp)


def without_keepdims(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=0)
    return np.sum(Y * np.log(np.sum(np.exp(z), axis=0)))


def squared(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    return np.sum(z * z * Y)


def in_a_branch(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    z = z - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    if np.sum(Y) > 0:
        logp = logp + m
    return np.sum(Y * logp)


def stored(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    keep = [z]
    z = z - m
    keep.append(m)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return np.sum(Y * logp) + np.sum(keep[1])


def in_a_loop(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    acc = 0.0
    for _ in range(2):
        z = z - m
        acc = acc + np.sum(Y * (z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))))
    return acc


def a_sum_for_a_mean(W, X, Y):
    z = X @ W
    s = z - np.max(z, axis=1, keepdims=True)
    t = s - np.sum(s, axis=1, keepdims=True)  # (a sum moves the shift K times over)
    return np.sum(np.exp(np.tanh(t)) * Y)


def coefficients_that_do_not_cancel(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    s = (z - m) * 0.5
    return np.sum(np.exp(np.tanh(s - (z - m))) * Y)


def square_without_keepdims(W, X, Y):
    z = (X @ W)[:3, :3]  # (3 x 3: a max along one axis broadcasts along the other)
    s = z - np.max(z, axis=1, keepdims=True)
    t = s - np.max(s, axis=1)
    return np.sum(np.exp(np.tanh(t)) * X[:3, :])


LEFT = [
    max_also_returned,
    other_axis,
    without_keepdims,
    squared,
    in_a_branch,
    stored,
    in_a_loop,
    a_sum_for_a_mean,
    coefficients_that_do_not_cancel,
    square_without_keepdims,
]


@pytest.mark.parametrize("f", SPECIALIZED + LEFT, ids=lambda f: f.__name__)
def test_fixed_forms(f):
    args = _args(7)
    g = srcad.grad(f)
    got = g(*args)
    np.testing.assert_allclose(got, fd(f, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(g(*args), got)  # (again: the cheap call)
    if f in SPECIALIZED:
        assert "extremum_weights" not in g.source, g.source
    elif f is not without_keepdims:
        assert "extremum_weights" in g.source, g.source


@pytest.mark.parametrize("f", SPECIALIZED, ids=lambda f: f.__name__)
def test_hessian_vector_products_of_the_specialized_forms(f):
    # hvp is forward over reverse; its jvp reads the generic gradient (the pass needs
    # the shapes of a specialization), so this checks that the forms themselves have
    # right second derivatives, and the specialized gradient beside it.  Reference:
    # central differences of the tape's gradient (another engine).
    args = _args(11)
    v = np.random.default_rng(5).normal(size=args[0].shape)
    got = srcad.hvp(f)(*args, v)
    tape = srcad.grad(f, mode="tape")
    eps = 1e-5
    want = (tape(args[0] + eps * v, *args[1:]) - tape(args[0] - eps * v, *args[1:])) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    g = srcad.grad(f)
    g(*args)
    assert "extremum_weights" not in g.source  # (the specialized gradient)


def test_a_nested_function_stops_the_proof():
    """A closure could read the shifted name later without naming it."""

    def f(W, X, Y):
        z = X @ W
        peek = lambda: z  # noqa: E731  (it reads z when it is called: z shifted)
        z = z - np.max(z, axis=1, keepdims=True)
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return np.sum(Y * logp) + np.sum(peek() ** 2)

    args = _args(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        got = srcad.grad(f)(*args)
    np.testing.assert_allclose(got, fd(f, args, 0), rtol=1e-6, atol=1e-8)


def a_parameter_rebound(x, y):
    a0 = np.sin(x)
    b0 = np.cos(x)
    x += 0.25  # (x is bound twice: on entry and here; nothing reads the second)
    return np.sum(a0 + b0 * y)


def a_local_rebound(x, y):
    z = x * 2.0
    a0 = np.sin(z)
    z = z - np.max(z)  # (z is bound twice; the second binding is shift-free)
    return np.sum(a0 * y) + np.sum(np.exp(z) / np.sum(np.exp(z), keepdims=True))


@pytest.mark.parametrize("f", [a_parameter_rebound, a_local_rebound], ids=lambda f: f.__name__)
def test_a_name_bound_twice_is_not_a_candidate(f):
    """Activity is by name: a name bound twice is one name for two values, and the
    result may depend on the first (tests/compiler/test_reuse_primal_calls.py found
    the parameter's case)."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    got = srcad.grad(f, wrt=(0, 1))(x.copy(), y)
    for k in (0, 1):
        np.testing.assert_allclose(got[k], fd(f, (x, y), k), rtol=1e-6, atol=1e-8)
