"""Table-driven checks of every derivative rule against finite differences.

One row per primitive (and per interesting variant: axis, keepdims, broadcasting,
Python floats, ties).  For each row:

* the tape's view of the adjoint (``registry.backward_fn``) gives ``<c, J dx>``'s
  gradient for a random cotangent ``c``; central differences of ``<c, f(x)>``
  must agree (float64, eps 1e-6);
* the tangent (the ``@tangent`` template, or the primitive applied to tangents for
  a ``linear`` rule) must agree with central differences along a random direction;
* with float32 inputs the gradients (and tangents) stay float32.

Plus structural checks on the registry: templates only use allowed names and
statements, every method in ``METHODS`` maps to a registered primitive, and
there are at least 120 differentiable primitives.
"""

import builtins
import math
import operator
import zlib

import gast
import numpy as np
import pytest
import rules_strict as strict
from rules_eval import fd_grad, fd_jvp, flat, get, jvp, random_like, vjp

import srcad  # noqa: F401  (registers every rule family)
import srcad.runtime as rt
from srcad.rules import registry
from srcad.rules.builtins_and_methods import (
    ATTRIBUTES,
    METHODS,
    method_astype,
    method_clip,
    method_flatten,
    method_item,
    method_reshape,
    method_transpose,
)

# ---------------------------------------------------------------------------
# Input generators: a Gen is a differentiable input; anything else is a constant.


class Gen:
    def __init__(self, make, desc):
        self.make = make
        self.desc = desc

    def __call__(self, rng):
        return self.make(rng)

    def __repr__(self):
        return self.desc


def N(*shape):
    """Standard normal array."""
    return Gen(lambda r: r.normal(size=shape), f"N{shape}")


def U(*shape, lo=-0.8, hi=0.8):
    """Uniform array (inside (-1, 1) by default)."""
    return Gen(lambda r: r.uniform(lo, hi, size=shape), f"U{shape}")


def P(*shape):
    """Positive array."""
    return U(*shape, lo=0.5, hi=2.0)


def G1(*shape):
    """Array above 1."""
    return U(*shape, lo=1.2, hi=3.0)


def F(lo=-0.8, hi=0.8):
    """A Python float."""
    return Gen(lambda r: float(r.uniform(lo, hi)), f"F({lo},{hi})")


def C(value):
    """A fixed float64 array (ties, zeros, NaNs) that is still differentiated."""
    arr = np.array(value, dtype=np.float64)
    return Gen(lambda r: arr.copy(), f"C{arr.shape}")


def SPD(*shape):
    def make(r):
        a = r.normal(size=shape)
        return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])

    return Gen(make, f"SPD{shape}")


def SYM(*shape):
    def make(r):
        a = r.normal(size=shape)
        return a + np.swapaxes(a, -1, -2)

    return Gen(make, f"SYM{shape}")


def WELL(*shape):
    """A well-conditioned square matrix (or stack)."""
    return Gen(lambda r: r.normal(size=shape) + 3 * np.eye(shape[-1]), f"WELL{shape}")


class Row:
    def __init__(
        self,
        prim,
        *args,
        kw=None,
        wrt=None,
        id=None,
        f32=True,
        jvp=True,
        sym=False,
        sparse=None,
        rtol=1e-5,
    ):
        self.prim = prim
        self.args = list(args)
        self.kw = dict(kw or {})
        if wrt is None:
            wrt = [i for i, a in enumerate(self.args) if _is_gen(a)]
            wrt += [k for k, a in self.kw.items() if _is_gen(a)]
        self.wrt = list(wrt)
        self.id = id or _name(prim)
        self.f32 = f32
        self.jvp = jvp
        # the primitive reads a symmetric matrix: argument 0 (True) or this index
        self.sym = 0 if sym is True else (None if sym is False else sym)
        self.sparse = sparse  # indices of tuple outputs whose cotangent is a 0.0 placeholder
        self.rtol = rtol

    def make(self, rng):
        args = [_build(a, rng) for a in self.args]
        kw = {k: _build(a, rng) for k, a in self.kw.items()}
        return args, kw

    def transform(self):
        if self.sym is None:
            return None

        def sym(args, kw):
            a = list(args)
            a[self.sym] = _symmetric(a[self.sym])
            return a, kw

        return sym

    def direction(self, key, t):
        """A tangent for argument ``key`` (symmetric where the primitive reads one)."""
        return _symmetric(t) if key == self.sym else t


def _symmetric(x):
    return 0.5 * (x + np.swapaxes(x, -1, -2))


def _is_gen(a):
    return isinstance(a, Gen) or (
        isinstance(a, (list, tuple)) and a and all(isinstance(v, Gen) for v in a)
    )


def _build(a, rng):
    if isinstance(a, Gen):
        return a(rng)
    if isinstance(a, list) and a and all(isinstance(v, Gen) for v in a):
        return [v(rng) for v in a]
    if isinstance(a, tuple) and a and all(isinstance(v, Gen) for v in a):
        return tuple(v(rng) for v in a)
    return a


def _name(prim):
    mod = getattr(prim, "__module__", None) or ""
    name = getattr(prim, "__name__", repr(prim))
    if mod.startswith("numpy.linalg"):
        return "linalg." + name
    if mod == "math":
        return "math." + name
    return name


inf = np.inf
# two-way ties only: central differences see 1/2 for each of two tied entries,
# which is the even split; a three-way tie would have 1/3 (not what FD sees)
ties = C([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, 1.0]])
with_zeros = C([[0.0, 2.0, 3.0, 1.5], [1.0, 0.0, 0.0, 2.0], [2.0, 3.0, 0.5, 0.0]])
with_nans = C([[np.nan, 2.0, -3.0, 1.5], [1.0, -0.5, np.nan, 2.0], [0.3, 3.0, 0.5, -1.0]])
mask34 = np.array(
    [[True, False, True, True], [False, True, True, True], [True, True, False, True]]
)


# ---------------------------------------------------------------------------
# The table


