"""``srcad.nn.functional`` (``F``): PyTorch's functional NN API on srcad tensors.

Every function here calls one primitive of ``srcad.rules.nn_ops`` (or a tensor
method), so on tensors each records a single graph node with PyTorch's grad_fn
name (``ConvolutionBackward0``, ``NllLossBackward0``, ...), and its backward is the
primitive's rule template from the one registry.  ``F.cross_entropy`` is
``nll_loss(log_softmax(x, 1), target)``, two nodes, as in PyTorch.
"""

import math
import warnings

from ..rules import nn_ops as _ops
from ..tape import dtypes as _dt
from ..tape import names as _names
from ..tape.grad_mode import no_grad
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
    """``input @ weight.T + bias``; one node (``AddmmBackward0`` for a 2-D input)."""
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


def _uniform(device):
    """Uniform samples in [0, 1) as a raw array, from srcad's generator."""
    from .. import rand  # noqa: PLC0415

    return lambda shape: _raw(rand(*shape, device=device))


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    In eval mode (``training=False``) it returns ``input`` itself.  The mask comes
    from srcad's generator (``srcad.manual_seed``); grad_fn ``MulBackward0``.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    mask = _ops.dropout_mask(tuple(input.shape), p, _uniform(input.device), _raw(input).dtype)
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
# Composed from tape operations (no primitive of their own): the graph is the
# chain of elementary nodes, so every gradient, and every gradient of a
# gradient, comes from rules that already exist.  grad_fn names are therefore
# those of the last elementary op, not PyTorch's fused kernels' names.


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


