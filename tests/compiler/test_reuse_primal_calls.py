"""A template's call that the primal already made (compiler/reverse.py,
``_reuse_primal_calls``): the adjoint of ``np.cos(x)`` reads ``s`` where the primal
computed ``s = np.sin(x)`` before it, instead of calling ``np.sin`` again.

Checked on random programs of sine/cosine pairs (and their hyperbolic twins, and
``math``'s) with, between and around them, the things that make the reuse wrong
when it is not refused: the argument or the name bound again, an item of either
assigned, an augmented assignment, a branch, a loop.  The gradient with the reuse
must equal the gradient without it bit for bit (the same function of the same value,
or no reuse at all), and both agree with central finite differences; the same for
forward mode's tangents (``jvp``).
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler import reuse, terms
from tests.fuzz import check as fuzz_check

from .fdcheck import fd

PAIRS = [("np.sin", "np.cos"), ("np.sinh", "np.cosh"), ("np.cos", "np.sin")]


def _other(draw, kind, k, live, lines, terms):
    """One statement that is not a pair: what may stand between a pair's two calls."""
    v = draw(st.sampled_from(live))
    w = draw(st.sampled_from(live))
    if kind == "rebind":
        lines.append(f"{v} = {v} * 0.75 + 0.125")
    elif kind == "item":
        lines.append(f"{v}[0] = {w}[1] * 1.5")
    elif kind == "aug":
        lines.append(f"{v} += 0.25")
    elif kind == "branch":
        lines.append(f"if np.sum({w}) > 0.0:")
        lines.append(f"    {v} = np.cos({w}) * {v}")
    elif kind == "pure":
        lines.append(f"m{k} = {w} * 0.5")
        live.append(f"m{k}")
    else:
        lines.append(f"t{k} = np.sin({v}) * {w}")
        live.append(f"t{k}")
        terms.append(f"t{k}")


_KINDS = ["rebind", "item", "aug", "branch", "pure", "op"]


@st.composite
def programs(draw):
    """``def f(x, y)`` over length-3 float arrays, returning a scalar."""
    live = ["x", "y"]
    lines, terms = [], []
    n = draw(st.integers(2, 8))
    for k in range(n):
        if draw(st.booleans()):
            first, second = draw(st.sampled_from(PAIRS))
            v = draw(st.sampled_from(live))
            lines.append(f"a{k} = {first}({v})")
            for j in range(draw(st.integers(0, 2))):  # what stands in between
                _other(draw, draw(st.sampled_from(_KINDS)), f"{k}_{j}", live, lines, terms)
            lines.append(f"b{k} = {second}({v})")
            live += [f"a{k}", f"b{k}"]
            terms += [f"a{k}", f"b{k}"]
        else:
            _other(draw, draw(st.sampled_from(_KINDS)), k, live, lines, terms)
    terms = terms or ["x"]
    body = lines + [f"return np.sum({' + '.join(terms)} * y)"]
    if draw(st.booleans()):  # the whole body in a loop, but the return
        loop = ["for i in range(3):"] + ["    " + ln for ln in lines]
        body = ["x = x * 1.0", "y = y * 1.0"] + loop + body[-1:]
    src = "import numpy as np\n\n\ndef f(x, y):\n" + "\n".join("    " + ln for ln in body)
    return src + "\n"


def _grad(f, args, on, monkeypatch, tangents=None):
    """The gradient (or, with ``tangents``, the jvp's tangent) with the reuse on or off."""
    monkeypatch.setattr(reuse, "REUSE_PRIMAL_CALLS", on)
    # (collected like terms round as a person's sum does, not bit for bit: off here,
    # where the reuse's own exactness is the point; tests/compiler/test_like_terms.py)
    monkeypatch.setattr(terms, "ENABLED", False)
    srcad.clear_cache()
    try:
        if tangents is None:
            g = srcad.grad(f, wrt=(0, 1), mode="source")
        else:
            g = srcad.jvp(f, wrt=(0, 1), mode="source")
        with np.errstate(all="ignore"):
            a = [a.copy() for a in args]
            out = g(*a) if tangents is None else (g(*a, tangents)[1],)
            return out, g.source
    except srcad.UnsupportedError as exc:
        return exc, ""
    finally:
        srcad.clear_cache()


def _same(a, b):
    return np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


