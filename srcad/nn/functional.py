"""``srcad.nn.functional`` (``F``): PyTorch's functional NN API on srcad tensors.

Every function defined here calls one primitive of ``srcad.rules.nn_ops`` (or a
tensor method), so on tensors each records a single graph node with PyTorch's
grad_fn name (``ConvolutionBackward0``, ``NllLossBackward0``, ...), and its backward
is the primitive's rule template from the one registry.  ``F.cross_entropy`` is
``nll_loss(log_softmax(x, 1), target)``, two nodes, as in PyTorch.

The functions PyTorch fuses but srcad composes from tape operations live in
``_losses.py`` (L1, smooth L1, Huber, BCE, KL), ``_pooling.py`` (average and adaptive
pooling, ``pad``, 1-D convolution and pools) and ``_layers.py`` (``one_hot``,
``dropout2d``, ``layer_norm``, ``gelu``, ``embedding``, ...); they are re-exported here.
"""

import math
import warnings

from ..rules import nn_ops as _ops
from ..tape import dtypes as _dt
from ..tape import names as _names
from ..tape.grad_mode import no_grad
from ..tape.ops import linear as _tape_linear
from ..tape.tensor import Tensor
from ..tape.tensor import raw as _raw
from ..tape.tensor import wrap as _wrap

__all__ = [
    "relu",
    "relu_",
    "tanh",
    "sigmoid",
    "softmax",
    "log_softmax",
    "linear",
    "conv2d",
    "max_pool2d",
    "dropout",
    "batch_norm",
    "nll_loss",
    "cross_entropy",
    "mse_loss",
    "leaky_relu",
    "flatten",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "one_hot",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "dropout2d",
    "layer_norm",
    "gelu",
    "silu",
    "softplus",
    "elu",
    "embedding",
    "pad",
    "normalize",
    "cosine_similarity",
    "kl_div",
    "conv1d",
    "max_pool1d",
    "avg_pool1d",
]


def _linear_name(args):
    x, b = args[0], args[2] if len(args) > 2 else None
    nd = getattr(x, "ndim", 2)
    if nd == 2:
        return "MmBackward0" if b is None else "AddmmBackward0"
    if nd == 1:
        return "SqueezeBackward4" if b is None else "ViewBackward0"
    return "UnsafeViewBackward0" if b is None else "ViewBackward0"


def _nll_name(args):
    return "NllLoss2DBackward0" if getattr(args[0], "ndim", 2) > 2 else "NllLossBackward0"


# grad_fn names of the NN primitives, registered with the tape's naming table.
_names.NAMES.update(
    {
        _ops.softmax: "SoftmaxBackward0",
        _ops.log_softmax: "LogSoftmaxBackward0",
        _ops.linear: _linear_name,
        _ops.conv2d: "ConvolutionBackward0",
        _ops.max_pool2d: "MaxPool2DWithIndicesBackward0",
        _ops.dropout: "MulBackward0",
        _ops.batch_norm_train: "NativeBatchNormBackward0",
        _ops.batch_norm_eval: "NativeBatchNormBackward0",
        _ops.nll_loss: _nll_name,
        _ops.cross_entropy: _nll_name,
        _ops.mse_loss: "MseLossBackward0",
        _ops.conv2d_input_grad: "ConvolutionBackwardBackward0",
        _ops.conv2d_weight_grad: "ConvolutionBackwardBackward0",
        _ops.max_pool2d_grad: "MaxPool2DWithIndicesBackwardBackward0",
        _ops.max_pool2d_gather: "MaxPool2DWithIndicesBackwardBackward0",
        _ops.nll_loss_grad: "NllLossBackwardBackward0",
    }
)


