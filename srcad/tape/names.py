"""PyTorch's grad_fn names: the one table the tape reads them from.

Naming is the tape's concern (the maths lives in ``srcad.rules``).  A key is the
primitive that differentiates the op, or, for a PyTorch op whose grad_fn is not named
after its primitive (``rsub``, ``t``, ``masked_fill.Scalar``), PyTorch's op name with its
overload after a dot.  An entry is a name, or a function of the call's template
arguments for ops whose PyTorch overload (and so its ``Backward0``/``Backward1`` suffix)
depends on them.
"""

import operator

import numpy as np

from ..rules import tape_ops as T


def _by_axis(full, partial, axis_pos=1):
    def name(args):
        axis = args[axis_pos] if len(args) > axis_pos else None
        return full if axis is None else partial

    return name


def _squeeze(args):
    return "SqueezeBackward0" if len(args) < 2 or args[1] is None else "SqueezeBackward1"


def _matmul(args):
    a, b = (getattr(v, "ndim", 0) for v in args[:2])
    if a == 2 and b == 2:
        return "MmBackward0"
    if a == 2 and b == 1:
        return "MvBackward0"
    if a == 1 and b == 1:
        return "DotBackward0"
    return "UnsafeViewBackward0" if a > 2 or b > 2 else "MmBackward0"


def _pow(args):
    return "PowBackward1" if hasattr(args[1], "shape") else "PowBackward0"


NAMES = {
    operator.add: "AddBackward0",
    np.add: "AddBackward0",
    operator.sub: "SubBackward0",
    np.subtract: "SubBackward0",
    operator.mul: "MulBackward0",
    np.multiply: "MulBackward0",
    operator.truediv: "DivBackward0",
    np.divide: "DivBackward0",
    np.true_divide: "DivBackward0",
    operator.neg: "NegBackward0",
    np.negative: "NegBackward0",
    operator.pos: "AliasBackward0",
    np.positive: "AliasBackward0",
    operator.pow: _pow,
    np.power: _pow,
    np.float_power: _pow,
    operator.mod: "RemainderBackward0",
    np.mod: "RemainderBackward0",
    np.remainder: "RemainderBackward0",
    operator.matmul: _matmul,
    np.matmul: _matmul,
    np.dot: _matmul,
    np.inner: "DotBackward0",
    np.vdot: "DotBackward0",
    np.outer: "OuterBackward0",
    np.exp: "ExpBackward0",
    np.exp2: "Exp2Backward0",
    np.expm1: "Expm1Backward0",
    np.log: "LogBackward0",
    np.log2: "Log2Backward0",
    np.log10: "Log10Backward0",
    np.log1p: "Log1PBackward0",
    np.sqrt: "SqrtBackward0",
    np.square: "PowBackward0",
    np.reciprocal: "ReciprocalBackward0",
    np.sin: "SinBackward0",
    np.cos: "CosBackward0",
    np.tan: "TanBackward0",
    np.arcsin: "AsinBackward0",
    np.arccos: "AcosBackward0",
    np.arctan: "AtanBackward0",
    np.arctan2: "Atan2Backward0",
    np.sinh: "SinhBackward0",
    np.cosh: "CoshBackward0",
    np.tanh: "TanhBackward0",
    np.arcsinh: "AsinhBackward0",
    np.arccosh: "AcoshBackward0",
    np.arctanh: "AtanhBackward0",
    np.abs: "AbsBackward0",
    np.absolute: "AbsBackward0",
    np.fabs: "AbsBackward0",
    np.sign: "SignBackward0",
    np.maximum: "MaximumBackward0",
    np.minimum: "MinimumBackward0",
    np.fmax: "FmaxBackward0",
    np.fmin: "FminBackward0",
    np.logaddexp: "LogaddexpBackward0",
    np.hypot: "HypotBackward0",
    np.sum: _by_axis("SumBackward0", "SumBackward1"),
    np.mean: _by_axis("MeanBackward0", "MeanBackward1"),
    np.prod: _by_axis("ProdBackward0", "ProdBackward1"),
    np.max: _by_axis("MaxBackward1", "AmaxBackward0"),
    np.amax: _by_axis("MaxBackward1", "AmaxBackward0"),
    np.min: _by_axis("MinBackward1", "AminBackward0"),
    np.amin: _by_axis("MinBackward1", "AminBackward0"),
    np.var: "VarBackward0",
    np.std: "StdBackward0",
    np.cumsum: "CumsumBackward0",
    np.cumprod: "CumprodBackward0",
    np.trace: "TraceBackward0",
    np.diag: "DiagBackward0",
    np.diagonal: "DiagonalBackward0",
    np.transpose: "PermuteBackward0",
    np.swapaxes: "TransposeBackward0",
    np.moveaxis: "PermuteBackward0",
    np.reshape: "ViewBackward0",
    np.ravel: "ViewBackward0",
    np.squeeze: _squeeze,
    np.expand_dims: "UnsqueezeBackward0",
    np.broadcast_to: "ExpandBackward0",
    np.concatenate: "CatBackward0",
    np.stack: "StackBackward0",
    np.hstack: "CatBackward0",
    np.vstack: "CatBackward0",
    np.where: "WhereBackward0",
    np.clip: "ClampBackward1",
    np.tile: "RepeatBackward0",
    np.repeat: "RepeatInterleaveBackward0",
    np.flip: "FlipBackward0",
    np.roll: "RollBackward0",
    np.copy: "CloneBackward0",
    np.array: "CloneBackward0",
    np.asarray: "AliasBackward0",
    np.linalg.norm: "NormBackward1",
    np.linalg.inv: "LinalgInvExBackward0",
    np.linalg.det: "LinalgDetBackward0",
    np.einsum: "EinsumBackward0",
    np.tensordot: "TensordotBackward0",
    T.relu: "ReluBackward0",
    T.sigmoid: "SigmoidBackward0",
    T.clamp: "ClampBackward1",
    T.extreme_dim: lambda args: "MaxBackward0" if (len(args) < 4 or args[3]) else "MinBackward0",
    T.getitem: "IndexBackward0",
    T.getitem_adjoint: "IndexBackward0",
    T.copy_to: "CopyBackwards",
    T.index_put: "IndexPutBackward0",
    T.zero_at: "IndexPutBackward0",
    T.as_view: "AsStridedBackward0",
    T.view_scatter: "AsStridedScatterBackward0",
    T.to_dtype: "ToCopyBackward0",
    T.put_along: "ScatterBackward0",
    T.take_along: "GatherBackward0",
    T.sum_like: "SumToSizeBackward0",
    T.addmm: "AddmmBackward0",
}


