"""Losses composed from tape operations: L1, smooth L1, Huber, binary cross-entropy
(of probabilities and of logits) and KL divergence.

Each is a short chain of elementary tensor ops, so its gradient (and the gradient of
that) comes from rules that already exist; grad_fn names are those of the last op.
PyTorch's dtype rules are kept: operands are promoted as its binary ops promote
(``float32`` with ``int64`` stays ``float32``), ``huber_loss`` computes in the input's
dtype and ``binary_cross_entropy_with_logits`` writes the target's.
"""

import warnings

from ..tape.tensor import Tensor
from ..tape.tensor import raw as _raw
from .functional import _legacy_name, _promote_pair, _reduce, _reduction, _where


def _warn_target_size(input, target):  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean absolute error ``|input - target|``."""
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _promote_pair(input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(
    input,  # noqa: A002
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    beta=1.0,
):
    """Huber-like: ``0.5 d**2 / beta`` if ``|d| < beta``, else ``|d| - 0.5 beta``."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _promote_pair(input, target)
    d = input - target
    if beta == 0.0:
        return _reduce(d.abs(), reduction)
    z = d.abs()
    return _reduce(_where(z < beta, 0.5 * d * d / beta, z - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    if weight is not None:
        raise NotImplementedError("srcad: huber_loss supports weight=None only")
    _warn_target_size(input, target)
    if isinstance(target, Tensor) and target.dtype != input.dtype:
        target = target.to(input.dtype)  # PyTorch computes huber_loss in input's dtype
    d = input - target
    z = d.abs()
    return _reduce(_where(z < delta, 0.5 * d * d, delta * (z - 0.5 * delta)), reduction)


def binary_cross_entropy(
    input,  # noqa: A002
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``-(y log x + (1 - y) log(1 - x))`` with each log clamped at -100, as PyTorch."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size."
        )
    if target.dtype != input.dtype:
        if target.dtype.is_floating_point:
            raise RuntimeError(
                f"Found dtype {_legacy_name(target.dtype)} but expected "
                f"{_legacy_name(input.dtype)}"
            )
        target = target.to(input.dtype)
    data = _raw(input)
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    log_x = input.log().clamp(min=-100)
    log_1mx = (1 - input).log().clamp(min=-100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input,  # noqa: A002
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """``BCE(sigmoid(input), target)`` computed stably from the logits.

    ``log(1 + exp(-x)) = m + log(exp(-m) + exp(-x - m))`` with ``m = max(-x, 0)``:
    exact for every ``m`` (so its derivative in ``m`` is zero) and never overflows.
    ``pos_weight`` multiplies the positive term.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.size()}) must be the same as input size ({input.size()})"
        )
    out_dtype = target.dtype
    if not out_dtype.is_floating_point:
        common = _promote_pair(input, target)[0].dtype
        raise RuntimeError(
            f"result type {_legacy_name(common)} can't be cast to the desired output type "
            f"{_legacy_name(out_dtype)}"
        )
    input, target = _promote_pair(input, target)
    m = (-input).clamp(min=0)
    softplus_neg = m + ((-m).exp() + (-input - m).exp()).log()
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    if loss.dtype != out_dtype:  # PyTorch writes the result in the target's dtype
        loss = loss.to(out_dtype)
    return _reduce(loss, reduction)


def kl_div(
    input,  # noqa: A002
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    log_target=False,
):
    """``target * (log(target) - input)`` (``input`` holds log-probabilities; with
    ``log_target`` so does ``target``); ``"batchmean"`` divides the sum by the batch."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = _where(positive, target, target * 0 + 1)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)