ELEMENTWISE = [
    Row(np.exp, N(3, 4)),
    Row(np.exp2, N(3, 4)),
    Row(np.expm1, N(3, 4)),
    Row(np.log, P(3, 4)),
    Row(np.log2, P(3, 4)),
    Row(np.log10, P(3, 4)),
    Row(np.log1p, P(3, 4)),
    Row(np.sqrt, P(3, 4)),
    Row(np.cbrt, P(3, 4)),
    Row(np.square, N(3, 4)),
    Row(np.reciprocal, P(3, 4)),
    Row(np.sin, N(3, 4)),
    Row(np.cos, N(3, 4)),
    Row(np.tan, U(3, 4)),
    Row(np.arcsin, U(3, 4)),
    Row(np.arccos, U(3, 4)),
    Row(np.arctan, N(3, 4)),
    Row(np.sinh, N(3, 4)),
    Row(np.cosh, N(3, 4)),
    Row(np.tanh, N(3, 4)),
    Row(np.arcsinh, N(3, 4)),
    Row(np.arccosh, G1(3, 4)),
    Row(np.arctanh, U(3, 4)),
    Row(np.absolute, N(3, 4)),
    Row(np.fabs, N(3, 4)),
    Row(np.sinc, N(3, 4)),
    Row(np.sinc, C([0.0, 0.5, -1.5]), id="sinc-at-0"),
    Row(np.deg2rad, N(3, 4)),
    Row(np.radians, N(3, 4)),
    Row(np.rad2deg, N(3, 4)),
    Row(np.degrees, N(3, 4)),
    Row(np.nan_to_num, N(3, 4)),
    Row(np.real, N(3, 4)),
    Row(np.imag, N(3, 4)),
    Row(np.conjugate, N(3, 4)),
    Row(np.sin, F(), id="sin-python-float"),
    Row(np.exp, N(), id="exp-0d"),
    # binary, with broadcasting
    Row(np.arctan2, N(3, 1), N(4)),
    Row(np.hypot, N(3, 1), N(4)),
    Row(np.logaddexp, N(3, 1), N(4)),
    Row(np.logaddexp2, N(3, 4), N(4)),
    Row(np.maximum, N(3, 1), N(4)),
    Row(np.minimum, N(3, 1), N(4)),
    Row(np.fmax, N(3, 4), N(4)),
    Row(np.fmin, N(3, 4), N(3, 4)),
    Row(np.maximum, C([[1.0, 2.0], [3.0, 4.0]]), C([[1.0, 0.0], [5.0, 4.0]]), id="maximum-ties"),
    Row(np.minimum, F(), N(3), id="minimum-python-float"),
    Row(np.fmax, C([np.nan, 1.0, 2.0]), C([0.5, np.nan, 3.0]), id="fmax-nan"),
    Row(np.float_power, P(3, 4), N(4), f32=False),
    Row(np.copysign, N(3, 4), N(4), wrt=[0]),
    Row(np.fmod, N(3, 4), G1(4)),
    Row(np.clip, N(3, 4), -0.5, 0.5, id="clip-scalar-bounds"),
    Row(np.clip, N(3, 4), U(3, 1, lo=-1.5, hi=-0.5), U(4, lo=0.5, hi=1.5), id="clip-array-bounds"),
    Row(np.clip, N(3, 4), kw={"min": -0.3}, id="clip-min-keyword"),
    Row(np.clip, N(3, 4), None, U(4), id="clip-upper-only"),
    Row(np.where, mask34[:, :1], N(3, 4), N(4), id="where-broadcast"),
    Row(np.where, mask34, N(3, 4), 0.0, id="where-constant"),
    Row(np.power, C([0.0, 0.5, 2.0]), 0.0, id="power-zero-exponent-at-0", f32=False),
    Row(np.float_power, C([0.0, 0.5, 2.0]), 0.0, id="float_power-zero-exponent-at-0", f32=False),
    # the power and abs helpers the adjoints call (grad of grad differentiates them)
    Row(rt.power_deriv, P(3, 4), N(4)),
    Row(rt.power_deriv, P(3, 4), 0.0, id="power_deriv-zero-exponent"),
    Row(rt.power_deriv_y, P(3, 4), N(4)),
    Row(rt.float_power_deriv, P(3, 4), N(4), f32=False),
    Row(rt.abs_deriv, N(3, 4)),
]

MATH = [
    Row(math.exp, F()),
    Row(math.expm1, F()),
    Row(math.log, F(0.5, 2)),
    Row(math.log, F(0.5, 2), F(2, 3), id="math.log-base"),
    Row(math.log2, F(0.5, 2)),
    Row(math.log10, F(0.5, 2)),
    Row(math.log1p, F(0.5, 2)),
    Row(math.sqrt, F(0.5, 2)),
    Row(math.sin, F()),
    Row(math.cos, F()),
    Row(math.tan, F()),
    Row(math.asin, F()),
    Row(math.acos, F()),
    Row(math.atan, F()),
    Row(math.atan2, F(), F()),
    Row(math.sinh, F()),
    Row(math.cosh, F()),
    Row(math.tanh, F()),
    Row(math.asinh, F()),
    Row(math.acosh, F(1.2, 3)),
    Row(math.atanh, F()),
    Row(math.erf, F()),
    Row(math.erfc, F()),
    Row(math.fabs, F()),
    Row(math.degrees, F()),
    Row(math.radians, F()),
    Row(math.hypot, F(), F(), F()),
    Row(math.copysign, F(), F(), wrt=[0]),
    Row(math.fmod, F(), F(1.2, 2)),
    Row(math.pow, F(0.5, 2), F()),
    Row(math.fsum, [F(), F()]),
    *[Row(getattr(math, n), F(0.5, 2)) for n in ("exp2", "cbrt") if hasattr(math, n)],
]

BUILTINS = [
    Row(abs, F(), id="abs"),
    Row(pow, F(0.5, 2), F(), id="pow"),
    Row(sum, [N(3), N(2, 3)], id="sum-list-broadcast"),
    Row(sum, N(4, 3), id="sum-array-rows"),
    Row(sum, [F(), F()], N(2), id="sum-start"),
    Row(max, F(), F(), F(), id="max-args"),
    Row(min, [F(), F(), F()], id="min-list"),
    Row(max, N(5), id="max-array"),
    Row(max, C(0.5), C(0.5), id="max-tie", f32=False),
    Row(float, N(), id="float"),
]

