"""The optimizer passes on small ASTs, and the whole corpus with optimize=False."""

import os
import sys

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
