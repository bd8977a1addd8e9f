"""A dict's adjoint stepped inline (compiler/dict_adjoints.py).

Where the shape pass proves a dict holds values of one known shape and the adjoint
dict has no other holder, ``_rt.add_at``/``_rt.setitem_adj`` on it become the dict
operations they come to (``dhs[k] = dhs[k] + g if k in dhs else g``, ``dhs.pop(k,
_rt.ZERO)``).  The random programs here write and read dicts in the ways a rewrite
could get wrong: a key written twice in one step, keys that are constants, strings,
``t - 1`` and ``t + 1``, writes under a condition, a dict made again inside the loop,
a value of another shape (the rewrite must step aside), reads of the same key more
than once.  Every gradient is checked against central differences in float64, with
the optimizer on and off; the RNN below also checks that the rewrite was made.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .fdcheck import fd
from .genload import load
from .test_list_shapes import rnn_dict as rnn  # (min-char-rnn's spelling)

KEYS = ["t", "t - 1", "t + 1", "0", "-1", "'a'", "t % 2"]
VALUES = [
    "np.tanh(np.dot({r}, W) + s * x)",
    "{r} * s + x",
    "np.sin({r}) * {r}",
    "{r} - x * x",
]


def _read(draw, keys):
    """A read of a key written by then.  ``in`` and ``get`` now and then: they end the
    shape pass's model of ``hs``, and the helpers stay."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(["hs[t - 1] if t - 1 in hs else x", "hs.get(t, x)"]))
    return draw(st.sampled_from([f"hs[{k}]" for k in keys]))


@st.composite
def programs(draw):
    lines = ["def f(x, W, s):", "    hs = {-1: x}", "    acc = 0.0"]
    lines.append("    for t in range(4):")
    keys = ["-1", "t - 1", "0"]
    if draw(st.integers(0, 4)) == 0:
        lines.append("        hs = {-1: x * s, t - 1: x}")  # (made again: a second init)
        keys = ["-1", "t - 1"]
    value = draw(st.sampled_from(VALUES)).format(r=_read(draw, keys[:2]))
    lines.append(f"        hs[t] = {value}")
    keys.append("t")
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(KEYS))
        value = draw(st.sampled_from(VALUES)).format(r=_read(draw, keys))
        stmt = f"hs[{key}] = {value}"
        if draw(st.integers(0, 3)) == 0:
            stmt = f"if t % 2 == 1:\n            {stmt}"
        lines.append("        " + stmt)
    if draw(st.integers(0, 6)) == 0:
        lines.append("        hs['n'] = np.sum(x) * s")  # (another shape: not rewritten)
    if draw(st.booleans()):
        # a second dict, its adjoint rewritten too: each rewrite must touch its own
        # statements only (FINDINGS A10)
        lines.insert(2, "    gs = {-1: x * s}")
        gvalue = draw(st.sampled_from(VALUES)).format(
            r=draw(st.sampled_from(["gs[t - 1]", "gs[-1]"]))
        )
        lines.append(f"        gs[t] = {gvalue} + {_read(draw, keys)}")
        lines.append("        acc = acc + np.sum(gs[t] * x)")
    for _ in range(draw(st.integers(1, 2))):
        lines.append(f"        u = {_read(draw, keys)}")
        lines.append("        acc = acc + np.sum(u * u * s) + np.sum(np.dot(u, W))")
    if draw(st.booleans()):
        lines.append("    acc = acc + np.sum(hs[-1] * hs[-1])")
    lines.append("    return acc")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=programs(), seed=st.integers(0, 2**16))