def _reduction(size_average, reduce, reduction):
    """The ``reduction`` string from PyTorch's legacy ``size_average``/``reduce`` flags."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _promote_pair(input, target):  # noqa: A002
    """Both operands in PyTorch's promoted dtype (float32 with int64 is float32).

    NumPy would compute ``float32 - int64`` in float64; PyTorch keeps float32.  A
    cast is recorded only on the operand whose dtype changes (``ToCopyBackward0``).
    """
    if not isinstance(target, Tensor) or not isinstance(input, Tensor):
        return input, target
    a, b = _raw(input).dtype, _raw(target).dtype
    if a == b:
        return input, target
    common = _dt.NP2DT[_dt._promote(a, b)]
    if a != common.np:
        input = input.to(common)
    if b != common.np:
        target = target.to(common)
    return input, target


# ---------------------------------------------------------------------------
# Activations


def relu(input, inplace=False):  # noqa: A002 - PyTorch's parameter name
    """``max(input, 0)``; grad_fn ``ReluBackward0``."""
    if inplace and isinstance(input, Tensor):
        return input.relu_()
    return _ops.relu(input)


def relu_(input):  # noqa: A002
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    return input.clamp(min=0) + negative_slope * input.clamp(max=0)


def tanh(input):  # noqa: A002
    return input.tanh()


def sigmoid(input):  # noqa: A002
    return _ops.sigmoid(input)


def _softmax_dim(name, ndim):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """``exp(x) / exp(x).sum(dim)``; grad_fn ``SoftmaxBackward0``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return _ops.softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """``x - log(exp(x).sum(dim))``; grad_fn ``LogSoftmaxBackward0``."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return _ops.log_softmax(input, dim)


# ---------------------------------------------------------------------------
# Layers


def linear(input, weight, bias=None):  # noqa: A002
    """``input @ weight.T + bias``; on tensors PyTorch's nodes (``AddmmBackward0`` with
    edges ``(bias, input, TBackward0)`` for a 2-D input)."""
    if isinstance(input, Tensor):
        return _tape_linear(input, weight, bias)
    return _ops.linear(input, weight, bias)


def _conv_padding(padding, weight, stride):
    if padding == "valid":
        return 0
    if padding == "same":
        if stride not in (1, (1, 1)):
            raise ValueError("padding='same' is not supported for strided convolutions")
        kh, kw = weight.shape[2], weight.shape[3]
        if kh % 2 == 0 or kw % 2 == 0:
            raise NotImplementedError("srcad: padding='same' needs an odd kernel size")
        return (kh // 2, kw // 2)
    return padding


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution (cross-correlation); grad_fn ``ConvolutionBackward0``."""
    if dilation not in (1, (1, 1)) or groups != 1:
        raise NotImplementedError("srcad: conv2d supports dilation=1 and groups=1 only")
    if input.ndim == 3:  # unbatched (C, H, W)
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(
            f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            f"{list(input.shape)}"
        )
    if input.shape[1] != weight.shape[1]:
        raise RuntimeError(
            f"Given groups=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[1]} channels, but got "
            f"{input.shape[1]} channels instead"
        )
    return _ops.conv2d(input, weight, bias, stride, _conv_padding(padding, weight, stride))


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,  # noqa: A002
    return_indices=False,
):
    """Max pooling; grad_fn ``MaxPool2DWithIndicesBackward0``."""
    if dilation not in (1, (1, 1)) or ceil_mode or return_indices:
        raise NotImplementedError(
            "srcad: max_pool2d supports dilation=1, ceil_mode=False, return_indices=False"
        )
    if stride is None or stride == () or stride == []:
        stride = kernel_size
    if input.ndim == 3:
        return _ops.max_pool2d(input.unsqueeze(0), kernel_size, stride, padding).squeeze(0)
    return _ops.max_pool2d(input, kernel_size, stride, padding)


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002
    return input.flatten(start_dim, end_dim)


# ---------------------------------------------------------------------------
# Dropout and batch normalisation


