"""jvp, vjp and hvp over the construct corpus (issue: forward mode and higher order).

References: central finite differences in float64 (of the function for jvp, of
srcad's own source-mode gradient for hvp, after that gradient is itself checked
against finite differences in test_corpus.py) and, for vjp, the gradient scaled
by the cotangent.
"""

import os
import sys
import warnings

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402
from corpus import diff_params, make_args, rng_for  # noqa: E402

CASES = corpus.collect()
# Functions whose derivative is deliberately not the plain one (stop_gradient,
# insert_grad_of) or whose reference is hand-derived are left to test_corpus.py.
SKIP_MARKERS = ("stop_gradient", "insert_grad_of", "no_grad")


def _plain(case):
    import inspect

    src = inspect.getsource(case.fn)
    return (
        not any(m in src for m in SKIP_MARKERS)
        and not hasattr(case.fn, "corpus_expected")
        and not hasattr(case.fn, "corpus_reference")
        and not hasattr(case.fn, "corpus_may_refuse")  # refusals are tested in test_corpus
    )


def _array_like_params(case):
    out = []
    args = make_args(case.fn, rng_for(case.id))
    import inspect

    names = [p for p in inspect.signature(case.fn).parameters]
    for w in diff_params(case.fn):
        v = args[names.index(w)]
        if isinstance(v, float) or isinstance(v, np.ndarray):
            out.append(w)
    return out


PARAMS = [
    pytest.param(c, w, id=f"{c.id}-{w}") for c in CASES if _plain(c) for w in _array_like_params(c)
]


def _direction(x, rng):
    if isinstance(x, float):
        return 0.7
    return rng.standard_normal(np.shape(x))


def _index(f, w):
    import inspect

    return list(inspect.signature(f).parameters).index(w)


@pytest.mark.parametrize("case, wrt", PARAMS)
def test_jvp_matches_finite_differences(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    i = _index(case.fn, wrt)
    rng = np.random.default_rng(1)
    t = _direction(args[i], rng)
    value, tout = srcad.jvp(case.fn, wrt=wrt, mode="source")(*args, t)
    eps = 1e-6
    plus = list(args)
    minus = list(args)
    plus[i] = args[i] + eps * t
    minus[i] = args[i] - eps * t
    fd = (np.asarray(case.fn(*plus)) - np.asarray(case.fn(*minus))) / (2 * eps)
    np.testing.assert_allclose(np.asarray(value), np.asarray(case.fn(*args)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(tout, dtype=float), fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case, wrt", PARAMS)
def test_vjp_with_random_cotangent(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    value, pullback = srcad.vjp(case.fn, wrt=wrt, mode="source")(*args)
    ct = 1.7
    g1 = pullback(ct)
    g2 = pullback(2 * ct)  # the pullback can be called again
    ref = numerical_grad(case.fn, args, wrt)
    np.testing.assert_allclose(
        np.asarray(g1, dtype=float), ct * np.asarray(ref), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(g2, dtype=float), 2 * np.asarray(g1, dtype=float), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("case, wrt", PARAMS)
def test_hvp_matches_finite_differences_of_gradient(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    i = _index(case.fn, wrt)
    v = _direction(args[i], np.random.default_rng(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcad.FallbackWarning)
        hv = srcad.hvp(case.fn, wrt=wrt, mode="source")(*args, v)
    g = srcad.grad(case.fn, wrt=wrt, mode="source")
    eps = 1e-5
    plus = list(args)
    minus = list(args)
    plus[i] = args[i] + eps * v
    minus[i] = args[i] - eps * v
    fd = (np.asarray(g(*plus), dtype=float) - np.asarray(g(*minus), dtype=float)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(hv, dtype=float), fd, rtol=1e-4, atol=1e-5)