REDUCTIONS = [
    Row(np.sum, N(3, 4, 5)),
    Row(np.sum, N(3, 4, 5), kw={"axis": 1}, id="sum-axis"),
    Row(np.sum, N(3, 4, 5), kw={"axis": (0, 2), "keepdims": True}, id="sum-axes-keepdims"),
    Row(np.sum, N(3, 4), kw={"where": mask34, "axis": 1}, id="sum-where"),
    Row(np.mean, N(3, 4, 5)),
    Row(np.mean, N(3, 4), kw={"axis": -1, "keepdims": True}, id="mean-keepdims"),
    Row(np.mean, N(3, 4), kw={"where": mask34}, id="mean-where"),
    Row(np.prod, P(3, 4)),
    Row(np.prod, P(3, 4), kw={"axis": 0}, id="prod-axis"),
    Row(np.prod, with_zeros, kw={"axis": 1}, id="prod-zeros"),
    Row(np.prod, with_zeros, id="prod-zeros-all"),
    Row(np.max, N(3, 4, 5)),
    Row(np.amax, N(3, 4, 5), kw={"axis": 1, "keepdims": True}),
    Row(np.min, N(3, 4, 5), kw={"axis": (0, 2)}),
    Row(np.amin, N(3, 4)),
    Row(np.max, ties, kw={"axis": 1}, id="max-ties"),
    Row(np.min, ties, id="min-ties"),
    Row(np.max, N(3, 4), kw={"axis": 1, "initial": 0.5, "where": mask34}, id="max-where"),
    Row(np.nanmax, with_nans, kw={"axis": 0}),
    Row(np.nanmin, with_nans),
    Row(np.ptp, N(3, 4)),
    Row(np.ptp, N(3, 4), kw={"axis": 0}, id="ptp-axis"),
    Row(np.var, N(3, 4)),
    Row(np.var, N(3, 4), kw={"axis": 1, "ddof": 1, "keepdims": True}, id="var-ddof"),
    Row(np.var, N(3, 4), kw={"axis": 0, "correction": 1}, id="var-correction"),
    Row(np.std, N(3, 4)),
    Row(np.std, N(3, 4), kw={"axis": 0, "ddof": 1}, id="std-ddof"),
    Row(np.median, N(5)),
    Row(np.median, N(4, 6), kw={"axis": 1}, id="median-even"),
    Row(np.median, N(3, 5), kw={"axis": 0, "keepdims": True}, id="median-keepdims"),
    Row(np.nansum, with_nans, kw={"axis": 1}),
    Row(np.nanmean, with_nans, kw={"axis": 0}),
    Row(np.nanprod, with_nans, kw={"axis": 1}),
    Row(np.average, N(3, 4), kw={"axis": 1}, id="average-plain"),
    Row(np.average, N(3, 4), kw={"weights": P(3, 4)}, id="average-weights"),
    Row(
        np.average,
        N(3, 4),
        kw={"axis": 1, "weights": P(4), "keepdims": True},
        id="average-1d-weights",
    ),
    Row(
        np.average,
        N(3, 4),
        kw={"axis": 0, "weights": P(3), "returned": True},
        id="average-returned",
    ),
    Row(np.linalg.norm, N(5)),
    Row(np.linalg.norm, N(3, 4), id="linalg.norm-fro-default"),
    *[
        Row(np.linalg.norm, N(6), kw={"ord": o}, id=f"linalg.norm-vector-{o}")
        for o in (1, 2, 3, 0.5, inf, -inf, 0)
    ],
    Row(np.linalg.norm, N(3, 4), kw={"axis": 1, "keepdims": True}, id="linalg.norm-axis"),
    *[
        Row(np.linalg.norm, N(3, 4), kw={"ord": o}, id=f"linalg.norm-matrix-{o}")
        for o in ("fro", "nuc", 2, -2, 1, -1, inf, -inf)
    ],
    Row(np.linalg.norm, N(3, 2, 4), kw={"ord": "fro", "axis": (0, 2)}, id="linalg.norm-axes"),
    Row(np.linalg.vector_norm, N(3, 4), kw={"axis": (0, 1), "ord": 3}),
    Row(np.linalg.vector_norm, N(3, 4), kw={"axis": 0}, id="linalg.vector_norm-2"),
    Row(np.linalg.matrix_norm, N(2, 3, 4), kw={"ord": "nuc"}),
    Row(np.linalg.matrix_norm, N(2, 3, 4), id="linalg.matrix_norm-fro"),
    Row(np.cumsum, N(3, 4)),
    Row(np.cumsum, N(3, 4), kw={"axis": 1}, id="cumsum-axis"),
    Row(np.cumprod, P(3, 4), kw={"axis": 1}),
    Row(np.cumprod, P(3, 4), id="cumprod-flat"),
    Row(np.cumprod, with_zeros, kw={"axis": 1}, id="cumprod-zeros"),
    Row(np.cumprod, with_zeros, kw={"axis": 0}, id="cumprod-zeros-axis0"),
    Row(np.diff, N(3, 5)),
    Row(np.diff, N(5, 3), kw={"n": 2, "axis": 0}, id="diff-n2"),
    Row(np.diff, N(3, 5), kw={"prepend": N(3, 1), "append": N(3, 2)}, id="diff-pend"),
    Row(np.diff, N(4), kw={"prepend": F()}, id="diff-prepend-scalar", f32=False),
    Row(np.diff, N(4), kw={"prepend": 0.5}, id="diff-prepend-constant", f32=False),
    Row(np.trace, N(4, 4)),
    Row(np.trace, N(3, 5), kw={"offset": 1}, id="trace-offset"),
    Row(np.trace, N(2, 3, 4), kw={"axis1": 1, "axis2": 2, "offset": -1}, id="trace-axes"),
    Row(np.linalg.trace, N(2, 3, 3)),
]
if hasattr(np, "cumulative_sum"):
    REDUCTIONS += [
        Row(np.cumulative_sum, N(3, 4), kw={"axis": 1, "include_initial": True}),
        Row(np.cumulative_prod, P(3, 4), kw={"axis": 0, "include_initial": True}),
        Row(np.cumulative_prod, with_zeros, kw={"axis": 1}, id="cumulative_prod-zeros"),
    ]

PRODUCTS = [
    Row(np.dot, N(3, 4), N(4, 5)),
    Row(np.dot, N(4), N(4), id="dot-vectors"),
    Row(np.dot, N(3, 4), N(4), id="dot-matvec"),
    Row(np.dot, N(4), N(4, 2), id="dot-vecmat"),
    Row(np.dot, N(2, 3, 4), N(5, 4, 2), id="dot-nd"),
    Row(np.dot, F(), N(3), id="dot-scalar"),
    Row(np.inner, N(3, 4), N(5, 4)),
    Row(np.inner, N(4), N(4), id="inner-vectors"),
    Row(np.outer, N(3), N(2, 2)),
    Row(np.linalg.outer, N(3), N(4)),
    Row(np.vdot, N(2, 3), N(6)),
    Row(np.vecdot, N(3, 4), N(4)),
    Row(np.vecdot, N(4, 3), N(4, 3), kw={"axis": 0}, id="vecdot-axis"),
    Row(np.linalg.vecdot, N(2, 3), N(2, 3)),
    Row(np.linalg.matmul, N(2, 3, 4), N(4, 5)),
    Row(operator.matmul, N(2, 3, 4), N(4, 5), id="matmul-batched"),
    Row(np.tensordot, N(3, 4, 5), N(4, 5, 2)),
    Row(np.tensordot, N(3, 4, 5), N(4, 3, 2), kw={"axes": ([1, 0], [0, 1])}, id="tensordot-pairs"),
    Row(np.tensordot, N(2, 3), N(3), kw={"axes": 0}, id="tensordot-0"),
    Row(np.tensordot, N(2, 3), N(3, 4), kw={"axes": 1}, id="tensordot-1"),
    Row(np.linalg.tensordot, N(2, 3), N(3, 4), kw={"axes": 1}),
    Row(np.einsum, "ij,jk->ik", N(3, 4), N(4, 2)),
    Row(np.einsum, "ij,ij->", N(3, 4), N(3, 4)),
    Row(np.einsum, "ii->i", N(3, 3), id="einsum-diag"),
    Row(np.einsum, "ii", N(3, 3), id="einsum-trace-implicit"),
    Row(np.einsum, "ij->j", N(3, 4), id="einsum-sum"),
    Row(np.einsum, "...ij,...jk->...ik", N(2, 3, 4), N(4, 5), id="einsum-ellipsis"),
    Row(np.einsum, "bij,bjk", N(2, 3, 4), N(2, 4, 5), id="einsum-implicit"),
    Row(np.einsum, "ij,jk,kl->il", N(2, 3), N(3, 4), N(4, 2), id="einsum-three"),
    Row(np.einsum, "i,j->ij", N(3), N(4), id="einsum-outer"),
    Row(np.einsum, "ijk->kij", N(2, 3, 4), id="einsum-transpose"),
    Row(np.einsum, "...i,...i->...", N(3, 1, 4), N(5, 4), id="einsum-broadcast"),
    Row(np.einsum, "iij->j", N(3, 3, 2), id="einsum-diag-sum"),
    Row(np.kron, N(2, 3), N(3, 2)),
    Row(np.kron, N(3), N(2, 2), id="kron-mixed"),
    Row(np.cross, N(4, 3), N(3)),
    Row(np.cross, N(3, 4), N(4, 3), kw={"axisa": 0, "axisb": 1}, id="cross-axes"),
    Row(np.cross, N(3, 5), N(3, 5), kw={"axis": 0}, id="cross-axis"),
    Row(np.linalg.cross, N(5, 3), N(5, 3)),
    *[
        Row(np.convolve, N(na), N(nv), kw={"mode": m}, id=f"convolve-{m}-{na}-{nv}")
        for m in ("full", "same", "valid")
        for na, nv in ((5, 3), (3, 6), (4, 2))
    ],
    *[
        Row(np.correlate, N(na), N(nv), kw={"mode": m}, id=f"correlate-{m}-{na}-{nv}")
        for m in ("full", "same", "valid")
        for na, nv in ((5, 3), (3, 6), (4, 2))
    ],
]

