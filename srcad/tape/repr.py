"""PyTorch's tensor ``repr`` (a re-implementation of ``torch/_tensor_str.py``'s rules).

Precision 4, summarization above 1000 elements, line width 80, scientific notation
when the finite non-zero values span more than three decades, ``int_mode`` (``1.``)
when they are all whole numbers, and the ``dtype=`` / ``grad_fn=`` /
``requires_grad=True`` suffixes.
"""

import math

import numpy as np

from . import dtypes as _dt
from .device import is_cupy

__all__ = ["set_printoptions", "get_printoptions", "tensor_repr"]


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.reset()

    def reset(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Set printing options, as ``torch.set_printoptions``."""
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.reset()
        elif profile == "short":
            PRINT_OPTS.precision, PRINT_OPTS.threshold = 2, 1000
            PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 80
        elif profile == "full":
            PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, math.inf
            PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    return {k: getattr(PRINT_OPTS, k) for k in _PrintOptions.__slots__}


class _Formatter:
    """How every element of one tensor is printed (computed once, over what is shown)."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
            return
        vals = [v for v in values if math.isfinite(v) and v != 0]
        if not vals:
            return
        absv = [abs(v) for v in vals]
        lo, hi = min(absv), max(absv)
        for v in vals:
            if v != math.ceil(v):
                self.int_mode = False
                break
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in vals)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in vals)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in vals)

    def format(self, v):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{p}f}"
        else:
            s = str(v)
        return (self.max_width - len(s)) * " " + s


def _summarized(a):
    """The elements that will be shown (``get_summarized_data``), flattened."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a.reshape(-1)
    if a.ndim == 1:
        if a.shape[0] > 2 * e:
            return np.concatenate((a[:e], a[-e:]))
        return a
    if not e:
        return a[:0].reshape(-1)
    if a.shape[0] > 2 * e:
        rows = [a[i] for i in range(e)] + [a[i] for i in range(len(a) - e, len(a))]
    else:
        rows = list(a)
    return np.concatenate([_summarized(r).reshape(-1) for r in rows])


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = (
            [fmt.format(v) for v in a[:e].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in a[-e:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = (
            [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(e)]
            + ["..."]
            + [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(len(a) - e, len(a))]
        )
    else:
        slices = [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(s, suffixes, indent):
    parts = [s]
    last_line_len = len(s) - s.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def body_str(a, indent):
    """The bracketed element text of array ``a`` (no prefix or suffixes)."""
    if a.size == 0:
        return "[]"
    if a.dtype.kind == "f" and a.dtype != np.float64:
        a = a.astype(np.float32) if a.dtype.itemsize < 4 else a
    summarize = a.size > PRINT_OPTS.threshold
    floating = a.dtype.kind == "f"
    if a.dtype.kind == "c":
        return np.array2string(a, separator=", ", precision=PRINT_OPTS.precision)
    shown = _summarized(a) if summarize else a.reshape(-1)
    fmt = _Formatter(shown.tolist(), floating)
    return _tensor_str(a, indent, summarize, fmt)


def tensor_repr(t, prefix="tensor("):
    """``repr(t)`` exactly as PyTorch prints it."""
    a = t._data
    if is_cupy(a):
        a = a.get()
    indent = len(prefix)
    suffixes = []
    if is_cupy(t._data):
        suffixes.append(f"device='{t.device}'")
    dt = _dt.NP2DT[a.dtype]
    default = _dt.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append("size=" + str(tuple(a.shape)))
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if dt not in (default, default.to_complex(), _dt.int64, _dt.bool):
            suffixes.append(f"dtype={dt!r}")
        body = body_str(a, indent)
    fn = t.grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{type(fn).__name__}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
