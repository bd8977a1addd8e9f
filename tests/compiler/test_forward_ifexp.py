"""Forward mode on conditional expressions (``a if c else b``) left in normalized code.

Normalization turns a conditional expression with active branches into an ``if``
statement; one whose branches are inactive stays whole, even when an active value
decides between them (``y = 1.0 if x > 0 else 2.0``).  Its tangent is
``da if c else db`` with the test evaluated once.  Every check is against central
finite differences in float64, at points away from the switch.
"""

import numpy as np
import pytest

import srcad
import srcad.compiler.anf as anf

H = 1e-6


def central_jvp(f, args, k, t):
    """Directional derivative of ``f`` along ``t`` in argument ``k`` (float64)."""
    up = list(args)
    down = list(args)
    up[k] = args[k] + H * t
    down[k] = args[k] - H * t
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * H)


def switch_scalar(x):
    y = x * 1.0
    y = 1.0 if x > 0 else 2.0
    return y * x


def switch_scale(x, s):
    w = np.sin(x)
    w = s if np.sum(x) > 0.0 else 2.0 * s
    return np.sum(w * x * x)


def switch_in_loop(x):
    acc = 0.0
    for i in range(3):
        c = x[i] * 1.0
        c = 1.5 if x[i] > 0 else -0.5
        acc = acc + c * x[i] ** 2
    return acc


RNG = np.random.default_rng(5)
CASES = [
    (switch_scalar, (0.7,), 0),
    (switch_scalar, (-1.3,), 0),
    (switch_scale, (np.array([0.5, 1.0, -0.2]), 3.0), 0),
    (switch_scale, (np.array([-0.5, -1.0, 0.2]), 3.0), 0),
    (switch_in_loop, (np.array([0.8, -1.1, 0.4]),), 0),
]


@pytest.mark.parametrize(
    "f,args,k", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_inactive_branches_match_finite_differences(f, args, k):
    t = np.ones_like(args[k]) if isinstance(args[k], np.ndarray) else 1.0
    if isinstance(t, np.ndarray):
        t = RNG.standard_normal(t.shape)
    value, tangent = srcad.jvp(f, wrt=k, mode="source")(*args, t)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, central_jvp(f, args, k, t), rtol=1e-6, atol=1e-8)


def pick_larger(x, y):
    z = x if np.sum(x) > np.sum(y) else y
    return np.sum(z * z * y)


@pytest.fixture
def keep_conditionals(monkeypatch):
    """Normalization that leaves every ``a if c else b`` whole, so forward mode meets
    conditional expressions with active branches."""
    lower = anf.ANF.op

    def op(self, node, hint=None):
        if isinstance(node, anf.gast.IfExp):
            return [], node
        return lower(self, node, hint)

    monkeypatch.setattr(anf.ANF, "op", op)


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("shift", [1.0, -1.0])
def test_active_branches_match_finite_differences(keep_conditionals, k, shift):
    x = np.array([0.3, -0.4, 0.9]) + shift
    y = np.array([0.2, 0.5, -0.1])
    args = (x, y)
    t = RNG.standard_normal(3)
    j = srcad.jvp(pick_larger, wrt=k, mode="source")
    value, tangent = j(*args, t)
    np.testing.assert_allclose(value, pick_larger(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, central_jvp(pick_larger, args, k, t), rtol=1e-6, atol=1e-8)
    # the test is evaluated once: saved in a name, both lines read it
    code = [ln for ln in j.source.splitlines() if not ln.strip().startswith("#")]
    assert sum("np.sum(x) > np.sum(y)" in ln for ln in code) == 1
    assert sum(" if cond" in ln for ln in code) == 2


def test_active_expression_branch_is_refused(keep_conditionals):
    def f(x):
        z = x if np.sum(x) > 0 else 2.0 * np.sin(x)
        return np.sum(z)

    with pytest.raises(srcad.UnsupportedError, match="conditional expression"):
        srcad.jvp(f, wrt=0, mode="source")(np.array([-0.5, -0.2]), np.ones(2))
