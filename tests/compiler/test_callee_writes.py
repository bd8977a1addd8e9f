"""A called function that changes its argument in place (FINDINGS A6).

``def push(lst, v): lst.append(v); return v * 1.0`` called as ``w = push(hs, ...)``, and
``def bump(a, v): a += v; return np.sum(v)`` on the caller's array, gave wrong
gradients in source mode: the callee's generated code appends to the list without
the caller's sweep knowing, and makes a new array for ``a += v`` where NumPy changes
the caller's.  ``lst.pop()`` there was an IndexError.  In a called function, a method
that changes a parameter holding an active value is now a refusal, and ``p op= v`` on a
parameter checks at run time that ``p`` is a number (a refusal, so the tape, when it is
an array or a list), in forward mode too (a called function's jvp was built
without those checks: the fuzz campaign 76026's 8 wrong values).

Random helpers change or rebind a list or array argument in one of many ways; the
caller reads its own list or array afterwards.  In mode 'auto' the gradient and the
jvp must match central differences; in mode 'source' they must match or be refusals.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .fdcheck import fd
from .genload import load

ARRAY_BODIES = [
    "a += v",
    "a -= v * 2.0",
    "a *= 1.5",
    "a[:] = a * v",
    "np.add(a, v, out=a)",
    "a.sort()",
    "a.fill(0.5)",
    "a = a + v",  # (a new array: the caller's is unchanged)
    "a = a * 2.0",
]
LIST_BODIES = [
    "a.append(v)",
    "a.extend([v])",
    "a.insert(0, v)",
    "a.pop()",
    "a += [v]",
    "a[0] = v",
    "a.reverse()",
    "a = a + [v]",  # (a new list)
]
RETURNS = ["np.sum(v * v)", "v * 1.0", "np.sum(a[0] * v)"]


@st.composite
def modules(draw):
    kind = draw(st.sampled_from(["array", "list"]))
    body = draw(st.sampled_from(ARRAY_BODIES if kind == "array" else LIST_BODIES))
    ret = draw(st.sampled_from(RETURNS))
    if kind == "array":
        make, read = "a = x * 2.0", "np.sum(a * a)"
    else:
        make = draw(st.sampled_from(["a = [x * 2.0, x * s]", "a = [x * s]"]))
        read = draw(st.sampled_from(["np.sum(a[-1] * a[0])", "np.sum(a[0]) * len(a)"]))
    return f"""import numpy as np


def helper(a, v):
    {body}
    return {ret}


def f(x, s):
    {make}
    w = helper(a, np.sin(x) * s)
    return {read} + np.sum(w * x)
"""


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=modules(), seed=st.integers(0, 2**16))
def test_random_argument_writes(src, seed, tmp_path_factory):
    f = load(src, tmp_path_factory.mktemp("cw"), "callee_writes")
    rng = np.random.default_rng(seed)
    x, s = rng.uniform(-1.0, 1.0, 3), float(rng.uniform(0.2, 1.0))
    try:
        f(x.copy(), s)
    except (IndexError, ValueError):
        return  # (the plain program fails: not a case)
    want = [fd(f, (x, s), 0), fd(f, (x, s), 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        got = srcad.grad(f, wrt=(0, 1))(x.copy(), s)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8, err_msg=src)
    t = (np.array([0.5, -1.0, 0.25]), 0.75)
    jvp_want = float(want[0] @ t[0] + want[1] * t[1])
    value = f(x.copy(), s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        v, tan = srcad.jvp(f, wrt=(0, 1))(x.copy(), s, t)
    np.testing.assert_allclose([v, tan], [value, jvp_want], rtol=1e-6, atol=1e-8, err_msg=src)
    for kind in ("grad", "jvp"):  # source mode: right, or a refusal
        try:
            if kind == "grad":
                got = srcad.grad(f, wrt=(0, 1), mode="source")(x.copy(), s)
            else:
                v, tan = srcad.jvp(f, wrt=(0, 1), mode="source")(x.copy(), s, t)
        except srcad.UnsupportedError:
            continue
        if kind == "grad":
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8, err_msg=src)
        else:
            np.testing.assert_allclose(
                [v, tan], [value, jvp_want], rtol=1e-6, atol=1e-8, err_msg=src
            )


def accumulate(acc, x):
    acc += np.sum(x * x)  # a number: rebound, as before
    acc *= 1.5
    return acc


def sum_of_helpers(x):
    s = 0.0
    for k in range(3):
        s = accumulate(s, x * k)
    return s


def test_a_number_argument_may_still_be_updated():
    x = np.array([0.3, -0.8, 1.1])
    g = srcad.grad(sum_of_helpers, mode="source")
    np.testing.assert_allclose(g(x), fd(sum_of_helpers, (x,), 0), rtol=1e-7)
    _, t = srcad.jvp(sum_of_helpers, mode="source")(x, np.ones(3))
    np.testing.assert_allclose(t, np.sum(g(x)), rtol=1e-12)


def push(lst, v):
    lst.append(v)
    return v * 1.0


def uses_push(x):
    hs = [x * 2.0]
    w = push(hs, np.sin(x))
    return np.sum(hs[-1] * 3.0) + np.sum(w)


def test_the_append_found_is_refused_with_its_line():
    with pytest.raises(srcad.UnsupportedError, match=r"lst\.append.*changes the argument"):
        srcad.grad(uses_push, mode="source")(np.array([0.3, -0.8]))


class Model:
    """A list held in an attribute, appended to with an active value: a zero gradient
    before (the statement stayed a plain call), then check_operands' generic refusal,
    now a refusal that says what to do.  The tape runs both methods right."""

    def __init__(self):
        self.hs = []

    def loss(self, x):
        self.hs.append(x * 2.0)
        return np.sum(self.hs[-1] ** 2)

    def loss_through_helper(self, x):
        h = self.helper(x)
        return np.sum(self.hs[-1] * h)

    def helper(self, x):
        self.hs.append(x * 3.0)
        return x * 1.0


@pytest.mark.parametrize("method", ["loss", "loss_through_helper"])
def test_a_list_held_in_an_attribute(method):
    x = np.array([0.3, -0.8, 1.1])
    with pytest.raises(srcad.UnsupportedError, match="held in an attribute"):
        srcad.grad(getattr(Model(), method), mode="source")(x)

    def fresh(v):
        return getattr(Model(), method)(v)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        got = srcad.grad(getattr(Model(), method))(x)
    np.testing.assert_allclose(got, fd(fresh, (x,), 0), rtol=1e-7)
