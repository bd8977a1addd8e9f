"""``_rt.add_at`` into the symbolic zero with integer index arrays on every axis goes
through one ``np.bincount`` (runtime/core.py ``_scatter_into_zeros``): checked here
bit for bit against ``np.add.at`` into zeros, which it replaces, with repeated and
negative indices, Python ints among the arrays, broadcasting index arrays and
adjoints, and the errors NumPy raises for an index out of range."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srcad import runtime as _rt


@st.composite
def cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    k = draw(st.integers(1, 6))
    parts = []
    for n in shape:
        kind = draw(st.sampled_from(["array", "array", "int", "column"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
            continue
        lo = -n if draw(st.booleans()) else 0
        vals = draw(st.lists(st.integers(lo, n - 1), min_size=k, max_size=k))
        arr = np.array(
            vals,
            dtype=draw(st.sampled_from([np.int64, np.int32, np.uint8])) if lo == 0 else np.int64,
        )
        parts.append(arr.reshape(k, 1) if kind == "column" and k > 1 else arr)
    index = tuple(parts) if len(parts) > 1 or draw(st.booleans()) else parts[0]
    bshape = np.broadcast_shapes(*[np.shape(p) for p in parts])
    gkind = draw(st.sampled_from(["full", "float", "row"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if gkind == "float":
        g = float(rng.standard_normal())
    elif gkind == "row" and bshape:
        g = rng.standard_normal(bshape[-1:])
    else:
        g = rng.standard_normal(bshape)
        g[rng.random(bshape) < 0.2] = -0.0
    return np.ones(shape), index, g


@settings(max_examples=400, deadline=None)
@given(cases())
def test_bit_for_bit_as_add_at(case):
    x, index, g = case
    want = np.zeros_like(x)
    np.add.at(want, index, g)
    got = _rt.add_at(_rt.ZERO, x, index, g)
    assert got.shape == x.shape and got.dtype == x.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_the_bincount_path_is_taken():
    x = np.ones((1000, 10))
    labels = np.random.default_rng(0).integers(0, 10, 1000)
    got = _rt.core._scatter_into_zeros(x, (np.arange(1000), labels), np.full(1000, 0.5))
    assert got is not None and got.sum() == 500.0


@pytest.mark.parametrize(
    "index", [(np.array([0, 3]), np.array([1, 1])), (np.array([0]), 5), np.array([2, -4])]
)
def test_an_index_out_of_range_raises_numpys_error(index):
    x = np.ones((3, 2)) if isinstance(index, tuple) else np.ones(3)
    with pytest.raises(IndexError):
        np.add.at(np.zeros_like(x), index, 1.0)
    with pytest.raises(IndexError):
        _rt.add_at(_rt.ZERO, x, index, 1.0)


def test_other_kinds_take_the_general_way():
    x32 = np.ones(4, dtype=np.float32)
    got = _rt.add_at(_rt.ZERO, x32, np.array([1, 1]), np.float32(2.0))
    assert got.dtype == np.float32 and got[1] == 4.0
    xc = np.ones(3, dtype=complex)
    got = _rt.add_at(_rt.ZERO, xc, np.array([0, 0]), np.array([1j, 2.0]))
    assert got[0] == 2.0 + 1j
    mask = np.array([True, False, True])
    got = _rt.add_at(_rt.ZERO, np.ones(3), mask, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(got, [1.0, 0.0, 2.0])