# PyTorch ops whose grad_fn is not the name of the primitive that differentiates them.
NAMES.update(
    {
        "pow.Tensor_Tensor": "PowBackward1",
        "pow.Tensor_Scalar": "PowBackward0",
        "pow.Scalar": "PowBackward2",
        "rsub": "RsubBackward1",
        "rsub.Tensor": "RsubBackward0",
        "rsqrt": "RsqrtBackward0",
        "clamp_min": "ClampMinBackward0",
        "clamp_max": "ClampMaxBackward0",
        "amax": "AmaxBackward0",
        "amin": "AminBackward0",
        "_unsafe_view": "UnsafeViewBackward0",
        "t": "TBackward0",
        "bmm": "BmmBackward0",
        "fmod.Scalar": "FmodBackward0",
        "fmod.Tensor": "FmodBackward1",
        "diag_embed": "DiagEmbedBackward0",
        "diagonal": "DiagonalBackward0_copy",
        "repeat_interleave": "ViewBackward0",
        "topk": "TopkBackward0",
        "sort": "SortBackward0",
        "scatter.src": "ScatterBackward0",
        "scatter.value": "ScatterBackward1",
        "scatter_add": "ScatterAddBackward0",
        "masked_select": "MaskedSelectBackward0",
        "lerp.Scalar": "LerpBackward0",
        "lerp.Tensor": "LerpBackward1",
        "addcmul": "AddcmulBackward0",
        "addcdiv": "AddcdivBackward0",
        "baddbmm": "BaddbmmBackward0",
        "dist": "DistBackward0",
        "linalg_solve": "LinalgSolveExBackward0",
        "linalg_cholesky": "LinalgCholeskyExBackward0",
        "linalg_pinv": "LinalgPinvBackward0",
        "normal_": "NormalBackward0",
        "uniform_": "UniformBackward0",
        "squeeze.dim": "SqueezeBackward1",
        "squeeze.dims": "SqueezeBackward2",
        "squeeze_.dim": "SqueezeBackward4",
        "zero_": "ZeroBackward0",
        "fill_.Scalar": "FillBackward2",
        "fill_.Tensor": "FillBackward3",
        "masked_fill.Scalar": "MaskedFillBackward0",
        "masked_fill.Tensor": "MaskedFillBackward1",
        "index_select": "IndexSelectBackward0",
        "softmax": "SoftmaxBackward0",
        "log_softmax": "LogSoftmaxBackward0",
        "linalg_vector_norm": "LinalgVectorNormBackward0",
        T.logsumexp: "LogsumexpBackward0",
    }
)


def grad_fn_name(key):
    """The grad_fn name the table gives ``key`` (a primitive or a PyTorch op name),
    for entries that do not depend on the call's arguments."""
    entry = NAMES[key]
    return entry if isinstance(entry, str) else entry(())


def name_for(prim, args):
    """PyTorch's grad_fn name for a call of ``prim`` with template arguments ``args``."""
    try:
        entry = NAMES.get(prim)
    except TypeError:
        entry = None
    if entry is None:
        base = getattr(prim, "__name__", None) or type(prim).__name__
        return "".join(p.capitalize() for p in base.split("_")) + "Backward0"
    if isinstance(entry, str):
        return entry
    return entry(args)