LINALG = [
    Row(np.linalg.det, WELL(3, 3)),
    Row(np.linalg.det, WELL(2, 3, 3), id="linalg.det-batched"),
    Row(np.linalg.slogdet, WELL(3, 3)),
    Row(np.linalg.slogdet, WELL(2, 3, 3), sparse=[0], id="linalg.slogdet-placeholder"),
    Row(np.linalg.inv, WELL(3, 3)),
    Row(np.linalg.inv, WELL(2, 3, 3), id="linalg.inv-batched"),
    Row(np.linalg.solve, WELL(3, 3), N(3)),
    Row(np.linalg.solve, WELL(3, 3), N(3, 2), id="linalg.solve-matrix"),
    Row(np.linalg.solve, WELL(2, 3, 3), N(3), id="linalg.solve-batched-vector"),
    Row(np.linalg.solve, WELL(2, 3, 3), N(3, 2), id="linalg.solve-broadcast"),
    # cholesky/eigh/eigvalsh read one triangle: finite differences of the plain
    # function (no symmetrisation) see zero gradient on the other one
    Row(np.linalg.cholesky, SPD(3, 3)),
    Row(np.linalg.cholesky, SPD(2, 3, 3), kw={"upper": True}, id="linalg.cholesky-upper"),
    Row(np.linalg.eigh, SYM(3, 3), sparse=[1], id="linalg.eigh-values"),
    Row(np.linalg.eigh, SYM(3, 3), id="linalg.eigh"),
    Row(np.linalg.eigh, SYM(2, 3, 3), kw={"UPLO": "U"}, id="linalg.eigh-upper"),
    Row(np.linalg.eigvalsh, SYM(2, 3, 3)),
    Row(np.linalg.eigvalsh, SYM(3, 3), kw={"UPLO": "U"}, id="linalg.eigvalsh-upper"),
    Row(np.linalg.pinv, N(4, 3)),
    Row(np.linalg.pinv, N(3, 5), id="linalg.pinv-wide"),
]

SHAPES = [
    Row(np.reshape, N(3, 4), (2, 6)),
    Row(np.reshape, N(3, 4), (2, 6), kw={"order": "F"}, id="reshape-F"),
    Row(np.ravel, N(3, 4)),
    Row(np.ravel, N(3, 4), kw={"order": "F"}, id="ravel-F"),
    Row(np.squeeze, N(3, 1, 4)),
    Row(np.squeeze, N(3, 1, 1), kw={"axis": 1}, id="squeeze-axis"),
    Row(np.expand_dims, N(3, 4), (0, 2)),
    Row(np.atleast_1d, N()),
    Row(np.atleast_2d, N(3)),
    Row(np.atleast_3d, N(3, 4)),
    Row(np.atleast_1d, N(), N(2, 2), id="atleast_1d-many"),
    Row(np.transpose, N(2, 3, 4)),
    Row(np.transpose, N(2, 3, 4), (1, 2, 0), id="transpose-axes"),
    Row(np.permute_dims, N(2, 3, 4), (2, 0, 1)),
    Row(np.matrix_transpose, N(2, 3, 4)),
    Row(np.linalg.matrix_transpose, N(3, 4)),
    Row(np.swapaxes, N(2, 3, 4), 0, 2),
    Row(np.moveaxis, N(2, 3, 4), 0, -1),
    Row(np.moveaxis, N(2, 3, 4), (0, 1), (2, 0), id="moveaxis-many"),
    Row(np.rollaxis, N(2, 3, 4), 2),
    Row(np.rollaxis, N(2, 3, 4), 0, 2, id="rollaxis-start"),
    Row(np.broadcast_to, N(3, 1), (2, 3, 4)),
    Row(np.broadcast_arrays, N(3, 1), N(4)),
    Row(np.copy, N(3, 4)),
    Row(np.concatenate, [N(2, 3), N(4, 3)]),
    Row(np.concatenate, (N(2, 3), N(2, 1)), kw={"axis": 1}, id="concatenate-axis1"),
    Row(np.concatenate, [N(2, 3), N(4)], kw={"axis": None}, id="concatenate-flat"),
    Row(np.concat, [N(2), N(3)]),
    Row(np.stack, [N(2, 3), N(2, 3)], kw={"axis": 1}),
    Row(np.hstack, [N(2), N(3)]),
    Row(np.hstack, (N(2, 2), N(2, 3)), id="hstack-2d"),
    Row(np.vstack, [N(3), N(2, 3)]),
    Row(np.dstack, [N(3), N(3)]),
    Row(np.dstack, [N(2, 3), N(2, 3, 2)], id="dstack-3d"),
    Row(np.column_stack, [N(3), N(3, 2)]),
    Row(np.append, N(2, 3), N(4)),
    Row(np.append, N(2, 3), N(1, 3), kw={"axis": 0}, id="append-axis"),
    Row(np.split, N(6, 4), 3),
    Row(np.split, N(3, 6), [1, 4], kw={"axis": 1}, id="split-indices"),
    Row(np.split, N(6, 4), 3, sparse=[1], id="split-placeholder"),
    Row(np.array_split, N(7), 3),
    Row(np.hsplit, N(3, 4), 2),
    Row(np.vsplit, N(4, 3), 2),
    Row(np.dsplit, N(2, 2, 4), 2),
    Row(np.tile, N(2, 3), (2, 1, 2)),
    Row(np.tile, N(3), 2, id="tile-int"),
    Row(np.repeat, N(3, 4), 2, kw={"axis": 1}),
    Row(np.repeat, N(3, 4), [1, 0, 2], kw={"axis": 0}, id="repeat-array"),
    Row(np.repeat, N(2, 2), 3, id="repeat-flat"),
    Row(np.flip, N(3, 4)),
    Row(np.flip, N(3, 4), 1, id="flip-axis"),
    Row(np.fliplr, N(3, 4)),
    Row(np.flipud, N(3, 4)),
    Row(np.roll, N(3, 4), 2),
    Row(np.roll, N(3, 4), (1, -1), (0, 1), id="roll-axes"),
    Row(np.rot90, N(3, 4)),
    Row(np.rot90, N(2, 3, 4), 3, (1, 2), id="rot90-axes"),
    Row(np.diag, N(3), 1),
    Row(np.diag, N(3, 4), -1, id="diag-extract"),
    Row(np.diagflat, N(2, 2), 1),
    Row(np.diagonal, N(3, 4), 1),
    Row(np.diagonal, N(2, 3, 4), -1, 1, 2, id="diagonal-axes"),
    Row(np.linalg.diagonal, N(2, 4, 3)),
    Row(np.tril, N(3, 4)),
    Row(np.triu, N(3, 4), 1),
    Row(np.pad, N(3, 4), ((1, 2), (0, 1))),
    Row(np.pad, N(3, 4), 1, kw={"constant_values": F()}, id="pad-constant-values"),
    *[
        Row(np.pad, N(3, 4), ((2, 1), (1, 3)), kw={"mode": m}, id=f"pad-{m}")
        for m in ("edge", "reflect", "symmetric", "wrap")
    ],
    Row(np.take, N(5), [0, 2, 2, 4]),
    Row(np.take, N(3, 4), [[0, 1], [1, 1]], kw={"axis": 1}, id="take-axis"),
    Row(np.take, N(5), [5, -1, 7], kw={"mode": "wrap"}, id="take-wrap"),
    Row(np.take_along_axis, N(3, 4), np.array([[0, 0], [3, 1], [2, 2]]), kw={"axis": 1}),
    Row(
        np.take_along_axis, N(6), np.array([5, 0, 0]), kw={"axis": None}, id="take_along_axis-flat"
    ),
    Row(np.sort, N(3, 4)),
    Row(np.sort, N(3, 4), kw={"axis": 0}, id="sort-axis0"),
    Row(np.sort, N(3, 4), kw={"axis": None}, id="sort-flat"),
]
if hasattr(np, "unstack"):
    SHAPES.append(Row(np.unstack, N(3, 4), kw={"axis": 1}))

