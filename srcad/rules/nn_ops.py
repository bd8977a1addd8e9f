"""Neural-network primitives on raw arrays, and their derivative rules.

Each primitive is a plain NumPy function (``conv2d(x, w, b)``, ``log_softmax(x,
axis)``, ...) that runs on NumPy or CuPy arrays.  Its rules are templates in the
registry's ``d[x]`` style, so the compiler inlines them into generated code and the
tape compiles them into the backward of one graph node (``srcad.nn.functional``
records a conv2d as a single ``ConvolutionBackward0``).

Templates stay one line per adjoint; whatever needs a branch or a loop lives in a
helper below (``conv2d_input_grad``, ``nll_loss_grad``, ...).  Helpers take their
array module from their arguments and never convert an array.

Layouts and conventions follow PyTorch: images are ``(N, C, H, W)``, conv weights
``(out, in, kh, kw)``, linear weights ``(out, in)``, class scores ``(N, C, ...)``.
"""

import numpy as np

from ..runtime.core import namespace_of, unbroadcast
from .registry import adjoint, tangent
from .tape_ops import meta_args as _meta
from .tape_ops import primitive, relu, sigmoid

__all__ = [
    "relu",
    "sigmoid",
    "softmax",
    "log_softmax",
    "linear",
    "conv2d",
    "max_pool2d",
    "dropout",
    "dropout_mask",
    "batch_norm_train",
    "batch_norm_eval",
    "batch_stats",
    "nll_loss",
    "cross_entropy",
    "mse_loss",
]


# ---------------------------------------------------------------------------
# Small shared helpers


def _pair(v):
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)


def _reduce(v, reduction):
    if reduction == "mean":
        return np.mean(v)
    if reduction == "sum":
        return np.sum(v)
    if reduction == "none":
        return v
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _expand_reduction(g, like, reduction, count=None):
    """The adjoint of ``_reduce(v, reduction)`` broadcast back to ``like``'s shape."""
    if reduction == "none":
        return g
    if reduction == "mean":
        n = np.size(like) if count is None else count
        g = g / n
    return np.broadcast_to(g, np.shape(like))


# ---------------------------------------------------------------------------
# Activations


# relu and sigmoid are the tape's primitives (srcad.rules.tape_ops): one rule each,
# their forward-mode rules derived there (elementwise=True).


@primitive
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (shifted by the maximum for stability)."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@adjoint(softmax)
def _(result, x, axis=-1):
    d[x] = result * (d[result] - np.sum(d[result] * result, axis=axis, keepdims=True))


@tangent(softmax)
def _(result, x, axis=-1):
    d[result] = result * (d[x] - np.sum(d[x] * result, axis=axis, keepdims=True))


@primitive
def log_softmax(x, axis=-1):
    """``x - log(sum(exp(x)))`` along ``axis``, computed stably."""
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


@adjoint(log_softmax)
def _(result, x, axis=-1):
    d[x] = d[result] - np.exp(result) * np.sum(d[result], axis=axis, keepdims=True)


@tangent(log_softmax)
def _(result, x, axis=-1):
    d[result] = d[x] - np.sum(np.exp(result) * d[x], axis=axis, keepdims=True)


# ---------------------------------------------------------------------------
# Linear layers


@primitive
def linear(x, w, b=None):
    """``x @ w.T + b`` with PyTorch's layout: ``w`` is ``(out, in)``."""
    y = np.matmul(x, np.swapaxes(w, -1, -2))
    return y if b is None else y + b


def linear_weight_grad(g, x):
    """Adjoint of ``w`` in ``linear``: ``g.T @ x`` summed over every leading axis."""
    if np.ndim(x) == 1:
        return np.multiply.outer(g, x)
    lead = tuple(range(np.ndim(x) - 1))
    return np.tensordot(g, x, axes=(lead, lead))


@adjoint(linear)
def _(result, x, w, b=None):
    d[x] = np.matmul(d[result], w)
    d[w] = linear_weight_grad(d[result], x)
    d[b] = unbroadcast(d[result], b)


