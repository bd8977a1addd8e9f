"""The shortcuts that make ``srcad.grad(f, mode="tape")`` cheap per call and per op give
what the long ways give (benchmarks/README.md, "Where the tape's time goes").

* the patched copy of a NumPy program is kept between calls (numpy_mode._PROGRAMS) only
  while the names its code reads, its defaults and its closure cells are unchanged;
* copy on write files a node's saved values at the first write after it was recorded
  (cow._Registry), not when it is recorded;
* ``np.sin(t)`` of one tensor is recorded straight from numpy_mode's ufunc proxy;
* the engine frees a two-parameter node inline (OpNode.release spelled out).

References: hand-derived derivatives, central finite differences in float64
(tests/tape_numpy/fd.py) and PyTorch 2.13 (the oracle of the tape's errors).
"""

import math

import numpy as np
import pytest

import srcad
from srcad.tape import numpy_mode
from tests.tape_numpy.fd import fd_grad

torch = pytest.importorskip(
    "torch", reason="PyTorch is the oracle of the tape tests: pip install torch==2.13.0"
)

SCALE = 2.0


def scaled(x):
    return np.sum(SCALE * np.sin(x))


def test_kept_program_sees_a_rebound_global():
    global SCALE
    x = np.array([0.3, -1.2, 2.0])
    g = srcad.grad(scaled, mode="tape")
    try:
        np.testing.assert_allclose(g(x), 2.0 * np.cos(x), rtol=1e-12)
        np.testing.assert_allclose(g(x), 2.0 * np.cos(x), rtol=1e-12)  # kept copy
        SCALE = 3.0
        np.testing.assert_allclose(g(x), 3.0 * np.cos(x), rtol=1e-12)
    finally:
        SCALE = 2.0


def test_kept_program_sees_new_defaults_and_code():
    def f(x, c=2.0):
        return np.sum(c * np.exp(x))

    def other(x, c=2.0):
        return np.sum(c * x * x)

    x = np.array([0.5, -0.25])
    g = srcad.grad(f, mode="tape")
    np.testing.assert_allclose(g(x), 2.0 * np.exp(x), rtol=1e-12)
    assert numpy_mode.numpy_program(f) is numpy_mode.numpy_program(f)  # kept
    f.__defaults__ = (5.0,)  # (srcad.grad binds with the signature it was given)
    assert numpy_mode.numpy_program(f).__defaults__ == (5.0,)
    f.__code__ = other.__code__
    np.testing.assert_allclose(g(x), 4.0 * x, rtol=1e-12)


def test_kept_program_sees_a_closure_cell_rebound_to_a_helper():
    def make():
        helper = None

        def f(x):
            return np.sum(helper(x)) if helper is not None else np.sum(x * x)

        def set_helper(h):
            nonlocal helper
            helper = h

        return f, set_helper

    def filled(x):  # works on the tape only when patched (np.zeros gives a tensor)
        out = np.zeros(x.shape)
        out[:] = np.sin(x)
        return out

    f, set_helper = make()
    x = np.array([0.1, 0.7, -0.4])
    g = srcad.grad(f, mode="tape")
    np.testing.assert_allclose(g(x), 2 * x, rtol=1e-12)
    np.testing.assert_allclose(g(x), 2 * x, rtol=1e-12)
    set_helper(filled)
    np.testing.assert_allclose(g(x), np.cos(x), rtol=1e-12)


def test_program_with_helpers_or_globals_call_is_not_kept():
    def uses_globals(x):
        return np.sum(globals()["SCALE"] * x)

    numpy_mode.numpy_program(uses_globals)
    numpy_mode.numpy_program(scaled)
    assert uses_globals not in numpy_mode._PROGRAMS
    assert scaled in numpy_mode._PROGRAMS


def _write_after_use(x):
    t = x * x
    y = np.sin(t)  # saves t's value
    z = np.tanh(x)  # saves its result
    dead = np.exp(t)  # a node that dies before the write  # noqa: F841
    del dead
    t += 1.0  # NumPy: y keeps the old t
    t *= z  # and again, with another saved value read
    return np.sum(y) + np.sum(t * t)


@pytest.mark.parametrize("x", [np.array([0.3, -0.8, 1.1]), np.array([[0.2, 0.5], [-1.0, 0.4]])])
def test_copy_on_write_filed_at_the_write(x):
    g = srcad.grad(_write_after_use, mode="tape")
    np.testing.assert_allclose(g(x), fd_grad(_write_after_use, x), rtol=1e-6, atol=1e-8)


def _loop_of_writes(x):
    h = np.zeros((4, x.shape[0]))
    s = x.copy()
    for i in range(4):
        h[i] = np.sin(s) * (i + 1)
        s -= 0.1 * np.tanh(s)  # s was saved by sin and tanh
    return np.sum(h * h) + np.sum(s)


