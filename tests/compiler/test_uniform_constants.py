"""Two analyses of generated code, checked against the code before them:

* ``optimize.propagate_uniform_constants``: a name every binding of which gives the
  same number is read as that number (``dloss = 1.0`` before the backward loop,
  ``dloss_in = dloss; dloss = dloss_in`` inside it);
* ``negations.floating_names`` with stacks: a value popped from a list used only as a
  stack is floating when everything pushed onto it is (``h = _stack.pop()``), which
  lets ``drop_float_identities`` read ``1.0 * (2 * h)`` as ``2 * h``.

Random programs with loops (zero-trip ones too), branches, copies between names,
constants of several types and signs (``1`` is not ``1.0``, ``-0.0`` is not
``0.0``), augmented assignments, a stack, and reads of names that may be unbound on
some path, run before and after the passes: every value must be the same bit for
bit, of the same type and dtype, and a program that raised must raise the same way
(an ``UnboundLocalError`` stays one).  Then whole gradients against finite
differences.
"""

import ast

import gast
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler.optimize import drop_float_identities, propagate_uniform_constants

from .fdcheck import fd
from .test_exact_rewrites import _run, _same

PARAMS = ("a", "k", "s", "n")  # float array, int array, Python float, Python int
FLOATING = frozenset({"a", "s"})
POOL = ("c0", "c1", "c2", "c3")
CONSTANTS = ("1.0", "1", "0.0", "-0.0", "2.5", "-1.0")


@st.composite
def reads(draw):
    return draw(st.sampled_from(POOL + PARAMS + ("v",)))


@st.composite
def statements(draw, depth):
    kind = draw(
        st.sampled_from(
            ["const", "const", "copy", "copy", "use", "use", "aug", "push", "pop"]
            + (["for", "if"] if depth else [])
        )
    )
    pad = "    " * (3 - depth)
    c = draw(st.sampled_from(POOL))
    if kind == "const":
        return [f"{pad}{c} = {draw(st.sampled_from(CONSTANTS))}"]
    if kind == "copy":
        return [f"{pad}{c} = {draw(st.sampled_from(POOL))}"]
    if kind == "use":
        x, y = draw(reads()), draw(reads())
        form = draw(st.sampled_from(["1.0 * ({} * {})", "({} * {}) * 1.0", "{} - {}"]))
        return [f"{pad}t = t + " + form.format(x, y)]
    if kind == "aug":
        return [f"{pad}{c} += 1.0"]
    if kind == "push":
        pushed = ["a * 2.0", "k", c, "s", "np.zeros(8)", "np.ones(8, dtype=np.int64)"]
        return [f"{pad}S.append({draw(st.sampled_from(pushed))})"]
    if kind == "pop":
        return [f"{pad}v = S.pop() if S else v"]
    body = [ln for _ in range(draw(st.integers(1, 3))) for ln in draw(statements(depth - 1))]
    if kind == "for":
        return [f"{pad}for i in range({draw(st.integers(0, 2))}):"] + body
    other = [ln for _ in range(draw(st.integers(1, 2))) for ln in draw(statements(depth - 1))]
    cond = draw(st.sampled_from(["n > 1", "np.sum(a) > 0", "s < 0"]))
    return [f"{pad}if {cond}:"] + body + [f"{pad}else:"] + other


@st.composite
def programs(draw):
    lines = ["    S = []", "    t = 0.0", "    v = a"]
    for _ in range(draw(st.integers(2, 7))):
        lines += draw(statements(2))
    ret = ", ".join(["t"] + draw(st.lists(st.sampled_from(POOL), max_size=3)))
    return "def f(a, k, s, n):\n" + "\n".join(lines) + f"\n    return ({ret},)\n"


@settings(max_examples=500, deadline=None)
@given(programs(), st.integers(0, 1000), st.booleans())
def test_the_passes_keep_every_value_bit_for_bit(src, seed, big):
    rng = np.random.default_rng(seed)
    a = rng.permutation(np.array([0.0, -0.0, 1.5, -2.0, np.inf, np.nan, 1e-310, 3.0]))
    args = (a, rng.integers(-3, 4, size=8), float(rng.choice([-0.0, 0.5, -2.0])), 2 if big else 0)
    before = gast.parse(src).body[0]
    after = gast.parse(src).body[0]
    propagate_uniform_constants(after)
    drop_float_identities(after, FLOATING)
    assert _same(_run(before, args, None), _run(after, args, None)), src