@tangent(linear)
def _(result, x, w, b=None):
    d[result] = (
        np.matmul(d[x], np.swapaxes(w, -1, -2)) + np.matmul(x, np.swapaxes(d[w], -1, -2)) + d[b]
    )


# ---------------------------------------------------------------------------
# Convolution and pooling
#
# A convolution is one matrix product with the im2col matrix, read from a strided
# window view of the input (no copy until the reshape gathers it, in an order that
# keeps the image rows contiguous).  Backward scatters per kernel offset: a loop over
# the kh * kw offsets, each step a whole-batch slice update.  Pooling takes the
# maximum over the same offsets.


def _windows(xp, kh, kw, sh, sw):
    """``(N, C, Ho, Wo, kh, kw)`` view of every (strided) kh x kw window of ``xp``."""
    v = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]


def _pad_hw(x, ph, pw, value=0):
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _crop_hw(xp, ph, pw):
    h, w = xp.shape[2], xp.shape[3]
    return xp[:, :, ph : h - ph, pw : w - pw]


def _offset(xp, i, j, ho, wo, sh, sw):
    """The ``(N, C, Ho, Wo)`` slice of ``xp`` that kernel offset ``(i, j)`` reads."""
    return xp[:, :, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw]


def _im2col(x, kh, kw, stride, padding):
    """``(N, C * kh * kw, Ho * Wo)`` columns of every window of ``x``, and ``(Ho, Wo)``."""
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    win = _windows(_pad_hw(x, ph, pw), kh, kw, sh, sw)
    n, c, ho, wo = win.shape[:4]
    cols = np.reshape(np.moveaxis(win, (4, 5), (2, 3)), (n, c * kh * kw, ho * wo))
    return cols, ho, wo


@primitive
def conv2d(x, w, b=None, stride=1, padding=0):
    """2-D cross-correlation of ``x (N, C, H, W)`` with ``w (O, C, kh, kw)``, plus ``b (O,)``.

    Example::

        y = conv2d(x, w, b, stride=2, padding=1)    # (N, O, Ho, Wo)
    """
    o, _, kh, kw = w.shape
    cols, ho, wo = _im2col(x, kh, kw, stride, padding)
    y = np.reshape(np.matmul(np.reshape(w, (o, -1)), cols), (x.shape[0], o, ho, wo))
    return y if b is None else y + np.reshape(b, (1, -1, 1, 1))


