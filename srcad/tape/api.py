"""The tape's public names, re-exported by ``srcad/__init__.py``.

With ``import srcad as torch`` these are the names PyTorch code uses: factories,
dtypes, grad modes, ``Tensor`` and the functional ops.
"""

from . import accelerator, backends, cuda, linalg
from . import ops as _ops
from .device import device, get_default_device, set_default_device
from .dtypes import (
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    is_complex,
    is_floating_point,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .factories import (
    arange,
    as_tensor,
    asarray,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    tensor,
    zeros,
    zeros_like,
)
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .ops import (
    add,
    div,
    einsum,
    isin,
    matmul,
    meshgrid,
    mul,
    pow,
    return_types,
    sub,
    where,
)
from .ops import div as divide
from .ops import div as true_divide
from .ops import mul as multiply
from .ops import sub as subtract
from .random import Generator, default_generator, get_rng_state, set_rng_state
from .repr import get_printoptions, set_printoptions
from .tensor import Size, Tensor, is_tensor

inverse = linalg.inv
det = linalg.det


def _tensor_first(fn, name):
    """``fn`` refusing a non-tensor first argument with PyTorch's TypeError (an op that
    can make a variant doing that check itself, ``__srcad_public__``, gives it: one call
    less on the hot path)."""
    public = getattr(fn, "__srcad_public__", None)
    if public is not None:
        op = public(name)
        op.__doc__ = fn.__doc__
        op.__wrapped__ = fn
        return op

    def checked(*args, **kwargs):
        a = args[0] if args else kwargs.get("input")
        if not isinstance(a, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}"
            )
        return fn(*args, **kwargs)

    checked.__name__ = checked.__qualname__ = name
    checked.__doc__ = fn.__doc__
    checked.__wrapped__ = fn
    return checked


def _tensor_list(fn, name):
    """``fn`` taking a sequence of tensors, refusing anything else as PyTorch does."""

    def checked(tensors, *args, **kwargs):
        if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
            raise TypeError(
                f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                f"{type(tensors).__name__}"
            )
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
                )
        return fn(tensors, *args, **kwargs)

    checked.__name__ = checked.__qualname__ = name
    checked.__doc__ = fn.__doc__
    checked.__wrapped__ = fn
    return checked