def _after(src):
    fdef = gast.parse(src).body[0]
    propagate_uniform_constants(fdef)
    drop_float_identities(fdef, FLOATING)
    return ast.unparse(gast.gast_to_ast(fdef))


def test_what_is_read_as_a_number_and_what_is_not():
    got = _after(
        "def f(a, k, s, n):\n"
        "    S = []\n"
        "    d = 1.0\n"
        "    e = 1\n"
        "    z = 0.0\n"
        "    h = a\n"
        "    for i in range(n):\n"
        "        S.append(h)\n"
        "        h = np.tanh(h)\n"
        "    for i in range(n):\n"
        "        d_in = d\n"
        "        d = d_in\n"
        "        e = 1.0\n"  # 1 and 1.0: not one number
        "        z = -0.0\n"  # 0.0 and -0.0: not one number
        "        w = d_in * (2 * h)\n"
        "        h = S.pop()\n"
        "    if n > 1:\n"
        "        u = 1.0\n"
        "    return (w, e, z, u * a, k * d)\n"
    )
    assert "w = 1.0 * (2 * h)" in got  # (the whole value: never dropped, see below)
    assert "return (w, e, z, u * a, k * 1.0)" in got  # u may be unbound: still read
    got = _after(
        "def f(a, k, s, n):\n"
        "    S = []\n"
        "    d = 1.0\n"
        "    h = a\n"
        "    t = 0.0\n"
        "    for i in range(n):\n"
        "        S.append(h)\n"
        "        h = np.tanh(h)\n"
        "    for i in range(n):\n"
        "        t = t + d * (2 * h)\n"
        "        h = S.pop()\n"
        "    return (t,)\n"
    )
    assert "t = t + 2 * h" in got
    got = _after(
        "def f(a, k, s, n):\n"
        "    S = []\n"
        "    h = a\n"
        "    t = 0.0\n"
        "    for i in range(n):\n"
        "        S.append(h)\n"
        "        t = t + 1.0 * (2 * h)\n"
        "        h = S.pop()\n"
        "    q = S\n"  # a list read another way is not a stack
        "    return (t, q)\n"
    )
    assert "1.0 * (2 * h)" in got
    got = _after(
        "def f(a, k, s, n):\n"
        "    S = []\n"
        "    h = a\n"
        "    t = 0.0\n"
        "    for i in range(n):\n"
        "        S.append(k)\n"  # an integer array pushed: a pop may be one
        "        t = t + 1.0 * (2 * h)\n"
        "        h = S.pop()\n"
        "    return (t,)\n"
    )
    assert "1.0 * (2 * h)" in got


def test_names_bound_by_def_or_import_are_left_alone():
    got = _after(
        "def f(a, k, s, n):\n"
        "    c = 1.0\n"
        "    u = c * a\n"
        "    def c():\n"
        "        return 2.0\n"
        "    m = 2.0\n"
        "    import math as m\n"
        "    return (u, c, m)\n"
    )
    assert "return (u, c, m)" in got


def rnn_loss(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(xs[t], Wx) + np.dot(h, Wh) + b)
        loss = loss + np.sum(h**2)
    return loss


def test_an_rnn_gradient_against_finite_differences():
    rng = np.random.default_rng(3)
    args = (
        0.3 * rng.standard_normal((3, 4)),
        0.3 * rng.standard_normal((4, 4)),
        0.1 * rng.standard_normal(4),
        rng.standard_normal((5, 2, 3)),
    )
    for k in range(3):
        g = srcad.grad(rnn_loss, wrt=k, mode="source")
        np.testing.assert_allclose(g(*args), fd(rnn_loss, args, k), rtol=1e-6, atol=1e-9)
    assert "dloss" not in g.source  # the incoming adjoint 1.0 is read as the number
    assert "1.0 * (2 * h)" not in g.source and "2 * h" in g.source
