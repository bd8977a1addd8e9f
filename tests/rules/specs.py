"""Generator entries: for each registered primitive, how hypothesis draws a call of it.

A *spec* is a hypothesis strategy of :class:`Case` (positional arguments, keywords,
the keys of the arguments to differentiate).  Families with a regular signature
draw everything: shapes (0-d and empty included for elementwise functions),
broadcasting partners, axes, ``keepdims``, ``n``/``s``/``norm`` for the FFTs,
dtypes (float64 and float32; complex where NumPy takes it).  Irregular primitives
(linear algebra, shape functions, methods, the tape's torch-style operations)
reuse the hand-written rows of ``tests/test_rules_table.py`` and the rows below,
with hypothesis drawing the values' seed and the dtype.

Values are drawn from a NumPy generator seeded by hypothesis, from a per-primitive
*domain* that keeps them away from kinks and singularities (positive for ``log``
and ``sqrt``, ``|x| < 1`` for ``arcsin``, away from 0 for ``abs`` and division):
continuous random values never tie, so ``max``/``sort``/``median`` are smooth there.

``SPECS`` maps a primitive (``registry._key``) to its entries; ``OPTIONS`` holds
per-primitive switches (no source mode, no tape, second order, tolerance).  The
table test fails for any registered differentiable primitive without an entry.
"""

import math
import operator

import numpy as np
import test_rules_table as T
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srcad.runtime as rt
from srcad.rules import nn_ops, registry, tape_ops
from srcad.rules.builtins_and_methods import (
    method_astype,
    method_clip,
    method_flatten,
    method_get,
    method_item,
    method_reshape,
    method_transpose,
)


class Case:
    """One drawn call: ``prim(*args, **kw)``, differentiated in the keys ``wrt``."""

    def __init__(self, args, kw, wrt, transform=None, sparse=None, rtol=1e-5, label=""):
        self.args = list(args)
        self.kw = dict(kw)
        self.wrt = list(wrt)
        self.transform = transform
        self.sparse = sparse
        self.rtol = rtol
        self.label = label

    def __repr__(self):
        def show(v):
            if isinstance(v, np.ndarray):
                return f"array{v.shape}:{v.dtype}"
            if isinstance(v, (list, tuple)):
                return type(v).__name__ + "(" + ", ".join(show(x) for x in v) + ")"
            return repr(v)

        a = ", ".join(show(x) for x in self.args)
        k = ", ".join(f"{n}={show(v)}" for n, v in self.kw.items())
        return f"Case({self.label} {a}; {k}; wrt={self.wrt})"


SPECS = {}
OPTIONS = {}


def _add(prim, strategy, **options):
    key = registry._key(prim)
    SPECS.setdefault(key, []).append(strategy)
    if options:
        OPTIONS.setdefault(key, {}).update(options)


def options(prim):
    return OPTIONS.get(registry._key(prim), {})


# ---------------------------------------------------------------------------
# Values

DOMAINS = {
    "real": lambda r, s: r.normal(size=s),
    "pos": lambda r, s: r.uniform(0.5, 2.0, size=s),
    "unit": lambda r, s: r.uniform(-0.8, 0.8, size=s),
    "gt1": lambda r, s: r.uniform(1.2, 3.0, size=s),
    "away0": lambda r, s: r.choice([-1.0, 1.0], size=s) * r.uniform(0.3, 2.0, size=s),
    "small": lambda r, s: r.uniform(-1.2, 1.2, size=s),
}

seeds = st.integers(0, 2**32 - 1)
real_dtypes = st.sampled_from([np.float64, np.float32])
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
nonempty = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def value(rng, shape, domain, dtype=np.float64):
    return np.asarray(DOMAINS[domain](rng, shape)).astype(dtype)


def cvalue(rng, shape, domain="real"):
    """A complex array (real and imaginary parts from ``domain``)."""
    return value(rng, shape, domain) + 1j * value(rng, shape, domain)


# ---------------------------------------------------------------------------
# Elementwise: unary, binary with broadcasting, math scalars

