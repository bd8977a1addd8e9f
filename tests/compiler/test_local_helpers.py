"""Helpers defined inside the differentiated function: a lambda or a one-line ``def``.

The compiler inlines them at each call (anf.py).  A body with an operation inside an
operand (``def sigmoid(t): return 1.0 / (1.0 + np.exp(-t))``) called on an expression
(``sigmoid(X @ w)``) lost its gradient without a word: the argument became a
temporary the activity set did not know, so ``1.0 + np.exp(-t)`` was kept whole as an
inactive operand, and ``grad`` returned zeros (FINDINGS A5).  Two fixes, each tested
here: the temporary is active, and ``anf.check_operands`` refuses any active operand
that is not a name, so that the same class can only ever be a refusal.

Random bodies and call sites, checked against central differences in float64 in
every transformation, in source mode (each one-line helper must compile: no silent
fall back to the tape).
"""

import warnings

import gast
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler import anf

from .fdcheck import fd
from .genload import load

# -- hand-written cases -----------------------------------------------------------------


def sigmoid_inside(w, X, y):
    def sigmoid(t):
        return 1.0 / (1.0 + np.exp(-t))

    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def lambda_closure(w, X, y):
    scale = 0.5 * np.sum(w)
    act = lambda t: np.tanh(t * scale) + t * t  # noqa: E731
    return np.sum(act(X @ w - y) ** 2)


def nested_calls(w, X, y):
    def inner(a):
        return np.exp(-(a * a)) * 2.0 + a

    def outer(a, b):
        return inner(a * b) - np.sin(-a + b * 0.5)

    return np.sum(outer(X @ w, y + 1.0) * (w[0] + 1.0))


CASES = [sigmoid_inside, lambda_closure, nested_calls]


def _data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((7, 3))
    w = 0.4 * rng.standard_normal(3)
    y = (rng.random(7) < 0.5).astype(float)
    return w, X, y


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_hand_written_helpers(f):
    w, X, y = _data()
    want = fd(f, (w, X, y), 0)
    g = srcad.grad(f, mode="source")
    np.testing.assert_allclose(g(w, X, y), want, rtol=1e-6, atol=1e-8)
    _, (gw,) = srcad.value_and_grad(f, wrt=(0,), mode="source")(w, X, y)
    np.testing.assert_allclose(gw, want, rtol=1e-6, atol=1e-8)
    d = np.array([0.3, -1.0, 0.7])
    _, t = srcad.jvp(f, mode="source")(w, X, y, d)
    np.testing.assert_allclose(t, want @ d, rtol=1e-6, atol=1e-8)


def test_the_check_refuses_what_the_fix_prevents(monkeypatch):
    """With the temporaries of ANF no longer marked active (the code before the fix),
    ``check_operands`` turns the lost gradient into a refusal, and mode='auto' into
    the tape's right answer."""
    original = anf.ANF._atom

    def forgetful(self, node, *args, **kwargs):
        before = set(self.act.active)
        pre, out = original(self, node, *args, **kwargs)
        if isinstance(out, gast.Name) and out.id not in before:
            self.act.active.discard(out.id)  # (the temporary, as before the fix)
        return pre, out

    monkeypatch.setattr(anf.ANF, "_atom", forgetful)
    srcad.clear_cache()  # (built by the test above, with the fix)
    w, X, y = _data()
    with pytest.raises(srcad.UnsupportedError, match="single operations"):
        srcad.grad(sigmoid_inside, mode="source")(w, X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        g = srcad.grad(sigmoid_inside)(w, X, y)
    np.testing.assert_allclose(g, fd(sigmoid_inside, (w, X, y), 0), rtol=1e-6, atol=1e-8)
    srcad.clear_cache()  # (nothing built without the fix outlives the test)


# -- random helpers ---------------------------------------------------------------------

UNARY = ["np.sin({})", "np.tanh({})", "np.exp(-({}) * ({}))", "-({})", "np.cos({}) * 0.5"]
BINARY = ["({} + {})", "({} - {})", "({} * {})", "({} / (1.0 + {} * {}))"]


@st.composite
def expressions(draw, names, depth):
    """Source text of a random float expression of ``names`` (numbers and arrays of one
    shape mixed freely: every operation broadcasts)."""
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(names + ["0.7", "1.3"]))
    if draw(st.booleans()):
        form = draw(st.sampled_from(UNARY))
        a = draw(expressions(names, depth - 1))
        return form.format(*([a] * form.count("{}")))
    form = draw(st.sampled_from(BINARY))
    a = draw(expressions(names, depth - 1))
    b = draw(expressions(names, depth - 1))
    return form.format(a, b, b) if form.count("{}") == 3 else form.format(a, b)