METHOD_ROWS = [
    Row(method_reshape, N(3, 4), 2, 6, id="method-reshape-ints"),
    Row(method_reshape, N(3, 4), (6, 2), id="method-reshape-tuple"),
    Row(method_transpose, N(2, 3, 4), id="method-transpose"),
    Row(method_transpose, N(2, 3, 4), 1, 0, 2, id="method-transpose-ints"),
    Row(method_flatten, N(3, 4), id="method-flatten"),
    Row(method_astype, N(3, 4), np.float64, id="method-astype"),
    Row(method_clip, N(3, 4), -0.5, 0.5, id="method-clip"),
    Row(method_item, N(1, 1), id="method-item"),
    Row(method_item, N(2, 3), 4, id="method-item-index"),
]

ARITHMETIC = [
    Row(operator.add, N(3, 1), N(4)),
    Row(operator.sub, N(3, 4), N(4)),
    Row(operator.mul, N(3, 1), N(4)),
    Row(operator.truediv, N(3, 4), P(4)),
    Row(operator.neg, N(3)),
    Row(operator.pos, N(3)),
    Row(operator.pow, P(3, 4), N(4)),
    Row(operator.matmul, N(3, 4), N(4, 2)),
    Row(operator.mod, N(3, 4), G1(4)),
    Row(np.add, N(3), N(3)),
    Row(np.subtract, N(3), F()),
    Row(np.multiply, N(3), N(3)),
    Row(np.divide, N(3), P(3)),
    Row(np.negative, N(3)),
    Row(np.positive, N(3)),
    Row(np.power, P(3), N(3)),
    Row(np.matmul, N(4), N(4, 3)),
    Row(np.remainder, N(3), G1(3)),
]

ROWS = ELEMENTWISE + MATH + BUILTINS + REDUCTIONS + PRODUCTS + LINALG + SHAPES + METHOD_ROWS
ROWS += ARITHMETIC


# ---------------------------------------------------------------------------
# Forward rules of the runtime helpers that adjoints call (forward over reverse).
# Helpers declared linear in ``g`` are checked in ``g`` with constant other
# arguments (K); the others in every argument, taken as independent inputs.


def K(*shape, seed=0):
    """A constant (not differentiated) array."""
    return np.random.default_rng(seed + sum(shape)).normal(size=shape)


def LOWER(n):
    def make(r):
        return np.tril(r.normal(size=(n, n)), -1) + np.diag(r.uniform(1.0, 2.0, size=n))

    return Gen(make, f"LOWER({n})")


