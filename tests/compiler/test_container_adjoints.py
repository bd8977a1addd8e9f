"""Two container adjoints the fuzzer's ``states`` family found wrong (tests/fuzz/
FINDINGS.md A11 and C15), each beside near misses, against central differences in
float64, in source and auto mode."""

import warnings

import numpy as np
import pytest

import srcad

from .fdcheck import fd


def appended_inactive(x):
    hs = [x * 2.0]
    acc = 0.0
    for _ in range(2):
        hs.append(np.ones(3))  # (inactive: its entry of the list's adjoint must go too)
        acc = acc + np.sum(hs[-2])
    return acc


def appended_inactive_then_active(x):
    hs = []
    acc = 0.0
    for t in range(3):
        hs.append(np.ones(3) * t)
        hs.append(x * t)
        acc = acc + np.sum(hs[-2] * hs[-1]) + np.sum(hs[-1] ** 2)
    return acc


def appended_inactive_read_first(x):
    hs = [x * 2.0]
    for t in range(3):
        hs.append(np.ones(3) * t)
    return np.sum(hs[0] * hs[-1]) + np.sum(hs[-3])


def get_with_broadcast_default(x0, x1):
    hs = {-1: x1}
    return np.sum(hs.get(-1, np.ones((3, 1)) * x0))  # (the key is there)


def get_with_missing_key(x0, x1):
    hs = {-1: x1}
    return np.sum(hs.get(2, np.ones((3, 1)) * x0) * x1)


CASES = [
    (appended_inactive, 1),
    (appended_inactive_then_active, 1),
    (appended_inactive_read_first, 1),
    (get_with_broadcast_default, 2),
    (get_with_missing_key, 2),
]


@pytest.mark.parametrize("f, n", CASES, ids=[f.__name__ for f, _ in CASES])
@pytest.mark.parametrize("mode", ["source", "auto"])
def test_container_adjoints(f, n, mode):
    rng = np.random.default_rng(4)
    args = (rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (3, 3)))[:n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        got = srcad.grad(f, wrt=tuple(range(n)), mode=mode)(*args)
    got = got if isinstance(got, tuple) else (got,)
    for k, g in enumerate(got):
        np.testing.assert_allclose(g, fd(f, args, k), rtol=1e-6, atol=1e-9)


def loop_over_an_inactive_default(x, c):
    hs = {"a": x * x}
    acc = 0.0
    for r in hs.get(7, c * np.ones((3, 2))):  # (the key is missing: the inactive default)
        acc = acc + np.sum(r) * np.sum(hs["a"])
    return acc


def test_jvp_of_a_loop_over_an_inactive_value():
    """Forward mode: an item read from a container whose tangent is a zero (``d.get``'s
    inactive default) is a real zero of the item's shape, not the symbolic zero that
    NumPy refuses (FINDINGS C16; fuzz seed 94026)."""
    x, v, eps = np.array([0.3, 0.5]), np.array([1.0, -2.0]), 1e-6
    want = (
        loop_over_an_inactive_default(x + eps * v, 2.0)
        - loop_over_an_inactive_default(x - eps * v, 2.0)
    ) / (2 * eps)
    _, got = srcad.jvp(loop_over_an_inactive_default, wrt=0, mode="source")(x, 2.0, v)
    np.testing.assert_allclose(got, want, rtol=1e-6)
