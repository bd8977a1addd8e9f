"""The comparison that test_differential.py relies on (no PyTorch or tape needed)."""

import math

from .conftest import mismatches
from .scenarios import catch, lead, nest


def diffs(expected, actual, **kw):
    return list(mismatches(expected, actual, **kw))


def test_floats_within_tolerance():
    assert not diffs(1.0, 1.0 + 5e-6)
    assert not diffs([0.0], [5e-7])
    assert diffs(1.0, 1.0 + 1e-4)
    assert not diffs(1.0, 1.0 + 1e-4, rtol=1e-3, atol=0.0)


def test_special_floats():
    assert not diffs(math.nan, math.nan)
    assert not diffs(math.inf, math.inf)
    assert diffs(math.inf, -math.inf)
    assert diffs(math.inf, 1e308)


def test_types_are_strict():
    assert diffs(1.0, 1)
    assert diffs(1, True)
    assert diffs(True, 1)
    assert diffs([1.0], (1.0,))
    assert diffs(None, 0.0)
    assert diffs("tensor(1.)", "tensor(1.0)")


def test_structures():
    assert not diffs({"a": [1, (2.0, "x")]}, {"a": [1, (2.0, "x")]})
    assert diffs({"a": 1}, {"b": 1})
    assert diffs([1, 2], [1, 2, 3])
    assert len(diffs([1.0, 2.0, 3.0], [1.5, 2.0, 3.5])) == 2


def test_helpers():
    assert lead("First sentence. Second one.") == "First sentence."
    assert lead("line one,\nline two") == "line one,"
    assert lead("abcdef", 3) == "abc"
    assert lead("call .grad now") == "call .grad now"
    assert catch(lambda: 1) == ("no exception", None)
    assert catch(lambda: [][1]) == ("IndexError", "list index out of range")
    assert nest([1, 2, 3, 4, 5, 6], [2, 3]) == [[1, 2, 3], [4, 5, 6]]
    assert nest([7], []) == 7