eig_w = C([-1.0, 0.5, 2.0])
HELPER_ROWS = [
    Row(rt.abs_deriv_adjoint, N(3, 4), K(3, 4)),
    Row(rt.fold_triangle, N(2, 3, 3)),
    Row(rt.fold_triangle, N(3, 3), "U", id="fold_triangle-upper"),
    Row(rt.mirror_triangle, N(3, 3), "U"),
    Row(
        rt.einsum_first_adjoint,
        N(3, 2),
        N(3, 4),
        ((0, 1), K(4, 2), (1, 2), (0, 2)),
        wrt=[0, 1],
        id="einsum_first_adjoint-sublists",
    ),
    # linear in g
    Row(rt.pick_adjoint, N(3, 4), K(3, 4), K(4), K(3, 4)),
    Row(rt.imag_adjoint, N(3), K(3)),
    Row(rt.masked, N(3, 4), mask34),
    Row(rt.stack_copy, N(3, 4)),
    Row(rt.stack_copy, N(), id="stack_copy-0d"),
    Row(rt.mean_adjoint, N(3), K(3, 4), 1),
    Row(rt.mean_adjoint, N(3, 1), K(3, 4), 1, True),
    Row(rt.cumsum_adjoint, N(3, 4), K(3, 4), 1),
    Row(rt.cumulative_sum_adjoint, N(3, 5), K(3, 4), 1, True),
    Row(rt.trace_adjoint, N(2), K(2, 3, 3), 0, 1, 2),
    Row(rt.diff_adjoint, N(3, 4), K(3, 5)),
    Row(rt.var_weights, N(3, 4), 1),
    Row(rt.transpose_adjoint, N(3, 4, 2), (1, 0, 2)),
    Row(rt.rollaxis_adjoint, N(4, 2, 3), K(2, 3, 4), 2),
    Row(rt.unravel, N(12), K(3, 4)),
    Row(rt.atleast_adjoint, N(1, 3), (K(3),)),
    Row(rt.concatenate_adjoint, N(5, 3), [K(2, 3), K(3, 3)], 0),
    Row(rt.stack_adjoint, N(2, 3), [K(3), K(3)], 0),
    Row(rt.stack_family_adjoint, N(5), [K(2), K(3)], "h"),
    Row(rt.split_adjoint, [N(2, 4), N(2, 4)], [K(2, 4), K(2, 4)], 0),
    Row(rt.unstack_adjoint, (N(3), N(3)), (K(3), K(3)), 0),
    Row(rt.tile_adjoint, N(4, 3), K(2, 3), (2, 1)),
    Row(rt.repeat_adjoint, N(3, 8), K(3, 4), 2, 1),
    Row(rt.broadcast_arrays_adjoint, (N(3, 4), N(3, 4)), (K(3, 1), K(4))),
    Row(rt.diagonal_adjoint, N(3), K(3, 4)),
    Row(rt.diag_adjoint, N(3, 3), K(3)),
    Row(rt.pad_adjoint, N(5, 6), K(3, 4), 1, "edge"),
    Row(rt.pad_constant_adjoint, N(5, 6), K(3, 4), 1),
    Row(rt.take_adjoint, N(3), K(5), [0, 2, 2]),
    Row(rt.take_along_axis_adjoint, N(3, 2), K(3, 4), np.array([[0, 1], [3, 3], [2, 0]]), 1),
    Row(rt.sort_adjoint, N(3, 4), K(3, 4)),
    Row(rt.append_adjoint, N(7), K(2, 2), K(3), None, 1),
    Row(rt.builtin_sum_adjoint, N(3), [K(3), K(3)]),
    Row(rt.builtin_extremum_adjoint, F(), 0.5, (0.5, 0.1)),
    Row(rt.scalar_adjoint, F(), K()),
    Row(rt.item_adjoint, F(), K(2, 3), (4,)),
    Row(rt.cast_like, N(3), K(3)),
    Row(rt.mT, N(2, 3, 4)),
    # nonlinear
    Row(rt.sinc_deriv, N(3, 4)),
    Row(rt.log_base, F(2, 3)),
    Row(rt.first_given, None, N(3)),
    Row(rt.hypot_adjoint, F(), F(1, 2), (F(), F())),
    Row(rt.prod_weights, P(3, 4), 1),
    Row(rt.prod_weights, with_zeros, 1, id="prod_w-zeros"),
    Row(rt.prod_weights, with_zeros, id="prod_w-zeros-flat"),
    Row(rt.nanprod_weights, with_nans, 1),
    Row(rt.std_weights, N(3, 4), P(3), 1),
    Row(rt.norm_weights, N(6), P(), 3),
    Row(rt.norm_weights, N(6), P(), id="norm_w-2"),
    Row(rt.norm_weights, N(3, 4), P(), "fro", id="norm_w-fro"),
    *[
        Row(rt.norm_weights, N(*shape), P(), o, id=f"norm_w-{o}-{shape}", wrt=[0])
        for o in ("nuc", 2, -2)
        for shape in ((3, 4), (4, 3), (3, 3))
    ],
    Row(rt.norm_weights, N(2, 3, 4), P(3), "nuc", (0, 2), wrt=[0], id="norm_w-nuc-axes"),
    Row(rt.cumprod_adjoint, N(3, 4), P(3, 4), P(3, 4), 1),
    Row(rt.cumulative_prod_adjoint, N(3, 5), P(3, 4), P(3, 5), 1, True),
    Row(rt.average_adjoint, N(3), N(3, 4), 1, P(4), False, False, "a"),
    Row(rt.average_adjoint, N(3), N(3, 4), 1, P(4), False, False, "weights", id="avg_w"),
    Row(
        rt.average_adjoint,
        (N(4), N(4)),
        N(3, 4),
        0,
        P(3, 4),
        True,
        False,
        "weights",
        id="avg-returned",
    ),
    Row(rt.average_adjoint, N(3), N(3, 4), 1, id="avg-plain"),
    *[
        Row(f, N(3, 5), N(3, 4), N(4, 5), w, id=f"{f.__name__}-{w}")
        for f in (rt.dot_adjoint,)
        for w in (0, 1)
    ],
    *[
        Row(rt.inner_adjoint, N(3, 5), N(3, 4), N(5, 4), w, id=f"inner_adjoint-{w}")
        for w in (0, 1)
    ],
    *[Row(rt.outer_adjoint, N(3, 4), N(3), N(2, 2), w, id=f"outer_adjoint-{w}") for w in (0, 1)],
    *[Row(rt.kron_adjoint, N(6, 6), N(2, 3), N(3, 2), w, id=f"kron_adjoint-{w}") for w in (0, 1)],
    *[
        Row(
            rt.tensordot_adjoint,
            N(3, 2),
            N(3, 4, 5),
            N(4, 5, 2),
            2,
            w,
            id=f"tensordot_adjoint-{w}",
        )
        for w in (0, 1)
    ],
    *[
        Row(
            rt.cross_adjoint,
            N(4, 3),
            N(4, 3),
            N(4, 3),
            -1,
            -1,
            -1,
            None,
            w,
            id=f"cross_adjoint-{w}",
        )
        for w in (0, 1)
    ],
    *[
        Row(rt.convolve_adjoint, N(7), N(5), N(3), "full", w, id=f"convolve_adjoint-{w}")
        for w in (0, 1)
    ],
    *[
        Row(rt.correlate_adjoint, N(5), N(5), N(3), "same", w, id=f"correlate_adjoint-{w}")
        for w in (0, 1)
    ],
    Row(rt.vecdot_adjoint, N(3), N(3, 4)),
    Row(rt.einsum_adjoint, N(3, 2), "ij,jk->ik", (N(3, 4), N(4, 2))),
    Row(rt.einsum_adjoint, N(3), "ii->i", (N(3, 3),), id="einsum_adjoint-diag"),
    Row(rt.det_adjoint, N(), WELL(3, 3), N()),
    Row(rt.slogdet_adjoint, (N(), N()), WELL(3, 3)),
    *[
        Row(rt.solve_adjoint, N(3), WELL(3, 3), K(3), N(3), w, id=f"solve_adjoint-{w}")
        for w in (0, 1)
    ],
    *[
        Row(
            rt.solve_adjoint,
            N(3, 2),
            WELL(3, 3),
            K(3, 2),
            N(3, 2),
            w,
            id=f"solve_adjoint-matrix-{w}",
        )
        for w in (0, 1)
    ],
    Row(rt.cholesky_adjoint, N(3, 3), LOWER(3)),
    Row(rt.cholesky_adjoint, N(3, 3), LOWER(3), True, id="cholesky_adjoint-upper"),
    Row(rt.eigh_adjoint, (N(3), N(3, 3)), K(3, 3), (eig_w, N(3, 3))),
    Row(rt.eigvalsh_adjoint, N(3), SYM(3, 3), sym=1),
    Row(rt.pinv_adjoint, N(3, 4), N(4, 3), N(3, 4)),
    Row(rt.real_cotangent, N(3, 4)),
]
for _r in HELPER_ROWS:
    _r.vjp = False
    if _r.id == _name(_r.prim):
        _r.id = "rt." + _r.id


def _ids(rows):
    seen = {}
    out = []
    for r in rows:
        n = seen.get(r.id, 0)
        seen[r.id] = n + 1
        out.append(r.id if n == 0 else f"{r.id}-{n}")
    return out


def _rng(row):
    return np.random.default_rng(zlib.crc32(row.id.encode()))


