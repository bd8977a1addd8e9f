"""Writes through an integer-array index that names an element more than once.

NumPy writes ``y[idx] = v`` in order and the last write sticks (``y[[0, 0, 1]] = v``
leaves ``v[1]`` in ``y[0]``), and ``y[idx] += v`` is ``y[idx] = y[idx] + v`` with the
same rule.  So the values written before the last one reach nothing, and their
gradient is zero.  Both engines gave them the element's gradient (PyTorch's
index_put does), a wrong gradient for a NumPy program (FINDINGS A7).

Random indices with repeats (1-D and 2-D, mixed with a slice), random values
broadcast into the slots or not, ``=``, ``+=``, ``-=``, ``*=``; source and tape
mode, grad and jvp, against central differences in float64.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .fdcheck import fd
from .genload import load


@st.composite
def programs(draw):
    n = draw(st.integers(2, 4))
    two_d = draw(st.booleans())
    k = draw(st.integers(2, 5))
    idx = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    op = draw(st.sampled_from(["=", "+=", "-=", "*="]))
    if two_d:  # a column that is an int, a slice, or a second index array
        col = draw(st.sampled_from(["1", ":", str(([0, 1] * k)[:k])]))
        target, shape = f"y[{idx}, {col}]", (n, 2)
    else:
        target, shape = f"y[{idx}]", (n,)
    value = draw(st.sampled_from(["x[0] * 2.0", "np.sin(x[1]) + x[0]", "x[:1] * 3.0"]))
    lines = [
        "def f(x):",
        f"    y = np.ones({shape}) * x[2]",
        f"    {target} {op} {value}",
        f"    w = np.arange(1.0, {int(np.prod(shape)) + 1}.0).reshape({shape})",
        "    return np.sum(y * y * w)",
    ]
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=programs(), seed=st.integers(0, 2**16))
def test_random_repeated_index_writes(src, seed, tmp_path_factory):
    f = load(src, tmp_path_factory.mktemp("rw"), "repeated_writes")
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, 3)
    try:
        f(x)
    except (IndexError, ValueError):
        return  # (a value that does not fit the slots: not a case)
    want = fd(f, (x,), 0)
    t = np.array([0.5, -1.0, 0.25])
    for mode in ("source", "tape"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", srcad.FallbackWarning)
            got = srcad.grad(f, mode=mode)(x)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=f"{mode}\n{src}")
            _, tan = srcad.jvp(f, mode=mode)(x, t)
            np.testing.assert_allclose(tan, want @ t, rtol=1e-6, atol=1e-8, err_msg=src)


def last_wins(x):
    y = np.zeros(3)
    y[[0, 0, 1]] = x * 2.0
    return np.sum(y * y * np.arange(1.0, 4.0))


def test_the_first_write_gets_nothing():
    """Hand-derived: y = [2 x1, 2 x2, 0], f = 4 x1**2 + 8 x2**2, so df/dx0 = 0."""
    x = np.array([0.7, -0.4, 1.1])
    want = np.array([0.0, 8.0 * x[1], 16.0 * x[2]])
    for mode in ("source", "tape"):
        np.testing.assert_allclose(srcad.grad(last_wins, mode=mode)(x), want, rtol=1e-12)
