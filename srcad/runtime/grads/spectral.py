"""Adjoints of ``np.fft``: every transform is linear, so its adjoint is its transpose.

Complex convention (JAX's, the one every srcad rule uses): a cotangent pairs with
a tangent bilinearly, ``dL = Re(sum(ct * dy))``, so the adjoint of a linear map is
its plain transpose (no conjugation) and a real loss of a complex input ``z``
gets ``dL/dRe z - 1j dL/dIm z``.  A real input gets the real part.

* The DFT matrix is symmetric: ``fft``'s transpose is ``fft`` with the same
  ``norm`` (``ifft``'s is ``ifft``); ``n``/``s`` crop or zero-pad the input, whose
  transpose zero-pads or crops the cotangent back (:func:`_fit`).
* ``rfft`` keeps the first ``n // 2 + 1`` outputs of ``fft`` of a real input:
  its transpose pads the cotangent to ``n``, applies ``fft`` and keeps the real part.
* ``irfft`` reads ``a[0]`` and (``n`` even) ``a[n/2]`` through their real parts and
  every other entry twice (``a[k]`` and its mirror ``conj(a[k])``): its transpose
  is ``w * ifft(ct)[: n // 2 + 1]`` with ``w = 1`` on those two entries, 2 elsewhere.
* ``rfftn``/``irfftn`` are ``rfft``/``irfft`` on the last axis composed with
  ``fftn``/``ifftn`` on the others (NumPy's own order); the adjoints compose in
  reverse.
"""

import numpy as np

__all__ = [
    "fft_adjoint",
    "fftn_adjoint",
    "rfft_adjoint",
    "irfft_adjoint",
    "rfftn_adjoint",
    "irfftn_adjoint",
]


def _fit(x, length, axis):
    """``x`` cropped or zero-padded to ``length`` along ``axis`` (as NumPy's ``n``)."""
    have = np.shape(x)[axis]
    if have == length:
        return x
    nd = np.ndim(x)
    axis = axis % nd
    if have > length:
        return x[(slice(None),) * axis + (slice(0, length),)]
    pad = [(0, 0)] * nd
    pad[axis] = (0, length - have)
    return np.pad(x, pad)


def _like_input(ct, a):
    """The cotangent of a real input is the real part (its dtype follows the input)."""
    if np.iscomplexobj(a):
        return ct
    return np.real(ct)


def _axes_and_sizes(a, s, axes):
    """NumPy's ``(s, axes)`` defaults for the n-dimensional transforms."""
    nd = np.ndim(a)
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    axes = [int(ax) % nd for ax in axes]
    if s is None:
        s = [np.shape(a)[ax] for ax in axes]
    return list(s), axes


def fft_adjoint(g, a, n=None, axis=-1, norm=None, inverse=False):
    """Adjoint of ``np.fft.fft`` (``inverse=True``: of ``np.fft.ifft``)."""
    f = np.fft.ifft if inverse else np.fft.fft
    ct = f(g, axis=axis, norm=norm)
    return _like_input(_fit(ct, np.shape(a)[axis], axis), a)


def fftn_adjoint(g, a, s=None, axes=None, norm=None, inverse=False):
    """Adjoint of ``np.fft.fftn``/``fft2`` (``inverse=True``: ``ifftn``/``ifft2``)."""
    _, axes = _axes_and_sizes(a, s, axes)
    f = np.fft.ifftn if inverse else np.fft.fftn
    ct = f(g, axes=axes, norm=norm) if axes else g
    for ax in axes:
        ct = _fit(ct, np.shape(a)[ax], ax)
    return _like_input(ct, a)


def _rfft_transpose(g, n, length, axis, norm):
    ct = np.fft.fft(_fit(g, n, axis), axis=axis, norm=norm)
    return _fit(ct, length, axis)


def rfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """Adjoint of ``np.fft.rfft`` (the input is real; so is its adjoint)."""
    length = np.shape(a)[axis]
    n = length if n is None else n
    return np.real(_rfft_transpose(g, n, length, axis, norm))


def _irfft_transpose(g, n, length, axis, norm):
    half = n // 2 + 1
    ct = _fit(np.fft.ifft(g, axis=axis, norm=norm), half, axis)
    w = np.full(half, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * np.ndim(ct)
    shape[axis] = half
    ct = ct * np.reshape(w, shape).astype(np.real(ct).dtype)
    return _fit(ct, length, axis)


def irfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """Adjoint of ``np.fft.irfft`` (``n`` defaults to ``2 (m - 1)``)."""
    length = np.shape(a)[axis]
    n = 2 * (length - 1) if n is None else n
    return _like_input(_irfft_transpose(g, n, length, axis % np.ndim(a), norm), a)


def rfftn_adjoint(g, a, s=None, axes=None, norm=None):
    """Adjoint of ``np.fft.rfftn``/``rfft2``: ``fftn`` over all but the last axis of
    ``rfft`` over the last, transposed in reverse order."""
    s, axes = _axes_and_sizes(a, s, axes)
    ct = g
    if len(axes) > 1:
        ct = np.fft.fftn(ct, axes=axes[:-1], norm=norm)
        for ax in axes[:-1]:
            ct = _fit(ct, np.shape(a)[ax], ax)
    last = axes[-1]
    return np.real(_rfft_transpose(ct, s[-1], np.shape(a)[last], last, norm))


def irfftn_adjoint(g, a, s=None, axes=None, norm=None):
    """Adjoint of ``np.fft.irfftn``/``irfft2`` (``irfft`` on the last axis after
    ``ifftn`` on the others)."""
    nd = np.ndim(a)
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    axes = [int(ax) % nd for ax in axes]
    if s is None:
        s = [np.shape(a)[ax] for ax in axes[:-1]] + [2 * (np.shape(a)[axes[-1]] - 1)]
    last = axes[-1]
    ct = _irfft_transpose(g, s[-1], np.shape(a)[last], last, norm)
    if len(axes) > 1:
        ct = np.fft.ifftn(ct, axes=axes[:-1], norm=norm)
        for ax in axes[:-1]:
            ct = _fit(ct, np.shape(a)[ax], ax)
    return _like_input(ct, a)