def _cotangent(row, y, rng, dtype=np.float64):
    c = random_like(y, rng, dtype)
    if row.sparse:
        c = list(c)
        for i in row.sparse:
            c[i] = 0.0
        c = c if isinstance(y, list) else tuple(c)
    return c


def _assert_close(got, want, rtol, what):
    got = flat(got)
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6 * scale, err_msg=what)


# ---------------------------------------------------------------------------
# The checks


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_vjp_matches_finite_differences(row):
    rng = _rng(row)
    args, kw = row.make(rng)
    y = row.prim(*args, **kw)
    c = _cotangent(row, y, rng)
    grads = vjp(row.prim, args, kw, c, row.wrt)
    for key in row.wrt:
        x = get(args, kw, key)
        g = grads[key]
        assert g is not None, f"no gradient for argument {key!r}"
        if hasattr(x, "shape"):
            assert np.shape(g) == x.shape, f"gradient of {key!r} has shape {np.shape(g)}"
        want = fd_grad(row.prim, args, kw, c, key, row.transform())
        _assert_close(g, want, row.rtol, f"d/d[{key!r}]")


JVP_ROWS = [r for r in ROWS if r.jvp] + HELPER_ROWS


@pytest.mark.parametrize("row", JVP_ROWS, ids=_ids(JVP_ROWS))
def test_jvp_matches_finite_differences(row):
    rule = registry.lookup(row.prim)
    assert rule.tangent is not None or rule.linear is not None, "no forward rule"
    rng = _rng(row)
    args, kw = row.make(rng)
    tangents = {key: row.direction(key, random_like(get(args, kw, key), rng)) for key in row.wrt}
    t = jvp(row.prim, args, kw, tangents)
    want = fd_jvp(row.prim, args, kw, tangents, row.transform())
    got = flat(t)
    assert got.shape == want.shape, f"tangent has {got.size} entries, expected {want.size}"
    _assert_close(got, want, row.rtol, "tangent")


MULTI = [(r, k) for r in JVP_ROWS if len(r.wrt) > 1 for k in r.wrt]


@pytest.mark.parametrize(
    "row,key", MULTI, ids=_ids([Row(r.prim, id=f"{r.id}-{k}") for r, k in MULTI])
)
def test_jvp_with_one_active_input(row, key):
    """The other inputs are inactive: their zero tangents are folded, as the compiler does."""
    rng = _rng(row)
    args, kw = row.make(rng)
    t = row.direction(key, random_like(get(args, kw, key), rng))
    got = flat(jvp(row.prim, args, kw, {key: t}))
    want = fd_jvp(row.prim, args, kw, {key: t}, row.transform())
    assert got.shape == want.shape, f"tangent has {got.size} entries, expected {want.size}"
    _assert_close(got, want, row.rtol, "tangent")


def _to32(x):
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x.astype(np.float32)
    if isinstance(x, list):
        return [_to32(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_to32(v) for v in x)
    return x


F32_ROWS = [
    r
    for r in ROWS
    if r.f32
    and any(isinstance(a, Gen) and "F(" not in a.desc for a in r.args + list(r.kw.values()))
]


@pytest.mark.parametrize("row", F32_ROWS, ids=_ids(F32_ROWS))
def test_float32_stays_float32(row):
    rng = _rng(row)
    args64, kw64 = row.make(rng)
    args = [_to32(a) for a in args64]
    kw = {k: _to32(v) for k, v in kw64.items()}
    y = row.prim(*args, **kw)
    c = _cotangent(row, y, rng, np.float32)
    grads = vjp(row.prim, args, kw, c, row.wrt)
    for key in row.wrt:
        x, g = get(args, kw, key), grads[key]
        for xi, gi in zip(
            x if isinstance(x, (list, tuple)) else [x], g if isinstance(x, (list, tuple)) else [g]
        ):
            if isinstance(xi, np.ndarray):
                assert np.asarray(gi).dtype == np.float32, f"d/d[{key!r}] is {gi.dtype}"
    if row.jvp:
        tangents = {key: _to32(random_like(get(args64, kw64, key), rng)) for key in row.wrt}
        t = jvp(row.prim, args, kw, tangents)
        for ti, yi in zip(
            t if isinstance(t, (list, tuple)) else [t], y if isinstance(y, (list, tuple)) else [y]
        ):
            if isinstance(ti, np.ndarray) and np.asarray(yi).dtype.kind == "f":
                assert ti.dtype == np.asarray(yi).dtype, f"tangent is {ti.dtype}"


def test_python_float_arguments_give_scalars():
    g = vjp(np.sin, [0.3], {}, 1.0, [0])[0]
    assert np.ndim(g) == 0 and abs(float(g) - math.cos(0.3)) < 1e-12
    g = vjp(math.exp, [0.3], {}, 2.0, [0])[0]
    assert abs(float(g) - 2 * math.exp(0.3)) < 1e-12
    g = vjp(np.maximum, [0.3, np.array([0.1, 0.5])], {}, np.ones(2), [0])[0]
    assert np.ndim(g) == 0 and float(g) == 1.0


def test_tie_conventions_split_evenly():
    x = np.array([1.0, 3.0, 3.0])
    g = vjp(np.max, [x], {}, 1.0, [0])[0]
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5])
    g = vjp(np.maximum, [x, np.array([1.0, 0.0, 4.0])], {}, np.ones(3), [0])[0]
    np.testing.assert_array_equal(g, [0.5, 1.0, 0.0])
    g = vjp(max, [2.0, 2.0, 1.0], {}, 1.0, [0, 1, 2])
    assert [g[0], g[1], g[2]] == [0.5, 0.5, 0.0]


def test_split_accepts_placeholder_pieces():
    x = np.arange(6.0)
    g = vjp(np.split, [x, 3], {}, [0.0, np.ones(2), 0.0], [0])[0]
    np.testing.assert_array_equal(g, [0, 0, 1, 1, 0, 0])


# ---------------------------------------------------------------------------
# Structure of the registry


# The rule families the compiler inlines (the tape-only families keep their own tests).
FAMILIES = {
    "srcad.rules." + m
    for m in (
        "arithmetic",
        "numpy_elementwise",
        "numpy_reductions",
        "numpy_shape",
        "numpy_linalg",
        "builtins_and_methods",
        "runtime_rules",
    )
}


# The families this table covers row by row (and their helpers' forward rules).
COVERED = {
    "srcad.rules." + m
    for m in (
        "arithmetic",
        "numpy_elementwise",
        "numpy_reductions",
        "numpy_shape",
        "numpy_linalg",
        "builtins_and_methods",
    )
}


def _family_rules(families=FAMILIES):
    return [
        r
        for r in registry.all_rules()
        if any(t is not None and t.fn.__module__ in families for t in (r.adjoint, r.tangent))
    ]


def _templates(families=FAMILIES):
    out = []
    for rule in _family_rules(families):
        for tpl in (rule.adjoint, rule.tangent):
            if tpl is not None and all(t is not tpl for t in out):
                out.append(tpl)
    return out