# (CI's Python 3.11 drew it: differences at step 1e-6 are 0.16% off there)
_STEEP = (
    "import numpy as np\n\n\ndef f(x, y):\n    x = x * 1.0\n    y = y * 1.0\n"
    "    for i in range(3):\n        a0 = np.sinh(y)\n        b0 = np.cosh(y)\n"
    "        a1 = np.sinh(a0)\n        y[0] = b0[1] * 1.5\n        b1 = np.cosh(a0)\n"
    "        y += 0.25\n        x = x * 0.75 + 0.125\n        a4 = np.sin(a1)\n"
    "        b4 = np.cos(a1)\n        x = x * 0.75 + 0.125\n"
    "    return np.sum(a0 + b0 + a1 + b1 + a4 + b4 * y)\n"
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(), st.integers(0, 2**31 - 1))
@example(_STEEP, 0)
def test_the_same_gradient_with_and_without_reuse(monkeypatch, src, seed):
    f = fuzz_check.load(src)
    rng = np.random.default_rng(seed)
    args = (rng.uniform(-1.5, 1.5, 3), rng.uniform(-1.5, 1.5, 3))
    got, code = _grad(f, args, True, monkeypatch)
    want, _ = _grad(f, args, False, monkeypatch)
    if isinstance(want, Exception):
        assert isinstance(got, Exception) and str(got) == str(want)
        return
    assert not isinstance(got, Exception), (src, got)
    for a, b in zip(got, want):
        assert _same(a, b), (src, code)
    with np.errstate(all="ignore"):
        value = f(*[a.copy() for a in args])
        fds = [fd(f, args, k) for k in (0, 1)]
    # (finite differences carry the value's rounding: the fuzzer's scale, check.py)
    scale = max(1.0, abs(value), *(float(np.max(np.abs(d))) for d in fds))
    if not np.isfinite(scale) or scale > 1e8:
        return  # (sinh of sinh: the differences say nothing there)
    with np.errstate(all="ignore"):
        finer = [fd(f, args, k, eps=1e-7) for k in (0, 1)]
    steady = all(np.allclose(a, b, rtol=1e-5, atol=1e-6 * scale) for a, b in zip(fds, finer))
    if not steady:
        # (differences that move with the step say nothing: cosh of sinh of cosh ...
        # at step 1e-6 is 0.16% off; the tape, an engine of its own, is the reference)
        fds = srcad.grad(f, wrt=(0, 1), mode="tape")(*[a.copy() for a in args])
    for k in (0, 1):
        np.testing.assert_allclose(
            got[k], fds[k], rtol=1e-5, atol=1e-6 * scale, err_msg=src + "\n" + code
        )
    # forward mode reads the same values (the tangent is written beside the statement)
    tangents = (rng.standard_normal(3), rng.standard_normal(3))
    got, code = _grad(f, args, True, monkeypatch, tangents)
    want, _ = _grad(f, args, False, monkeypatch, tangents)
    if isinstance(want, Exception):
        assert isinstance(got, Exception) and str(got) == str(want)
        return
    assert _same(np.asarray(got[0]), np.asarray(want[0])), (src, code)
    directional = sum(np.sum(fds[k] * tangents[k]) for k in (0, 1))
    np.testing.assert_allclose(
        got[0], directional, rtol=1e-5, atol=1e-5 * scale, err_msg=src + code
    )


def rotation(theta, a, b):
    c = np.cos(theta)
    s = np.sin(theta)
    return np.sum((c * a - s * b) ** 2 + (s * a + c * b) * a)


def rotation_loop(theta, a):
    for _ in range(4):
        s = np.sin(theta)
        c = np.cos(theta)
        theta = s * a + c * 0.5
    return np.sum(theta)


def scalar_pair(t):
    c = math.cos(t)
    s = math.sin(t)
    return c * s + s


@pytest.mark.parametrize(
    "f, args, again",
    [
        # top level: each adjoint reads the other's name, the later one included
        (rotation, (np.array([0.3, -1.2]), np.array([1.0, 2.0]), np.array([0.5, -0.5])), []),
        (scalar_pair, (0.7,), []),
        # in a loop the later value does not exist yet when the earlier adjoint runs:
        # cos's adjoint (the later statement) reads s, sin's still calls np.cos
        (rotation_loop, (np.array([0.3, -1.2, 2.0]), np.array([1.0, 2.0, 0.1])), ["cos("]),
    ],
)
def test_a_pair_computes_each_function_once(f, args, again):
    """The backward sweep calls neither function again where the primal's values can be
    read (``again``: the calls that remain), and the gradient is right."""
    g = srcad.grad(f, wrt=tuple(range(len(args))) if len(args) > 1 else 0, mode="source")
    got = g(*args)
    backward = g.source.split("# Grad of", 1)[1]
    code = "\n".join(ln for ln in backward.splitlines() if not ln.strip().startswith("#"))
    for call in ("cos(", "sin("):
        assert (call in code) == (call in again), g.source
    got = got if isinstance(got, tuple) else (got,)
    for k, v in enumerate(got):
        np.testing.assert_allclose(v, fd(f, args, k), rtol=1e-7, atol=1e-9)