@primitive
@_meta(2)
def conv2d_input_grad(g, w, x, stride=1, padding=0):
    """Adjoint of ``x`` in ``conv2d``: each kernel offset scatters its share back."""
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = g.shape[2], g.shape[3]
    wmat = np.reshape(w, (o, c * kh * kw))
    dcols = np.matmul(np.swapaxes(wmat, 0, 1), np.reshape(g, (n, o, ho * wo)))
    dcols = np.reshape(dcols, (n, c, kh, kw, ho, wo))
    dxp = np.zeros_like(g, shape=(n, c, h + 2 * ph, wd + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            _offset(dxp, i, j, ho, wo, sh, sw)[...] += dcols[:, :, i, j]
    return _crop_hw(dxp, ph, pw)


@primitive
@_meta(2)
def conv2d_weight_grad(g, x, w, stride=1, padding=0):
    """Adjoint of ``w`` in ``conv2d``: ``g`` times the im2col columns, summed over the batch."""
    o, c, kh, kw = w.shape
    cols, ho, wo = _im2col(x, kh, kw, stride, padding)
    g3 = np.reshape(g, (g.shape[0], o, ho * wo))
    return np.reshape(np.sum(np.matmul(g3, np.swapaxes(cols, 1, 2)), axis=0), w.shape)


@adjoint(conv2d)
def _(result, x, w, b=None, stride=1, padding=0):
    d[x] = conv2d_input_grad(d[result], w, x, stride, padding)
    d[w] = conv2d_weight_grad(d[result], x, w, stride, padding)
    d[b] = np.sum(d[result], axis=(0, 2, 3))


# The two adjoints are linear maps; their own rules (used when a gradient is itself
# differentiated, create_graph=True or grad of grad) are convolutions again.


@adjoint(conv2d_input_grad)
def _(result, g, w, x, stride=1, padding=0):
    d[g] = conv2d(d[result], w, None, stride, padding)
    d[w] = conv2d_weight_grad(g, d[result], w, stride, padding)


@adjoint(conv2d_weight_grad)
def _(result, g, x, w, stride=1, padding=0):
    d[g] = conv2d(x, d[result], None, stride, padding)
    d[x] = conv2d_input_grad(g, d[result], x, stride, padding)


@tangent(conv2d_input_grad)
def _(result, g, w, x, stride=1, padding=0):
    d[result] = conv2d_input_grad(d[g], w, x, stride, padding) + conv2d_input_grad(
        g, d[w], x, stride, padding
    )


@tangent(conv2d_weight_grad)
def _(result, g, x, w, stride=1, padding=0):
    d[result] = conv2d_weight_grad(d[g], x, w, stride, padding) + conv2d_weight_grad(
        g, d[x], w, stride, padding
    )


@tangent(conv2d)
def _(result, x, w, b=None, stride=1, padding=0):
    d[result] = (
        conv2d(d[x], w, None, stride, padding)
        + conv2d(x, d[w], None, stride, padding)
        + np.reshape(d[b], (1, -1, 1, 1))
    )


def _pool_geometry(x, kernel_size, stride, padding):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    ho = (x.shape[2] + 2 * ph - kh) // sh + 1
    wo = (x.shape[3] + 2 * pw - kw) // sw + 1
    return kh, kw, sh, sw, ph, pw, ho, wo


@primitive
def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Maximum over ``kernel_size`` windows of ``x (N, C, H, W)``; ``stride`` defaults to it."""
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(x, kernel_size, stride, padding)
    xp = _pad_hw(x, ph, pw, -np.inf)
    out = np.copy(_offset(xp, 0, 0, ho, wo, sh, sw))
    for i in range(kh):
        for j in range(kw):
            if i or j:
                np.maximum(out, _offset(xp, i, j, ho, wo, sh, sw), out=out)
    return out


@primitive
def max_pool2d_grad(g, x, y, kernel_size, stride=None, padding=0):
    """Adjoint of ``x`` in ``y = max_pool2d(x)``: ``g`` goes to each window's first maximum."""
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(x, kernel_size, stride, padding)
    xp = _pad_hw(x, ph, pw, -np.inf)
    dxp = np.zeros_like(xp, dtype=g.dtype)
    taken = np.zeros_like(y, dtype=bool)
    for i in range(kh):
        for j in range(kw):
            hit = (_offset(xp, i, j, ho, wo, sh, sw) == y) & ~taken
            taken |= hit
            _offset(dxp, i, j, ho, wo, sh, sw)[...] += g * hit
    return _crop_hw(dxp, ph, pw)


@primitive
def max_pool2d_gather(dx, x, y, kernel_size, stride=None, padding=0):
    """The transpose of :func:`max_pool2d_grad`: ``dx`` read at each window's first maximum."""
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(x, kernel_size, stride, padding)
    xp = _pad_hw(x, ph, pw, -np.inf)
    dxp = _pad_hw(dx, ph, pw)
    out = np.zeros_like(y, dtype=dx.dtype)
    taken = np.zeros_like(y, dtype=bool)
    for i in range(kh):
        for j in range(kw):
            hit = (_offset(xp, i, j, ho, wo, sh, sw) == y) & ~taken
            taken |= hit
            out += _offset(dxp, i, j, ho, wo, sh, sw) * hit
    return out


@adjoint(max_pool2d)
def _(result, x, kernel_size, stride=None, padding=0):
    d[x] = max_pool2d_grad(d[result], x, result, kernel_size, stride, padding)


@adjoint(max_pool2d_grad)
def _(result, g, x, y, kernel_size, stride=None, padding=0):
    d[g] = max_pool2d_gather(d[result], x, y, kernel_size, stride, padding)


@tangent(max_pool2d)
def _(result, x, kernel_size, stride=None, padding=0):
    d[result] = max_pool2d_gather(d[x], x, result, kernel_size, stride, padding)


@tangent(max_pool2d_grad)
def _(result, g, x, y, kernel_size, stride=None, padding=0):
    d[result] = max_pool2d_grad(d[g], x, y, kernel_size, stride, padding)


@tangent(max_pool2d_gather)
def _(result, dx, x, y, kernel_size, stride=None, padding=0):
    d[result] = max_pool2d_gather(d[dx], x, y, kernel_size, stride, padding)


@adjoint(max_pool2d_gather)
def _(result, dx, x, y, kernel_size, stride=None, padding=0):
    d[dx] = max_pool2d_grad(d[result], x, y, kernel_size, stride, padding)


# ---------------------------------------------------------------------------
# Dropout: the random mask is an argument, so the primitive is deterministic


def dropout_mask(shape, p, random, dtype):
    """A mask of ``0`` (probability ``p``) and ``1 / (1 - p)``, from ``random(shape)``.

    ``random`` gives uniform samples in [0, 1) (srcad's generator, or NumPy's).
    """
    if p >= 1:
        return np.zeros(shape, dtype=dtype)
    keep = random(shape) >= p
    return (keep / np.asarray(1 - p, dtype=dtype)).astype(dtype)  # 1 / (1 - p) in dtype


@primitive
def dropout(x, mask):
    """``x * mask``; the mask (from :func:`dropout_mask`) already carries the scaling."""
    return x * mask


@adjoint(dropout, elementwise=True)
def _(result, x, mask):
    d[x] = d[result] * mask


# ---------------------------------------------------------------------------
# Batch normalisation (channels on axis 1)


def _channel_axes(x):
    return (0,) + tuple(range(2, np.ndim(x)))


def _per_channel(v, x):
    """``v (C,)`` shaped to broadcast against ``x (N, C, ...)``."""
    return np.reshape(v, (1, -1) + (1,) * (np.ndim(x) - 2))


def batch_stats(x):
    """Mean and biased variance of ``x`` over every axis but the channel axis 1."""
    axes = _channel_axes(x)
    return np.mean(x, axis=axes), np.var(x, axis=axes)


def _affine(xhat, weight, bias):
    y = xhat if weight is None else xhat * _per_channel(weight, xhat)
    return y if bias is None else y + _per_channel(bias, xhat)


def _normalized(x, eps):
    axes = _channel_axes(x)
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.var(x, axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), var


@primitive
def batch_norm_train(x, weight=None, bias=None, eps=1e-5):
    """Normalise ``x`` with its own batch statistics, then scale and shift per channel."""
    return _affine(_normalized(x, eps)[0], weight, bias)


def batch_norm_train_input_grad(g, x, weight, eps):
    """Adjoint of ``x`` in ``batch_norm_train`` (the batch statistics depend on ``x``)."""
    axes = _channel_axes(x)
    xhat, var = _normalized(x, eps)
    gw = g if weight is None else g * _per_channel(weight, x)
    mean_gw = np.mean(gw, axis=axes, keepdims=True)
    mean_gwx = np.mean(gw * xhat, axis=axes, keepdims=True)
    return (gw - mean_gw - xhat * mean_gwx) / np.sqrt(var + eps)


def batch_norm_weight_grad(g, x, eps, mean=None, var=None):
    """Adjoint of the scale: ``sum(g * xhat)`` per channel."""
    return np.sum(g * batch_norm_xhat(x, eps, mean, var), axis=_channel_axes(x))


@_meta(1)
def channel_sum(g, x):
    """Adjoint of the shift: ``g`` summed over every axis but the channel axis."""
    return np.sum(g, axis=_channel_axes(g))


@adjoint(batch_norm_train)
def _(result, x, weight=None, bias=None, eps=1e-5):
    d[x] = batch_norm_train_input_grad(d[result], x, weight, eps)
    d[weight] = batch_norm_weight_grad(d[result], x, eps)
    d[bias] = channel_sum(d[result], x)


@primitive
def batch_norm_eval(x, mean, var, weight=None, bias=None, eps=1e-5):
    """Normalise ``x`` with given (running) statistics, then scale and shift per channel."""
    xhat = (x - _per_channel(mean, x)) / np.sqrt(_per_channel(var, x) + eps)
    return _affine(xhat, weight, bias)


@_meta(1)
def batch_norm_eval_input_grad(g, x, var, weight, eps):
    """Adjoint of ``x`` in ``batch_norm_eval``: a per-channel scaling of ``g``."""
    scale = 1 / np.sqrt(var + eps)
    if weight is not None:
        scale = scale * weight
    return g * _per_channel(scale, g)


@adjoint(batch_norm_eval)
def _(result, x, mean, var, weight=None, bias=None, eps=1e-5):
    d[x] = batch_norm_eval_input_grad(d[result], x, var, weight, eps)
    d[weight] = batch_norm_weight_grad(d[result], x, eps, mean, var)
    d[bias] = channel_sum(d[result], x)


def batch_norm_xhat(x, eps, mean=None, var=None):
    """The normalised input: with the batch statistics, or with ``mean`` and ``var``."""
    if mean is None:
        return _normalized(x, eps)[0]
    return (x - _per_channel(mean, x)) / np.sqrt(_per_channel(var, x) + eps)


def per_channel(v, x):
    """``v (C,)`` shaped to broadcast against ``x (N, C, ...)``."""
    return _per_channel(v, x)


# Forward mode.  The batch-statistics Jacobian is symmetric up to the scale, so the
# tangent in x is the same map as the adjoint in x.


@tangent(batch_norm_train)
def _(result, x, weight=None, bias=None, eps=1e-5):
    d[result] = (
        batch_norm_train_input_grad(d[x], x, weight, eps)
        + batch_norm_xhat(x, eps) * per_channel(d[weight], x)
        + per_channel(d[bias], x)
    )


@tangent(batch_norm_eval)
def _(result, x, mean, var, weight=None, bias=None, eps=1e-5):
    d[result] = (
        batch_norm_eval_input_grad(d[x], x, var, weight, eps)
        + batch_norm_xhat(x, eps, mean, var) * per_channel(d[weight], x)
        + per_channel(d[bias], x)
    )


# ---------------------------------------------------------------------------
# Losses


def _class_axis(scores):
    return 1 if np.ndim(scores) > 1 else 0


def _target_terms(scores, target, weight, ignore_index):
    """One-hot of the target classes and each sample's weight (0 where ignored)."""
    xp = namespace_of(scores)
    axis = _class_axis(scores)
    ncls = scores.shape[axis]
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    classes = xp.reshape(xp.arange(ncls), (-1,) + (1,) * (np.ndim(scores) - axis - 1))
    onehot = np.expand_dims(safe, axis) == classes
    w = np.zeros_like(scores, shape=np.shape(target)) + valid  # scores' dtype
    if weight is not None:
        w = w * weight[safe]
    return onehot, w


def _picked(scores, onehot, axis):
    return np.sum(np.where(onehot, scores, 0), axis=axis)


@primitive
def nll_loss(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of integer ``target`` classes under ``logp (N, C, ...)``.

    ``reduction="mean"`` divides by the total weight of the non-ignored targets, as
    PyTorch does.
    """
    onehot, w = _target_terms(logp, target, weight, ignore_index)
    losses = -_picked(logp, onehot, _class_axis(logp)) * w
    if reduction == "mean":
        return np.sum(losses) / np.sum(w)
    return _reduce(losses, reduction)


def _loss_coefficients(g, target, w, reduction):
    if reduction == "none":
        return g * w
    if reduction == "mean":
        return (g / np.sum(w)) * w
    return g * w


@primitive
@_meta(1)
def nll_loss_grad(g, logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Adjoint of ``logp`` in ``nll_loss``: ``-coefficient`` at each target class."""
    onehot, w = _target_terms(logp, target, weight, ignore_index)
    coef = _loss_coefficients(g, target, w, reduction)
    return -(onehot * np.expand_dims(coef, _class_axis(logp)))


@adjoint(nll_loss)
def _(result, logp, target, weight=None, ignore_index=-100, reduction="mean"):
    d[logp] = nll_loss_grad(d[result], logp, target, weight, ignore_index, reduction)


# nll_loss is linear in logp and nll_loss_grad is linear in g: each is the other's
# transpose, so their rules for higher derivatives are one another.


@tangent(nll_loss)
def _(result, logp, target, weight=None, ignore_index=-100, reduction="mean"):
    d[result] = nll_loss(d[logp], target, weight, ignore_index, reduction)


@adjoint(nll_loss_grad)
def _(result, g, logp, target, weight=None, ignore_index=-100, reduction="mean"):
    d[g] = nll_loss(d[result], target, weight, ignore_index, reduction)


@tangent(nll_loss_grad)
def _(result, g, logp, target, weight=None, ignore_index=-100, reduction="mean"):
    d[result] = nll_loss_grad(d[g], logp, target, weight, ignore_index, reduction)


@primitive
def cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """``nll_loss(log_softmax(x, 1), target)`` as one primitive (one fused rule)."""
    return nll_loss(log_softmax(x, _class_axis(x)), target, weight, ignore_index, reduction)


def cross_entropy_grad(g, x, target, weight=None, ignore_index=-100, reduction="mean"):
    """Adjoint of ``x`` in ``cross_entropy``: ``coefficient * (softmax(x) - onehot)``."""
    axis = _class_axis(x)
    onehot, w = _target_terms(x, target, weight, ignore_index)
    coef = np.expand_dims(_loss_coefficients(g, target, w, reduction), axis)
    return coef * (softmax(x, axis) - onehot)


@adjoint(cross_entropy)
def _(result, x, target, weight=None, ignore_index=-100, reduction="mean"):
    d[x] = cross_entropy_grad(d[result], x, target, weight, ignore_index, reduction)


def cross_entropy_jvp(dx, x, target, weight=None, ignore_index=-100, reduction="mean"):
    """Tangent of ``cross_entropy`` along ``dx``: ``w * <softmax(x) - onehot, dx>``, reduced."""
    axis = _class_axis(x)
    onehot, w = _target_terms(x, target, weight, ignore_index)
    per_sample = w * np.sum((softmax(x, axis) - onehot) * dx, axis=axis)
    if reduction == "mean":
        return np.sum(per_sample) / np.sum(w)
    return _reduce(per_sample, reduction)


@tangent(cross_entropy)
def _(result, x, target, weight=None, ignore_index=-100, reduction="mean"):
    d[result] = cross_entropy_jvp(d[x], x, target, weight, ignore_index, reduction)


@primitive
def mse_loss(x, target, reduction="mean"):
    """Squared error ``(x - target) ** 2``, averaged (``"mean"``), summed or kept."""
    diff = x - target
    return _reduce(diff * diff, reduction)


def mse_loss_grad(g, x, target, reduction="mean"):
    """``2 (x - target)`` times the reduction's adjoint (at the broadcast shape)."""
    diff = x - target
    return 2 * diff * _expand_reduction(g, diff, reduction)


@adjoint(mse_loss, broadcast=True)
def _(result, x, target, reduction="mean"):
    dx = mse_loss_grad(d[result], x, target, reduction)
    d[x] = dx
    d[target] = -dx


@tangent(mse_loss)
def _(result, x, target, reduction="mean"):
    d[result] = _reduce(2 * (x - target) * d[x], reduction) - _reduce(
        2 * (x - target) * d[target], reduction
    )