def _keep_draw(device, p):
    """PyTorch's CPU dropout draw (``bernoulli_(1 - p)`` from the default generator) as a
    sampler for ``dropout_mask``: 1.0 where an element is kept (``1.0 >= p``), else 0.0."""
    from ..tape.random import bernoulli_scalar_values, generator_for  # noqa: PLC0415

    gen = generator_for(None, device)

    def draw(shape):
        keep = bernoulli_scalar_values(gen, math.prod(shape), 1 - p, "float64")
        return keep.reshape(shape)

    return draw


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    In eval mode (``training=False``) it returns ``input`` itself.  The mask comes
    from PyTorch's stream (``srcad.manual_seed``); grad_fn ``MulBackward0``.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    mask = _ops.dropout_mask(tuple(input.shape), p, _keep_draw(input.device, p), _raw(input).dtype)
    if inplace:
        return input.mul_(_wrap(mask))
    return _ops.dropout(input, mask)


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,  # noqa: A002
    momentum=0.1,
    eps=1e-5,
):
    """Batch normalisation over every axis but axis 1; grad_fn ``NativeBatchNormBackward0``.

    In training it normalises with the batch statistics and updates
    ``running_mean``/``running_var`` in place (unbiased variance, ``momentum``).
    """
    if training:
        size = input.shape
        count = size[0] * math.prod(size[2:])
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {size}"
            )
        if running_mean is not None or running_var is not None:
            with no_grad():
                data = input.detach()
                mean, var = _ops.batch_stats(data)
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean * momentum)
                if running_var is not None:
                    running_var.mul_(1 - momentum).add_(var * (momentum * count / (count - 1)))
        return _ops.batch_norm_train(input, weight, bias, eps)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    return _ops.batch_norm_eval(input, running_mean, running_var, weight, bias, eps)


# ---------------------------------------------------------------------------
# Losses


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,  # noqa: A002
    reduce=None,
    reduction="mean",
):
    """Negative log-likelihood of class indices; grad_fn ``NllLossBackward0``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _ops.nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,  # noqa: A002
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """``nll_loss(log_softmax(input, 1), target)``: two nodes, as in PyTorch.

    A floating ``target`` holds class probabilities (``-sum(target * log_softmax)``
    over the class axis, ``"mean"`` divides by the batch size); ``label_smoothing``
    ``e`` mixes the one-hot (or given) distribution with the uniform one.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    reduction = _reduction(size_average, reduce, reduction)
    dim = 0 if input.ndim == 1 else 1
    if target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, dim)
    logp = _ops.log_softmax(input, dim)
    nll = _ops.nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    if weight is not None:
        raise NotImplementedError(
            "srcad: cross_entropy supports label_smoothing with weight=None only"
        )
    classes = input.shape[dim]
    keep = (target != ignore_index).to(input.dtype)
    smooth = -logp.sum(dim) * keep
    if reduction == "mean":
        smooth = smooth.sum() / keep.sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + (label_smoothing / classes) * smooth


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, dim):  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"Expected floating point type target to have the same shape as input, got "
            f"{list(target.shape)} and {list(input.shape)}"
        )
    input, target = _promote_pair(input, target)
    classes = input.shape[dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = _ops.log_softmax(input, dim) * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[dim] = classes
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(dim)
    if reduction == "mean":
        return loss.sum() / (loss.numel() if input.ndim > 1 else 1)
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean squared error; grad_fn ``MseLossBackward0``."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _promote_pair(input, target)
    return _ops.mse_loss(input, target, reduction)


# ---------------------------------------------------------------------------
# Helpers of the functions composed from tape operations (no primitive of their
# own: _losses.py, _pooling.py, _layers.py, re-exported below).  Their graph is the
# chain of elementary nodes, so every gradient, and every gradient of a gradient,
# comes from rules that already exist; grad_fn names are those of the last op.


def _where(condition, a, b):
    from ..tape.ops import where  # noqa: PLC0415

    return where(condition, a, b)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_name(dtype):
    """``Float``, ``Double``, ... as in PyTorch's dtype-mismatch messages."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
    short = str(dtype).removeprefix("torch.")
    return names.get(short, short.capitalize())


from ._layers import (  # noqa: E402 - they import the helpers above
    cosine_similarity,
    dropout2d,
    elu,
    embedding,
    gelu,
    layer_norm,
    normalize,
    one_hot,
    silu,
    softplus,
)
from ._losses import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    kl_div,
    l1_loss,
    smooth_l1_loss,
)
from ._pooling import (  # noqa: E402
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    max_pool1d,
    pad,
)
