"""``_rt.sum_axes``: the sums that undo broadcasting, as a product with ones where
NumPy's own reduction is slow (runtime/core.py), and the compiler's use of it
(compiler/shapes.py, ``sums_by_products``).

* against ``np.sum`` itself on random arrays (every dtype NumPy sums, C, Fortran and
  strided layouts, special values, axes given as ints, negative ints, tuples, with
  repeats and out of range, with and without ``keepdims``): the same array type,
  shape and dtype, the values to rounding (exactly, NaN for NaN, off the product's
  path), the same exception type where NumPy raises, the argument unchanged and
  the result an array of its own;
* the product is really taken where it should be (else the first check is vacuous);
* random gradients of functions that broadcast a bias, a keepdims reduction or a
  scale against a larger array (2-D and 3-D, float64 and float32): against central
  differences along a random direction and against the tape, dtype included, with
  ``_rt.sum_axes`` in the generated code and a user's own ``.sum`` left as written.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad import runtime as _rt
from srcad.runtime import core

from .genload import load

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_, np.complex128]


@st.composite
def summed(draw):
    nd = draw(st.integers(1, 4))
    small = st.integers(1, 5)
    shape = tuple(
        draw(st.lists(st.integers(1, 40) if nd <= 2 else small, min_size=nd, max_size=nd))
    )
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g = (rng.standard_normal(shape) * 10).astype(dtype)
    if np.issubdtype(dtype, np.floating) and g.size and draw(st.booleans()):
        flat = g.reshape(-1)
        for v in draw(
            st.lists(st.sampled_from([np.inf, -np.inf, np.nan, -0.0, 1e30]), max_size=3)
        ):
            flat[rng.integers(0, flat.size)] = v
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    if layout == "F":
        g = np.asfortranarray(g)
    elif layout == "strided":
        g = np.repeat(g, 2, axis=-1)[..., ::2]
    kind = draw(st.sampled_from(["int", "tuple", "bad"]))
    if kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    elif kind == "tuple":
        axis = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd)))
    else:
        axis = draw(st.sampled_from([nd, -nd - 1, (0, nd), (0, 0)]))
    return g, axis, draw(st.booleans())


def _raises(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 (the type is what is compared)
        return type(exc)
    return None


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(summed())
def test_the_same_sums_as_numpy(case):
    g, axis, keepdims = case
    before = g.copy()
    want_error = _raises(lambda: np.sum(g, axis=axis, keepdims=keepdims))
    if want_error is not None:
        with pytest.raises(want_error):
            _rt.sum_axes(g, axis, keepdims)
        return
    want = np.sum(g, axis=axis, keepdims=keepdims)
    got = _rt.sum_axes(g, axis, keepdims)
    assert type(got) is type(want)
    assert np.shape(got) == np.shape(want) and got.dtype == want.dtype
    np.testing.assert_array_equal(g, before)
    if isinstance(got, np.ndarray):
        assert not np.shares_memory(got, g) and got.flags.writeable
    if g.dtype.kind != "f" or core._summed_by_product(g, axis, keepdims) is None:
        np.testing.assert_array_equal(got, want)
        return
    # another order of the same additions: within the rounding of the sum of magnitudes
    scale = np.sum(np.abs(g.astype(np.float64)), axis=axis, keepdims=keepdims)
    eps = np.finfo(g.dtype).eps
    finite = np.isfinite(want) & np.isfinite(scale)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))[finite]
    assert np.all(err <= 64 * eps * scale[finite] + 1e-300)


def _spied(monkeypatch):
    """A list that gets one entry each time ``sum_axes`` takes the product."""
    taken, ones = [], core._ones

    def spy(m, dtype):
        taken.append(m)
        return ones(m, dtype)

    monkeypatch.setattr(core, "_ones", spy)
    return taken


@pytest.mark.parametrize(
    "shape, axis, keepdims",
    [
        ((1000, 10), 1, True),
        ((1000, 10), -1, False),
        ((1000, 10), 0, False),
        ((256, 10), (0,), True),
        ((50, 8, 10), (1, 2), True),
        ((50, 20, 10), (0, 1), False),
        ((100000, 3), 0, False),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_product_is_taken(monkeypatch, shape, axis, keepdims, dtype):
    taken = _spied(monkeypatch)
    g = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    out = _rt.sum_axes(g, axis, keepdims)
    assert len(taken) == 1 and out.dtype == dtype
    np.testing.assert_allclose(
        out, np.sum(g, axis=axis, keepdims=keepdims), rtol=1e-4 if dtype == np.float32 else 1e-12
    )


@pytest.mark.parametrize(
    "g, axis",
    [
        (np.ones((1000, 200)), 1),  # (a long trailing axis: NumPy's pairwise sum)
        (np.ones((1000, 10)).T, 0),  # (not C-contiguous)
        (np.ones((10, 20, 30)), 1),  # (a middle axis)
        (np.ones((4, 4)), 0),  # (small)
        (np.ones((100, 10), np.float16), 0),
        (np.ones((100, 10), np.int64), 0),
        (np.ones((100, 10), np.complex128), 0),
        (np.ones(100), 0),  # (every axis)
    ],
)
def test_no_product_where_numpy_is_kept(monkeypatch, g, axis):
    taken = _spied(monkeypatch)
    got = _rt.sum_axes(g, axis)
    assert not taken
    np.testing.assert_array_equal(got, np.sum(g, axis=axis))
    assert got.dtype == np.sum(g, axis=axis).dtype


def test_the_symbolic_zero_sums_to_itself():
    assert _rt.sum_axes(_rt.ZERO, 0) is _rt.ZERO
    assert _rt.sum_axes(_rt.ZERO, (0, 1), True) is _rt.ZERO


# -- in generated gradients -------------------------------------------------------------

# (x's shape, b's shape) pairs where b broadcasts against x
BROADCASTS = [
    ((200, 10), (10,)),
    ((200, 10), (200, 1)),
    ((200, 10), (1, 10)),
    ((8, 20, 5), (20, 5)),
    ((8, 20, 5), (8, 1, 1)),
    ((8, 20, 5), (5,)),
    ((8, 20, 5), (8, 20, 1)),
    ((300, 3), (3,)),
]
BODIES = [
    "h = np.tanh(x * b + 0.5)\n    return np.sum(h * h)",
    "h = x - b\n    return np.sum(np.sin(h) * x)",
    "h = np.exp(x / (1.0 + b * b))\n    return np.mean(h)",
    "m = np.mean(x, axis={ax}, keepdims=True)\n    return np.sum(np.cos(x - m * b))",
    "s = np.sum(x * x, axis={ax}, keepdims=True)\n    return np.sum(np.log(1.0 + s) * b)",
]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(BROADCASTS),
    st.sampled_from(BODIES),
    st.sampled_from([np.float64, np.float32]),
    st.integers(0, 2**32 - 1),
)
def test_random_gradients_through_the_sums(tmp_path_factory, shapes, body, dtype, seed):
    xs, bs = shapes
    body = body.replace("{ax}", str(len(xs) - 1))
    src = f"import numpy as np\n\n\ndef f(x, b):\n    {body}\n"
    f = load(src, tmp_path_factory.mktemp("sums"), "sums")
    rng = np.random.default_rng(seed)
    x = (0.5 * rng.standard_normal(xs)).astype(dtype)
    b = (0.5 * rng.standard_normal(bs)).astype(dtype)
    try:
        want = srcad.grad(f, (0, 1), mode="tape")(x, b)
    except ValueError:  # (a broadcast the body does not allow)
        return
    g = srcad.grad(f, (0, 1), mode="source")
    got = g(x, b)
    for a, w, arg in zip(got, want, (x, b)):
        assert a.shape == arg.shape and a.dtype == np.asarray(w).dtype == arg.dtype
        tol = 1e-3 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(a, w, rtol=tol, atol=tol * np.max(np.abs(w)))
    if dtype == np.float64:  # central differences along a random direction
        vx, vb = rng.standard_normal(xs), rng.standard_normal(bs)
        eps = 1e-6
        fd = (f(x + eps * vx, b + eps * vb) - f(x - eps * vx, b - eps * vb)) / (2 * eps)
        dot = np.sum(got[0] * vx) + np.sum(got[1] * vb)
        assert abs(fd - dot) <= 1e-6 * (1.0 + abs(fd))
    src_out = g.source
    src_out = src_out if isinstance(src_out, str) else src_out()
    if not body.startswith("s ="):  # (b meets x's shape, larger: its adjoint is summed)
        assert "_rt.sum_axes(" in src_out
    if "keepdims" in body:  # the user's own reduction is the call they wrote
        assert "np.sum(x * x" in src_out or "np.mean(x" in src_out


def test_the_log_softmax_adjoint_sums_by_product():
    def f(W, X, T):
        z = X @ W
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return np.sum(logp * T)

    rng = np.random.default_rng(3)
    W, X, T = rng.standard_normal((20, 10)), rng.standard_normal((500, 20)), rng.random((500, 10))
    g = srcad.grad(f, 0, mode="source")
    got = g(W, X, T)
    src = g.source if isinstance(g.source, str) else g.source()
    assert "_rt.sum_axes(" in src and "np.sum(exp_z, axis=1, keepdims=True)" in src
    e = np.exp(X @ W)
    p = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(got, X.T @ (T - p * T.sum(axis=1, keepdims=True)), rtol=1e-10)
