"""Higher order: grad of grad, forward over reverse, jacobian and hessian.

References: finite differences of srcad's first derivative (itself checked
against finite differences in test_corpus.py) and hand-derived formulas.
"""

import os
import sys
import warnings

import numpy as np
import pytest

import srcad

sys.path.insert(0, os.path.dirname(__file__))
import higher_funcs as hf  # noqa: E402

X = 1.3
V = np.array([0.3, -0.5, 0.8])


def fd(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@pytest.mark.parametrize(
    "fn, second",
    [
        (hf.cubic_sin, lambda x: 6 * x - np.sin(x)),
        (hf.loop_poly, lambda x: 2.0 * (0 + 1 + 2 + 3)),
        (hf.branchy, lambda x: 12 * x**2 if x > 1 else np.exp(x) * (x + 2)),
    ],
)
@pytest.mark.parametrize("x", [X, 0.4])
def test_grad_of_grad_matches_formula(fn, second, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        gg = srcad.grad(srcad.grad(fn))
        got = gg(x)
    assert got == pytest.approx(second(x), rel=1e-9)
    assert gg.mode in ("source", "tape")


def test_grad_of_grad_stays_in_source_mode_for_simple_code():
    gg = srcad.grad(srcad.grad(hf.cubic_sin))
    assert gg(X) == pytest.approx(6 * X - np.sin(X))
    assert gg.mode == "source" and gg.fallback_reason is None
    assert "def " in gg.source


@pytest.mark.parametrize("fn", [hf.cubic_sin, hf.loop_poly, hf.branchy])
def test_jvp_of_grad(fn):
    g = srcad.grad(fn)
    _, t = srcad.jvp(srcad.grad(fn))(X, 1.0)
    assert t == pytest.approx(fd(g, X), rel=1e-6)


def test_hvp_and_hessian_of_vector_function():
    x = V.copy()
    g = srcad.grad(hf.tanh_sq_sum)
    H = srcad.hessian(hf.tanh_sq_sum)(x)
    ref = np.stack([fd(lambda t, k=k: g(x + t * np.eye(3)[k]), 0.0) for k in range(3)])
    np.testing.assert_allclose(H, ref, rtol=1e-5, atol=1e-8)
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(srcad.hvp(hf.tanh_sq_sum)(x, v), H @ v, rtol=1e-9)


def test_hessian_of_quadratic_form_is_symmetric_part():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((3, 3))
    H = srcad.hessian(hf.quad_form)(V, M)
    np.testing.assert_allclose(H, M + M.T, rtol=1e-12)


def test_jacobian_shape_and_values():
    J = srcad.jacobian(hf.vector_out)(V)
    assert J.shape == (3, 3)
    ref = np.diag(np.cos(V) * V[0])
    ref[:, 0] += np.sin(V)
    np.testing.assert_allclose(J, ref, rtol=1e-12)


@pytest.mark.parametrize("fn", [hf.cubic_sin, hf.branchy])
def test_tape_mode_higher_order_agrees(fn):
    src = srcad.grad(srcad.grad(fn))(X)
    tape = srcad.grad(srcad.grad(fn, mode="tape"), mode="tape")(X)
    assert tape == pytest.approx(src, rel=1e-9)
    h_tape = srcad.hvp(fn, mode="tape")(X, 1.0)
    assert h_tape == pytest.approx(src, rel=1e-9)