abs = _tensor_first(_ops.abs, "abs")
absolute = _tensor_first(_ops.absolute, "absolute")
acos = _tensor_first(_ops.acos, "acos")
addmm = _tensor_first(_ops.addmm, "addmm")
all = _tensor_first(_ops.all, "all")
allclose = _tensor_first(_ops.allclose, "allclose")
amax = _tensor_first(_ops.amax, "amax")
amin = _tensor_first(_ops.amin, "amin")
any = _tensor_first(_ops.any, "any")
arccos = _tensor_first(_ops.arccos, "arccos")
arcsin = _tensor_first(_ops.arcsin, "arcsin")
arctan = _tensor_first(_ops.arctan, "arctan")
argmax = _tensor_first(_ops.argmax, "argmax")
argmin = _tensor_first(_ops.argmin, "argmin")
asin = _tensor_first(_ops.asin, "asin")
atan = _tensor_first(_ops.atan, "atan")
bmm = _tensor_first(_ops.bmm, "bmm")
broadcast_to = _tensor_first(_ops.broadcast_to, "broadcast_to")
ceil = _tensor_first(_ops.ceil, "ceil")
chunk = _tensor_first(_ops.chunk, "chunk")
clamp = _tensor_first(_ops.clamp, "clamp")
clamp_max = _tensor_first(_ops.clamp_max, "clamp_max")
clamp_min = _tensor_first(_ops.clamp_min, "clamp_min")
clip = _tensor_first(_ops.clip, "clip")
clone = _tensor_first(_ops.clone, "clone")
cos = _tensor_first(_ops.cos, "cos")
cosh = _tensor_first(_ops.cosh, "cosh")
count_nonzero = _tensor_first(_ops.count_nonzero, "count_nonzero")
cumprod = _tensor_first(_ops.cumprod, "cumprod")
cumsum = _tensor_first(_ops.cumsum, "cumsum")
dot = _tensor_first(_ops.dot, "dot")
eq = _tensor_first(_ops.eq, "eq")
equal = _tensor_first(_ops.equal, "equal")
exp = _tensor_first(_ops.exp, "exp")
exp2 = _tensor_first(_ops.exp2, "exp2")
expm1 = _tensor_first(_ops.expm1, "expm1")
flatten = _tensor_first(_ops.flatten, "flatten")
flip = _tensor_first(_ops.flip, "flip")
floor = _tensor_first(_ops.floor, "floor")
floor_divide = _tensor_first(_ops.floor_divide, "floor_divide")
gather = _tensor_first(_ops.gather, "gather")
ge = _tensor_first(_ops.ge, "ge")
ger = _tensor_first(_ops.ger, "ger")
gt = _tensor_first(_ops.gt, "gt")
index_select = _tensor_first(_ops.index_select, "index_select")
inner = _tensor_first(_ops.inner, "inner")
isclose = _tensor_first(_ops.isclose, "isclose")
isfinite = _tensor_first(_ops.isfinite, "isfinite")
isinf = _tensor_first(_ops.isinf, "isinf")
isnan = _tensor_first(_ops.isnan, "isnan")
le = _tensor_first(_ops.le, "le")
log = _tensor_first(_ops.log, "log")
log10 = _tensor_first(_ops.log10, "log10")
log1p = _tensor_first(_ops.log1p, "log1p")
log2 = _tensor_first(_ops.log2, "log2")
log_softmax = _tensor_first(_ops.log_softmax, "log_softmax")
logical_and = _tensor_first(_ops.logical_and, "logical_and")
logical_not = _tensor_first(_ops.logical_not, "logical_not")
logical_or = _tensor_first(_ops.logical_or, "logical_or")
logsumexp = _tensor_first(_ops.logsumexp, "logsumexp")
lt = _tensor_first(_ops.lt, "lt")
masked_fill = _tensor_first(_ops.masked_fill, "masked_fill")
max = _tensor_first(_ops.max, "max")
maximum = _tensor_first(_ops.maximum, "maximum")
mean = _tensor_first(_ops.mean, "mean")
min = _tensor_first(_ops.min, "min")
minimum = _tensor_first(_ops.minimum, "minimum")
mm = _tensor_first(_ops.mm, "mm")
movedim = _tensor_first(_ops.movedim, "movedim")
mv = _tensor_first(_ops.mv, "mv")
narrow = _tensor_first(_ops.narrow, "narrow")
ne = _tensor_first(_ops.ne, "ne")
neg = _tensor_first(_ops.neg, "neg")
norm = _tensor_first(_ops.norm, "norm")
numel = _tensor_first(_ops.numel, "numel")
outer = _tensor_first(_ops.outer, "outer")
permute = _tensor_first(_ops.permute, "permute")
prod = _tensor_first(_ops.prod, "prod")
reciprocal = _tensor_first(_ops.reciprocal, "reciprocal")
relu = _tensor_first(_ops.relu, "relu")
remainder = _tensor_first(_ops.remainder, "remainder")
reshape = _tensor_first(_ops.reshape, "reshape")
round = _tensor_first(_ops.round, "round")
rsqrt = _tensor_first(_ops.rsqrt, "rsqrt")
select = _tensor_first(_ops.select, "select")
sigmoid = _tensor_first(_ops.sigmoid, "sigmoid")
sign = _tensor_first(_ops.sign, "sign")
sin = _tensor_first(_ops.sin, "sin")
sinh = _tensor_first(_ops.sinh, "sinh")
softmax = _tensor_first(_ops.softmax, "softmax")
split = _tensor_first(_ops.split, "split")
sqrt = _tensor_first(_ops.sqrt, "sqrt")
square = _tensor_first(_ops.square, "square")
squeeze = _tensor_first(_ops.squeeze, "squeeze")
std = _tensor_first(_ops.std, "std")
sum = _tensor_first(_ops.sum, "sum")
swapaxes = _tensor_first(_ops.swapaxes, "swapaxes")
swapdims = _tensor_first(_ops.swapdims, "swapdims")
t = _tensor_first(_ops.t, "t")
tan = _tensor_first(_ops.tan, "tan")
tanh = _tensor_first(_ops.tanh, "tanh")
transpose = _tensor_first(_ops.transpose, "transpose")
trunc = _tensor_first(_ops.trunc, "trunc")
unbind = _tensor_first(_ops.unbind, "unbind")
unflatten = _tensor_first(_ops.unflatten, "unflatten")
unsqueeze = _tensor_first(_ops.unsqueeze, "unsqueeze")
var = _tensor_first(_ops.var, "var")
view = _tensor_first(_ops.view, "view")
negative = _tensor_first(_ops.neg, "negative")
argsort = _tensor_first(_ops.argsort, "argsort")
bincount = _tensor_first(_ops.bincount, "bincount")
histc = _tensor_first(_ops.histc, "histc")
histogram = _tensor_first(_ops.histogram, "histogram")
nonzero = _tensor_first(_ops.nonzero, "nonzero")
sort = _tensor_first(_ops.sort, "sort")
topk = _tensor_first(_ops.topk, "topk")
unique = _tensor_first(_ops.unique, "unique")
scatter = _tensor_first(_ops.scatter, "scatter")
scatter_add = _tensor_first(_ops.scatter_add, "scatter_add")
masked_select = _tensor_first(_ops.masked_select, "masked_select")
take_along_dim = _tensor_first(_ops.take_along_dim, "take_along_dim")
repeat_interleave = _tensor_first(_ops.repeat_interleave, "repeat_interleave")
roll = _tensor_first(_ops.roll, "roll")
tril = _tensor_first(_ops.tril, "tril")
triu = _tensor_first(_ops.triu, "triu")
diag = _tensor_first(_ops.diag, "diag")
tensor_split = _tensor_first(_ops.tensor_split, "tensor_split")
fliplr = _tensor_first(_ops.fliplr, "fliplr")
flipud = _tensor_first(_ops.flipud, "flipud")
atan2 = _tensor_first(_ops.atan2, "atan2")
arctan2 = _tensor_first(_ops.arctan2, "arctan2")
fmod = _tensor_first(_ops.fmod, "fmod")
trace = _tensor_first(_ops.trace, "trace")
lerp = _tensor_first(_ops.lerp, "lerp")
addcmul = _tensor_first(_ops.addcmul, "addcmul")
addcdiv = _tensor_first(_ops.addcdiv, "addcdiv")
baddbmm = _tensor_first(_ops.baddbmm, "baddbmm")
dist = _tensor_first(_ops.dist, "dist")
diff = _tensor_first(_ops.diff, "diff")
cat = _tensor_list(_ops.cat, "cat")
concat = _tensor_list(_ops.concat, "concat")
concatenate = _tensor_list(_ops.concatenate, "concatenate")
stack = _tensor_list(_ops.stack, "stack")
hstack = _tensor_list(_ops.hstack, "hstack")
vstack = _tensor_list(_ops.vstack, "vstack")

