"""User-level checks of the primitives issue 11 found missing: real-valued losses
(of complex intermediates too) against central finite differences in float64,
in source mode, forward and reverse, and against torch where torch has the op.

Complex convention (JAX's, every srcad rule): the gradient of a real loss with
respect to a complex ``z`` is ``dL/dRe z - 1j dL/dIm z``; a real input gets a real
gradient, the same in every convention.
"""

import warnings

import numpy as np
import pytest

import srcad
from srcad.testing import check_grads, numerical_grad

torch = pytest.importorskip("torch", reason="the test oracle, torch 2.13, is not installed")

RNG = np.random.default_rng(11)
X = RNG.normal(size=8)
M = RNG.normal(size=(4, 6))


def _both(f, *args, wrt=0, rtol=1e-6, atol=1e-8):
    want = numerical_grad(f, args, wrt=wrt)
    got = srcad.grad(f, wrt=wrt, mode="source")(*args)
    for g, w in zip(got, want) if isinstance(wrt, tuple) else [(got, want)]:
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_grads(f, *args, modes=("fwd",), order=1, mode="source")
    return got


# -- FFT ----------------------------------------------------------------------------


def power_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2 * np.arange(8.0))


def rfft_phase(x):
    return np.sum(np.angle(np.fft.rfft(x)[1:4]))


def filtered(x):
    h = np.exp(-np.arange(8.0))
    return np.sum(np.real(np.fft.ifft(np.fft.fft(x) * h)) ** 2)


def irfft_roundtrip(x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * np.linspace(1.0, 0.0, 5), n=8) ** 3)


def fft2_ortho(m):
    return np.sum(np.abs(np.fft.fft2(m, s=(3, 7), norm="ortho")))


def rfftn_forward(m):
    return np.sum(np.imag(np.fft.rfftn(m, norm="forward")) * np.arange(4.0)[:, None])


def shifted(m):
    return np.sum(np.fft.fftshift(m, axes=1) * np.arange(24.0).reshape(4, 6))


@pytest.mark.parametrize("f", [power_spectrum, rfft_phase, filtered, irfft_roundtrip])
def test_fft_losses_of_a_real_signal(f):
    _both(f, X)


@pytest.mark.parametrize("f", [fft2_ortho, rfftn_forward, shifted])
def test_nd_fft_losses(f):
    _both(f, M)


