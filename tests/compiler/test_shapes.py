"""Shape specialization (srcad/compiler/shapes.py): the gradient is built for the
arguments' shapes, the broadcasting bookkeeping that cannot change a value goes,
and the gradients stay right, broadcasting included.

References: central finite differences in float64, and NumPy's own shapes for the
inference rules (hypothesis draws the shapes).
"""

import gast
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad.compiler.shapes import ShapeInference

from .fdcheck import fd


def per_sample(w, X, Y):
    s = 0.0
    for i in range(X.shape[0]):
        z = np.dot(w, X[i]) * Y[i]
        s = s + np.log1p(np.exp(-z))
    return s


def rnn(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    s = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(xs[t], Wx) + np.dot(h, Wh))
        s = s + np.sum(h * h)
    return s


def broadcasting(a, b):
    c = a * b + np.sin(a)
    return np.sum(c * c) + np.sum(np.mean(c, axis=0, keepdims=True) * b)


def test_the_per_sample_loop_keeps_no_value_for_its_shape():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=3), rng.normal(size=(5, 3)), np.sign(rng.normal(size=5)))
    g = srcad.grad(per_sample, mode="source")
    got = g(*args)
    np.testing.assert_allclose(got, fd(per_sample, args, 0), rtol=1e-6, atol=1e-9)
    assert "unbroadcast" not in g.source
    assert "_stack" not in g.source  # the running sum was pushed only for its shape


def test_rnn_written_with_np_dot():
    rng = np.random.default_rng(2)
    args = (0.3 * rng.normal(size=(3, 4)), 0.3 * rng.normal(size=(4, 4)), rng.normal(size=(6, 3)))
    for k in range(3):
        g = srcad.grad(rnn, wrt=k, mode="source")
        np.testing.assert_allclose(g(*args), fd(rnn, args, k), rtol=1e-6, atol=1e-9)
    assert "unbroadcast" not in g.source


@pytest.mark.parametrize(
    "sa, sb", [((3, 4), (4,)), ((3, 1), (1, 4)), ((1, 4), (3, 4)), ((3, 4), ()), ((2, 3), (2, 3))]
)
def test_broadcast_operands_keep_their_unbroadcast(sa, sb):
    rng = np.random.default_rng(3)
    args = (rng.normal(size=sa), rng.normal(size=sb))
    for k in range(2):
        got = srcad.grad(broadcasting, wrt=k, mode="source")(*args)
        np.testing.assert_allclose(got, fd(broadcasting, args, k), rtol=1e-6, atol=1e-9)


def test_one_transformation_serves_many_shapes_then_a_generic_one():
    g = srcad.grad(broadcasting, mode="source")
    rng = np.random.default_rng(4)
    for n in range(1, 13):
        args = (rng.normal(size=(n, 2)), rng.normal(size=2))
        np.testing.assert_allclose(g(*args), fd(broadcasting, args, 0), rtol=1e-6, atol=1e-9)
    assert "unbroadcast" in g.source  # past the limit: the generic version


# -- the inference rules against NumPy -------------------------------------------------

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


def infer(src, params):
    stmts = gast.parse(src).body
    inf = ShapeInference(params, stmts, lambda n: (n == "np", np), "_rt", "_stack").run()
    return inf.env


def numpy_shapes(src, params):
    env = {n: np.ones(s) for n, s in params.items()}
    exec(src, {"np": np}, env)
    return {n: np.shape(v) for n, v in env.items() if n not in ("np", "__builtins__")}