__all__ = [
    # tensors, dtypes, devices
    "Tensor",
    "Size",
    "is_tensor",
    "device",
    "dtype",
    "float16",
    "half",
    "float32",
    "float",
    "float64",
    "double",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "uint8",
    "bool",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "get_default_dtype",
    "set_default_dtype",
    "is_floating_point",
    "is_complex",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
    # devices and accelerators
    "cuda",
    "accelerator",
    "backends",
    "linalg",
    "inverse",
    "det",
    "set_default_device",
    "get_default_device",
    # factories and random numbers
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "ones",
    "zeros",
    "empty",
    "full",
    "ones_like",
    "zeros_like",
    "empty_like",
    "full_like",
    "rand_like",
    "randn_like",
    "eye",
    "arange",
    "linspace",
    "logspace",
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "manual_seed",
    "seed",
    "initial_seed",
    "randint_like",
    "bernoulli",
    "multinomial",
    "Generator",
    "default_generator",
    "get_rng_state",
    "set_rng_state",
    # grad modes and printing
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "set_printoptions",
    "get_printoptions",
    # arithmetic and comparisons
    "add",
    "sub",
    "subtract",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "pow",
    "neg",
    "negative",
    "remainder",
    "floor_divide",
    "eq",
    "ne",
    "gt",
    "lt",
    "ge",
    "le",
    "equal",
    "allclose",
    "isclose",
    "isnan",
    "isinf",
    "isfinite",
    "logical_not",
    "logical_and",
    "logical_or",
    # elementwise functions
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "reciprocal",
    "abs",
    "absolute",
    "relu",
    "square",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "round",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "maximum",
    "minimum",
    "where",
    "masked_fill",
    "softmax",
    "log_softmax",
    "logsumexp",
    # reductions
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "all",
    "any",
    "var",
    "std",
    "norm",
    "count_nonzero",
    "numel",
    "return_types",
    "cumsum",
    "cumprod",
    # linear algebra
    "matmul",
    "mm",
    "bmm",
    "addmm",
    "mv",
    "dot",
    "inner",
    "outer",
    "ger",
    # shapes
    "view",
    "reshape",
    "flatten",
    "unflatten",
    "permute",
    "t",
    "transpose",
    "swapaxes",
    "swapdims",
    "movedim",
    "squeeze",
    "unsqueeze",
    "broadcast_to",
    "narrow",
    "select",
    "unbind",
    "chunk",
    "split",
    "clone",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "flip",
    "index_select",
    "gather",
    # issue 13: what a user reaches for in the first week
    "argsort",
    "bincount",
    "histc",
    "histogram",
    "nonzero",
    "sort",
    "topk",
    "unique",
    "scatter",
    "scatter_add",
    "masked_select",
    "take_along_dim",
    "repeat_interleave",
    "roll",
    "tril",
    "triu",
    "diag",
    "tensor_split",
    "fliplr",
    "flipud",
    "atan2",
    "arctan2",
    "fmod",
    "trace",
    "lerp",
    "addcmul",
    "addcdiv",
    "baddbmm",
    "dist",
    "diff",
    "einsum",
    "isin",
    "meshgrid",
]