def test_copy_on_write_in_a_loop_of_writes():
    x = np.array([0.4, -1.3, 0.9])
    g = srcad.grad(_loop_of_writes, mode="tape")
    np.testing.assert_allclose(g(x), fd_grad(_loop_of_writes, x), rtol=1e-6, atol=1e-8)


def _math_and_ufuncs(a, x):
    s = 0.0
    for i in range(3):
        s = s + a * math.sin(a * i) + np.sum(np.tanh(x * a))
    return s + math.exp(a) + np.exp(a)


def test_ufunc_proxy_on_numbers_and_zero_d_tensors():
    a, x = 0.7, np.array([0.5, -0.2])
    ga = srcad.grad(_math_and_ufuncs, wrt=0, mode="tape")(a, x)
    assert isinstance(ga, float)
    assert ga == pytest.approx(fd_grad(lambda v: _math_and_ufuncs(v, x), a), rel=1e-7)


def test_ufunc_proxy_under_no_grad_records_nothing():
    def f(x):
        with srcad.no_grad():
            y = np.sin(x)
        return np.sum(y * 0.0 + np.cos(x))

    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(srcad.grad(f, mode="tape")(x), -np.sin(x), rtol=1e-12)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x, y: (x * y).sum(),
        lambda lib, x, y: (x * 0.5 + y).sum(),
        lambda lib, x, y: (lib.sin(x) / y).sum(),
        lambda lib, x, y: (x - y * 2.0).sum(),
    ],
)
def test_freed_two_parameter_nodes_match_pytorch(fn):
    def run(lib):
        x = lib.tensor([0.3, -1.2], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, 0.4], dtype=lib.float64, requires_grad=True)
        out = fn(lib, x, y)
        out.backward()
        first = (x.grad.numpy().copy(), y.grad.numpy().copy())
        try:
            out.backward()
        except RuntimeError as exc:
            return first, str(exc)[:60]
        return first, (x.grad.numpy().copy(), y.grad.numpy().copy())

    (gs, second_s), (gt, second_t) = run(srcad), run(torch)
    for a, b in zip(gs, gt):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    if isinstance(second_t, str):
        assert second_s == second_t
    else:
        for a, b in zip(second_s, second_t):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def _mean_sum(x, c):
    return np.mean(np.sin(x) * c) + np.sum(x * x) + np.sum(np.exp(x[0]))


@pytest.mark.parametrize("x", [np.array([0.3, -0.7, 1.9]), np.array([[0.1, 0.2], [0.3, -0.4]])])
def test_sum_and_mean_of_one_tensor(x):
    c = np.full(x.shape, 1.5)
    got = srcad.grad(_mean_sum, wrt=0, mode="tape")(x, c)
    want = np.cos(x) * c / x.size + 2 * x
    want.flat[0] += np.exp(x.flat[0]) if x.ndim == 1 else 0.0
    if x.ndim == 2:  # x[0] is a row: exp of each of its elements
        want[0] += np.exp(x[0])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got, fd_grad(lambda v: _mean_sum(v, c), x), rtol=1e-6)


def test_sum_of_one_tensor_names_and_values_match_pytorch():
    x = srcad.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=srcad.float64, requires_grad=True)
    tx = torch.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=torch.float64, requires_grad=True)
    s = numpy_mode.NUMPY.sum(x * 2.0)
    m = numpy_mode.NUMPY.mean(x * 2.0)
    assert s.grad_fn.name() == torch.sum(tx * 2.0).grad_fn.name()
    assert m.grad_fn.name() == torch.mean(tx * 2.0).grad_fn.name()
    assert s.shape == () and float(s.detach()) == pytest.approx(9.0)
    (s + m).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 2.0 + 0.5), rtol=1e-12)
    ints = numpy_mode.NUMPY.sum(srcad.tensor([1, 2, 3], dtype=srcad.int32))
    assert ints.dtype == srcad.tensor(np.sum(np.array([1, 2, 3], dtype=np.int32))).dtype


def test_arguments_of_every_kind_reach_the_program():
    def f(a, b=2.0, *rest, scale, **extra):
        return (a * b + sum(rest)) * scale + extra.get("shift", 0.0) * a

    g = srcad.grad(f, wrt=0, mode="tape")
    assert g(1.5, 3.0, 4.0, 5.0, scale=2.0, shift=7.0) == pytest.approx(3.0 * 2.0 + 7.0)
    assert g(1.5, scale=0.5) == pytest.approx(2.0 * 0.5)

    def h(a, b=2.0):
        return a * a * b

    assert srcad.grad(h, wrt=0, mode="tape")(1.5) == pytest.approx(6.0)
    assert srcad.grad(h, wrt=0, mode="tape")(1.5, b=4.0) == pytest.approx(12.0)


def test_zero_d_gradient_is_an_array_as_in_pytorch():
    def run(lib):
        x = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(x * 3.0, x)
        return g.numpy()

    got, want = run(srcad), run(torch)
    assert type(got) is type(want) is np.ndarray
    assert got.shape == want.shape == ()
    assert got.flags.writeable
    assert float(got) == float(want) == 3.0