def _legacy_name(dtype):
    """``Float``, ``Double``, ... as in PyTorch's dtype-mismatch messages."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
    short = str(dtype).removeprefix("torch.")
    return names.get(short, short.capitalize())


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


def one_hot(tensor, num_classes=-1):
    """``(..., num_classes)`` int64 tensor with a 1 at each index of ``tensor``."""
    import numpy as np  # noqa: PLC0415

    data = _raw(tensor)
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    host = np.asarray(data.get() if hasattr(data, "get") else data)
    if num_classes == -1:
        if host.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(host.max()) + 1
    if host.size and host.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if host.size and host.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (host[..., None] == np.arange(num_classes)).astype(np.int64)
    from ..tape.api import tensor as _tensor  # noqa: PLC0415

    return _tensor(out, device=tensor.device)


def _pair(v, name="kernel_size"):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) != 2:
        raise RuntimeError(
            f"avg_pool2d: {name} must either be a single int, or a tuple of two ints"
        )
    return v


def _zero_pad2d(x, ph, pw):
    """``x`` with ``ph`` zero rows and ``pw`` zero columns on each side of its last two axes."""
    from ..tape.api import cat, zeros  # noqa: PLC0415

    if ph:
        rows = zeros(*x.shape[:-2], ph, x.shape[-1], dtype=x.dtype, device=x.device)
        x = cat([rows, x, rows], -2)
    if pw:
        cols = zeros(*x.shape[:-1], pw, dtype=x.dtype, device=x.device)
        x = cat([cols, x, cols], -1)
    return x


def _window_sum(x, kh, kw, sh, sw, oh, ow):
    """Sum of every ``kh x kw`` window (strides ``sh, sw``): ``kh * kw`` strided slices."""
    total = None
    for i in range(kh):
        for j in range(kw):
            part = x[..., i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
            total = part if total is None else total + part
    return total


def avg_pool2d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Mean of each ``kernel_size`` window over the last two axes of 3-D or 4-D input."""
    if ceil_mode:
        raise NotImplementedError("srcad: avg_pool2d supports ceil_mode=False only")
    kh, kw = _pair(kernel_size)
    sh, sw = (
        (kh, kw) if stride is None or stride == () or stride == [] else _pair(stride, "stride")
    )
    ph, pw = _pair(padding, "padding")
    if ph > kh // 2 or pw > kw // 2:
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={max(ph, pw)}, "
            f"kernel_size={kh if ph > kh // 2 else kw} and dilation=1"
        )
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"non-empty 3D or 4D (batch mode) tensor expected for input, got {input.ndim}D"
        )
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"Given input size: ({'x'.join(str(s) for s in input.shape[-3:])}). Calculated "
            f"output size: ({input.shape[-3]}x{oh}x{ow}). Output size is too small"
        )
    total = _window_sum(_zero_pad2d(input, ph, pw), kh, kw, sh, sw, oh, ow)
    if divisor_override is not None:
        return total / divisor_override
    if count_include_pad or (ph == 0 and pw == 0):
        return total / (kh * kw)
    import numpy as np  # noqa: PLC0415

    inside = np.pad(np.ones((h, w)), ((ph, ph), (pw, pw)))
    counts = np.zeros((oh, ow))
    for i in range(kh):
        for j in range(kw):
            counts += inside[i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
    from ..tape.api import tensor as _tensor  # noqa: PLC0415

    return total / _tensor(counts, dtype=input.dtype, device=input.device)


def _adaptive_size(output_size, h, w):
    if isinstance(output_size, int):
        return output_size, output_size
    oh, ow = tuple(output_size)
    return (h if oh is None else oh), (w if ow is None else ow)


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average pooling to a fixed ``output_size``: output cell ``i`` covers rows
    ``floor(i H / oh)`` to ``ceil((i + 1) H / oh)`` (and the same for columns)."""
    from ..tape.api import stack  # noqa: PLC0415

    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}"
        )
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = _adaptive_size(output_size, h, w)
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))

    def bounds(i, n, out):
        return (i * n) // out, -((-(i + 1) * n) // out)

    rows = [input[..., slice(*bounds(i, h, oh)), :].mean(-2) for i in range(oh)]
    x = stack(rows, -2)
    cols = [x[..., slice(*bounds(j, w, ow))].mean(-1) for j in range(ow)]
    return stack(cols, -1)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels (axis -3 of 4-D input) with probability ``p``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).",
            UserWarning,
            stacklevel=2,
        )
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning,
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    keep = 2 if nd == 4 else 1
    mask = _feature_mask(tuple(input.shape[: nd - keep]) + (1,) * keep, p, input)
    if inplace:
        return input.mul_(mask)
    return input * mask


def _feature_mask(shape, p, like):
    """PyTorch's feature-dropout noise: ``empty(shape).bernoulli_(1 - p) / (1 - p)``
    (zeros for ``p == 1``); ``rand(shape) >= p`` where the tape has no ``bernoulli_``."""
    from ..tape import api  # noqa: PLC0415

    if p == 1.0:
        return api.zeros(*shape, dtype=like.dtype, device=like.device)
    noise = api.empty(*shape, dtype=like.dtype, device=like.device)
    if hasattr(noise, "bernoulli_"):
        noise.bernoulli_(1 - p)
    else:
        noise = (api.rand(*shape, device=like.device) >= p).to(like.dtype)
    return noise / (1 - p)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the last ``len(normalized_shape)`` axes (biased variance)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k :]) != shape or input.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    dims = tuple(range(-k, 0))
    mean = input.mean(dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dims, keepdim=True)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


_ERF = [None]


def _erf_function():
    """``erf`` as an autograd Function: NumPy (``math.erf``) forward, and a backward
    ``2 / sqrt(pi) * exp(-x**2)`` written with tensor ops so it differentiates again."""
    if _ERF[0] is None:
        import numpy as np  # noqa: PLC0415

        from ..autograd import Function  # noqa: PLC0415
        from ..tape.device import is_cupy  # noqa: PLC0415

        scalar_erf = np.vectorize(math.erf, otypes=[np.float64])

        class Erf(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                data = _raw(x)
                if is_cupy(data):
                    import cupyx.scipy.special  # noqa: PLC0415

                    return _wrap(cupyx.scipy.special.erf(data))
                return _wrap(np.asarray(scalar_erf(data), dtype=data.dtype))

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()

        _ERF[0] = Erf
    return _ERF[0]


def gelu(input, approximate="none"):  # noqa: A002
    """``x * Phi(x)`` (``approximate="none"``, with ``erf``) or its tanh approximation."""
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + inner.tanh())
    if approximate != "none":
        raise RuntimeError("approximate argument must be either none or tanh.")
    return 0.5 * input * (1 + _erf_function().apply(input * (1 / math.sqrt(2.0))))


def silu(input, inplace=False):  # noqa: A002
    """``x * sigmoid(x)``."""
    return input * input.sigmoid()


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    bx = input * beta
    m = bx.clamp(min=0)
    smooth = (m + ((-m).exp() + (bx - m).exp()).log()) / beta
    return _where(bx > threshold, input, smooth)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """``x`` for ``x > 0``, else ``alpha (exp(x) - 1)``."""
    return _where(input > 0, input, alpha * (input.clamp(max=0).exp() - 1))


def embedding(
    input,  # noqa: A002
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of ``weight`` picked by the integer ``input`` (``weight[input]``).

    The row at ``padding_idx`` gets no gradient; with ``max_norm`` the picked rows
    are first renormalised in place (not recorded), as in PyTorch.
    """
    import numpy as np  # noqa: PLC0415

    data = _raw(input)
    if data.dtype not in (np.int64, np.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments "
            "for embedding)"
        )
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "srcad: embedding supports scale_grad_by_freq=False and sparse=False only"
        )
    n = weight.shape[0]
    if data.size and (int(data.min()) < -n or int(data.max()) >= n):
        raise IndexError("index out of range in self")
    if data.size and int(data.min()) < 0:
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        _embedding_renorm(weight, data, max_norm, norm_type)
    out = weight[input]
    if padding_idx is not None and weight.requires_grad:
        out = _where((input != padding_idx).unsqueeze(-1), out, out.detach())
    return out


