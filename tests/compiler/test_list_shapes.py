"""Shapes of a list's elements, known at transform time (compiler/shapes.py, ``ListOf``).

An RNN that keeps its hidden states in a list (``hs.append(np.tanh(...)); hs[-1]``) was
built unspecialized: the shape pass knew nothing of lists, so the backward sweep kept
every ``_rt.unbroadcast`` and recomputed ``np.dot(xs[t], Wx)`` for its shape (2.0x
the hand-written gradient; 1.13 with the list modelled).  A list gets an element
shape only when every use of it is one the pass follows (append as a statement, pop,
an index read, ``len``, a ``for`` over it, a runtime helper); an alias, a call that
may append, ``extend``, ``insert`` or ``lst + [...]`` ends the model for that name.

Random programs mix lists whose elements keep one shape with lists that receive an
element of another shape in each of those ways; a wrong element shape would drop an
``unbroadcast`` that matters.  Each gradient is checked against central differences
in float64, with the optimizer on and off.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .fdcheck import fd
from .genload import load

# the statements that put an element of another shape (a number, or 2 entries) into
# the list named L, each in a way the shape pass must see as "not followed"
OTHER_SHAPE = [
    "{L}.append(np.sum(v))",  # (followed: the append's own shape joins)
    "alias = {L}\n        alias.append(np.sum(v) * 0.5)",
    "{L}.extend([np.sum(v)])",
    "{L}.insert(0, np.sum(v))",
    "_append_half(np.sum(v), {L})",
    "{L} = {L} + [np.sum(v) * 0.5]",
    "{L} = [np.sum(v)] + {L}[1:]",
    "acc = acc + _push({L}, np.sum(v))",  # (source mode takes it: the model must end)
]


def _append_half(v, lst):
    lst.append(v * 0.5)


def _push(lst, v):
    lst.append(v)
    return v * 1.0


@st.composite
def programs(draw):
    init = draw(st.sampled_from(["[x]", "[x * s]", "[]"]))
    lines = ["def f(x, W, s):", f"    hs = {init}", "    acc = 0.0"]
    first = "x" if init == "[]" else "hs[-1]"
    lines.append("    for t in range(3):")
    prev = draw(st.sampled_from([first, "x"]))
    lines.append(f"        v = np.tanh(np.dot({prev}, W) + s * x)")
    lines.append("        hs.append(v)")
    other = draw(st.one_of(st.none(), st.sampled_from(OTHER_SHAPE)))
    if other is not None:
        lines.append("        " + other.format(L="hs"))
    read = draw(st.sampled_from(["hs[-1]", "hs[0]", "hs[t]", "hs[len(hs) - 1]"]))
    lines.append(f"        u = {read}")
    lines.append("        acc = acc + np.sum(u * u) + np.sum(np.dot(u * np.ones(3), W))")
    if draw(st.booleans()):
        lines += ["    for e in hs:", "        acc = acc + np.sum(e * s)"]
    if draw(st.booleans()):
        lines.append("    last = hs.pop()")
        lines.append("    acc = acc + np.sum(last * last)")
    lines.append("    return acc")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=programs(), seed=st.integers(0, 2**16))
def test_random_list_programs(src, seed, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ls")
    src = "import numpy as np\n\n\n" + src
    f = load(src, folder, "list_shapes", _append_half=_append_half, _push=_push)
    rng = np.random.default_rng(seed)
    x, W, s = rng.uniform(-1, 1, 3), rng.uniform(-0.7, 0.7, (3, 3)), float(rng.uniform(-1, 1))
    try:
        f(x, W, s)
    except ValueError:  # (a list of mixed shapes that NumPy cannot add: not a case)
        return
    want = [fd(f, (x, W, s), k) for k in range(3)]
    scale = max(1.0, *(float(np.max(np.abs(w))) for w in want))
    for optimize in (True, False):
        got = srcad.grad(f, wrt=(0, 1, 2), optimize=optimize)(x, W, s)
        for g, w in zip(got, want):
            assert np.allclose(g, w, rtol=1e-6, atol=1e-7 * scale), (src, optimize)


def rnn_list(Wx, Wh, xs, h0):
    hs = [h0]
    for t in range(len(xs)):
        hs.append(np.tanh(np.dot(xs[t], Wx) + np.dot(hs[-1], Wh)))
    return np.mean(hs[-1] ** 2)


# -- a list held by another container, changed through its own name (FINDINGS A8) ------
# Each gave the appended values no gradient in source mode (both modes agreed on the
# wrong number in mode 'auto'): the container was not made stale by the append.
HOLDERS = ['{"k": L}', "[L]", "(L, 1.0)", "[[L]]"]
READS = {'{"k": L}': 'H["k"]', "[L]": "H[0]", "(L, 1.0)": "H[0]", "[[L]]": "H[0][0]"}
CHANGES = ["L.append(a * i)", "L.extend([a * i])", "L.insert(0, a * i)"]


@given(
    holder=st.sampled_from(HOLDERS),
    change=st.sampled_from(CHANGES),
    a=st.floats(-2.0, 2.0),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_list_changed_under_its_holder(holder, change, a, tmp_path_factory):
    src = (
        "import numpy as np\n\n\ndef f(a):\n    L = [a]\n"
        f"    H = {holder}\n    for i in range(3):\n        {change}\n"
        f"    return sum({READS[holder]}) * 2.0 + a\n"
    )
    f = load(src, tmp_path_factory.mktemp("lh"), "list_holders")
    want = float(fd(f, (a,), 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        np.testing.assert_allclose(srcad.grad(f)(a), want, rtol=1e-6, atol=1e-8, err_msg=src)
    try:
        got = srcad.grad(f, mode="source")(a)
    except srcad.UnsupportedError:
        return
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=src)


# -- dicts: min-char-rnn's hs[t] = np.tanh(...) (shapes.DictOf) -------------------------
DICT_OTHER = [
    "hs[t + 10] = np.sum(v)",  # (followed: the store's own shape joins)
    "alias = hs\n        alias[t + 10] = np.sum(v) * 0.5",
    "hs.update({t + 10: np.sum(v)})",
    "hs.setdefault(t + 10, np.sum(v))",
    "_put(hs, t + 10, np.sum(v))",
    "hs = {**hs, t + 10: np.sum(v)}",
    "acc = acc + _put(hs, t + 10, np.sum(v))",
    # an inactive dict changed by a helper (the called-function checks refuse only
    # active values): only the shape pass's own escape analysis sees it
    "cs[0] = np.ones(3)\n        acc = acc + _put(cs, 0, 2.0)\n"
    "        acc = acc + np.sum(np.dot(cs[0] * x, W))",
]


def _put(d, k, v):
    d[k] = v
    return v * 1.0


@st.composite
def dict_programs(draw):
    init = draw(st.sampled_from(["{-1: x}", "{-1: x * s}", "{}"]))
    lines = ["def f(x, W, s):", f"    hs = {init}", "    acc = 0.0", "    cs = {0: np.zeros(3)}"]
    if init == "{}":
        lines.append("    hs[-1] = x")
    lines.append("    for t in range(3):")
    lines.append("        v = np.tanh(np.dot(hs[t - 1], W) + s * x)")
    lines.append("        hs[t] = v")
    other = draw(st.one_of(st.none(), st.sampled_from(DICT_OTHER)))
    if other is not None:
        lines.append("        " + other)
    read = draw(
        st.sampled_from(["hs[t]", "hs[t - 1]", "hs[-1]", "hs[t + 10] if t > 0 else hs[t]"])
    )
    lines.append(f"        u = {read}")
    lines.append("        acc = acc + np.sum(u * u) + np.sum(np.dot(u * np.ones(3), W))")
    if draw(st.booleans()):
        lines += ["    for k in hs:", "        acc = acc + np.sum(hs[k] * s)"]
    lines.append("    return acc")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=dict_programs(), seed=st.integers(0, 2**16))
def test_random_dict_programs(src, seed, tmp_path_factory):
    f = load(src, tmp_path_factory.mktemp("ds"), "dict_shapes", _put=_put)
    rng = np.random.default_rng(seed)
    x, W, s = rng.uniform(-1, 1, 3), rng.uniform(-0.7, 0.7, (3, 3)), float(rng.uniform(-1, 1))
    try:
        f(x, W, s)
    except (KeyError, ValueError):
        return  # (a key never written, or shapes NumPy cannot add: not a case)
    want = [fd(f, (x, W, s), k) for k in range(3)]
    scale = max(1.0, *(float(np.max(np.abs(w))) for w in want))
    for optimize in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", srcad.FallbackWarning)
            got = srcad.grad(f, wrt=(0, 1, 2), optimize=optimize)(x, W, s)
        for g, w in zip(got, want):
            assert np.allclose(g, w, rtol=1e-6, atol=1e-7 * scale), (src, optimize)


def rnn_dict(Wx, Wh, xs, h0):
    hs = {}
    hs[-1] = h0
    loss = 0.0
    for t in range(len(xs)):
        hs[t] = np.tanh(np.dot(xs[t], Wx) + np.dot(hs[t - 1], Wh))
        loss += np.sum(hs[t] ** 2)
    return loss


@pytest.mark.parametrize("rnn", [rnn_list, rnn_dict], ids=["list", "dict"])
def test_the_rnn_is_specialized(rnn):
    """Its backward sweep calls no runtime helper for broadcasting or products (the
    generated code a user reads says so), and its gradient is right."""
    rng = np.random.default_rng(0)
    Wx, Wh = rng.standard_normal((4, 5)) / 2, rng.standard_normal((5, 5)) / 3
    xs, h0 = rng.standard_normal((6, 2, 4)), np.zeros((2, 5))
    g = srcad.grad(rnn, wrt=(0, 1))
    got = g(Wx, Wh, xs, h0)
    assert "unbroadcast" not in g.source and "dot_adjoint" not in g.source, g.source
    for k, gk in zip((0, 1), got):
        np.testing.assert_allclose(gk, fd(rnn, (Wx, Wh, xs, h0), k), rtol=1e-6, atol=1e-9)