@st.composite
def programs(draw):
    """A function of ``x`` (a vector) and ``s`` (a float) that defines one or two helpers
    (a lambda or a one-line def, the second may call the first) and calls them on
    expressions; returns its source."""
    lines = ["def f(x, s):"]
    helpers = []
    for k in range(draw(st.integers(1, 2))):
        params = ["a", "b"][: draw(st.integers(1, 2))]
        captured = draw(st.sampled_from([[], ["s"], ["x"]]))
        body = draw(expressions(params + captured, 3))
        if helpers and draw(st.booleans()):
            h, hp = helpers[-1]
            args = ", ".join(draw(expressions(params, 1)) for _ in hp)
            body = f"({body}) * {h}({args})"
        name = f"h{k}"
        if draw(st.booleans()):
            lines.append(f"    {name} = lambda {', '.join(params)}: {body}")
        else:
            lines += [f"    def {name}({', '.join(params)}):", f"        return {body}"]
        helpers.append((name, params))
    h, hp = helpers[-1]
    args = ", ".join(draw(expressions(["x", "s"], 2)) for _ in hp)
    lines.append(f"    v = {h}({args})")
    lines.append("    return np.sum(v * v) + s * np.sum(x)")
    return "\n".join(lines) + "\n"


def _close(got, want, scale):
    return np.allclose(got, want, rtol=1e-5, atol=1e-6 * scale)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=programs(), seed=st.integers(0, 2**16))
def test_random_local_helpers(src, seed, tmp_path_factory):
    f = load("import numpy as np\n\n\n" + src, tmp_path_factory.mktemp("lh"), "local_helpers")
    rng = np.random.default_rng(seed)
    x, s = rng.uniform(-1.5, 1.5, 3), float(rng.uniform(-1.5, 1.5))
    with np.errstate(all="ignore"):
        value = f(x, s)
        if not np.isfinite(value) or abs(value) > 1e6:
            return
        want_x = fd(f, (x, s), 0)
        want_s = float(fd(f, (x, s), 1))
    if not (np.all(np.isfinite(want_x)) and np.isfinite(want_s)):
        return
    scale = max(1.0, float(np.max(np.abs(want_x))), abs(want_s))
    gx, gs = srcad.grad(f, wrt=(0, 1), mode="source")(x, s)
    assert _close(gx, want_x, scale) and _close(gs, want_s, scale), src
    v, (gx2, gs2) = srcad.value_and_grad(f, wrt=(0, 1), mode="source")(x, s)
    assert v == value and _close(gx2, want_x, scale) and _close(gs2, want_s, scale), src
    dx = rng.uniform(-1.0, 1.0, 3)
    _, t = srcad.jvp(f, wrt=(0, 1), mode="source")(x, s, (dx, 0.5))
    assert _close(t, want_x @ dx + 0.5 * want_s, scale), src


# -- helpers and calls that change a list -------------------------------------------------
# Each gave a zero gradient in source mode before (the change went unseen by the
# sweep); each must now be right in mode 'auto' and, in mode 'source', right or refused.


def lambda_appends_compound(x):
    acc = []
    add = lambda v: acc.append(v)  # noqa: E731
    add(x * 2.0)
    return np.sum(acc[-1] ** 2)


def lambda_appends_name(x):
    acc = []
    add = lambda v: acc.append(v)  # noqa: E731
    add(x)
    return np.sum(acc[-1] ** 2)


def lambda_append_as_value(x):
    acc = []
    add = lambda v: acc.append(v)  # noqa: E731
    t = add(x)  # noqa: F841
    return np.sum(acc[-1] ** 2)


def append_as_value(x):
    acc = []
    t = acc.append(x * 2.0)  # noqa: F841
    return np.sum(acc[-1] ** 2)


def index_list_appended_in_expression(x):
    y = 1.0
    idx = []
    for k in range(3):
        t = idx.append(k)  # noqa: F841
        y = y * x[idx[-1]]
    return y


def closure_reads_list(x):
    acc = [x * 1.0]

    def last():
        return acc[-1]

    acc.append(x * 3.0)
    return np.sum(last() ** 2)


CHANGING = [
    lambda_appends_compound,
    lambda_appends_name,
    lambda_append_as_value,
    append_as_value,
    index_list_appended_in_expression,
    closure_reads_list,
]


@pytest.mark.parametrize("f", CHANGING, ids=lambda f: f.__name__)
def test_helpers_and_calls_that_change_a_list(f):
    x = np.array([0.3, -0.8, 1.1])
    want = fd(f, (x,), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        np.testing.assert_allclose(srcad.grad(f)(x), want, rtol=1e-7, atol=1e-9)
    try:
        got = srcad.grad(f, mode="source")(x)
    except srcad.UnsupportedError:
        return
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def numpy_functions_named_like_list_methods(x):
    return np.sum(np.sort(x) * np.arange(3.0)) + np.sum(np.append(x, x * 2.0) ** 2)


def test_numpy_functions_named_like_list_methods_are_not_changes():
    """``np.sort`` and ``np.append`` make new arrays: compiled, not
    refused as a list changed inside an expression."""
    x = np.array([0.3, -0.8, 1.1])
    got = srcad.grad(numpy_functions_named_like_list_methods, mode="source")(x)
    np.testing.assert_allclose(
        got, fd(numpy_functions_named_like_list_methods, (x,), 0), rtol=1e-7
    )
