"""The optimizer passes on small ASTs, and the whole corpus with optimize=False."""

import os
import sys
import textwrap

import gast
import numpy as np
import pytest

import srcad
from srcad.compiler import optimize as opt
from srcad.compiler.emit import to_source
from srcad.testing import numerical_grad

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import corpus  # noqa: E402
from corpus import diff_params, make_args, rng_for  # noqa: E402


def _body(src):
    return gast.parse(src).body


def _src(stmts):
    f = gast.parse("def f():\n    pass\n").body[0]
    f.body = stmts
    return to_source([f])


def test_fold_constants_arithmetic_and_identities():
    out = _src(
        opt.fold_constants(_body("a = g * 2 * x ** (2 - 1)\nb = y * 1\nc = _rt.masked(g, True)"))
    )
    assert "a = g * 2 * x\n" in out
    assert "b = y\n" in out
    assert "c = g\n" in out


def test_fold_keeps_float_identities_that_change_types():
    # x * 1.0 turns an int array into floats: not an identity, so it stays
    out = _src(opt.fold_constants(_body("a = x * 1.0")))
    assert "x * 1.0" in out


def test_copy_propagation_only_for_single_assignments():
    stmts = _body("b = f(x)\na = b\nc = a + 1\nd = x\nx = 3\ne = d\nh = e + 1")
    out = _src(opt.propagate_copies(stmts, protected=["x"]))
    assert "c = b + 1" in out  # a = b propagated
    assert "d = x" in out  # not propagated: x is a parameter assigned again later
    assert "h = d + 1" in out


def test_dead_code_keeps_side_effects():
    stmts = _body("a = np.sin(x)\nb = _stack.pop()\nc = a * 2\nreturn x")
    out = _src(opt.eliminate_dead_code(stmts))
    assert "np.sin" not in out and "c = " not in out  # pure and unused: gone
    assert "_stack.pop()" in out  # a pop changes the stack: kept


def test_optimized_source_has_no_dead_temporaries():
    def f(x, w):
        t = x * w
        u = np.sin(t)  # noqa: F841 - unused on purpose
        return np.sum(t * t)

    src = srcad.grad(f, mode="source").source
    assert "np.sin" not in src.split("_rt.seed")[1]
    assert srcad.grad(f, mode="source", optimize=False).source != src


CASES = corpus.collect()
PARAMS = [
    pytest.param(c, w, id=f"{c.id}-{w}")
    for c in CASES
    for w in diff_params(c.fn)
    if not hasattr(c.fn, "corpus_may_refuse")
    and not hasattr(c.fn, "corpus_expected")
    and not hasattr(c.fn, "corpus_reference")
]


@pytest.mark.parametrize("case, wrt", PARAMS)
def test_corpus_without_optimizer(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    g = srcad.grad(case.fn, wrt=wrt, mode="source", optimize=False)(*args)
    ref = numerical_grad(case.fn, args, wrt)
    srcad.testing.assert_grad_close(g, ref, 1e-5, 1e-7, label=f"{case.id} d/d{wrt}")


def test_unused_reference_to_numpy():
    assert np.__name__ == "numpy"


def test_round_trip_copies_go():
    out = _src(opt.drop_round_trip_copies(_body("a = b\nb = a\nc = b * 2\nb = c\nc = b\n")))
    assert out.count("b = a") == 0 and out.count("c = b\n") == 0, out
    assert "a = b" in out and "b = c" in out, out


def test_round_trip_copies_keep_every_value():
    """Random straight-line code of copies and updates over four names, with loops
    around some of it: the values at the end are the same with the pass."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    names = st.sampled_from("abcd")
    line = st.one_of(
        st.tuples(names, names).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(names, names).map(lambda t: f"{t[0]} = {t[1]} + 1"),
        st.tuples(names, names).map(lambda t: f"{t[0]} = {t[1]}\n{t[1]} = {t[0]}"),
        st.tuples(names, names, names).map(  # (a round trip with a change between)
            lambda t: f"{t[0]} = {t[1]}\n{t[2]} = {t[2]} + 1\n{t[1]} = {t[0]}"
        ),
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(line, min_size=1, max_size=8), st.integers(0, 7))
    def check(lines, loop_at):
        body = "\n".join(lines)
        if loop_at < len(lines):
            inner = "\n".join("    " + ln for ln in "\n".join(lines[loop_at:]).split("\n"))
            body = "\n".join(lines[:loop_at] + [f"for i in range(2):\n{inner}"])
        src = "a, b, c, d = 1, 2, 3, 4\n" + body + "\n"
        want, got = {}, {}
        exec(src, {}, want)  # noqa: S102
        new = _src(opt.drop_round_trip_copies(_body(src))).split("\n", 1)[1]
        exec(textwrap.dedent(new), {}, got)  # noqa: S102
        assert {k: want[k] for k in "abcd"} == {k: got[k] for k in "abcd"}, src

    check()


CALL_ROOTS = """
import numpy


class Counter:
    def __init__(self):
        self.n = 0

    def tick(self, v):
        self.n += 1
        return v


np = Counter()  # (a user's object that happens to be called np)


def ticks(x):
    t = np.tick(3.0)
    return numpy.sum(x * x)


def ticks_without_numpy(x):
    t = np.tick(3.0)
    return x * x


def plain_numpy(x):
    a = numpy.abs(x)
    return numpy.sum(numpy.where(a < 1.0, 0.5 * x * x, a - 0.5))
"""


def test_purity_of_a_call_is_read_off_what_its_name_resolves_to(tmp_path):
    # the optimizer took every np.*() for NumPy's (pure: dropped when unused), so a
    # user's object called np lost its side effect; numpy.*() of `import numpy` was
    # taken for impure, so the value-only code of a gradient stayed
    from .genload import load

    ticks = load(CALL_ROOTS, tmp_path, "roots", fname="ticks")
    counter = ticks.__globals__["np"]
    x = np.array([0.5, 2.0])
    np.testing.assert_allclose(srcad.grad(ticks)(x), 2 * x)
    assert counter.n == 1
    # (a function that reaches no module at all: nothing is pure by its name)
    bare = load(CALL_ROOTS, tmp_path, "roots", fname="ticks_without_numpy")
    assert srcad.grad(bare)(2.0) == 4.0
    assert bare.__globals__["np"].n == 1
    f = load(CALL_ROOTS, tmp_path, "roots", fname="plain_numpy")
    g = srcad.grad(f)
    np.testing.assert_allclose(g(x), [0.5, 1.0])
    code = "\n".join(ln for ln in g.source.splitlines() if not ln.strip().startswith("#"))
    assert "numpy.sum" not in code and "numpy.where" not in code, g.source