def _embedding_renorm(weight, data, max_norm, norm_type):
    import numpy as np  # noqa: PLC0415

    host = data.get() if hasattr(data, "get") and not isinstance(data, np.ndarray) else data
    rows = np.unique(np.asarray(host).reshape(-1))
    with no_grad():
        w = _raw(weight)
        w = w.get() if hasattr(w, "get") and not isinstance(w, np.ndarray) else w
        picked = w[rows]
        norms = (np.abs(picked) ** norm_type).sum(-1) ** (1.0 / norm_type)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        new = w.copy()
        new[rows] = picked * scale[:, None]
        weight.copy_(_wrap(new).to(weight.device))


def _pad_index(n, left, right, mode):
    """Source indices along one axis for ``reflect``/``replicate``/``circular`` padding."""
    import numpy as np  # noqa: PLC0415

    idx = np.arange(-left, n + right)
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    if mode == "circular":
        return idx % n
    period = 2 * (n - 1)  # reflect, the edge not repeated
    idx = np.abs(idx) % period if period else np.zeros_like(idx)
    return np.where(idx >= n, period - idx, idx)


def _pad_constant_axis(x, axis, left, right, value):
    from ..tape.api import cat, full  # noqa: PLC0415

    n = x.shape[axis]
    if left < 0 or right < 0:
        start, stop = max(-left, 0), n - max(-right, 0)
        x = x.narrow(axis, start, max(stop - start, 0))
        left, right = max(left, 0), max(right, 0)
    parts = []
    for count in (left, right):
        shape = list(x.shape)
        shape[axis] = count
        parts.append(full(shape, value, dtype=x.dtype, device=x.device) if count else None)
    pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
    return pieces[0] if len(pieces) == 1 else cat(pieces, axis)


def pad(input, pad, mode="constant", value=None):  # noqa: A002
    """Pad the last ``len(pad) // 2`` axes: ``pad = (last_left, last_right, ...)``.

    ``mode`` is ``"constant"`` (``value``, default 0; negative pads crop),
    ``"reflect"``, ``"replicate"`` or ``"circular"`` (gathers with ``index_select``).
    """
    from ..tape.api import tensor as _tensor  # noqa: PLC0415

    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    out = input
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        if mode == "constant":
            out = _pad_constant_axis(out, axis, left, right, 0 if value is None else value)
            continue
        n = out.shape[axis]
        if mode == "reflect" and (left >= n or right >= n):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({left}, {right}) at dimension {axis} of input "
                f"{list(input.shape)}"
            )
        if left < 0 or right < 0:
            raise NotImplementedError("srcad: negative padding needs mode='constant'")
        index = _tensor(_pad_index(n, left, right, mode), device=input.device)
        out = out.index_select(axis, index)
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("srcad: normalize does not take out=")
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` along ``dim``."""
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


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


def _single(v):
    return (v,) if isinstance(v, int) else tuple(v)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D convolution as a 2-D one over a height-1 image (``(N, C, L)`` input)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
            f"{list(input.shape)}"
        )
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(
            0
        )
    (s,) = _single(stride)
    if padding == "same":
        k = weight.shape[2]
        if k % 2 == 0:
            raise NotImplementedError("srcad: padding='same' needs an odd kernel size")
        p = k // 2
    else:
        (p,) = (0,) if padding == "valid" else _single(padding)
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, p), dilation, groups)
    return out.squeeze(2)


def max_pool1d(
    input,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Max over ``kernel_size`` windows of the last axis (``(N, C, L)`` or ``(C, L)``)."""
    (k,) = _single(kernel_size)
    (s,) = _single(k if stride is None or stride == () or stride == [] else stride)
    (p,) = _single(padding)
    out = max_pool2d(
        input.unsqueeze(-2), (1, k), (1, s), (0, p), dilation, ceil_mode, return_indices
    )
    return out.squeeze(-2)


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):  # noqa: A002
    """Mean over ``kernel_size`` windows of the last axis."""
    (k,) = _single(kernel_size)
    (s,) = _single(k if stride is None or stride == () or stride == [] else stride)
    (p,) = _single(padding)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input, got {input.ndim}D")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)