PROGRAMS = [
    "c = a * b\nd = np.sin(c) + a\ne = np.sum(d)\n",
    "c = np.maximum(a, b)\nd = np.sum(c, axis=0)\ne = np.mean(c, axis=-1, keepdims=True)\n",
    "c = -a\nd = np.where(a > b, a, b)\ne = c.T\n",
    "c = a + 1.0\nfor i in range(2):\n    c = c * b\nd = np.zeros_like(c)\n",
    "c = np.matmul(a, b)\nd = a @ b\ne = np.vecdot(a, b)\n",
    "c = np.dot(a, b) * 2.0\nd = np.sum(c * c, axis=(0,))\n",
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PROGRAMS), shapes, shapes)
def test_every_inferred_shape_is_numpys(src, sa, sb):
    params = {"a": sa, "b": sb}
    try:
        real = numpy_shapes(src, params)
    except (ValueError, np.exceptions.AxisError):
        return  # shapes that do not broadcast: the program itself fails
    for n, s in infer(src, params).items():
        if isinstance(s, tuple):
            assert s == real[n], (n, s, real[n])


AXES = ["0", "1", "-1", "-2", "(0, 1)", "(0, -1)", "(-1,)", "None"]
FORMS = [
    "np.{r}({x}, axis={ax}, keepdims={kd})",
    "np.{r}({x}, axis={ax})",
    "{x}.{r}(axis={ax}, keepdims={kd})",
    "{x}.{r}({ax})",
    "np.{r}({x})",
    "{x}.{r}()",
    "np.{r}({x}, keepdims={kd})",
    "np.{r}({x}, axis=None, keepdims={kd})",
    "np.{r}({x}, None, keepdims={kd})",
    "{x} + {y}",
    "{x} * {y}",
    "-{x}",
    "np.exp({x})",
    "np.maximum({x}, {y})",
    "np.where({x} > 0, {x}, {y})",
    "{x}.T",
    "{x}.transpose()",
    "{x}.ravel()",
    "np.dot({x}, {y})",
    "{x} @ {y}",
    "{x}.dot({y})",
    "{x}[0]",
    "{x}[1:]",
    "{x}[:, 0]",
    "{x}[-1, :2]",
    "np.zeros_like({x})",
    "np.ones({x}.shape)",
    "np.full(np.shape({x})[0], 2.0)",
    "{x}.shape[-1] * {y}",
    "np.sum({x}) * {y}",
    "{x}[np.arange({x}.shape[0]), np.zeros({x}.shape[0], dtype=int)]",
    "{x}[np.arange({x}.shape[0]), {x}.shape[-1] - 1]",
    "{x}[np.arange(2), np.arange(2)]",
    "{x}[np.arange({x}.shape[0]), {y} > 0]",
    "{x}[np.arange(1), np.ones(3, dtype=int)]",
    "{x}[np.arange({x}.shape[0]), {y} < 0]",
    "{x}[np.arange({x}.shape[0]), np.zeros((2, 1), dtype=int)]",
    "{x}[np.arange({x}.shape[0]), None]",
    "{x}[np.arange(2), ...]",
    "{x}[np.arange({x}.shape[0]), :1]",
]


@st.composite
def shape_programs(draw):
    """Straight-line programs of reductions (``axis`` as ints, ``-1``, tuples; with and
    without ``keepdims``; functions and methods), broadcasting, products, indexing and
    array makers over ``a`` and ``b``."""
    names = ["a", "b"]
    lines = []
    for k in range(draw(st.integers(1, 6))):
        form = draw(st.sampled_from(FORMS))
        src = form.format(
            r=draw(st.sampled_from(["sum", "mean", "max", "min", "prod", "std"])),
            x=draw(st.sampled_from(names)),
            y=draw(st.sampled_from(names)),
            ax=draw(st.sampled_from(AXES)),
            kd=draw(st.booleans()),
        )
        # now and then a name bound again: the inference joins its bindings' shapes
        target = draw(st.sampled_from(names[2:])) if k > 1 and draw(st.booleans()) else f"v{k}"
        lines.append(f"{target} = {src}")
        if target not in names:
            names.append(target)
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(shape_programs(), shapes, shapes, st.booleans())
def test_random_programs_shapes_are_numpys(src, sa, sb, b_known):
    """Every shape the pass claims is the one NumPy gives, also when ``b``'s shape is
    not known (a full reduction of it is still one number)."""
    params = {"a": sa, "b": sb}
    try:
        real = numpy_shapes(src, params)
    except (ValueError, IndexError, TypeError, AttributeError, np.exceptions.AxisError):
        return  # (the program itself fails on these shapes; a NumPy float has no .dot)
    claimed = infer(src, params if b_known else {"a": sa, "b": None})
    for n, s in claimed.items():
        if isinstance(s, tuple):
            assert s == real[n], (src, n, s, real[n])


