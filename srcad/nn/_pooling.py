"""Average pooling, adaptive average pooling, padding and the 1-D convolution and
pools, composed from tape operations.

``avg_pool2d`` sums ``kh * kw`` strided slices of the (zero-padded) input;
``adaptive_avg_pool2d`` averages rows then columns over PyTorch's cell bounds
(``floor(i H / oh)`` to ``ceil((i + 1) H / oh)``); ``pad`` concatenates constant blocks
or gathers with ``index_select``; 1-D ops run their 2-D versions on a height-1 image.
"""

from .functional import conv2d, max_pool2d


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