def test_fft_losses_agree_with_torch():
    t = torch.tensor(X, requires_grad=True)
    (torch.abs(torch.fft.fft(t)) ** 2 * torch.arange(8.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(srcad.grad(power_spectrum)(X), t.grad.numpy(), rtol=1e-10)
    t = torch.tensor(M, requires_grad=True)
    torch.abs(torch.fft.fft2(t, s=(3, 7), norm="ortho")).sum().backward()
    np.testing.assert_allclose(srcad.grad(fft2_ortho)(M), t.grad.numpy(), rtol=1e-10)


def complex_input(z):
    return np.sum(np.abs(np.fft.ifft(z, n=6)) ** 2)


def test_complex_input_follows_jax_convention():
    z = RNG.normal(size=5) + 1j * RNG.normal(size=5)
    got = srcad.grad(complex_input, mode="source")(z)
    eps = 1e-6
    want = np.zeros(5, dtype=complex)
    for k in range(5):
        e = np.zeros(5)
        e[k] = eps
        d_re = (complex_input(z + e) - complex_input(z - e)) / (2 * eps)
        d_im = (complex_input(z + 1j * e) - complex_input(z - 1j * e)) / (2 * eps)
        want[k] = d_re - 1j * d_im
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    # torch returns the conjugate (d_re + 1j d_im)
    t = torch.tensor(z, requires_grad=True)
    (torch.abs(torch.fft.ifft(t, n=6)) ** 2).sum().backward()
    np.testing.assert_allclose(got, np.conj(t.grad.numpy()), rtol=1e-8)


def test_fft_float32_stays_float32():
    g = srcad.grad(power_spectrum)(X.astype(np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, srcad.grad(power_spectrum)(X), rtol=1e-3, atol=1e-3)


# -- svd, eig -------------------------------------------------------------------------

A = RNG.normal(size=(4, 3))
B = RNG.normal(size=(3, 3)) + np.diag([1.0, 3.0, 6.0])


def svd_values(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 2 * np.array([1.0, 2.0, 3.0]))


def svd_vectors(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum((u * u) @ np.array([1.0, -1.0, 0.5])) + np.sum(vh[0] ** 2 * s[0])


def svd_reconstruct(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum((u @ np.diag(s * s) @ vh) * np.arange(12.0).reshape(4, 3))


@pytest.mark.parametrize("f", [svd_values, svd_vectors, svd_reconstruct])
def test_svd(f):
    _both(f, A, rtol=1e-5)


def test_svd_agrees_with_torch():
    t = torch.tensor(A, requires_grad=True)
    u, s, vh = torch.linalg.svd(t, full_matrices=False)
    (
        (u @ torch.diag(s * s) @ vh) * torch.arange(12.0, dtype=torch.float64).reshape(4, 3)
    ).sum().backward()
    np.testing.assert_allclose(srcad.grad(svd_reconstruct)(A), t.grad.numpy(), rtol=1e-8)


def svd_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u)


def test_svd_full_matrices_of_a_non_square_matrix_is_refused():
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        srcad.grad(svd_full, mode="source")(A)


def eig_values(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(w) ** 2 + np.imag(w))


def eig_vectors(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.abs(v) ** 2 * np.array([[1.0, 2.0, 3.0]]))


def eig_vector_phase(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(v) * np.array([[1.0, -2.0, 0.5]]) + np.imag(v) ** 2)


def eigvals_loss(a):
    return np.sum(np.abs(np.linalg.eigvals(a)))


ROT = np.array([[1.0, 2.0, 0.3], [-1.5, 0.5, 0.2], [0.1, 0.4, 4.0]])  # complex pair


@pytest.mark.parametrize("f", [eig_values, eig_vectors, eig_vector_phase, eigvals_loss])
@pytest.mark.parametrize("a", [B, ROT], ids=["real-spectrum", "complex-pair"])
def test_eig(f, a):
    _both(f, a, rtol=1e-5, atol=1e-7)


def test_eigvals_agrees_with_torch():
    t = torch.tensor(ROT, requires_grad=True)
    torch.abs(torch.linalg.eigvals(t)).sum().backward()
    np.testing.assert_allclose(srcad.grad(eigvals_loss)(ROT), t.grad.numpy(), rtol=1e-8)


def second_through_svd(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 2)


def test_power_third_order_at_zero_exponent():
    x = np.array([0.0, 1.5])
    hv = srcad.hvp(cube_plus_zero_power)(x, np.ones(2))
    np.testing.assert_allclose(hv, 6 * x)


def cube_plus_zero_power(x):
    return np.sum(x**3 + x**0.0 + np.float_power(x, 0.0) + np.float_power(x, 1.0))


def test_second_order_through_svd_is_refused():
    with pytest.raises(NotImplementedError, match="second derivatives through np.linalg.svd"):
        srcad.hvp(second_through_svd)(A, np.ones_like(A))


# -- gradient, partition, select, angle, real_if_close, casts ----------------------------


def grad_loss(x):
    return np.sum(np.gradient(x, 0.5, edge_order=2) ** 2)


def grad2d(m):
    gy, gx = np.gradient(m)
    return np.sum(gy * gx)


def part(x):
    return np.sum(np.partition(x, 3)[:4] * np.arange(4.0))


def sel(x):
    return np.sum(np.select([x < -0.5, x > 0.5], [x**2, np.sin(x)], default=x * 3.0))


def ang(a, b):
    z = a + 1j * b
    return np.sum(np.angle(z, deg=True) * np.arange(4.0))


def ric(x):
    z = np.real_if_close(x + 0j)
    return np.sum(z**2)


def as_index(x):
    i = np.int64(np.floor(x[0] * 0.0 + 2.0))
    return x[i] * np.float64(x[1])


@pytest.mark.parametrize("f", [grad_loss, part, sel, ric, as_index])
def test_vector_primitives(f):
    _both(f, X)


def test_angle_of_a_complex_intermediate():
    _both(ang, X[:4], X[4:], wrt=(0, 1))


def test_gradient_2d():
    _both(grad2d, M)


def test_gradient_agrees_with_torch():
    t = torch.tensor(X, requires_grad=True)
    (torch.gradient(t, spacing=0.5, edge_order=2)[0] ** 2).sum().backward()
    np.testing.assert_allclose(srcad.grad(grad_loss)(X), t.grad.numpy(), rtol=1e-10)


def test_angle_agrees_with_torch():
    t = torch.tensor(X, requires_grad=True)
    z = torch.complex(t[:4], t[4:])
    (torch.angle(z) * 180 / np.pi * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    ga, gb = srcad.grad(ang, wrt=(0, 1))(X[:4], X[4:])
    np.testing.assert_allclose(np.concatenate([ga, gb]), t.grad.numpy(), rtol=1e-10)


def test_tape_mode_on_real_primitives():
    for f in (grad_loss, part, sel):
        got = srcad.grad(f, mode="tape")(X)
        np.testing.assert_allclose(got, numerical_grad(f, (X,)), rtol=1e-6, atol=1e-8)