@settings(max_examples=100, deadline=None)
@given(shapes, shapes)
def test_dot_shapes_are_numpys(sa, sb):
    src = "c = np.dot(a, b)\n"
    try:
        real = np.shape(np.dot(np.ones(sa), np.ones(sb)))
    except ValueError:
        real = None
    got = infer(src, {"a": sa, "b": sb})["c"]
    if isinstance(got, tuple):
        assert got == real


def test_a_loop_that_grows_a_value_is_unknown():
    env = infer("c = a\nfor i in range(3):\n    c = np.dot(c, b)\n", {"a": (2,), "b": (2, 3)})
    assert env["c"] is None  # (2,) then (3,): no single shape


# -- unbroadcast of known, different shapes: the sums themselves ---------------------
#
# ``_rt.unbroadcast(g, x)`` where both shapes are known and differ is written as the
# ``g.sum(axis=...)`` calls the helper would make.  The reference is the generic
# transformation (no shapes known: the helper itself), which must agree bit for bit,
# in float64, float32 and float16 (a narrow float's backward sweep stays narrow: its
# seed is not the float64 1.0), for Python numbers, 0-d arrays and every broadcast.


def bp_product(a, b):
    return np.sum(np.sin(a * b) + a)


def bp_difference(a, b):
    c = a - b
    return np.sum(c * c) + np.sum(b)


def bp_loop(a, b):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.tanh(a + b * i))
    return s


def bp_quotient(a, b):
    return np.mean(np.exp(b / (1.0 + a * a)))


BROADCAST_PROGRAMS = [bp_product, bp_difference, bp_loop, bp_quotient]


def _broadcast_pair(draw):
    full = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    k = draw(st.integers(0, len(full)))
    small = [1 if draw(st.booleans()) else n for n in full[len(full) - k :]]
    return tuple(full), tuple(small)


@st.composite
def broadcast_cases(draw):
    big, small = _broadcast_pair(draw)
    if draw(st.booleans()):
        big, small = small, big
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16]))
    seed = draw(st.integers(0, 2**16))
    return big, small, dtype, seed, draw(st.booleans())


def _value(rng, shape, dtype, as_number):
    if shape == () and as_number:
        return float(rng.normal())
    return np.asarray(rng.normal(size=shape), dtype=dtype)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(BROADCAST_PROGRAMS), broadcast_cases())
def test_known_shape_sums_match_the_helper_bit_for_bit(f, case):
    import srcad.api as api

    sa, sb, dtype, seed, as_number = case
    rng = np.random.default_rng(seed)
    args = (_value(rng, sa, dtype, as_number), _value(rng, sb, dtype, as_number))
    for k in range(2):
        special = srcad.grad(f, wrt=k, mode="source")
        got = special(*args)
        if np.shape(args[0]) != np.shape(args[1]):
            assert "unbroadcast" not in special.source
        limit = api._MAX_SHAPE_SIGNATURES
        api._MAX_SHAPE_SIGNATURES = 0
        try:
            generic = srcad.grad(f, wrt=k, mode="source")
            want = generic(*args)
        finally:
            api._MAX_SHAPE_SIGNATURES = limit
        assert "unbroadcast" in generic.source or np.shape(args[0]) == np.shape(args[1])
        assert type(got) is type(want)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_one_transformation_keeps_float32_and_float64_apart():
    """A version made for float64 arguments (seed ``1.0``) is not run for float32 ones
    of the same shapes, whose backward sweep stays float32 (the generic seed)."""
    import srcad.api as api

    rng = np.random.default_rng(11)
    a64, b64 = rng.normal(size=(3, 4)), rng.normal(size=4)
    g = srcad.grad(bp_product, wrt=0, mode="source")
    limit = api._MAX_SHAPE_SIGNATURES
    api._MAX_SHAPE_SIGNATURES = 0
    try:
        generic = srcad.grad(bp_product, wrt=0, mode="source")
        for dtype in (np.float64, np.float32, np.float64, np.float32):
            a, b = a64.astype(dtype), b64.astype(dtype)
            got = g(a, b)
            want = generic(a, b)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want)
    finally:
        api._MAX_SHAPE_SIGNATURES = limit