UNARY = {
    np.exp: "real",
    rt.logistic: "real",
    rt.logistic_neg: "real",
    np.exp2: "real",
    np.expm1: "real",
    np.log: "pos",
    np.log2: "pos",
    np.log10: "pos",
    np.log1p: "pos",
    np.sqrt: "pos",
    np.cbrt: "pos",
    np.square: "real",
    np.reciprocal: "away0",
    np.sin: "real",
    np.cos: "real",
    np.tan: "unit",
    np.arcsin: "unit",
    np.arccos: "unit",
    np.arctan: "real",
    np.sinh: "real",
    np.cosh: "real",
    np.tanh: "real",
    np.arcsinh: "real",
    np.arccosh: "gt1",
    np.arctanh: "unit",
    np.absolute: "away0",
    np.fabs: "away0",
    np.sinc: "real",
    np.deg2rad: "real",
    np.radians: "real",
    np.rad2deg: "real",
    np.degrees: "real",
    np.nan_to_num: "real",
    np.real: "real",
    np.imag: "real",
    np.conjugate: "real",
    np.negative: "real",
    np.positive: "real",
    operator.neg: "real",
    operator.pos: "real",
    abs: "away0",
    np.copy: "real",
    np.angle: "away0",
    np.real_if_close: "real",
    rt.abs_deriv: "away0",
}
# holomorphic (or JAX-convention) rules that take complex arguments
COMPLEX_OK = {
    np.exp,
    np.sin,
    np.cos,
    np.square,
    np.negative,
    np.real,
    np.imag,
    np.conjugate,
    np.absolute,
    abs,
    np.angle,
    np.real_if_close,
    np.copy,
}
SECOND_ORDER = {
    np.exp,
    np.log,
    np.sqrt,
    np.square,
    np.reciprocal,
    np.sin,
    np.cos,
    np.tan,
    np.arcsin,
    np.arctan,
    np.tanh,
    np.sinh,
    np.arcsinh,
    np.absolute,
    np.log1p,
    np.expm1,
    np.cbrt,
    np.sinc,
}


def unary(prim, domain):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        shape = d(shapes)
        if prim in COMPLEX_OK and d(st.booleans()):
            x = cvalue(rng, shape, domain if domain != "unit" else "real")
        else:
            x = value(rng, shape, domain, d(real_dtypes))
        return Case([x], {}, [0], label="unary")

    return draw()


for _p, _dom in UNARY.items():
    _add(_p, unary(_p, _dom), second=_p in SECOND_ORDER)


BINARY = {
    np.add: ("real", "real"),
    np.subtract: ("real", "real"),
    np.multiply: ("real", "real"),
    np.divide: ("real", "away0"),
    np.true_divide: ("real", "away0"),
    np.power: ("pos", "real"),
    np.float_power: ("pos", "real"),
    np.remainder: ("real", "gt1"),
    np.mod: ("real", "gt1"),
    np.fmod: ("real", "gt1"),
    np.arctan2: ("real", "away0"),
    np.hypot: ("away0", "away0"),
    np.logaddexp: ("real", "real"),
    np.logaddexp2: ("real", "real"),
    np.maximum: ("real", "real"),
    np.minimum: ("real", "real"),
    np.fmax: ("real", "real"),
    np.fmin: ("real", "real"),
    np.copysign: ("away0", "away0"),
    operator.add: ("real", "real"),
    operator.sub: ("real", "real"),
    operator.mul: ("real", "real"),
    operator.truediv: ("real", "away0"),
    operator.pow: ("pos", "real"),
    operator.mod: ("real", "gt1"),
    rt.power_deriv: ("pos", "real"),
    rt.power_deriv_y: ("pos", "real"),
    rt.float_power_deriv: ("pos", "real"),
    rt.power_deriv2: ("pos", "real"),
    rt.float_power_deriv2: ("pos", "real"),
}
NOT_IN_SECOND = {np.copysign, np.fmod, np.remainder, np.mod, operator.mod}
ONLY_FIRST = {np.copysign: [0]}
COMPLEX_BINARY = {np.add, np.subtract, np.multiply, np.divide, operator.mul, operator.add}
# float_power computes in float64 whatever its inputs
F64_ONLY = {np.float_power, rt.float_power_deriv, rt.float_power_deriv2}


def binary(prim, doms):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        pair = d(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3))
        dtype = np.float64 if prim in F64_ONLY else d(real_dtypes)
        use_complex = prim in COMPLEX_BINARY and d(st.booleans())
        args = []
        for shape, dom in zip(pair.input_shapes, doms):
            if d(st.integers(0, 5)) == 0 and shape == ():
                args.append(float(value(rng, (), dom)))  # a Python float partner
            elif use_complex:
                args.append(cvalue(rng, shape, dom))
            else:
                args.append(value(rng, shape, dom, dtype))
        return Case(args, {}, ONLY_FIRST.get(prim, [0, 1]), label="binary")

    return draw()


for _p, _doms in BINARY.items():
    _add(_p, binary(_p, _doms), second=_p not in NOT_IN_SECOND)

