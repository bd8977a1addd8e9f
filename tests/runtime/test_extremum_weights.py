"""``_rt.extremum_weights``: d max / d a shares the result evenly among the elements
equal to it.  Its fast path (as many hits as groups and no NaN: one hit each, so the
mask itself) must give what the shared formula gives, ties, NaN and -0.0 included."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from srcad import runtime as rt


def reference(a, result, axis, keepdims):
    r = result if keepdims or axis is None else np.expand_dims(result, axis)
    hit = a == r
    count = np.sum(hit, axis=axis, keepdims=True)
    return hit / np.maximum(count, 1)


values = st.sampled_from([0.0, -0.0, 1.0, 2.0, -3.5, np.nan, 7.25])


@settings(max_examples=300, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    data=st.data(),
    reduce=st.sampled_from([np.max, np.min]),
    keepdims=st.booleans(),
)
def test_the_fast_path_is_the_formula(shape, data, reduce, keepdims):
    n = int(np.prod(shape))
    if data.draw(st.booleans()):  # (mostly distinct values: the fast path's case)
        a = np.arange(n, dtype=float)[np.random.default_rng(n).permutation(n)].reshape(shape)
    else:
        a = np.array(data.draw(st.lists(values, min_size=n, max_size=n))).reshape(shape)
    axis = data.draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    result = reduce(a, axis=axis, keepdims=keepdims)
    got = rt.extremum_weights(a, result, axis, keepdims)
    np.testing.assert_array_equal(got, reference(a, result, axis, keepdims))
    assert got.dtype == np.float64