@pytest.mark.parametrize(
    "tpl", _templates(), ids=lambda t: f"{t.kind}:{t.fn.__module__}:{t.fn.__code__.co_firstlineno}"
)
def test_template_uses_only_allowed_names_and_statements(tpl):
    fdef = tpl.tree
    allowed = {tpl.result, "d", "np", "_rt", *tpl.params, *dir(builtins)}
    for stmt in fdef.body:
        assert isinstance(stmt, gast.Assign) and len(stmt.targets) == 1, (
            f"only single assignments in a template, got {type(stmt).__name__}"
        )
        target = stmt.targets[0]
        name = registry.d_target(target)
        if name is None:
            assert isinstance(target, gast.Name), "temporaries must be plain names"
            allowed.add(target.id)
        elif tpl.kind == "adjoint":
            assert name in tpl.params, f"d[{name}] is not a parameter"
        else:
            assert name == tpl.result, "a tangent template assigns d[result] only"
    forbidden = (
        gast.Lambda,
        gast.ListComp,
        gast.SetComp,
        gast.DictComp,
        gast.GeneratorExp,
        gast.FunctionDef,
        gast.If,
        gast.IfExp,
        gast.For,
        gast.While,
        gast.Return,
    )
    for node in gast.walk(gast.Module(body=fdef.body, type_ignores=[])):
        assert not isinstance(node, forbidden), f"{type(node).__name__} in a template"
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            assert node.id in allowed, f"template reads {node.id!r}"
        if (
            isinstance(node, gast.Subscript)
            and isinstance(node.value, gast.Name)
            and (node.value.id == "d")
        ):
            assert registry.d_target(node) in {tpl.result, *tpl.params}


def test_every_rule_compiles_for_the_tape():
    for rule in registry.all_rules():
        if rule.adjoint is not None:
            assert callable(registry.backward_fn(rule.prim)), rule


def test_every_differentiable_rule_has_a_forward_rule():
    missing = [
        r
        for r in _family_rules()
        if r.adjoint is not None and r.tangent is None and r.linear is None
    ]
    assert not missing


def _generated():
    """Primitives with an entry in the generated table (tests/rules/specs.py)."""
    from rules import specs  # noqa: PLC0415  (specs imports this module)

    return {id(registry.lookup(k).prim) for k in specs.SPECS if registry.lookup(k)}


def test_every_differentiable_rule_is_in_the_table():
    tested = {id(r.prim) for r in ROWS} | _generated()
    missing = [
        r for r in _family_rules(COVERED) if r.adjoint is not None and id(r.prim) not in tested
    ]
    assert not missing, f"rules without a test row: {missing}"


def _helpers_called(kind):
    out = {}
    for tpl in _templates(COVERED):
        if tpl.kind != kind:
            continue
        for node in gast.walk(tpl.tree):
            if (
                isinstance(node, gast.Attribute)
                and isinstance(node.value, gast.Name)
                and node.value.id == "_rt"
                and callable(getattr(rt, node.attr))
            ):
                out.setdefault(node.attr, tpl)
    return out


def test_helpers_called_by_adjoints_have_forward_rules():
    """srcad.hvp differentiates adjoint code in forward mode: every helper it calls
    needs a tangent, a linear declaration, or a nondifferentiable one."""
    missing = []
    for name in _helpers_called("adjoint"):
        rule = registry.lookup(getattr(rt, name))
        if rule is None or not (rule.nondiff or rule.tangent or rule.linear):
            missing.append(name)
    assert not missing, f"helpers without a forward rule: {missing}"


def test_helper_forward_rules_are_in_the_table():
    tested = {id(r.prim) for r in HELPER_ROWS + JVP_ROWS} | _generated()
    missing = []
    for name in _helpers_called("adjoint"):
        rule = registry.lookup(getattr(rt, name))
        if not rule.nondiff and name not in _LEAD_HELPERS and id(rule.prim) not in tested:
            missing.append(name)
    assert not missing, f"helper forward rules without a test row: {missing}"


# helpers whose forward rules live in runtime_rules.py (tested with the runtime)
_LEAD_HELPERS = {
    "expand_reduced",
    "sum_to_like",
    "unbroadcast",
    "add",
    "add_at",
    "getitem_adj",
    "setitem_adj",
    "index_value",
    "matmul_adjoint_a",
    "matmul_adjoint_b",
    "log_or_zero",
}


def test_methods_and_attributes_map_to_registered_primitives():
    for table in (METHODS, ATTRIBUTES):
        for name, prim in table.items():
            rule = registry.lookup(prim)
            assert rule is not None and (rule.adjoint is not None or rule.nondiff), name
    for name in ("sum", "mean", "reshape", "transpose", "max", "min", "astype", "clip", "dot"):
        assert name in METHODS
    for name in ("T", "real", "imag", "shape", "ndim", "size", "dtype"):
        assert name in ATTRIBUTES
    assert registry.lookup(ATTRIBUTES["shape"]).nondiff


def test_method_wrappers_match_the_methods():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(method_reshape(x, 2, 6), x.reshape(2, 6))
    np.testing.assert_array_equal(method_reshape(x, (2, 6)), x.reshape((2, 6)))
    np.testing.assert_array_equal(method_transpose(x), x.transpose())
    np.testing.assert_array_equal(method_transpose(x[None], 2, 0, 1), x[None].transpose(2, 0, 1))
    np.testing.assert_array_equal(method_flatten(x, "F"), x.flatten("F"))
    np.testing.assert_array_equal(method_clip(x, 2, 5), x.clip(2, 5))
    assert method_item(x, 5) == x.item(5)
    assert method_astype(x, np.float32).dtype == np.float32


def test_at_least_120_differentiable_primitives():
    n = sum(1 for r in registry.all_rules() if r.adjoint is not None)
    assert n >= 120, n


# ---------------------------------------------------------------------------
# Device arrays: every rule keeps CuPy-like arrays on the device


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_adjoints_keep_device_arrays_on_the_device(row):
    rng = _rng(row)
    args, kw = row.make(rng)
    c = _cotangent(row, row.prim(*args, **kw), rng)
    want = vjp(row.prim, args, kw, c, row.wrt)
    dargs = strict.to_device(args)
    dkw = {k: strict.to_device(v) for k, v in kw.items()}
    got = vjp(row.prim, dargs, dkw, strict.to_device(c), row.wrt)
    for key in row.wrt:
        assert strict.on_device(got[key]), f"d/d[{key!r}] left the device: {type(got[key])}"
        np.testing.assert_allclose(
            flat(strict.to_host(got[key])), flat(want[key]), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("row", JVP_ROWS, ids=_ids(JVP_ROWS))
def test_tangents_keep_device_arrays_on_the_device(row):
    rng = _rng(row)
    args, kw = row.make(rng)
    tangents = {key: row.direction(key, random_like(get(args, kw, key), rng)) for key in row.wrt}
    want = jvp(row.prim, args, kw, tangents)
    got = jvp(
        row.prim,
        strict.to_device(args),
        {k: strict.to_device(v) for k, v in kw.items()},
        {k: strict.to_device(v) for k, v in tangents.items()},
    )
    assert strict.on_device(got), f"the tangent left the device: {type(got)}"
    np.testing.assert_allclose(flat(strict.to_host(got)), flat(want), rtol=1e-12, atol=1e-12)