MATH = {
    math.exp: "real",
    math.expm1: "real",
    math.log: "pos",
    math.log2: "pos",
    math.log10: "pos",
    math.log1p: "pos",
    math.sqrt: "pos",
    math.sin: "real",
    math.cos: "real",
    math.tan: "unit",
    math.asin: "unit",
    math.acos: "unit",
    math.atan: "real",
    math.sinh: "real",
    math.cosh: "real",
    math.tanh: "real",
    math.asinh: "real",
    math.acosh: "gt1",
    math.atanh: "unit",
    math.erf: "real",
    math.erfc: "real",
    math.fabs: "away0",
    math.degrees: "real",
    math.radians: "real",
    float: "real",
    np.float64: "real",
    np.float32: "real",
    np.float16: "real",
    np.complex128: "real",
    np.complex64: "real",
}
for _n in ("exp2", "cbrt"):
    if hasattr(math, _n):
        MATH[getattr(math, _n)] = "pos"
MATH_BINARY = {
    math.atan2: ("real", "away0"),
    math.copysign: ("away0", "away0"),
    math.fmod: ("real", "gt1"),
    math.pow: ("pos", "real"),
    pow: ("pos", "real"),
    math.log: ("pos", "gt1"),
}
# casts to a lower precision: finite differences need a step the format resolves
LOOSE = {np.float16: 1.0, np.float32: 1e-3, np.complex64: 1e-3}


def scalar(prim, doms):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        args = [float(value(rng, (), dom)) for dom in doms]
        wrt = [0] if prim is math.copysign else list(range(len(args)))
        return Case(args, {}, wrt, label="scalar")

    return draw()


for _p, _dom in MATH.items():
    _add(_p, scalar(_p, [_dom]), second=_p in (math.exp, math.sin, math.log))
    if _p in LOOSE:
        OPTIONS[registry._key(_p)].update(eps=LOOSE[_p], rtol=5e-2)
for _p, _doms in MATH_BINARY.items():
    _add(_p, scalar(_p, _doms))


@st.composite
def _hypot(d):
    rng = np.random.default_rng(d(seeds))
    n = d(st.integers(1, 4))
    return Case([float(v) for v in value(rng, (n,), "away0")], {}, list(range(n)))


_add(math.hypot, _hypot())


# ---------------------------------------------------------------------------
# Reductions: axis (None, int, tuple), keepdims


def axes_for(d, ndim, tuples=True):
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        if tuples:
            choices.append(
                st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
                    tuple
                )
            )
    return d(st.one_of(*choices))


REDUCE = {
    np.sum: ("real", True, True),
    np.mean: ("real", True, True),
    np.prod: ("pos", True, True),
    np.max: ("real", True, True),
    np.amax: ("real", True, True),
    np.min: ("real", True, True),
    np.amin: ("real", True, True),
    np.nanmax: ("real", True, True),
    np.nanmin: ("real", True, True),
    np.nansum: ("real", True, True),
    np.nanmean: ("real", True, True),
    np.nanprod: ("pos", True, True),
    np.ptp: ("real", True, True),
    np.var: ("real", True, True),
    np.std: ("real", True, True),
    np.median: ("real", True, True),
    np.linalg.vector_norm: ("away0", True, True),
}
REDUCE_SECOND = {np.sum, np.mean, np.prod, np.var, np.std}


def reduction(prim, dom, tuples, keep):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        shape = d(nonempty)
        x = value(rng, shape, dom, d(real_dtypes))
        kw = {}
        axis = axes_for(d, len(shape), tuples)
        if axis is not None or d(st.booleans()):
            kw["axis"] = axis
        if keep and d(st.booleans()):
            kw["keepdims"] = True
        if prim in (np.var, np.std) and d(st.booleans()):
            n = x.size if axis is None else int(np.prod([shape[a] for a in np.atleast_1d(axis)]))
            kw["ddof"] = d(st.integers(0, max(0, n - 1)))
        if prim in (np.nansum, np.nanmean, np.nanmax, np.nanmin, np.nanprod) and x.size > 1:
            x = x.copy()
            x.reshape(-1)[d(st.integers(0, x.size - 1))] = np.nan
        if prim is np.linalg.vector_norm and d(st.booleans()):
            kw["ord"] = d(st.sampled_from([1, 2, 3, np.inf, -np.inf, 0.5]))
        return Case([x], kw, [0], label="reduction")

    return draw()


for _p, (_dom, _tup, _keep) in REDUCE.items():
    _add(_p, reduction(_p, _dom, _tup, _keep), second=_p in REDUCE_SECOND)


