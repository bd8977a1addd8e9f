"""The cycle collector is paused while a ``srcad.grad(mode="tape")`` call runs and its
previous state comes back afterwards, also after an exception, in nested calls and
when the caller had it disabled (tape_bridge's module docstring says why).

References: ``gc.isenabled()`` as observed inside and after the calls; gradients
against hand-derived formulas.
"""

import gc
import math
import threading

import numpy as np
import pytest

import srcad


@pytest.fixture
def gc_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collector_paused_inside_and_restored_after(gc_enabled):
    seen = []

    def f(a, b):
        seen.append(gc.isenabled())
        return a * math.sin(b)

    g = srcad.grad(f, (0, 1), mode="tape")
    ga, gb = g(1.3, 0.7)
    assert seen == [False]
    assert gc.isenabled()
    assert ga == pytest.approx(math.sin(0.7), rel=1e-15)
    assert gb == pytest.approx(1.3 * math.cos(0.7), rel=1e-15)


def test_restored_after_an_exception(gc_enabled):
    def f(a):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        srcad.grad(f, mode="tape")(1.0)
    assert gc.isenabled()


def test_restored_after_a_failing_backward(gc_enabled):
    def f(x):
        y = x * x
        return y  # not a scalar: the tape refuses

    with pytest.raises((TypeError, ValueError)):
        srcad.grad(f, mode="tape")(np.ones(3))
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(gc_enabled):
    gc.disable()
    try:
        assert srcad.grad(lambda a: a * a, mode="tape")(3.0) == 6.0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_nested_calls_restore_the_outer_state(gc_enabled):
    inner_seen = []

    def inner(x):
        inner_seen.append(gc.isenabled())
        return x**3

    def outer(x):
        return srcad.grad(inner, mode="tape")(x)

    second = srcad.grad(outer, mode="tape")(2.0)
    assert second == pytest.approx(6 * 2.0)  # d2/dx2 x^3
    assert inner_seen and not any(inner_seen)
    assert gc.isenabled()


def test_vjp_jvp_and_hvp_restore_the_state(gc_enabled):
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        return np.sum(np.sin(x) * x)

    x = np.array([0.3, -0.4])
    v = np.array([1.0, 2.0])
    _, pullback = srcad.vjp(f, mode="tape")(x)
    assert gc.isenabled()
    g = pullback(1.0)
    assert gc.isenabled()
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-14)
    _, tangent = srcad.jvp(f, mode="tape")(x, v)
    assert gc.isenabled()
    np.testing.assert_allclose(tangent, np.dot(np.cos(x) * x + np.sin(x), v), rtol=1e-14)
    hv = srcad.hvp(f, mode="tape")(x, v)
    assert gc.isenabled()
    np.testing.assert_allclose(hv, (2 * np.cos(x) - x * np.sin(x)) * v, rtol=1e-14)
    assert seen and not any(seen)


def test_concurrent_calls_leave_the_collector_enabled(gc_enabled):
    g = srcad.grad(lambda a, b: a * b + a, mode="tape")
    errors = []

    def work():
        try:
            for _ in range(200):
                assert g(1.5, 2.0) == 3.0
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gc.isenabled()
