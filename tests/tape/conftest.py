"""Shared pieces of the tape tests: the observation comparison used against PyTorch."""

import math

import pytest

# float32 tolerance for every float in an observation (a scenario may widen it with
# scenarios.tolerance); everything else must be equal, type included.
RTOL = 1e-5
ATOL = 1e-6


def _kind(x):
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int"
    if isinstance(x, float):
        return "float"
    return type(x).__name__


def mismatches(expected, actual, rtol=RTOL, atol=ATOL, path="obs"):
    """Yield one line per difference between two observation structures."""
    ek, ak = _kind(expected), _kind(actual)
    if ek != ak:
        yield f"{path}: expected {ek} {expected!r}, got {ak} {actual!r}"
        return
    if ek == "float":
        if math.isnan(expected) and math.isnan(actual):
            return
        if math.isinf(expected) or math.isinf(actual):
            if expected != actual:
                yield f"{path}: expected {expected!r}, got {actual!r}"
            return
        if not abs(actual - expected) <= atol + rtol * abs(expected):
            yield f"{path}: expected {expected!r}, got {actual!r}"
    elif isinstance(expected, (list, tuple)):
        if len(expected) != len(actual):
            yield (
                f"{path}: expected length {len(expected)} {expected!r}, "
                f"got {len(actual)} {actual!r}"
            )
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from mismatches(e, a, rtol, atol, f"{path}[{i}]")
    elif isinstance(expected, dict):
        if set(expected) != set(actual):
            yield f"{path}: expected keys {sorted(expected)}, got {sorted(actual)}"
            return
        for k in expected:
            yield from mismatches(expected[k], actual[k], rtol, atol, f"{path}[{k!r}]")
    elif expected != actual:
        yield f"{path}:\n  expected {expected!r}\n  got      {actual!r}"


@pytest.fixture
def assert_same():
    """``assert_same(expected, actual, rtol, atol)``: fail with every difference listed."""

    def check(expected, actual, rtol=RTOL, atol=ATOL):
        diffs = list(mismatches(expected, actual, rtol, atol))
        if diffs:
            shown = "\n".join(diffs[:25])
            more = f"\n... and {len(diffs) - 25} more" if len(diffs) > 25 else ""
            pytest.fail(f"srcad differs from PyTorch:\n{shown}{more}", pytrace=False)

    return check