# runtime helpers the inference models, run for real: the shape it infers must be the
# shape the helper gives (a wrong one would drop an unbroadcast that matters)
RUNTIME_PROGRAMS = [
    "c = _rt.add(a, b)\nd = _rt.add(_rt.ZERO, b)\n",
    "m = np.max(a, axis=0, keepdims=True)\nc = _rt.extremum_weights(a, m, 0, True, True)\n",
    "m = np.max(a, axis=-1, keepdims=True)\nc = _rt.extremum_weights(a, m, -1, True)\n",
    "m = np.min(a)\nc = _rt.extremum_weights(a, m)\n",
    "c = _rt.real_cotangent(a * 1j)\nd = _rt.abs_deriv(a - b)\ne = _rt.log_or_zero(a * a)\n",
    "c = _rt.add_at(_rt.ZERO, a, 0, a[0])\nd = _rt.add_at(c, a, (0,), a[0] * 2.0)\n",
    "c = _rt.add_at(_rt.ZERO, a, [0, 0], a[[0, 0]])\nd = _rt.add_at(a, a, 0, _rt.ZERO)\n",
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(RUNTIME_PROGRAMS), shapes, shapes)
def test_runtime_helper_shapes_are_the_helpers(src, sa, sb):
    from srcad import runtime

    params = {"a": sa, "b": sb}
    env = {n: np.linspace(0.5, 2.0, int(np.prod(s))).reshape(s) for n, s in params.items()}
    try:
        exec(src, {"np": np, "_rt": runtime}, env)  # noqa: S102
    except (ValueError, IndexError, TypeError, np.exceptions.AxisError):
        return  # shapes the program cannot run on
    stmts = gast.parse(src).body
    inferred = ShapeInference(params, stmts, lambda n: (n == "np", np), "_rt").run().env
    for n, s in inferred.items():
        if isinstance(s, tuple) and env[n] is not runtime.ZERO:
            assert s == np.shape(env[n]), (src, n, s, np.shape(env[n]))


def softmax_cross_entropy(W, X, labels):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


def test_a_fancy_index_read_leaves_the_rest_specialized():
    """``logp[np.arange(n), labels]`` has a shape the pass cannot know, but the adjoint
    ``_rt.add_at`` makes of it has ``logp``'s: nothing before it keeps an
    ``unbroadcast`` (and ``np.max``'s weights, ``np.abs``'s sign are elementwise)."""
    rng = np.random.default_rng(5)
    X, W = rng.standard_normal((7, 4)), rng.standard_normal((4, 3))
    labels = rng.integers(0, 3, 7)
    g = srcad.grad(softmax_cross_entropy, wrt=0)
    want = fd(lambda W: softmax_cross_entropy(W, X, labels), (W,), 0)  # (labels stay ints)
    np.testing.assert_allclose(g(W, X, labels), want, rtol=1e-6, atol=1e-9)
    assert "unbroadcast" not in g.source and "matmul_adjoint" not in g.source, g.source
    w, y = rng.standard_normal(4), rng.standard_normal(7) * 3
    g = srcad.grad(huber, wrt=0)
    np.testing.assert_allclose(g(w, X, y), fd(huber, (w, X, y), 0), rtol=1e-6, atol=1e-9)
    assert "unbroadcast" not in g.source, g.source


