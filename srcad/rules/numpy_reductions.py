"""Rules for NumPy's reductions and scans (sum, mean, max, var, norm, cumsum, ...).

Linear reductions (``sum``, ``mean``, ``trace``, ``cumsum``, ``diff``) declare
``linear=`` and their tangent is the reduction of the tangent.  The others share
one pattern: a ``_rt.*_weights`` helper gives d result / d input as an array shaped
like the input, the adjoint is ``expand_reduced(g) * weights`` and the tangent
``np.sum(weights * dx, axis, keepdims=keepdims)``, derived from the adjoint
(``reduction=True``, see ``registry.reduction_tangent``): written once.

Ties in ``max``/``min``/``ptp``/``norm(ord=inf)`` share the gradient evenly
(PyTorch's and JAX's convention); ``prod`` and ``cumprod`` are exact when the
input holds zeros.
"""

import numpy as np

from .. import runtime as _rt
from .registry import adjoint, linear, nondifferentiable, tangent


@adjoint(np.sum, linear=("a",))
def _(result, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    d[a] = _rt.masked(_rt.expand_reduced(d[result], a, axis, keepdims), where)


@adjoint(np.mean, linear=("a",))
def _(result, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    d[a] = _rt.mean_adjoint(d[result], a, axis, keepdims, where)


@adjoint(np.prod, reduction=True)
def _(result, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    w = _rt.prod_weights(a, axis, where, initial)
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * w


@adjoint(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin, reduction=True)
def _(result, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    w = _rt.extremum_weights(a, result, axis, keepdims, where)
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * w


@adjoint(np.ptp, reduction=True)
def _(result, a, axis=None, out=None, keepdims=False):
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * _rt.ptp_weights(a, axis)


@adjoint(np.var, reduction=True)
def _(
    result,
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    where=True,
    mean=None,
    correction=None,
):
    w = _rt.var_weights(a, axis, ddof, where, correction)
    d[a] = _rt.expand_reduced(_rt.real_cotangent(d[result]), a, axis, keepdims) * np.conj(w)


@adjoint(np.std, reduction=True)
def _(
    result,
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    where=True,
    mean=None,
    correction=None,
):
    w = _rt.std_weights(a, result, axis, keepdims, ddof, where, correction)
    d[a] = _rt.expand_reduced(_rt.real_cotangent(d[result]), a, axis, keepdims) * np.conj(w)


@adjoint(np.median, reduction=True)
def _(result, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * _rt.median_weights(a, axis)


@adjoint(np.nansum, reduction=True)
def _(result, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    w = _rt.masked(_rt.nan_weights(a), where)
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * w


@adjoint(np.nanmean, reduction=True)
def _(result, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * _rt.nanmean_weights(a, axis)


@adjoint(np.nanprod, reduction=True)
def _(result, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * _rt.nanprod_weights(a, axis)


@adjoint(np.average)
def _(result, a, axis=None, weights=None, returned=False, keepdims=False):
    d[a] = _rt.average_adjoint(d[result], a, axis, weights, returned, keepdims, "a")
    d[weights] = _rt.average_adjoint(d[result], a, axis, weights, returned, keepdims, "weights")


@tangent(np.average)
def _(result, a, axis=None, weights=None, returned=False, keepdims=False):
    t = _rt.average_jvp(d[a], d[weights], a, axis, weights, returned, keepdims)
    d[result] = t


# -- norms --------------------------------------------------------------------


@adjoint(np.linalg.norm, reduction=True)
def _(result, x, ord=None, axis=None, keepdims=False):
    w = _rt.norm_weights(x, result, ord, axis, keepdims)
    d[x] = _rt.expand_reduced(_rt.real_cotangent(d[result]), x, axis, keepdims) * np.conj(w)


@adjoint(np.linalg.vector_norm, reduction=True)
def _(result, x, axis=None, keepdims=False, ord=2):
    w = _rt.norm_weights(x, result, ord, axis, keepdims, "vector")
    d[x] = _rt.expand_reduced(d[result], x, axis, keepdims) * w


@adjoint(np.linalg.matrix_norm, reduction=True)
def _(result, x, keepdims=False, ord="fro"):
    w = _rt.norm_weights(x, result, ord, (-2, -1), keepdims, "matrix")
    d[x] = _rt.expand_reduced(d[result], x, (-2, -1), keepdims) * w


# -- scans and differences ----------------------------------------------------


@adjoint(np.cumsum, linear=("a",))
def _(result, a, axis=None, dtype=None, out=None):
    d[a] = _rt.cumsum_adjoint(d[result], a, axis)


@adjoint(np.cumprod)
def _(result, a, axis=None, dtype=None, out=None):
    d[a] = _rt.cumprod_adjoint(d[result], a, result, axis)


@tangent(np.cumprod)
def _(result, a, axis=None, dtype=None, out=None):
    d[result] = _rt.cumprod_jvp(d[a], a, result, axis)


@adjoint(np.diff)
def _(result, a, n=1, axis=-1, prepend=None, append=None):
    d[a] = _rt.diff_adjoint(d[result], a, n, axis, prepend, append, "a")
    d[prepend] = _rt.diff_adjoint(d[result], a, n, axis, prepend, append, "prepend")
    d[append] = _rt.diff_adjoint(d[result], a, n, axis, prepend, append, "append")


@tangent(np.diff)
def _(result, a, n=1, axis=-1, prepend=None, append=None):
    t = _rt.diff_jvp(d[a], d[prepend], d[append], a, n, axis, prepend, append)
    d[result] = t


@adjoint(np.trace, linear=("a",))
def _(result, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = _rt.trace_adjoint(d[result], a, offset, axis1, axis2)


@adjoint(np.linalg.trace, linear=("x",))
def _(result, x, offset=0, dtype=None):
    d[x] = _rt.trace_adjoint(d[result], x, offset, -2, -1)


if hasattr(np, "cumulative_sum"):  # NumPy >= 2.1

    @adjoint(np.cumulative_sum, linear=("x",))
    def _(result, x, axis=None, dtype=None, out=None, include_initial=False):
        d[x] = _rt.cumulative_sum_adjoint(d[result], x, axis, include_initial)

    @adjoint(np.cumulative_prod)
    def _(result, x, axis=None, dtype=None, out=None, include_initial=False):
        d[x] = _rt.cumulative_prod_adjoint(d[result], x, result, axis, include_initial)

    @tangent(np.cumulative_prod)
    def _(result, x, axis=None, dtype=None, out=None, include_initial=False):
        d[result] = _rt.cumulative_prod_jvp(d[x], x, result, axis, include_initial)


# -- forward rules of the helpers the adjoints above call ---------------------
# (srcad.hvp differentiates generated adjoint code in forward mode)

linear(_rt.masked, _rt.cumsum_adjoint, _rt.cumulative_sum_adjoint, params=("g",))
linear(_rt.trace_adjoint, _rt.diff_adjoint, params=("g",))
linear(_rt.var_weights, params=("a",))
nondifferentiable(
    _rt.reduced_count,
    _rt.extremum_weights,
    _rt.ptp_weights,
    _rt.median_weights,
    _rt.nan_weights,
    _rt.nanmean_weights,
)


@tangent(_rt.prod_weights)
def _(w, a, axis=None, where=True, initial=None):
    d[w] = _rt.prod_weights_jvp(d[a], a, axis, where, initial)


@tangent(_rt.nanprod_weights)
def _(w, a, axis=None):
    d[w] = _rt.nanprod_weights_jvp(d[a], a, axis)


@tangent(_rt.std_weights)
def _(w, a, result, axis=None, keepdims=False, ddof=0, where=True, correction=None):
    t = _rt.std_weights_jvp(a, result, axis, keepdims, ddof, where, correction, d[a], d[result])
    d[w] = t


@tangent(_rt.norm_weights)
def _(w, x, result, ord=None, axis=None, keepdims=False, kind=None):
    t = _rt.norm_weights_jvp(x, result, ord, axis, keepdims, kind, d[x], d[result])
    d[w] = t


@tangent(_rt.cumprod_adjoint)
def _(out, g, a, result, axis=None):
    t = _rt.cumprod_adjoint_jvp(g, a, result, axis, d[g], d[a], d[result])
    d[out] = t


@tangent(_rt.cumulative_prod_adjoint)
def _(out, g, x, result, axis=None, include_initial=False):
    t = _rt.cumulative_prod_adjoint_jvp(g, x, result, axis, include_initial, d[g], d[x], d[result])
    d[out] = t


@tangent(_rt.average_adjoint)
def _(out, g, a, axis=None, weights=None, returned=False, keepdims=False, wrt="a"):
    t = _rt.average_adjoint_jvp(
        g, a, axis, weights, returned, keepdims, wrt, d[g], d[a], d[weights]
    )
    d[out] = t
