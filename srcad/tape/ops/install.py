"""Installing the op functions on ``Tensor`` as methods and operators."""

import operator

from .. import dtypes as _dt
from . import arithmetic as _arith
from . import composites as _comp
from . import conversions as _conv
from . import indexing as _indexing
from . import linalg as _linalg
from . import shapes as _shapes
from . import sorting as _sorting
from ._base import _as_tensor
from .arithmetic import (
    _radd,
    _rmul,
    _rpow,
    _rsub,
    _rtruediv,
    add,
    allclose,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    div,
    eq,
    equal,
    floor_divide,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    mul,
    ne,
    neg,
    operator_op,
    pow,
    remainder,
    sub,
)
from .composites import cumprod, cumsum, log_softmax, logsumexp, norm, softmax, std, var
from .conversions import _caster, cpu, cuda, to, type, type_as
from .inplace import (
    abs_,
    add_,
    clamp_,
    copy_,
    cos_,
    div_,
    exp_,
    fill_,
    gather,
    index_select,
    log_,
    masked_fill,
    masked_fill_,
    mul_,
    neg_,
    pow_,
    reciprocal_,
    relu_,
    sigmoid_,
    sin_,
    sqrt_,
    sub_,
    tanh_,
    zero_,
)
from .linalg import dot, matmul, mm, mv, outer
from .reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    max,
    mean,
    min,
    prod,
    sum,
)
from .shapes import (
    _T,
    _mT,
    broadcast_to,
    chunk,
    clone,
    contiguous,
    expand,
    expand_as,
    flatten,
    flip,
    movedim,
    narrow,
    permute,
    reshape,
    reshape_as,
    select,
    split,
    squeeze,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    view,
    view_as,
)
from .unary import (
    abs,
    acos,
    asin,
    atan,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    cos,
    cosh,
    exp,
    exp2,
    expm1,
    floor,
    log,
    log1p,
    log2,
    log10,
    maximum,
    minimum,
    reciprocal,
    relu,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
    where,
)

_METHODS = {
    # arithmetic
    "add": add,
    "sub": sub,
    "subtract": sub,
    "mul": mul,
    "multiply": mul,
    "div": div,
    "divide": div,
    "true_divide": div,
    "pow": pow,
    "neg": neg,
    "negative": neg,
    "remainder": remainder,
    "floor_divide": floor_divide,
    "eq": eq,
    "ne": ne,
    "gt": gt,
    "lt": lt,
    "ge": ge,
    "le": le,
    "greater": gt,
    "less": lt,
    "greater_equal": ge,
    "less_equal": le,
    "not_equal": ne,
    "equal": equal,
    "allclose": allclose,
    "isclose": isclose,
    "isnan": isnan,
    "isinf": isinf,
    "isfinite": isfinite,
    "logical_not": logical_not,
    "logical_and": logical_and,
    "logical_or": logical_or,
    "bitwise_not": bitwise_not,
    # elementwise
    "exp": exp,
    "exp2": exp2,
    "expm1": expm1,
    "log": log,
    "log2": log2,
    "log10": log10,
    "log1p": log1p,
    "sqrt": sqrt,
    "rsqrt": rsqrt,
    "sin": sin,
    "cos": cos,
    "tan": tan,
    "asin": asin,
    "arcsin": asin,
    "acos": acos,
    "arccos": acos,
    "atan": atan,
    "arctan": atan,
    "sinh": sinh,
    "cosh": cosh,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "reciprocal": reciprocal,
    "abs": abs,
    "absolute": abs,
    "relu": relu,
    "square": square,
    "sign": sign,
    "floor": floor,
    "ceil": ceil,
    "trunc": trunc,
    "round": round,
    "clamp": clamp,
    "clip": clamp,
    "clamp_min": clamp_min,
    "clamp_max": clamp_max,
    "maximum": maximum,
    "minimum": minimum,
    "where": lambda self, c, o: where(c, self, o),
    "masked_fill": masked_fill,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "logsumexp": logsumexp,
    # reductions
    "sum": sum,
    "mean": mean,
    "prod": prod,
    "max": max,
    "min": min,
    "amax": amax,
    "amin": amin,
    "argmax": argmax,
    "argmin": argmin,
    "all": all,
    "any": any,
    "var": var,
    "std": std,
    "norm": norm,
    "count_nonzero": count_nonzero,
    "cumsum": cumsum,
    "cumprod": cumprod,
    # linear algebra
    "matmul": matmul,
    "mm": mm,
    "mv": mv,
    "dot": dot,
    "inner": dot,
    "outer": outer,
    "ger": outer,
    # shapes
    "view": view,
    "reshape": reshape,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "flatten": flatten,
    "unflatten": unflatten,
    "permute": permute,
    "t": t,
    "transpose": transpose,
    "swapaxes": transpose,
    "swapdims": transpose,
    "movedim": movedim,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "expand": expand,
    "expand_as": expand_as,
    "broadcast_to": broadcast_to,
    "narrow": narrow,
    "select": select,
    "unbind": unbind,
    "chunk": chunk,
    "split": split,
    "contiguous": contiguous,
    "clone": clone,
    "flip": flip,
    "index_select": index_select,
    "gather": gather,
    # conversions
    "to": to,
    "type": type,
    "type_as": type_as,
    "cpu": cpu,
    "cuda": cuda,
    "double": _caster(_dt.float64),
    "float": _caster(_dt.float32),
    "half": _caster(_dt.float16),
    "long": _caster(_dt.int64),
    "int": _caster(_dt.int32),
    "short": _caster(_dt.int16),
    "bool": _caster(_dt.bool),
    "byte": _caster(_dt.uint8),
    "char": _caster(_dt.int8),
    # in place
    "add_": add_,
    "sub_": sub_,
    "subtract_": sub_,
    "mul_": mul_,
    "multiply_": mul_,
    "div_": div_,
    "divide_": div_,
    "pow_": pow_,
    "exp_": exp_,
    "log_": log_,
    "sqrt_": sqrt_,
    "sin_": sin_,
    "cos_": cos_,
    "tanh_": tanh_,
    "abs_": abs_,
    "neg_": neg_,
    "reciprocal_": reciprocal_,
    "sigmoid_": sigmoid_,
    "relu_": relu_,
    "clamp_": clamp_,
    "clip_": clamp_,
    "zero_": zero_,
    "fill_": fill_,
    "copy_": copy_,
    "masked_fill_": masked_fill_,
}