REDUCED_PROGRAMS = [
    "def f(a, b):\n    m = np.{r}(a, axis={ax}, keepdims=True)\n"
    "    return np.sum((a - m) * b) + np.sum(np.exp(a - m))\n",
    "def f(a, b):\n    s = np.{r}(a * b, axis={ax}, keepdims=True)\n"
    "    return np.sum(np.tanh(s * a) + s / (1.0 + b * b))\n",
    "def f(a, b):\n    z = a - np.{r}(a, axis={ax}, keepdims=True)\n"
    "    return np.sum(z - np.log(np.sum(np.exp(z), axis={ax}, keepdims=True)) * b)\n",
    "def f(a, b):\n    m = np.{r}(a, axis={ax}, keepdims=True)\n"
    "    return np.sum(np.where(a > m * 0.5, a * b, b - a * m))\n",
]


@settings(max_examples=80, deadline=None)
@given(
    template=st.sampled_from(REDUCED_PROGRAMS),
    r=st.sampled_from(["sum", "mean", "max", "min"]),
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    ax=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_reductions_with_kept_axes(template, r, shape, ax, seed, tmp_path_factory):
    """A reduction's adjoint spread back over its kept axes, as an operand of ``+ - *
    /`` (shapes.mark_scalar_spreads uses the reduced adjoint itself there), a spread
    number as a value of ``np.where``, sums again (``-(g.sum())`` for ``(-g).sum()``):
    right against finite differences."""
    from .genload import load

    ax = ax % len(shape) - (1 if seed % 2 else 0) * len(shape)  # (a negative axis too)
    src = "import numpy as np\n\n\n" + template.format(r=r, ax=ax)
    f = load(src, tmp_path_factory.mktemp("kd"), "kept_dims")
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    got = srcad.grad(f, wrt=(0, 1))(a, b)
    for k in (0, 1):
        np.testing.assert_allclose(got[k], fd(f, (a, b), k), rtol=1e-5, atol=1e-7)


def picked_mean(W, X, idx):
    z = np.tanh(X @ W)
    return -np.mean(z[np.arange(X.shape[0]), idx] ** 2) + np.sum(z[np.arange(2), 1])


def picked_rows(W, X, idx):
    z = np.tanh(np.einsum("nd,dk->nk", X, W))[:, :, None] * X[:, None, :2]  # (n, k, 2)
    return np.sum(np.exp(z[np.arange(X.shape[0]), idx]))


@pytest.mark.parametrize(
    "idx",
    [
        np.array([0, 4, 1, 2, 0]),
        np.array([True] * 5),
        np.array([False, False, True, False, False]),  # (one true entry: broadcast)
        np.array([False, True, False]),  # (another length: not the known shape)
        2,
        np.int64(-1),
    ],
    ids=["labels", "all-true", "one-true", "short-mask", "int", "numpy-int"],
)
@pytest.mark.parametrize("f", [picked_mean, picked_rows], ids=lambda f: f.__name__)
def test_picked_entries_have_their_shape_and_gradient(f, idx):
    """``x[np.arange(k), idx]`` is of shape ``(k,)`` (and x's later axes) for integer
    labels, a boolean mask NumPy broadcasts, an int: the gradient is right in each
    specialization (central differences)."""
    rng = np.random.default_rng(4)
    W, X = rng.standard_normal((3, 5)) / 2, rng.standard_normal((5, 3))
    if len(np.shape(idx)) == 1 and len(idx) == 3:
        W = W[:, :3]
    g = srcad.grad(f, mode="source")
    for _ in range(2):
        got = g(W, X, idx)
        want = fd(lambda w: f(w, X, idx), (W,), 0)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
