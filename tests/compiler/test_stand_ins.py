"""An indexed value read only for its type, shape and dtype (compiler/shapes.py,
``_indexed_stand_in``; runtime ``result_like``): the adjoint of ``t[i]`` for
``t = a - b`` starts from zeros like ``t``, and ``t`` itself is not computed for it.

* ``result_like`` against the operation itself: the same array type, shape and dtype
  for NumPy arrays and numbers of every kind (float32 with a Python float stays
  float32), and the operation's own value (or error) for integers, 0-d results and
  other types;
* random functions that read an item, a row, a fancy pick or a slice of ``x op y``
  (broadcast shapes, float32 and float64, an operand bound again before or after):
  the gradient against central differences, its dtype against the tape's, and the
  stand-in used exactly where it applies;
* the softmax cross-entropy of benchmarks/bench_styles.py: no ``logp`` in its gradient.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad
from srcad import runtime as _rt

from .fdcheck import fd
from .genload import load

OPS = {"+": np.add, "-": np.subtract, "*": np.multiply}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize(
    "a, b",
    [
        (np.ones((3, 4)), np.ones((3, 1))),
        (np.ones((3, 4), np.float32), 2.5),
        (np.ones((3, 4), np.float32), np.ones(4)),
        (2, np.ones((2, 2), np.complex128)),
        (np.ones(5, np.float16), np.ones(5, np.float32)),
    ],
)
def test_result_like_is_shaped_like_the_operation(op, a, b):
    got, want = _rt.result_like(a, op, b), OPS[op](a, b)
    assert type(got) is type(want) and got.shape == want.shape and got.dtype == want.dtype


@pytest.mark.parametrize(
    "a, b",
    [
        (np.arange(4), np.arange(4)),  # integers: the operation (its overflow checks)
        (np.float64(2.0), 1.0),  # a 0-d result is a NumPy scalar, not an array
        (np.ones(3), [1.0, 2.0, 3.0]),  # a list: not taken
        (np.ma.ones(3), np.ones(3)),  # another array type
    ],
)
def test_result_like_computes_what_it_cannot_stand_in_for(a, b):
    got, want = _rt.result_like(a, "-", b), np.subtract(a, b)
    assert type(got) is type(want) and np.array_equal(got, want)


def test_result_like_raises_the_operations_error():
    with pytest.raises(ValueError, match="broadcast"):
        _rt.result_like(np.ones(3), "+", np.ones(4))


INDEXES = {
    "(np.arange(4), labels)": True,
    "labels": True,
    "[0, 2]": True,
    "1:3": True,
    "(slice(None), 1)": True,
    "2": False,  # (an integer: the compiled code's form, left as it is)
    "(1, 2)": False,
}


@st.composite
def functions(draw):
    op = draw(st.sampled_from(sorted(OPS)))
    y = draw(st.sampled_from(["y", "y[None, :]", "s", "1.5"]))
    index = draw(st.sampled_from(sorted(INDEXES)))
    lines = [f"    t = x {op} {y}"]
    hazard = draw(st.sampled_from(["", "before", "after"]))
    if hazard == "before":  # (an operand bound again before t: t reads the new one)
        lines.insert(0, "    x = x * 0.5")
    elif hazard == "after":  # (and after: the stand-in cannot read it at the adjoint)
        lines.append("    x = x * 0.5")
    lines.append(f"    return np.sum(t[{index}] * np.cos(t[{index}])) + np.sum(x * x)")
    src = "def f(x, y, s, labels):\n" + "\n".join(lines) + "\n"
    return src, index, hazard


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=functions(), seed=st.integers(0, 2**16))
def test_random_indexed_values(case, seed, tmp_path_factory):
    src, index, hazard = case
    f = load("import numpy as np\n\n\n" + src, tmp_path_factory.mktemp("si"), "stand_ins")
    rng = np.random.default_rng(seed)
    x, y, s = rng.standard_normal((4, 3)), rng.standard_normal(3), float(rng.standard_normal())
    labels = rng.integers(0, 3, 4)
    g = srcad.grad(f, wrt=(0, 1, 2), mode="source")
    got = g(x, y, s, labels)
    for k in range(3):
        want = fd(lambda *a: f(*a[:2], float(a[2]), labels), [x, y, s], k)
        assert np.allclose(got[k], want, rtol=1e-5, atol=1e-6), (src, g.source)
    if not INDEXES[index] or hazard == "after":  # (where it applies, shapes must be known)
        assert "result_like" not in g.source, (src, g.source)
    # float32 data: the gradient's dtype is the tape's
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    src32 = g(x32, y32, s, labels)
    tape32 = srcad.grad(f, wrt=(0, 1, 2), mode="tape")(x32, y32, s, labels)
    for a, b in zip(src32, tape32):
        assert np.asarray(a).dtype == np.asarray(b).dtype, (src, g.source)
        assert np.allclose(a, b, rtol=1e-4, atol=1e-4)


def test_softmax_scores_are_not_computed_for_their_shape():
    def softmax_loss(W, X, labels):
        z = X @ W
        z = z - np.max(z, axis=1, keepdims=True)
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return -np.mean(logp[np.arange(X.shape[0]), labels])

    rng = np.random.default_rng(0)
    W, X = rng.standard_normal((6, 4)), rng.standard_normal((30, 6))
    labels = rng.integers(0, 4, 30)
    g = srcad.grad(softmax_loss, mode="source")
    got = g(W, X, labels)
    z = X @ W
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(30), labels] -= 1.0
    assert np.allclose(got, X.T @ p / 30, rtol=1e-12, atol=1e-14)
    assert "    logp = " not in g.source and "result_like" in g.source, g.source