def test_random_dict_adjoints(src, seed, tmp_path_factory):
    f = load(src, tmp_path_factory.mktemp("da"), "dict_adjoints")
    rng = np.random.default_rng(seed)
    x, W, s = rng.uniform(-1, 1, 3), rng.uniform(-0.7, 0.7, (3, 3)), float(rng.uniform(-1, 1))
    try:
        f(x, W, s)
    except (KeyError, ValueError):
        return  # (not a case: a key never written, shapes NumPy cannot add)
    want = [fd(f, (x, W, s), k) for k in range(3)]
    scale = max(1.0, *(float(np.max(np.abs(w))) for w in want))
    for optimize in (True, False):
        for kind in ("grad", "value_and_grad"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", srcad.FallbackWarning)
                g = getattr(srcad, kind)(f, wrt=(0, 1, 2), optimize=optimize)
                got = g(x, W, s)
                got = got[1] if kind == "value_and_grad" else got
                again = g(x, W, s)  # (the cheap call: the code is argument-pure)
            again = again[1] if kind == "value_and_grad" else again
            for a, b, w in zip(got, again, want):
                assert np.allclose(a, w, rtol=1e-6, atol=1e-7 * scale), (src, optimize, kind)
                np.testing.assert_array_equal(a, b)


def test_the_rnn_steps_its_dict_inline():
    """min-char-rnn's spelling: no runtime helper steps the dict's adjoint, the gradient
    is right, and the call is the cheap one (no private copy of ``xs``)."""
    rng = np.random.default_rng(1)
    Wx, Wh = rng.standard_normal((4, 5)) / 2, rng.standard_normal((5, 5)) / 3
    xs, h0 = rng.standard_normal((6, 2, 4)), rng.standard_normal((2, 5))
    g = srcad.grad(rnn, wrt=(0, 1, 3))
    for _ in range(2):
        got = g(Wx, Wh, xs, h0)
        for k, gk in zip((0, 1, 3), got):
            np.testing.assert_allclose(gk, fd(rnn, (Wx, Wh, xs, h0), k), rtol=1e-6, atol=1e-9)
    assert "add_at" not in g.source and "setitem_adj" not in g.source, g.source
    assert "dhs = {}" in g.source and "dhs.pop(t, _rt.ZERO)" in g.source, g.source
    assert g._fast, "the generated code writes only into dicts it made: argument-pure"


def rnn_with_an_alias(Wx, Wh, xs, h0):
    hs = {}
    hs[-1] = h0
    loss = 0.0
    for t in range(len(xs)):
        hs[t] = np.tanh(np.dot(xs[t], Wx) + np.dot(hs[t - 1], Wh))
        same = hs  # (an alias: the shape pass stops following hs)
        loss += np.sum(same[t] ** 2)
    return loss


def test_an_aliased_dict_keeps_the_helpers():
    rng = np.random.default_rng(2)
    Wx, Wh = rng.standard_normal((4, 5)) / 2, rng.standard_normal((5, 5)) / 3
    xs, h0 = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 5))
    g = srcad.grad(rnn_with_an_alias, wrt=(0, 1, 3), mode="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        got = g(Wx, Wh, xs, h0)
    for k, gk in zip((0, 1, 3), got):
        want = fd(rnn_with_an_alias, (Wx, Wh, xs, h0), k)
        np.testing.assert_allclose(gk, want, rtol=1e-6, atol=1e-9)
    assert "dhs = {}" not in g.source


def coinciding_keys(x, s):
    acc = 0.0
    for t in range(3):
        hs = {-1: x * s, t - 1: x}  # at t = 0 both keys are -1: the display is {-1: x}
        u = hs[t - 1] if t > 0 else hs[-1]
        acc = acc + np.sum(u * u * s) + np.sum(hs[-1] * x)
    return acc


def test_a_display_keeps_the_last_of_equal_keys():
    """FINDINGS A9: the entry a later equal key replaces gets no adjoint, in grad,
    jvp and hvp (forward over the generated reverse code)."""
    rng = np.random.default_rng(3)
    x, s, v = rng.uniform(-1, 1, 3), 0.7, rng.standard_normal(3)
    g = srcad.grad(coinciding_keys, wrt=0, mode="source")
    np.testing.assert_allclose(g(x, s), fd(coinciding_keys, (x, s), 0), rtol=1e-6, atol=1e-9)
    eps = 1e-6
    want = (coinciding_keys(x + eps * v, s) - coinciding_keys(x - eps * v, s)) / (2 * eps)
    _, tangent = srcad.jvp(coinciding_keys, wrt=0, mode="source")(x, s, v)
    np.testing.assert_allclose(tangent, want, rtol=1e-6)
    hv = srcad.hvp(coinciding_keys, wrt=0)(x, s, v)
    hv = hv[-1] if isinstance(hv, tuple) else hv
    want = (g(x + eps * v, s) - g(x - eps * v, s)) / (2 * eps)
    np.testing.assert_allclose(hv, want, rtol=1e-5, atol=1e-7)
