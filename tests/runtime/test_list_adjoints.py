"""The adjoint of a list changed in place only when nothing else holds it.

``_rt.pop_adj``, ``_rt.push_adj`` and ``_rt.add_at`` step the adjoint of a list a
loop appends to or reads from.  A copy at every step made a loop of n steps cost n**2
(1,000 steps: 1.5 ms of a 2 ms gradient), so they now change the list in place when
its reference count says the caller's variable is its only holder.  What must hold:
with any other holder (an alias, a container, the primal list itself) the caller's
list is never changed, and with none the answer is the same as the copying one.
"""

import numpy as np
import pytest

from srcad import runtime as rt
from srcad.runtime import core

ZERO = rt.ZERO


def _entries():
    return [np.arange(3.0), 2.5, ZERO, np.ones((2, 2))]


def test_sole_count_was_measured():
    assert core._SOLE > 0  # (CPython: a count was measured, the fast path is on)


def test_pop_adj_in_place_when_sole():
    d = _entries()
    ident = id(d)
    d, v = rt.pop_adj(d)
    assert id(d) == ident and len(d) == 3 and v.shape == (2, 2)


def test_pop_adj_copies_when_shared():
    d = _entries()
    alias = d
    held = {"k": d}
    d2, v = rt.pop_adj(d)
    assert d2 is not alias and len(alias) == 4 and len(held["k"]) == 4 and len(d2) == 3
    np.testing.assert_array_equal(v, np.ones((2, 2)))


def test_push_adj_both_ways():
    lst = [1.0, 2.0, 3.0]
    d = [ZERO, 0.5]
    ident = id(d)
    d = rt.push_adj(d, lst, 7.0)
    assert id(d) == ident and d == [ZERO, 0.5, 7.0]
    keep = d
    d2 = rt.push_adj(d, lst + [4.0], 8.0)
    assert keep == [ZERO, 0.5, 7.0] and d2 == [ZERO, 0.5, 7.0, 8.0]
    # (called before the list is restored: the popped list's adjoint is one longer)
    assert rt.push_adj(ZERO, lst, 1.5) == [ZERO, ZERO, ZERO, 1.5]


@pytest.mark.parametrize("shared", [False, True])
def test_add_at_list(shared):
    x = [np.zeros(2), np.zeros(2), 1.0]
    d = [ZERO, np.array([1.0, 2.0]), ZERO]
    other = d if shared else None
    before = [e if e is ZERO else np.copy(e) if isinstance(e, np.ndarray) else e for e in d]
    out = rt.add_at(d, x, 1, np.array([10.0, 20.0]))
    np.testing.assert_array_equal(out[1], [11.0, 22.0])
    out = rt.add_at(out, x, -1, 0.25)
    assert out[2] == 0.25 and out[0] is ZERO
    if shared:
        assert out is not other and other[2] is ZERO
        np.testing.assert_array_equal(other[1], before[1])  # the shared list unchanged
    # an array entry is never changed in place, even in a list changed in place
    np.testing.assert_array_equal(before[1], [1.0, 2.0])