def cumulative(prim, dom):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        shape = d(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
        x = value(rng, shape, dom, d(real_dtypes))
        kw = {}
        axis = d(st.integers(-len(shape), len(shape) - 1))
        if len(shape) > 1 or d(st.booleans()):
            kw["axis"] = axis
        elif prim in (np.cumsum, np.cumprod) and d(st.booleans()):
            kw["axis"] = None
        if prim in (np.cumulative_sum, np.cumulative_prod) and d(st.booleans()):
            kw["include_initial"] = True
        return Case([x], kw, [0], label="cumulative")

    return draw()


_add(np.cumsum, cumulative(np.cumsum, "real"))
_add(np.cumprod, cumulative(np.cumprod, "pos"))
if hasattr(np, "cumulative_sum"):
    _add(np.cumulative_sum, cumulative(np.cumulative_sum, "real"))
    _add(np.cumulative_prod, cumulative(np.cumulative_prod, "pos"))


@st.composite
def _diff(d):
    rng = np.random.default_rng(d(seeds))
    shape = d(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = value(rng, shape, "real", d(real_dtypes))
    axis = d(st.integers(-len(shape), len(shape) - 1))
    n = d(st.integers(0, 2))
    return Case([x], {"n": n, "axis": axis}, [0], label="diff")


_add(np.diff, _diff())


# ---------------------------------------------------------------------------
# FFT: n / s, axis / axes, norm, real and complex inputs

norms = st.sampled_from([None, "backward", "ortho", "forward"])
FFT1 = {np.fft.fft: True, np.fft.ifft: True, np.fft.rfft: False, np.fft.irfft: True}
FFTN = {
    np.fft.fftn: True,
    np.fft.ifftn: True,
    np.fft.fft2: True,
    np.fft.ifft2: True,
    np.fft.rfftn: False,
    np.fft.rfft2: False,
    np.fft.irfftn: True,
    np.fft.irfft2: True,
}


def fft1(prim, complex_ok):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        shape = d(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
        axis = d(st.integers(-len(shape), len(shape) - 1))
        if prim is np.fft.irfft and shape[axis] < 2:
            shape = list(shape)
            shape[axis] = 2
        cplx = complex_ok and d(st.booleans())
        x = cvalue(rng, shape) if cplx else value(rng, shape, "real", d(real_dtypes))
        kw = {"axis": axis, "norm": d(norms)}
        if d(st.booleans()):
            kw["n"] = d(st.integers(1, 6))
        return Case([x], kw, [0], label="fft")

    return draw()


def fftn(prim, complex_ok):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        two = prim in (np.fft.fft2, np.fft.ifft2, np.fft.rfft2, np.fft.irfft2)
        shape = d(hnp.array_shapes(min_dims=2 if two else 1, max_dims=3, min_side=2, max_side=4))
        nd = len(shape)
        kw = {"norm": d(norms)}
        if two:
            axes = [-2, -1]
            if d(st.booleans()) and nd == 3:
                axes = d(st.permutations(range(nd)))[:2]
                kw["axes"] = tuple(axes)
        else:
            axes = list(range(nd))
            if d(st.booleans()):
                axes = d(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
                kw["axes"] = tuple(axes)
        if d(st.booleans()):
            kw["s"] = tuple(d(st.integers(1, 5)) for _ in axes)
            if prim in (np.fft.irfftn, np.fft.irfft2, np.fft.rfftn, np.fft.rfft2):
                kw["s"] = kw["s"][:-1] + (max(2, kw["s"][-1]),)
        cplx = complex_ok and d(st.booleans())
        x = cvalue(rng, shape) if cplx else value(rng, shape, "real", d(real_dtypes))
        return Case([x], kw, [0], label="fftn")

    return draw()


for _p, _c in FFT1.items():
    _add(_p, fft1(_p, _c), second=True)
for _p, _c in FFTN.items():
    _add(_p, fftn(_p, _c))


@st.composite
def _shift(d, prim):
    rng = np.random.default_rng(d(seeds))
    shape = d(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    kw = {}
    if d(st.booleans()):
        kw["axes"] = axes_for(d, len(shape))
    return Case([value(rng, shape, "real", d(real_dtypes))], kw, [0], label="shift")


_add(np.fft.fftshift, _shift(np.fft.fftshift))
_add(np.fft.ifftshift, _shift(np.fft.ifftshift))


# ---------------------------------------------------------------------------
# Row-based entries: a fixed call structure, hypothesis draws the seed and dtype


_ROW_STRATEGIES = set()


def is_row(strategy):
    """True for an entry built from a hand-written row (a fixed call structure)."""
    return id(strategy) in _ROW_STRATEGIES


def from_row(row):
    strategy = _from_row(row)
    _ROW_STRATEGIES.add(id(strategy))
    return strategy


def _from_row(row):
    @st.composite
    def draw(d):
        rng = np.random.default_rng(d(seeds))
        args, kw = row.make(rng)
        if row.f32 and d(st.booleans()):
            args = [T._to32(a) for a in args]
            kw = {k: T._to32(v) for k, v in kw.items()}
        case = Case(args, kw, row.wrt, row.transform(), row.sparse, row.rtol, label=row.id)
        case.from_row = True
        return case

    return draw()


N, P, U, C, K, G1 = T.N, T.P, T.U, T.C, T.K, T.G1
SYM, SPD, WELL = T.SYM, T.SPD, T.WELL
Row = T.Row


def SEP(*shape):
    """Matrices with well separated singular values (and eigenvalues)."""

    def make(r):
        q1, _ = np.linalg.qr(r.normal(size=shape[:-1] + (shape[-2],)))
        q2, _ = np.linalg.qr(r.normal(size=shape[:-2] + (shape[-1], shape[-1])))
        k = min(shape[-2], shape[-1])
        s = np.arange(k, 0, -1) * 1.0 + r.uniform(0, 0.3, size=k)
        a = np.zeros(shape)
        a[..., range(k), range(k)] = s
        return q1 @ a @ q2

    return T.Gen(make, f"SEP{shape}")


def EIG(n):
    """A real matrix with distinct (real or complex) eigenvalues."""

    def make(r):
        v = r.normal(size=(n, n)) + 2 * np.eye(n)
        return v @ np.diag(np.arange(1.0, n + 1) * 1.5) @ np.linalg.inv(v)

    return T.Gen(make, f"EIG({n})")


def ROT(n):
    """A real matrix with a complex-conjugate pair of eigenvalues."""

    def make(r):
        v = r.normal(size=(n, n)) + 2 * np.eye(n)
        m = np.diag(np.arange(1.0, n + 1) * 1.5)
        m[0, 1], m[1, 0] = 1.0, -1.0
        return v @ m @ np.linalg.inv(v)

    return T.Gen(make, f"ROT({n})")


COND = [np.array([True, False, False, True]), np.array([False, True, False, True])]
EXTRA_ROWS = [
    Row(np.linspace, T.F(), T.F(1, 2), 5, id="linspace"),
    Row(np.linspace, N(2), N(3, 1), 4, kw={"endpoint": False, "axis": 1}, id="linspace-arrays"),
    Row(np.linspace, N(2), N(2), 3, kw={"axis": -1}, id="linspace-last-axis"),
    Row(np.linspace, T.F(), T.F(1, 2), 1, id="linspace-one"),
    Row(np.linspace, T.F(), T.F(1, 2), 0, id="linspace-empty"),
    Row(np.linspace, N(), N(), 5, kw={"retstep": True}, id="linspace-retstep"),
    Row(rt.r_concat, (N(2), N(3)), id="r_-two"),
    Row(rt.r_concat, (N(2), T.F(), N(1)), id="r_-scalar"),
    Row(rt.r_concat, (N(2, 3), N(1, 3)), id="r_-2d"),
    Row(rt.c_concat, (N(3), N(3)), id="c_-vectors"),
    Row(rt.c_concat, (N(3, 2), N(3)), id="c_-mixed"),
    Row(np.select, COND, [N(4), N(4)], N(4), id="select"),
    Row(np.select, COND, [N(4), N(1)], 0.5, id="select-broadcast"),
    Row(np.partition, N(6), 2),
    Row(np.partition, N(3, 5), (1, 3), kw={"axis": 1}, id="partition-axis"),
    Row(np.partition, N(2, 4), 0, kw={"axis": None}, id="partition-flat"),
    Row(np.gradient, N(5)),
    Row(np.gradient, N(4, 5), 0.5, id="gradient-spacing"),
    Row(np.gradient, N(4, 5), kw={"axis": 1, "edge_order": 2}, id="gradient-edge2"),
    Row(np.gradient, N(5), np.array([0.0, 0.5, 1.5, 2.0, 3.5]), id="gradient-coords"),
    Row(np.linalg.svd, SEP(4, 3), kw={"full_matrices": False}, id="svd-thin"),
    Row(np.linalg.svd, SEP(3, 3), id="svd-square"),
    Row(np.linalg.svd, SEP(2, 3, 4), kw={"compute_uv": False}, id="svd-values"),
    Row(np.linalg.svd, SEP(3, 5), kw={"full_matrices": False}, sparse=[0], id="svd-sparse"),
    Row(np.linalg.eigvals, EIG(3)),
    Row(np.linalg.eigvals, ROT(3), id="eigvals-complex"),
    Row(np.linalg.eig, EIG(3), sparse=[1], id="eig-values"),
    Row(np.linalg.eig, ROT(3), sparse=[1], id="eig-complex-values"),
    Row(np.einsum, N(2, 3), (0, 1), N(3, 4), (1, 2), (0, 2), id="einsum-sublists"),
    Row(np.einsum, N(2, 3), [0, 1], N(3), [1], id="einsum-sublists-implicit"),
    Row(np.array, N(3, 4), id="array"),
    Row(np.array, N(3), kw={"ndmin": 2}, id="array-ndmin"),
    Row(np.asarray, N(3, 4), id="asarray"),
    Row(np.asanyarray, N(2, 3), id="asanyarray"),
    Row(np.ascontiguousarray, N(2, 3), id="ascontiguousarray"),
    Row(np.asfortranarray, N(2, 3), id="asfortranarray"),
]
for _r in EXTRA_ROWS:
    if _r.id.startswith("einsum-sublists"):
        _r.f32 = False

NN_ROWS = [
    Row(nn_ops.softmax, N(3, 4)),
    Row(nn_ops.log_softmax, N(3, 4), kw={"axis": 0}),
    Row(nn_ops.linear, N(3, 4), N(2, 4), N(2)),
    Row(nn_ops.conv2d, N(1, 2, 4, 4), N(3, 2, 2, 2), N(3), kw={"stride": 1, "padding": 1}),
    Row(nn_ops.max_pool2d, N(1, 2, 4, 4), 2),
    Row(nn_ops.dropout, N(3, 4), np.array([[0.0, 2.0, 2.0, 0.0]] * 3)),
    Row(nn_ops.batch_norm_train, N(5, 3), P(3), N(3)),
    Row(nn_ops.batch_norm_eval, N(5, 3), K(3), K(3) ** 2 + 0.5, P(3), N(3), wrt=[0, 3, 4]),
    Row(nn_ops.nll_loss, N(4, 3), np.array([0, 2, 1, 2])),
    Row(nn_ops.cross_entropy, N(4, 3), np.array([0, 2, 1, 2])),
    Row(nn_ops.mse_loss, N(3, 4), N(3, 4)),
    Row(tape_ops.relu, U(3, 4)),
    Row(tape_ops.sigmoid, N(3, 4)),
    Row(tape_ops.clamp, N(3, 4), -0.5, 0.5),
    Row(tape_ops.extreme_dim, N(3, 4), 1),
    Row(tape_ops.getitem, N(3, 4), (slice(0, 2), 1)),
    Row(tape_ops.logsumexp, N(3, 4), 1),
    Row(tape_ops.to_dtype, N(3, 4), np.float64),
]

ROW_TABLES = T.ROWS + T.ARITHMETIC + EXTRA_ROWS + NN_ROWS
for _r in ROW_TABLES:
    if registry.lookup(_r.prim) is not None:
        _add(_r.prim, from_row(_r))

OPTIONS.setdefault(registry._key(np.linspace), {})["tape_refused_when"] = "retstep"
for _p in (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.unstack):
    OPTIONS.setdefault(registry._key(_p), {})["tape"] = "refused"
for _p in (np.broadcast_arrays, np.atleast_1d, np.average):
    OPTIONS.setdefault(registry._key(_p), {})["tape_refused_when"] = "tuple"
for _p in (
    np.dot,
    np.matmul,
    operator.matmul,
    np.einsum,
    np.linalg.det,
    np.linalg.inv,
    np.linalg.solve,
    np.tensordot,
    np.kron,
):
    OPTIONS.setdefault(registry._key(_p), {})["second"] = True

_ = (method_astype, method_clip, method_flatten, method_item, method_reshape, method_transpose)


# ---------------------------------------------------------------------------
# Forward rules of the new adjoint helpers (srcad.hvp runs adjoint code forward)


def CG(*shape):
    """A complex array."""
    return T.Gen(lambda r: r.normal(size=shape) + 1j * r.normal(size=shape), f"CG{shape}")


_A6 = K(6)
_A32 = K(3, 2) + np.array([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
_SVD32 = tuple(np.linalg.svd(_A32, full_matrices=False))
_A33 = K(3, 3) + np.diag([1.0, 3.0, 5.0])
HELPER_ROWS = [
    Row(rt.abs_jvp, N(3, 4), K(3, 4), wrt=[0]),
    Row(rt.abs_deriv_jvp, N(3), K(3), wrt=[0]),
    Row(rt.abs_deriv_jvp, CG(3), CG(3), wrt=[0], id="abs_deriv_jvp-complex"),
    Row(rt.abs_deriv, CG(3), id="abs_deriv-complex"),
    Row(rt.abs_deriv_adjoint, N(3), CG(3), wrt=[0], id="abs_deriv_adjoint-complex"),
    Row(rt.index_concat_adjoint, N(5), (K(2), K(3)), "r", wrt=[0]),
    Row(rt.index_concat_adjoint, N(3, 2), (K(3), K(3)), "c", wrt=[0], id="c_-adjoint"),
    Row(rt.select_adjoint, N(4), COND, [K(4), K(4)], K(4), "choicelist", wrt=[0]),
    Row(rt.partition_adjoint, N(6), _A6, np.partition(_A6, 2), wrt=[0]),
    Row(rt.gradient_adjoint, N(5), K(5), (), None, 1, wrt=[0]),
    Row(rt.real_if_close_adjoint, N(3), K(3), K(3), wrt=[0]),
    Row(rt.scalar_cast_adjoint, CG(3), K(3), wrt=[0]),
    Row(rt.scalar_cast_adjoint, N(3), CG(3), wrt=[0], id="scalar_cast_adjoint-complex"),
    Row(rt.linspace_adjoint, N(5), 1.0, 2.0, 5, wrt=[0]),
    Row(rt.angle_adjoint, N(3), CG(3)),
    Row(rt.angle_adjoint, N(3), K(3), id="angle_adjoint-real", wrt=[0]),
    Row(rt.fft_adjoint, N(4), K(4), wrt=[0]),
    Row(rt.fftn_adjoint, N(3, 4), K(3, 4), wrt=[0]),
    Row(rt.rfft_adjoint, N(3), K(4), wrt=[0]),
    Row(rt.irfft_adjoint, N(4), K(3), wrt=[0]),
    Row(rt.rfftn_adjoint, N(3, 3), K(3, 4), wrt=[0]),
    Row(rt.irfftn_adjoint, N(3, 4), K(3, 3), wrt=[0]),
    # second order through svd / eig is refused, openly
    Row(rt.svd_adjoint, (N(3, 2), N(2), N(2, 2)), _A32, _SVD32, False, wrt=[0]),
    Row(rt.eig_adjoint, (N(3), N(3, 3)), _A33, np.linalg.eig(_A33), wrt=[0]),
    Row(rt.eigvals_adjoint, N(3), _A33, wrt=[0]),
]
for _r in HELPER_ROWS:
    _r.f32 = False
    _add(_r.prim, from_row(_r), source=False)
for _p in (rt.svd_adjoint, rt.eig_adjoint, rt.eigvals_adjoint):
    OPTIONS[registry._key(_p)]["tangent_refused"] = True


# The tape follows PyTorch: math functions and float() on a tensor that requires
# grad raise (they would drop the gradient); several outputs are refused.
TAPE_REFUSES_SCALARS = [*MATH, *(p for p in MATH_BINARY if p is not pow), math.hypot, math.fsum]
for _p in TAPE_REFUSES_SCALARS:
    OPTIONS.setdefault(registry._key(_p), {})["tape"] = "refused"
# torch-style ops of the tape: reverse rules only (source-mode forward refuses them)
for _p in (
    tape_ops.clamp,
    tape_ops.extreme_dim,
    tape_ops.getitem,
    tape_ops.logsumexp,
    tape_ops.to_dtype,
):
    OPTIONS.setdefault(registry._key(_p), {})["fwd"] = False
# KNOWN ISSUE (reported to the lead): on the tape `tensor.item()` returns a Python
# number that silently drops the gradient (PyTorch semantics), so a numpy function
# using `.item()` gets a zero gradient in tape mode.
OPTIONS.setdefault(registry._key(method_item), {})["tape"] = "known-issue: item() drops grad"
# NumPy does not dispatch np.array/np.asarray to tensors: the tape refuses with
# PyTorch's numpy() error (issue 12 makes NumPy programs' arrays hold tensors)
for _p in (np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray):
    OPTIONS.setdefault(registry._key(_p), {})["tape"] = "refused"


@st.composite
def _dict_get(d):
    rng = np.random.default_rng(d(seeds))
    table = {"a": value(rng, (3,), "real"), "b": value(rng, (2, 3), "real")}
    key = d(st.sampled_from(["a", "b", "missing"]))
    default = value(rng, (3,), "real")
    return Case([table, key, default], {}, [0, 2], label="dict.get")


_add(method_get, _dict_get())
for _r in [
    Row(rt.dict_get_adjoint, N(3), {"a": K(3)}, ("a",), wrt=[0]),
    Row(rt.dict_get_default_adjoint, N(3), {"a": K(3)}, ("b", K(3)), wrt=[0]),
]:
    _r.f32 = False
    _add(_r.prim, from_row(_r), source=False)


# ---------------------------------------------------------------------------
# Drawn structure for common irregular primitives (batch dimensions, axes, counts)

small_sides = st.integers(1, 3)


@st.composite
def _matmul(d, prim):
    rng = np.random.default_rng(d(seeds))
    n, k, m = d(small_sides), d(small_sides), d(small_sides)
    batch = d(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2))
    kind = d(st.sampled_from(["mm", "mv", "vm", "vv"]))
    a_shape = batch.input_shapes[0] + (n, k) if kind in ("mm", "mv") else (k,)
    b_shape = batch.input_shapes[1] + (k, m) if kind in ("mm", "vm") else (k,)
    dtype = d(real_dtypes)
    a, b = value(rng, a_shape, "real", dtype), value(rng, b_shape, "real", dtype)
    return Case([a, b], {}, [0, 1], label=f"matmul-{kind}")


for _p in (np.matmul, operator.matmul):
    _add(_p, _matmul(_p))


@st.composite
def _square(d, prim, dom="well"):
    rng = np.random.default_rng(d(seeds))
    n = d(st.integers(1, 4))
    batch = d(hnp.array_shapes(min_dims=0, max_dims=2, max_side=2))
    a = rng.normal(size=batch + (n, n)) + 3 * np.eye(n)
    args, wrt = [a.astype(d(real_dtypes))], [0]
    if prim is np.linalg.solve:
        rhs = d(st.sampled_from(["vector", "matrix"]))
        b = rng.normal(size=(n,) if rhs == "vector" else batch + (n, d(small_sides)))
        args.append(b.astype(args[0].dtype))
        wrt = [0, 1]
    return Case(args, {}, wrt, label="square")


for _p in (np.linalg.det, np.linalg.inv, np.linalg.solve, np.linalg.slogdet):
    _add(_p, _square(_p))


@st.composite
def _join(d, prim):
    rng = np.random.default_rng(d(seeds))
    count = d(st.integers(1, 3))
    nd = d(st.integers(1, 3))
    base = list(d(hnp.array_shapes(min_dims=nd, max_dims=nd, min_side=1, max_side=3)))
    axis = d(st.integers(-nd, nd - 1))
    dtype = d(real_dtypes)
    arrays = []
    for _ in range(count):
        shape = list(base)
        if prim is np.concatenate:
            shape[axis] = d(small_sides)
        arrays.append(value(rng, tuple(shape), "real", dtype))
    seq = arrays if d(st.booleans()) else tuple(arrays)
    return Case([seq], {"axis": axis}, [0], label="join")


for _p in (np.concatenate, np.stack):
    _add(_p, _join(_p))


@st.composite
def _permute(d, prim):
    rng = np.random.default_rng(d(seeds))
    shape = d(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    nd = len(shape)
    x = value(rng, shape, "real", d(real_dtypes))
    if prim is np.transpose:
        return Case([x, tuple(d(st.permutations(range(nd))))], {}, [0], label="transpose")
    if prim is np.reshape:
        size = x.size
        first = d(st.sampled_from([k for k in range(1, size + 1) if size % k == 0]))
        return Case([x, (first, -1)], {"order": d(st.sampled_from(["C", "F"]))}, [0])
    if prim is np.swapaxes:
        return Case([x, d(st.integers(-nd, nd - 1)), d(st.integers(-nd, nd - 1))], {}, [0])
    if prim is np.moveaxis:
        return Case([x, d(st.integers(-nd, nd - 1)), d(st.integers(-nd, nd - 1))], {}, [0])
    if prim is np.flip:
        return Case([x], {"axis": axes_for(d, nd)}, [0], label="flip")
    if prim is np.roll:
        return Case([x, d(st.integers(-4, 4))], {"axis": d(st.integers(-nd, nd - 1))}, [0])
    if prim is np.expand_dims:
        return Case([x, d(st.integers(-nd - 1, nd))], {}, [0], label="expand_dims")
    if prim is np.repeat:
        return Case([x, d(st.integers(0, 3))], {"axis": d(st.integers(-nd, nd - 1))}, [0])
    if prim is np.tile:
        reps = tuple(d(st.integers(1, 2)) for _ in range(d(st.integers(1, 3))))
        return Case([x, reps], {}, [0], label="tile")
    raise AssertionError(prim)


for _p in (
    np.transpose,
    np.reshape,
    np.swapaxes,
    np.moveaxis,
    np.flip,
    np.roll,
    np.expand_dims,
    np.repeat,
    np.tile,
):
    _add(_p, _permute(_p))

# LAPACK fixes an eigenvector's sign/phase by a rule (unit norm, largest entry real)
# that can jump under a perturbation: finite differences of eigenvectors of random
# matrices are not reliable, so the table compares eigenvalue tangents (the
# eigenvector rules are checked at fixed matrices in test_new_primitives.py).
OPTIONS.setdefault(registry._key(np.linalg.eig), {})["tangent_outputs"] = (0,)
# a helper with a forward rule only (third order through float_power): rule level
OPTIONS[registry._key(rt.float_power_deriv2)]["source"] = False
