"""Layers' functional forms composed from tape operations: ``one_hot``, ``dropout2d``,
``layer_norm``, ``gelu`` (with an ``erf`` autograd Function), ``silu``, ``softplus``,
``elu``, ``embedding``, ``normalize`` and ``cosine_similarity``.
"""

import math
import warnings

from ..tape.grad_mode import no_grad
from ..tape.tensor import raw as _raw
from ..tape.tensor import wrap as _wrap
from .functional import _where


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
