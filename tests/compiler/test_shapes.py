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
