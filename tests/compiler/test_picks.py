"""One pick per row: the adjoint of ``t[np.arange(n), c]`` (compiler/shapes.py,
``_distinct_picks`` and ``_picked_row_sums``; runtime ``scatter_distinct`` and
``picked_row_sums``).

* ``scatter_distinct`` against ``add_at(ZERO, ...)`` bit for bit (signed zeros, NaN,
  infinities, negative and out-of-range indices, float32 and float64, numbers, and
  the types it hands back to ``add_at``); ``picked_row_sums`` against the sum of
  the scatter, bit for bit;
* random functions that pick one entry per row or per column of a computed array
  (the arange first or second, a label vector or a constant, a log-softmax, the pick
  read again, a name bound to the arange): the gradient against central differences
  and the tape (float32's dtype too), with the helpers exactly where they apply.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad import runtime as _rt

from .genload import load

SPECIALS = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-310, -3.5]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.integers(1, 12),
    st.integers(1, 6),
    st.sampled_from([np.float64, np.float32]),
    st.sampled_from(["array", "float", "other dtype"]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_scatter_distinct_is_add_at(n, m, dtype, gkind, rows_first, seed):
    rng = np.random.default_rng(seed)
    x = np.empty((n, m) if rows_first else (m, n), dtype)
    picks = rng.integers(-m, m, n)  # (negative ones count from the end)
    index = (np.arange(n), picks) if rows_first else (picks, np.arange(n))
    if gkind == "float":
        g = float(rng.choice(SPECIALS))
    else:
        g = rng.standard_normal(n)
        g[rng.random(n) < 0.3] = rng.choice(SPECIALS)
        g = g.astype(
            dtype if gkind == "array" else (np.float32 if dtype == np.float64 else np.float64)
        )
    want = _rt.add_at(_rt.ZERO, x, index, g)
    got = _rt.scatter_distinct(x, index, g)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))  # (bits: -0.0, NaN)
    if rows_first:
        sums = _rt.picked_row_sums(got, g)
        ref = np.sum(want, axis=1, keepdims=True)
        assert sums.dtype == ref.dtype and sums.shape == ref.shape
        assert np.array_equal(sums, ref, equal_nan=True)
        assert np.array_equal(np.signbit(sums), np.signbit(ref))


@pytest.mark.parametrize(
    "x, index, g",
    [
        (np.zeros((3, 4), int), (np.arange(3), np.array([0, 1, 2])), np.ones(3)),
        (np.zeros((3, 4)), (np.arange(3), np.array([0, 1, 2])), np.ones(3, complex)),
        (np.zeros((3, 4)), (np.arange(3), np.array([0, 4, 2])), np.ones(3)),
        (np.zeros((3, 4)), (np.arange(3), np.array([0.0, 1.0, 2.0])), np.ones(3)),
        ([[0.0] * 4] * 3, (np.arange(3), np.array([0, 1, 2])), np.ones(3)),
    ],
)
def test_scatter_distinct_hands_the_rest_to_add_at(x, index, g):
    try:
        want = _rt.add_at(_rt.ZERO, x, index, g)
    except Exception as exc:  # noqa: BLE001 (the same exception is what is checked)
        with pytest.raises(type(exc)):
            _rt.scatter_distinct(x, index, g)
        return
    got = _rt.scatter_distinct(x, index, g)
    assert type(got) is type(want) and np.array_equal(np.asarray(got), np.asarray(want))


BODIES = {
    "rows": "t = np.tanh(X @ W)\n    return np.sum(t[np.arange(X.shape[0]), labels] * 1.5)",
    "columns": "t = np.tanh(X @ W).T\n    return np.sum(t[labels, np.arange(X.shape[0])] ** 2)",
    "log_softmax": (
        "z = X @ W\n    z = z - np.max(z, axis=1, keepdims=True)\n"
        "    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))\n"
        "    return -np.mean(logp[np.arange(X.shape[0]), labels])"
    ),
    "read_again": (
        "z = X @ W\n    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))\n"
        "    logp = z - lse\n"
        "    return -np.mean(logp[np.arange(X.shape[0]), labels]) + np.sum(logp * logp) * 0.01"
    ),
    "named_range": (
        "r = np.arange(X.shape[0])\n    z = X @ W\n"
        "    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))\n"
        "    return -np.mean(logp[r, labels])"
    ),
    "constant": "t = np.sin(X @ W)\n    return np.sum(t[np.arange(X.shape[0]), 1])",
    # (places picked twice: no arange, so no proof; the adjoints must add up)
    "pairs": "t = np.tanh(X @ W)\n    return np.sum(t[labels % 2, labels % 3] * 2.0)",
    # (one pick per column of a row-normalized array: its row sums are not the picks)
    "column_picks": (
        "z = X @ W\n"
        "    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))\n"
        "    return -np.mean(logp[labels[:3] % 2, np.arange(3)])"
    ),
    "same_row": (
        "z = X @ W\n"
        "    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))\n"
        "    return -np.mean(logp[np.zeros(X.shape[0], int), labels])"
    ),
}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(sorted(BODIES)),
    st.integers(3, 30),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
)
def test_random_picks(tmp_path_factory, kind, n, dtype, seed):
    src = f"import numpy as np\n\n\ndef f(W, X, labels):\n    {BODIES[kind]}\n"
    f = load(src, tmp_path_factory.mktemp("picks"), "picks")
    rng = np.random.default_rng(seed)
    W = (0.5 * rng.standard_normal((4, 3))).astype(dtype)
    X = rng.standard_normal((n, 4)).astype(dtype)
    labels = rng.integers(-3, 3, n)
    g = srcad.grad(f, 0, mode="source")
    got = g(W, X, labels)
    want = srcad.grad(f, 0, mode="tape")(W, X, labels)
    assert got.dtype == np.asarray(want).dtype == dtype and got.shape == W.shape
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.max(np.abs(want)))
    if dtype == np.float64:
        v, eps = rng.standard_normal(W.shape), 1e-6
        fd = (f(W + eps * v, X, labels) - f(W - eps * v, X, labels)) / (2 * eps)
        assert abs(fd - np.sum(got * v)) <= 1e-6 * (1.0 + abs(fd))
    code = g.source if isinstance(g.source, str) else g.source()
    assert ("scatter_distinct" in code) == (
        kind in ("rows", "columns", "log_softmax", "column_picks")
    )
    assert ("picked_row_sums" in code) == (kind == "log_softmax")
