"""A list only appended to, then summed: one adjoint for all its elements.

``terms = []; for i in ...: terms.append(e); return sum(terms)`` and ``sum(e for i in
...)`` (a comprehension is lowered to such a list) built the list's adjoint, a list,
and popped it one step at a time going back: 18x the hand-written gradient for 1,000
terms before the list adjoints were stepped in place, 3.7x after.  The sum's adjoint
is the same for every element, so ``reverse.summed_lists`` finds a list bound once to
``[]`` at top level, then only appended to, then read by one builtin ``sum`` at top
level, and each append's adjoint reads the sum's; under ``grad`` the forward loop,
which only built the list for the value, then goes (``optimize``: a list nothing
reads is dead, appends and all).

Random programs draw that pattern and its near misses (a second reader, an append
after the sum, the list read by index, a second sum, a start value, a pop, two
lists), arrays and numbers as elements; every transformation is checked against
central differences in float64, with the optimizer on and off.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .fdcheck import fd
from .genload import load

ELEMENTS = ["np.sin(a * i) * b", "a * a + b * i", "np.exp(-a * i * 0.1) * x", "x * a + i"]
MISSES = [
    None,
    None,
    "    extra = terms[0] * 2.0",  # read by index
    "    terms.append(a * 3.0)",  # appended after the sum
    "    other = sum(terms)",  # a second sum
    "    dup = terms\n    dup.append(b)",  # an alias that appends
    "    last = terms.pop()",  # popped after
]


@st.composite
def programs(draw):
    elt = draw(st.sampled_from(ELEMENTS))
    n = draw(st.integers(0, 4))
    style = draw(st.sampled_from(["loop", "genexp", "listcomp", "nested"]))
    miss = draw(st.sampled_from(MISSES))
    start = draw(st.sampled_from(["", "", ", 0.5"]))
    lines = ["def f(a, b, x):"]
    if style == "genexp" and miss is None:
        lines.append(f"    s = sum(({elt} for i in range({n})){start})")
    elif style == "listcomp" and miss is None:
        lines.append(f"    s = sum([{elt} for i in range({n})]{start})")
    else:
        lines.append("    terms = []")
        if style == "nested":
            lines += ["    for j in range(2):", f"        for i in range({n}):"]
            lines.append(f"            terms.append(({elt}) * (j + 1))")
        else:
            lines += [f"    for i in range({n}):", f"        terms.append({elt})"]
        if miss is not None and "append(a * 3.0)" not in miss:
            lines.append(miss)
        lines.append(f"    s = sum(terms{start})")
        if miss is not None and "append(a * 3.0)" in miss:
            lines.append(miss)
    tail = "s"
    if miss is not None and "extra" in miss:
        tail += " + np.sum(extra)"
    if miss is not None and "other" in miss:
        tail += " + np.sum(other) * 0.5"
    if miss is not None and "last" in miss:
        tail += " + np.sum(last)"
    lines.append(f"    return np.sum({tail}) * 1.5")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=programs(), seed=st.integers(0, 2**16))
def test_random_summed_lists(src, seed, tmp_path_factory):
    f = load(src, tmp_path_factory.mktemp("sl"), "summed_lists")
    rng = np.random.default_rng(seed)
    a, b, x = float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1)), rng.uniform(-1, 1, 2)
    try:
        value = f(a, b, x)
    except (IndexError, TypeError):
        return  # (an empty list read by index or popped: not a case)
    want = [np.asarray(fd(f, (a, b, x), k)) for k in range(3)]
    t = (0.5, -0.25, np.array([1.0, -1.0]))
    jvp_want = float(want[0] * t[0] + want[1] * t[1] + want[2] @ t[2])
    try:
        srcad.grad(f, wrt=(0, 1, 2), mode="source")(a, b, x)
    except srcad.UnsupportedError:  # (an alias that appends: refused; the tape runs it)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", srcad.FallbackWarning)
            for got, w in zip(srcad.grad(f, wrt=(0, 1, 2))(a, b, x), want):
                np.testing.assert_allclose(got, w, rtol=1e-6, atol=1e-8, err_msg=src)
        return
    for optimize in (True, False):
        g = srcad.grad(f, wrt=(0, 1, 2), mode="source", optimize=optimize)
        for got, w in zip(g(a, b, x), want):
            np.testing.assert_allclose(got, w, rtol=1e-6, atol=1e-8, err_msg=src)
        v, gs = srcad.value_and_grad(f, wrt=(0, 1, 2), mode="source", optimize=optimize)(a, b, x)
        assert v == value, src  # (the value keeps its bits: the list is still summed)
        for got, w in zip(gs, want):
            np.testing.assert_allclose(got, w, rtol=1e-6, atol=1e-8, err_msg=src)
        v, pullback = srcad.vjp(f, wrt=(0, 1, 2), mode="source", optimize=optimize)(a, b, x)
        for _ in range(2):  # (a second call of the pullback too)
            for got, w in zip(pullback(2.0), want):
                np.testing.assert_allclose(got, 2.0 * w, rtol=1e-6, atol=1e-8, err_msg=src)
        _, tan = srcad.jvp(f, wrt=(0, 1, 2), mode="source", optimize=optimize)(a, b, x, t)
        np.testing.assert_allclose(tan, jvp_want, rtol=1e-6, atol=1e-8, err_msg=src)


def sum_of_terms(a, b):
    terms = []
    for i in range(1000):
        terms.append(np.sin(a * i) * b)
    return sum(terms)


def sum_of_generator(a, b):
    return sum(np.sin(a * i) * b + a * a for i in range(1000))


def test_the_gradient_builds_no_list():
    """Under grad the forward loop only built the list for the value: it goes, and the
    backward loop reads the sum's adjoint (the generated code a user reads shows it)."""
    for f in (sum_of_terms, sum_of_generator):
        g = srcad.grad(f, wrt=(0, 1))
        got = g(1.3, 0.7)
        code = "\n".join(ln for ln in g.source.splitlines() if not ln.strip().startswith("#"))
        assert "append" not in code and "pop_adj" not in code, g.source
        for k in (0, 1):
            np.testing.assert_allclose(got[k], fd(f, (1.3, 0.7), k), rtol=1e-5)
