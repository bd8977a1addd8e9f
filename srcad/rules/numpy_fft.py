"""Rules for ``np.fft``: every transform is linear in its input.

The adjoints are the transforms' transposes (``srcad.runtime.grads.spectral``);
the tangents are the transforms applied to the tangent (``linear=("a",)``).
Complex values follow JAX's convention, as every srcad rule does: cotangents
pair bilinearly with tangents (``dL = Re(sum(ct * dy))``), so a real loss of a
complex input ``z`` gets ``dL/dRe z - 1j dL/dIm z``, and a real input (``rfft``'s,
or ``fft`` of a real array) gets the real part of its cotangent.
"""

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, nondifferentiable, tangent

fft = np.fft


@adjoint(fft.fft, linear=("a",))
def _(result, a, n=None, axis=-1, norm=None, out=None):
    d[a] = _rt.fft_adjoint(d[result], a, n, axis, norm, False)


@adjoint(fft.ifft, linear=("a",))
def _(result, a, n=None, axis=-1, norm=None, out=None):
    d[a] = _rt.fft_adjoint(d[result], a, n, axis, norm, True)


@adjoint(fft.fftn, linear=("a",))
def _(result, a, s=None, axes=None, norm=None, out=None):
    d[a] = _rt.fftn_adjoint(d[result], a, s, axes, norm, False)


@adjoint(fft.ifftn, linear=("a",))
def _(result, a, s=None, axes=None, norm=None, out=None):
    d[a] = _rt.fftn_adjoint(d[result], a, s, axes, norm, True)


@adjoint(fft.fft2, linear=("a",))
def _(result, a, s=None, axes=(-2, -1), norm=None, out=None):
    d[a] = _rt.fftn_adjoint(d[result], a, s, axes, norm, False)


@adjoint(fft.ifft2, linear=("a",))
def _(result, a, s=None, axes=(-2, -1), norm=None, out=None):
    d[a] = _rt.fftn_adjoint(d[result], a, s, axes, norm, True)


@adjoint(fft.rfft, linear=("a",))
def _(result, a, n=None, axis=-1, norm=None, out=None):
    d[a] = _rt.rfft_adjoint(d[result], a, n, axis, norm)


@adjoint(fft.irfft, linear=("a",))
def _(result, a, n=None, axis=-1, norm=None, out=None):
    d[a] = _rt.irfft_adjoint(d[result], a, n, axis, norm)


@adjoint(fft.rfftn, linear=("a",))
def _(result, a, s=None, axes=None, norm=None, out=None):
    d[a] = _rt.rfftn_adjoint(d[result], a, s, axes, norm)


@adjoint(fft.rfft2, linear=("a",))
def _(result, a, s=None, axes=(-2, -1), norm=None, out=None):
    d[a] = _rt.rfftn_adjoint(d[result], a, s, axes, norm)


@adjoint(fft.irfftn, linear=("a",))
def _(result, a, s=None, axes=None, norm=None, out=None):
    d[a] = _rt.irfftn_adjoint(d[result], a, s, axes, norm)


@adjoint(fft.irfft2, linear=("a",))
def _(result, a, s=None, axes=(-2, -1), norm=None, out=None):
    d[a] = _rt.irfftn_adjoint(d[result], a, s, axes, norm)


# fftshift moves the zero frequency to the middle (a roll); ifftshift undoes it,
# and the transpose of a permutation is its inverse.
@adjoint(fft.fftshift, linear=("x",))
def _(result, x, axes=None):
    d[x] = np.fft.ifftshift(d[result], axes)


@adjoint(fft.ifftshift, linear=("x",))
def _(result, x, axes=None):
    d[x] = np.fft.fftshift(d[result], axes)


# -- forward rules of the adjoint helpers (linear in the cotangent g) ----------


@tangent(_rt.fft_adjoint)
def _(out, g, a, n=None, axis=-1, norm=None, inverse=False):
    d[out] = _rt.fft_adjoint(d[g], a, n, axis, norm, inverse)


@tangent(_rt.fftn_adjoint)
def _(out, g, a, s=None, axes=None, norm=None, inverse=False):
    d[out] = _rt.fftn_adjoint(d[g], a, s, axes, norm, inverse)


@tangent(_rt.rfft_adjoint)
def _(out, g, a, n=None, axis=-1, norm=None):
    d[out] = _rt.rfft_adjoint(d[g], a, n, axis, norm)


@tangent(_rt.irfft_adjoint)
def _(out, g, a, n=None, axis=-1, norm=None):
    d[out] = _rt.irfft_adjoint(d[g], a, n, axis, norm)


@tangent(_rt.rfftn_adjoint)
def _(out, g, a, s=None, axes=None, norm=None):
    d[out] = _rt.rfftn_adjoint(d[g], a, s, axes, norm)


@tangent(_rt.irfftn_adjoint)
def _(out, g, a, s=None, axes=None, norm=None):
    d[out] = _rt.irfftn_adjoint(d[g], a, s, axes, norm)


nondifferentiable(np.fft.fftfreq, np.fft.rfftfreq)
