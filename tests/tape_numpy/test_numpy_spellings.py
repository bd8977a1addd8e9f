"""122 NumPy spellings (array methods, attributes and functions) in a NumPy program
on the tape, each against NumPy itself.

The value of each expression reaches the tape's result through ``np.sum(r * w)`` with
``w`` differentiated, so the gradient with respect to ``w`` is the expression's value
as the tape computed it; NumPy's own value is the reference.  This is how ``x.nonzero()``
(PyTorch's ``(n, ndim)`` tensor where NumPy gives a tuple of index arrays) and four
missing methods (``diagonal``, ``take``, ``conj``, ``real``) were found.  Not listed:
``x.min(initial=...)`` and ``x.sum(where=...)``, which the tape does not take (they
raise; tests/fuzz/FINDINGS.md).
"""

import warnings

import numpy as np
import pytest

import srcad

EXPRS = [
    "x.sum()", "A.sum(1)", "A.mean(axis=0)", "A.max(1)", "A.min()", "A.argmax()",
    "A.argmax(0)", "A.argmin(1)", "A.cumsum()", "A.cumsum(0)", "A.cumprod(1)", "A.prod(0)",
    "A.var(1)", "A.std()", "A.trace()", "A.ravel()", "A.flatten()", "A.T", "A.transpose()",
    "A.transpose(1, 0)", "A.reshape(-1)", "A.reshape(2, -1)", "A.reshape((3, -1))",
    "A[None].squeeze()", "x.round(1)", "x.round()", "x.clip(0.1, 0.6)", "x.clip(max=0.5)",
    "A.any()", "A.all(0)", "x.argsort()", "A.argsort(0)", "A.copy()", "A.astype(np.float32)",
    "A.dot(B)", "x.dot(x)", "x.repeat(2)", "A.repeat(2, axis=0)", "A.swapaxes(0, 1)",
    "A.nonzero()[1]", "(x > 0.4).nonzero()[0]", "A.max(axis=0, keepdims=True)",
    "A.sum(keepdims=True)", "A.mean(0, keepdims=True)", "x.std(ddof=1)", "A.min(0)",
    "A.sum(axis=(0, 1))", "A.max(axis=-1)", "x.cumsum()[::-1]", "A.argmax(axis=1)",
    "x.conj()", "A.real", "abs(A)", "A.mean(1).max()", "x.var(ddof=0)", "A.prod()", "A.size",
    "A.ndim", "len(A)", "A.shape[1]", "x.itemsize", "A.nbytes", "A.diagonal()",
    "x.take([0, 2])", "A.take([1], axis=1)", "x @ x", "A @ B", "np.amax(A, 0)", "np.max(A, 0)",
    "np.sort(x)", "np.argsort(x)", "np.nonzero(x > 0.4)[0]", "np.cumsum(A)", "np.var(A, 0)",
    "np.std(x, ddof=1)", "np.repeat(x, 2)", "np.tile(x, 2)", "np.round(x, 1)",
    "np.clip(x, 0.1, 0.6)", "np.diff(x)", "np.trace(A)", "np.diag(A)", "np.diag(x)",
    "np.flip(x)", "np.roll(x, 1)", "np.median(x)", "np.percentile(x, 30)", "np.linalg.norm(x)",
    "np.linalg.norm(A, axis=0)", "np.cumprod(x)", "np.maximum.reduce(x)", "np.add.reduce(A, 0)",
    "np.add.accumulate(x)", "np.einsum('ij,j->i', A, x[:3])", "np.where(x > 0.4)[0]",
    "np.argmax(A, axis=0)", "np.ptp(x)", "np.average(x, weights=x)", "np.histogram(x, 2)[0]",
    "np.unique(np.round(x, 1))", "np.searchsorted(np.sort(x), 0.5)",
    "np.count_nonzero(x > 0.4)", "A.T.dot(x[:2])", "np.sum(A, axis=1) / A.shape[1]",
    "float(x[1]) * A", "x[1].item() + A", "A.tolist()[1]", "np.full(3, x[0])",
    "np.full((2, 2), x[0] * 2)", "np.full_like(A, x[1])", "np.float32(x[0]) * x",
    "A.max(axis=(0, 1))", "A.min(axis=None, keepdims=True)", "A.max(axis=(1,), keepdims=True)",
    "A.min(axis=(0, 1), keepdims=True)", "A.max(None, keepdims=True)", "A.imag",
    "x.imag + x.real", "np.imag(A)",
]  # fmt: skip
X = np.array([0.3, 0.7, 0.5, 0.9])
A = np.array([[0.3, 0.8, 0.1], [0.6, 0.2, 0.9]])
B = np.array([[0.5, 0.4], [0.1, 0.9], [0.7, 0.3]])


@pytest.mark.parametrize("expr", EXPRS)
def test_spelling_means_numpys(expr):
    namespace = {"np": np}
    exec(f"def f(x, A, B):\n    return {expr}\n", namespace)
    want = np.asarray(namespace["f"](X, A, B), dtype=float)
    exec(  # a module function: the tape patches its globals as for a file's
        f"def g(x, A, B, w):\n    return np.sum(np.asarray({expr}, dtype=float) * w)\n",
        namespace,
    )
    w = 1.0 + 0.37 * np.arange(want.size).reshape(want.shape) if want.ndim else 1.7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        got = srcad.grad(namespace["g"], wrt=3, mode="tape")(X, A, B, w)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(np.asarray(got, float), want, rtol=1e-12, atol=1e-15)


def fill_values(x):
    a = np.full((2, 3), x[0] * x[1])
    b = np.full_like(x, x[2] ** 2)
    return np.sum(a * 1.5) + np.sum(b * x) + np.sum(np.full(2, x[3], dtype=np.float64))


def test_a_differentiated_fill_value_keeps_its_derivative():
    """``np.full(shape, v)``/``np.full_like(a, v)`` of a value being differentiated:
    NumPy converted the tensor and the tape refused; now the copies are recorded."""
    from srcad.testing import numerical_grad

    got = srcad.grad(fill_values, mode="tape")(X)
    np.testing.assert_allclose(got, numerical_grad(fill_values, (X,), wrt=0), rtol=1e-7)