# Methods of the later families, by module.
_METHODS.update(
    {
        name: getattr(module, name)
        for module, names in (
            (_sorting, "topk sort argsort unique nonzero bincount histc histogram"),
            (_indexing, "scatter scatter_ scatter_add scatter_add_ masked_select take_along_dim"),
            (_shapes, "repeat repeat_interleave roll tril triu diag tensor_split fliplr flipud"),
            (_arith, "atan2 arctan2 fmod"),
            (_linalg, "trace addmm bmm"),
            (_conv, "new_zeros new_ones new_empty new_full new_tensor"),
            (_comp, "lerp addcmul addcdiv baddbmm dist diff"),
        )
        for name in names.split()
    }
)

_DUNDERS = {
    "__add__": operator_op(operator.add),
    "__radd__": _radd,
    "__sub__": operator_op(operator.sub),
    "__rsub__": _rsub,
    "__mul__": operator_op(operator.mul),
    "__rmul__": _rmul,
    "__truediv__": operator_op(operator.truediv, true_div=True),
    "__rtruediv__": _rtruediv,
    "__pow__": pow,
    "__rpow__": _rpow,
    "__matmul__": matmul,
    "__rmatmul__": lambda a, b: matmul(_as_tensor(b), a),
    "__mod__": remainder,
    "__rmod__": lambda a, b: remainder(_as_tensor(b, a), a),
    "__floordiv__": floor_divide,
    "__rfloordiv__": lambda a, b: floor_divide(_as_tensor(b, a), a),
    "__neg__": neg,
    "__pos__": lambda a: a,
    "__abs__": abs,
    "__invert__": bitwise_not,
    "__and__": bitwise_and,
    "__or__": bitwise_or,
    "__xor__": bitwise_xor,
    "__rand__": bitwise_and,
    "__ror__": bitwise_or,
    "__eq__": eq,
    "__ne__": ne,
    "__gt__": gt,
    "__lt__": lt,
    "__ge__": ge,
    "__le__": le,
}


def _augmented(inplace, plain):
    """``t += u``: in place, as in PyTorch; but in a NumPy program a 0-d result of
    arithmetic is a NumPy scalar, which is immutable, so there it rebinds."""

    def op(self, other):
        from .. import cow  # noqa: PLC0415

        if self._data.ndim == 0 and cow.registry() is not None:
            return plain(self, other)
        return inplace(self, other)

    op.__name__ = inplace.__name__
    return op


_DUNDERS.update(
    {
        "__iadd__": _augmented(add_, operator.add),
        "__isub__": _augmented(sub_, operator.sub),
        "__imul__": _augmented(mul_, operator.mul),
        "__itruediv__": _augmented(div_, operator.truediv),
        "__ipow__": _augmented(pow_, operator.pow),
    }
)


def install(cls):
    """Put the op functions on ``cls`` as methods and operators."""
    from .. import numpy_compat  # noqa: PLC0415

    numpy_compat.extend(_METHODS)
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)
    for name, fn in _DUNDERS.items():
        setattr(cls, name, fn)
    cls.T = property(_T)
    cls.mT = property(_mT)
    cls.H = property(_T)
