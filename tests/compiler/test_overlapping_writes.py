"""``z[dst] = z[src]`` with overlapping regions: refused in both engines, never answered.

NumPy copies element by element in memory order when the value is a view of the
array written and the two regions overlap without lying in opposite directions:
``z[:, -1] = z[1]`` overwrites ``z[1, 2]`` before it reads it. srcad's adjoint (and
the tape's CopySlices) assume the value was read first, so both engines returned
a wrong gradient (seed 20026, 1 in 10,000 programs). Now the generated code checks
the regions at run time (``_rt.check_overlap``, placed by alias.py where the value
may share the array's memory) and the tape raises PyTorch's overlap error. Writes
from disjoint regions of the same array (``h[t] = h[t - 1]``) go on.

The check: every pair of row, column and reversed-row regions of a 3x3 array, each
engine either refuses with its message or agrees with central finite differences
of the function run by NumPy itself.
"""

import itertools

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad
from tests.fuzz.check import load

REGIONS = ["0", "1", "2", ":, 0", ":, 2", "1, ::-1", ":, ::-1][:, 1"]
W = "np.arange(1.0, 10.0).reshape(3, 3)"


def _program(dst, src):
    return (
        "import numpy as np\n\n\n"
        "def f(x):\n"
        "    z = x * 1.0\n"
        f"    z[{dst}] = z[{src}]\n"
        f"    return np.sum(z * z * {W})\n"
    )


PAIRS = [(d, s) for d, s in itertools.product(REGIONS[:5], REGIONS) if d != s]


@pytest.mark.parametrize("dst, src", PAIRS)
def test_refused_or_right(dst, src):
    f = load(_program(dst, src))
    x = np.random.default_rng(7).uniform(-1.0, 1.0, (3, 3))
    want = numerical_grad(f, (x,), wrt=0)
    try:
        got = srcad.grad(f, mode="source")(x)
    except srcad.UnsupportedError as exc:
        assert "shares its memory" in str(exc)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    try:
        got = srcad.grad(f, mode="tape")(x)
    except RuntimeError as exc:
        assert "refer to a single memory location" in str(exc)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_the_overlapping_write_of_the_campaign_is_refused():
    f = load(_program(":, -1", "1"))
    x = np.random.default_rng(4).uniform(-1.0, 1.0, (3, 3))
    with pytest.raises(srcad.UnsupportedError, match="shares its memory"):
        srcad.grad(f, mode="source")(x)
    with pytest.raises(srcad.UnsupportedError, match="shares its memory"):
        srcad.jvp(f, mode="source")(x, np.ones((3, 3)))
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        srcad.grad(f, mode="tape")(x)


def test_disjoint_regions_of_the_same_array_go_on():
    src = (
        "import numpy as np\n\n\n"
        "def f(h0, W):\n"
        "    h = np.zeros((4, 3))\n"
        "    h[0] = h0\n"
        "    for t in range(1, 4):\n"
        "        h[t] = h[t - 1]\n"
        "        h[t] = np.tanh(h[t] @ W)\n"
        "    h[:] = h\n"
        "    return np.sum(h * h)\n"
    )
    f = load(src, "f")
    rng = np.random.default_rng(0)
    h0, W = rng.standard_normal(3), rng.standard_normal((3, 3))
    for mode in ("source", "tape"):
        for k in (0, 1):
            got = srcad.grad(f, wrt=k, mode=mode)(h0, W)
            np.testing.assert_allclose(
                got, numerical_grad(f, (h0, W), wrt=k), rtol=1e-6, atol=1e-8
            )
