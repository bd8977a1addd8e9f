"""PyTorch's CPU random numbers, number for number.

After ``torch.manual_seed(s)`` a program that draws with ``rand``, ``randn``,
``randint``, ``randperm``, ``multinomial``, ``bernoulli``, the in-place fills
(``uniform_``, ``normal_``, ``bernoulli_``, ``random_``, ``exponential_``),
``nn.init`` or dropout gets the values PyTorch 2.13 gets on a CPU, in the same
order, because this module reproduces how PyTorch consumes its generator.  Every
rule below was found by experiment against torch 2.13 (``tests/tape_unit/
test_random_parity.py`` checks each one against it); none is PyTorch's code.

Design notes
------------
Engine.  A Mersenne Twister (MT19937) seeded as ``std::mt19937`` is, from the low
32 bits of the 64-bit seed.  NumPy's ``MT19937`` bit generator runs it: its key is
set directly (NumPy's own seeding is not used).  A *word* is one 32-bit output; a
*long* is two words, the first being the high half.

Uniforms.  float32 and float16: ``(word & (2**24 - 1)) * 2**-24`` (float16 rounds the
float32 value); float64: ``(long & (2**53 - 1)) * 2**-53``.  ``uniform_(a, b)`` is
``fma(u, b - a, a)`` in float32 (``b - a`` too) or float64, and a value that rounds
to ``b`` in the tensor's dtype becomes ``a``.  The fused multiply-add is emulated
exactly (Dekker's product, Knuth's sum, rounding to odd).

Normals.  A contiguous float tensor of 16 or more elements: uniforms for every
element, then Box-Muller on each block of 16 (``u1 = 1 - x[j]``, ``u2 = x[j + 8]``,
``x[j] = r cos(t)``, ``x[j + 8] = r sin(t)``); when the size is not a multiple of
16 the last 16 elements are redrawn and transformed again.  float32 uses the
single-precision polynomial ``log``, ``sin`` and ``cos`` of Cephes (as PyTorch's
AVX2 kernel does; reimplemented here from the Cephes algorithms), float64 the C
library's.  Anything else (fewer than 16 elements, a non-contiguous view) draws
element by element in double precision: two doubles ``u1, u2`` give ``r cos(t)``
and ``r sin(t)`` with ``r = sqrt(-2 log1p(-u2))``, ``t = 2 pi u1``, and the sine is
kept in the generator for the next element, even across calls.  The scaling is
``fma(z, std, mean)``.

Integers.  ``randint``/``random_(from, to)``: ``word % range + from``, or a long when
``range >= 2**28``.  ``random_()``: ``word % (2**k)`` with a long for int64 and
float64 (the range ends at the largest integer the dtype holds exactly, plus one).
``randperm(n)``: for i in 0 .. n-2 swap positions ``i`` and ``i + word % (n - i)``
(the swaps are resolved all at once, following each value).

Bernoulli, exponential, multinomial.  ``bernoulli_(p)`` (a number): ``double < p``
per element; ``bernoulli(p)`` (a tensor): a uniform of p's precision ``< p``.
``exponential_(l)``: ``(-1 / l) * log1p(-double)``.  ``multinomial`` with
replacement draws one double per sample and takes the first category whose
cumulative sum (in the input's precision, divided by the total) reaches it;
without replacement, or for one sample, it takes the ``k`` largest ``p / e`` with
``e`` exponential(1) draws shaped like the input.

Order.  A fill follows memory order (the dims sorted by decreasing stride): the
order PyTorch's kernels walk a strided view in.

What is not PyTorch's.  CUDA tensors draw from a second mt19937, seeded with the
CPU one, so CPU streams stay aligned, but PyTorch's CUDA (Philox) values are not
reproduced.  On Intel CPUs PyTorch builds with MKL use MKL's own stream for
``bernoulli_`` with a number ``p`` (so for dropout) and may for ``exponential_``;
srcad follows the generic kernel PyTorch runs on other CPUs (AMD, ARM).
``randperm`` for n above 2**26 is not checked against PyTorch (which switches
algorithm for very large n), and warns.
"""

import math
import secrets
import warnings

import numpy as np

from . import dtypes as _dt
from .device import as_device, is_cupy

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721
_STATE_BYTES = 5056
_F32, _F64, _F16 = np.float32, np.float64, np.float16
_U64 = np.uint64
_TWO_PI = 2.0 * math.pi


# -- exact fused multiply-add -----------------------------------------------------------


def _round_to_odd(s, err):
    """``s`` (a double rounded to nearest) moved to the odd neighbour when inexact."""
    s = np.ascontiguousarray(s, dtype=_F64)
    even = (s.view(_U64) & _U64(1)) == 0
    fix = (err != 0) & np.isfinite(err) & even
    if not fix.any():
        return s
    toward = np.where(err > 0, np.inf, -np.inf)
    return np.where(fix, np.nextafter(s, toward), s)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = a * 134217729.0  # 2**27 + 1 (Veltkamp)
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def fma64(a, b, c):
    """``a * b + c`` rounded once, in float64 (Boldo and Melquiond's emulation)."""
    a, b, c = np.broadcast_arrays(np.asarray(a, _F64), np.asarray(b, _F64), np.asarray(c, _F64))
    uh, ul = _two_prod(a, b)
    th, tl = _two_sum(c, uh)
    v, ve = _two_sum(tl, ul)
    return th + _round_to_odd(v, ve)


def fma32(a, b, c):
    """``a * b + c`` (float32 operands) rounded once to float32.

    The product is exact in float64 and the sum rounds once there; rounding that to
    float32 is then exact too, except when the float64 sum lands exactly halfway
    between two float32 values (its low 29 bits ``1000...0``): those few are nudged
    one float64 step toward the exact sum first (float32 subnormals aside).
    """
    p = np.asarray(a, _F64) * np.asarray(b, _F64)
    s = p + np.asarray(c, _F64)
    shape = np.shape(s)
    s = np.array(s, dtype=_F64, ndmin=1)
    halfway = (s.view(_U64) & _U64(0x1FFFFFFF)) == _U64(0x10000000)
    if halfway.any():
        idx = np.nonzero(halfway)
        ph, ch = np.broadcast_to(p, s.shape)[idx], np.broadcast_to(c, s.shape)[idx]
        _, err = _two_sum(ph, np.asarray(ch, _F64))
        s[idx] = np.where(err == 0, s[idx], np.nextafter(s[idx], np.copysign(np.inf, err)))
    return s.astype(_F32).reshape(shape)


# -- float32 log, sin and cos of PyTorch's AVX2 normal kernel (Cephes polynomials) ------

_LOG_POLY = (
    7.0376836292e-2,
    -1.1514610310e-1,
    1.1676998740e-1,
    -1.2420140846e-1,
    1.4249322787e-1,
    -1.6668057665e-1,
    2.0000714765e-1,
    -2.4999993993e-1,
    3.3333331174e-1,
)


def _log_f32(x):
    """Natural log of positive normal float32 values, Cephes' ``logf`` with fused steps."""
    bits = np.ascontiguousarray(x, dtype=_F32).view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)  # mantissa in [0.5, 1)
    small = m < _F32(0.707106781186547524)
    m = (m - _F32(1)) + np.where(small, m, _F32(0))
    e = e - small.astype(_F32)
    z = m * m
    y = np.full_like(m, _F32(_LOG_POLY[0]))
    for coef in _LOG_POLY[1:]:
        y = fma32(y, m, _F32(coef))
    y = y * m
    y = fma32(y, z, e * _F32(-2.12194440e-4))
    y = fma32(z, _F32(-0.5), y)
    return fma32(e, _F32(0.693359375), m + y)


def _sincos_f32(x):
    """``(sin, cos)`` of float32 values, Cephes' ``sinf``/``cosf`` with fused steps."""
    x = np.ascontiguousarray(x, dtype=_F32)
    sign_sin = x.view(np.uint32) & np.uint32(0x80000000)
    x = np.abs(x)
    j = (x * _F32(1.27323954473516)).astype(np.int32)  # 4 / pi, truncated
    j = (j + 1) & ~1
    y = j.astype(_F32)
    sign_sin = sign_sin ^ ((j & 4) << 29).astype(np.uint32)
    sign_cos = ((~(j - 2) & 4) << 29).astype(np.uint32)
    use_sin_poly = (j & 2) == 0
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = fma32(y, _F32(dp), x)
    z = x * x
    c = fma32(np.full_like(x, _F32(2.443315711809948e-5)), z, _F32(-1.388731625493765e-3))
    c = fma32(c, z, _F32(4.166664568298827e-2)) * z
    c = fma32(c, z, -(z * _F32(0.5))) + _F32(1)
    s = fma32(np.full_like(x, _F32(-1.9515295891e-4)), z, _F32(8.3321608736e-3))
    s = fma32(s, z, _F32(-1.6666654611e-1)) * z
    s = fma32(s, x, x)
    sin = np.where(use_sin_poly, s, c)
    cos = np.where(use_sin_poly, c, s)
    return (sin.view(np.uint32) ^ sign_sin).view(_F32), (cos.view(np.uint32) ^ sign_cos).view(_F32)


# -- float64 C library functions ------------------------------------------------------


def _libm():
    """NumPy's float64 log/log1p/sin/cos, or Python's ``math`` ones where NumPy would use
    its own AVX-512 approximations (PyTorch calls the C library, as ``math`` does)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__  # noqa: PLC0415
    except ImportError:  # pragma: no cover - older NumPy
        from numpy.core._multiarray_umath import __cpu_features__  # noqa: PLC0415
    if not __cpu_features__.get("AVX512_SKX", False):
        return np.log, np.log1p, np.sin, np.cos

    def scalar(fn):
        vec = np.frompyfunc(fn, 1, 1)
        return lambda a: vec(a).astype(_F64)

    return tuple(scalar(f) for f in (math.log, math.log1p, math.sin, math.cos))


_LOG, _LOG1P, _SIN, _COS = _libm()


# -- the generator ----------------------------------------------------------------------


def _seed_value(seed):
    try:
        seed = int(seed)
    except (TypeError, ValueError) as e:
        raise type(e)(str(e)) from None
    if seed < -(2**63) or seed >= 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed % 2**64


def _mt_key(seed):
    """The 624-word MT19937 state ``std::mt19937(seed & 0xffffffff)`` starts from."""
    key = np.empty(624, dtype=np.uint32)
    x = seed & 0xFFFFFFFF
    key[0] = x
    for i in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        key[i] = x
    return key


class Generator:
    """``torch.Generator``: a seeded source of PyTorch's CPU random streams.

    ``manual_seed``, ``seed``, ``initial_seed``, ``get_state`` and ``set_state``
    behave as PyTorch's; the state is PyTorch's 5056-byte layout, so a state saved by
    one library restores in the other.
    """

    def __init__(self, device="cpu"):
        dev = as_device(device)
        self._device = dev if dev is not None else as_device("cpu")
        self._mt = np.random.MT19937()
        self.manual_seed(_DEFAULT_SEED)

    def __repr__(self):
        return f"<srcad.Generator object at {hex(id(self))}>"

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        """Seed the generator; returns it."""
        seed = _seed_value(seed)
        self._seed = seed
        self._mt.state = {
            "bit_generator": "MT19937",
            "state": {"key": _mt_key(seed), "pos": 624},
        }
        self._fresh = True
        self._normal = None  # the second Box-Muller sample of the element-wise path
        self._float_normal = None  # part of PyTorch's state; no CPU kernel here uses it
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed."""
        s = secrets.randbits(64)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # -- state ---------------------------------------------------------------------------

    def get_state(self):
        """PyTorch's ``CPUGeneratorImplState`` as a uint8 tensor of 5056 bytes."""
        from .tensor import wrap  # noqa: PLC0415

        st = self._mt.state["state"]
        pos = int(st["pos"])
        buf = bytearray(_STATE_BYTES)
        head = np.array([self._seed], dtype="<u8").tobytes()
        head += np.array([625 - pos, 1], dtype="<i4").tobytes()
        head += np.array([0 if self._fresh else pos], dtype="<u8").tobytes()
        buf[0:24] = head
        buf[24:5016] = np.asarray(st["key"], dtype="<u8").tobytes()
        normal = 0.0 if self._normal is None else self._normal
        buf[5024:5032] = np.array([normal], dtype="<f8").tobytes()
        buf[5040:5044] = np.array([self._normal is not None], dtype="<i4").tobytes()
        fnormal = 0.0 if self._float_normal is None else self._float_normal
        buf[5048:5052] = np.array([fnormal], dtype="<f4").tobytes()
        buf[5052] = self._float_normal is not None
        return wrap(np.frombuffer(bytes(buf), dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from :meth:`get_state` (or PyTorch's); returns the generator."""
        from .tensor import Tensor  # noqa: PLC0415

        if not isinstance(new_state, Tensor) or new_state.dtype != _dt.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state.detach().cpu().numpy()).tobytes()
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the "
                f"input RNG state size to be {len(raw)}"
            )
        seed = int(np.frombuffer(raw, "<u8", 1, 0)[0])
        left = int(np.frombuffer(raw, "<i4", 1, 8)[0])
        nxt = int(np.frombuffer(raw, "<u8", 1, 16)[0])
        if not 1 <= left <= 624:
            raise RuntimeError("The given RNG state is invalid: 'left' must be in [1, 624]")
        key = np.frombuffer(raw, "<u8", 624, 24).astype(np.uint32)
        self._seed = seed
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 625 - left}}
        self._fresh = left == 1 and nxt == 0
        valid = int(np.frombuffer(raw, "<i4", 1, 5040)[0])
        self._normal = float(np.frombuffer(raw, "<f8", 1, 5024)[0]) if valid else None
        fvalid = raw[5052]
        self._float_normal = float(np.frombuffer(raw, "<f4", 1, 5048)[0]) if fvalid else None
        return self

    # -- raw draws -------------------------------------------------------------------------

    def _words(self, n):
        """``n`` 32-bit outputs (as uint64)."""
        if n == 0:
            return np.empty(0, dtype=_U64)
        self._fresh = False
        return self._mt.random_raw(n)

    def _longs(self, n):
        w = self._words(2 * n)
        return (w[0::2] << _U64(32)) | w[1::2]

    def _floats(self, n):
        return (self._words(n) & _U64(0xFFFFFF)).astype(_F32) * _F32(2.0**-24)

    def _doubles(self, n):
        return (self._longs(n) & _U64(2**53 - 1)).astype(_F64) * 2.0**-53


# As in PyTorch, a new Generator starts from a fixed seed but the default one from
# the operating system's entropy: seed it to repeat a run.
default_generator = Generator()
_cuda_generator = Generator().manual_seed(default_generator.seed())


def manual_seed(seed):
    """Seed every default generator; returns the CPU one (``torch.manual_seed``)."""
    default_generator.manual_seed(seed)
    _cuda_generator.manual_seed(seed)
    return default_generator


def seed():
    s = default_generator.seed()
    _cuda_generator.manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def generator_for(generator, device=None, fname="rand"):
    """The generator a draw uses: ``generator``, or the default one of ``device``."""
    if generator is None:
        dev = as_device(device)
        return _cuda_generator if dev is not None and dev.type == "cuda" else default_generator
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{fname}() received an invalid combination of arguments - got generator="
            f"{type(generator).__name__}, but expected torch.Generator generator"
        )
    return generator


# -- values, in fill order ------------------------------------------------------------


def _type_name(np_dtype):
    return _dt.NP2DT[np.dtype(np_dtype)]._legacy.replace("torch.", "").replace("Tensor", "")


def check_float(np_dtype, kernel):
    """PyTorch's NotImplementedError for a floating-point-only kernel."""
    if np.dtype(np_dtype).kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(np_dtype)}'")


def uniform_values(gen, n, np_dtype, low=0.0, high=1.0):
    """``n`` samples of U(low, high) in ``np_dtype`` (float16, float32 or float64)."""
    check_float(np_dtype, "check_uniform_bounds")
    low, high = float(low), float(high)
    if low > high:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={_num(low)} > "
            f"to={_num(high)}"
        )
    if np.dtype(np_dtype) == _F64:
        u = gen._doubles(n)
        if (low, high) != (0.0, 1.0):
            u = fma64(u, high - low, low)
    else:
        u = gen._floats(n)
        if (low, high) != (0.0, 1.0):
            u = fma32(u, _F32(high) - _F32(low), _F32(low))
        u = u.astype(np_dtype, copy=False)
    top = u.dtype.type(high)
    return np.where(u == top, u.dtype.type(low), u) if (u == top).any() else u


def _num(v):
    return int(v) if float(v).is_integer() else v


def _box_muller16_f32(u, mean, std):
    u = u.reshape(-1, 16)
    r = np.sqrt(_F32(-2) * _log_f32(_F32(1) - u[:, :8]))
    sin, cos = _sincos_f32(_F32(_TWO_PI) * u[:, 8:])
    z = np.concatenate([r * cos, r * sin], axis=1).ravel()
    if (mean, std) != (0.0, 1.0):
        z = fma32(z, _F32(std), _F32(mean))
    return z


def _box_muller16_f64(u, mean, std):
    u = u.reshape(-1, 16)
    r = np.sqrt(-2.0 * _LOG(1.0 - u[:, :8]))
    t = _TWO_PI * u[:, 8:]
    z = np.concatenate([r * _COS(t), r * _SIN(t)], axis=1).ravel()
    return z if (mean, std) == (0.0, 1.0) else fma64(z, std, mean)


def _normal_blocks(gen, n, double, mean, std):
    draw = gen._doubles if double else gen._floats
    transform = _box_muller16_f64 if double else _box_muller16_f32
    out = draw(n)
    full = n - n % 16
    out[:full] = transform(out[:full], mean, std)
    if n % 16:
        out[n - 16 :] = transform(draw(16), mean, std)
    return out


def _normal_elementwise(gen, n, mean, std):
    z = np.empty(n, dtype=_F64)
    start = 0
    if n and gen._normal is not None:
        z[0], gen._normal, start = gen._normal, None, 1
    rest = n - start
    pairs = (rest + 1) // 2
    if pairs:
        u = gen._doubles(2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * _LOG1P(-u[:, 1]))
        t = _TWO_PI * u[:, 0]
        both = np.stack([r * _COS(t), r * _SIN(t)], axis=1).ravel()
        z[start:] = both[:rest]
        if rest % 2:
            gen._normal = float(both[-1])
    return z if (mean, std) == (0.0, 1.0) else fma64(z, std, mean)


def normal_values(gen, n, np_dtype, mean=0.0, std=1.0, contiguous=True):
    """``n`` samples of N(mean, std**2) in ``np_dtype``, PyTorch's two paths."""
    check_float(np_dtype, "normal_kernel_cpu")
    mean, std = float(mean), float(std)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    if n >= 16 and contiguous:
        z = _normal_blocks(gen, n, np.dtype(np_dtype) == _F64, mean, std)
    else:
        z = _normal_elementwise(gen, n, mean, std)
    return z.astype(np_dtype, copy=False)


def _dtype_max(np_dtype):
    d = np.dtype(np_dtype)
    if d == np.bool_:
        return 1
    if d.kind == "f":
        return 2 ** (np.finfo(d).nmant + 1)
    return int(np.iinfo(d).max)


def randint_values(gen, n, low, high, np_dtype):
    """``n`` integers in ``[low, high)`` as ``np_dtype``."""
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    span = high - low
    words = gen._longs(n) if span >= 2**28 else gen._words(n)
    offsets = words % _U64(span)
    if span > 2**63:  # offsets beyond int64: exact integers
        return (offsets.astype(object) + low).astype(np_dtype)
    return (offsets.astype(np.int64) + np.int64(low)).astype(np_dtype)


def random_values(gen, n, np_dtype, low=None, high=None):
    """``random_()``, ``random_(to)`` and ``random_(from, to)`` as values."""
    d = np.dtype(np_dtype)
    if low is None and high is None:
        top = _dtype_max(d) + 1
        words = gen._longs(n) if d in (np.int64, _F64) else gen._words(n)
        return (words % _U64(top)).astype(d)
    return randint_values(gen, n, low, high, d)


def randperm_values(gen, n, np_dtype):
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if n > 2**26:
        warnings.warn(
            f"srcad.randperm({n}): for n above 2**26 the permutation is not checked "
            "against PyTorch's",
            stacklevel=3,
        )
    if n == 0:
        return np.empty(0, dtype=np_dtype)
    steps = np.arange(n - 1, dtype=np.int64)
    partners = steps + (gen._words(n - 1) % np.arange(n, 1, -1, dtype=_U64)).astype(np.int64)
    return _swap_sequence(partners, n).astype(np_dtype, copy=False)


def _swap_sequence(partner, n):
    """``range(n)`` after swapping positions ``i`` and ``partner[i] >= i`` for each
    ``i`` in turn, computed without the sequential loop.

    Follow each value: from position ``p`` it moves at the first later step that
    touches ``p``.  That is either a *claim* (a step ``j < p`` with ``partner[j] = p``),
    which puts the value at ``j`` for good, or step ``p`` itself, which moves it on to
    ``partner[p]``; arriving there by step ``p`` (itself a claim on ``partner[p]``), the
    next event is the claim after that one.  All values advance together, a few
    dozen rounds at most.
    """
    steps = np.arange(partner.size, dtype=np.int64)
    is_claim = partner > steps
    cpos, ctime = partner[is_claim], steps[is_claim]
    order = np.argsort(cpos, kind="stable")  # by position; times stay ascending
    cpos, ctime = cpos[order], ctime[order]
    same = np.append(cpos[1:] == cpos[:-1], False)
    after = np.full(n, -1, dtype=np.int64)  # the claim on partner[j] that follows step j
    after[ctime] = np.where(same, np.append(ctime[1:], -1), -1)
    first = np.full(n, -1, dtype=np.int64)  # each position's first claim
    head = np.ones(cpos.size, dtype=bool)
    head[1:] = ~same[:-1]
    first[cpos[head]] = ctime[head]
    step_to = np.append(partner, n - 1)  # the last position has no step of its own
    final = np.empty(n, dtype=np.int64)
    values = np.arange(n, dtype=np.int64)
    pos, claim = values.copy(), first
    while values.size:
        claimed = claim >= 0
        final[values[claimed]] = claim[claimed]
        values, pos = values[~claimed], pos[~claimed]
        nxt = step_to[pos]
        stays = nxt == pos
        final[values[stays]] = pos[stays]
        moving = ~stays
        values, claim, pos = values[moving], after[pos[moving]], nxt[moving]
    perm = np.empty(n, dtype=np.int64)
    perm[final] = np.arange(n, dtype=np.int64)
    return perm


def bernoulli_scalar_values(gen, n, p, np_dtype):
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
    return (gen._doubles(n) < p).astype(np_dtype)


def bernoulli_tensor_values(gen, probs, np_dtype):
    """One draw per element of ``probs`` (an array already in fill order, flat)."""
    if probs.size and not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)"
        )
    if probs.dtype == _F64:
        u = gen._doubles(probs.size)
    else:
        u = gen._floats(probs.size)
        probs = probs.astype(_F32)
    return (u < probs).astype(np_dtype)


def exponential_values(gen, n, lambd, np_dtype):
    check_float(np_dtype, "exponential_cpu")
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    return ((-1.0 / lambd) * _LOG1P(-gen._doubles(n))).astype(np_dtype)


def multinomial_values(gen, probs, num_samples, replacement):
    """Category indices (int64, shape ``(rows, num_samples)``) for a 2-D ``probs`` array."""
    rows, ncat = probs.shape
    if replacement and num_samples > 1:
        out = np.empty((rows, num_samples), dtype=np.int64)
        for r in range(rows):
            cum = np.cumsum(probs[r], dtype=probs.dtype)
            cum = cum / cum[-1]
            out[r] = np.searchsorted(cum.astype(_F64), gen._doubles(num_samples), side="left")
        return out
    e = exponential_values(gen, rows * ncat, 1.0, probs.dtype).reshape(rows, ncat)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = probs / e
    if num_samples == 1:
        return np.argmax(q, axis=1)[:, None].astype(np.int64)
    return np.argsort(-q, axis=1, kind="stable")[:, :num_samples].astype(np.int64)


# -- placing values in a tensor's memory order -------------------------------------------


def fill_order(arr):
    """The axes of ``arr`` outermost first, as PyTorch walks them (by decreasing stride)."""
    strides = getattr(arr, "strides", None) or (0,) * arr.ndim
    return sorted(range(arr.ndim), key=lambda d: -abs(strides[d]))


def place(values, like):
    """``values`` (flat, in fill order) as an array shaped like ``like``."""
    order = fill_order(like)
    shaped = np.asarray(values).reshape([like.shape[d] for d in order])
    out = np.transpose(shaped, np.argsort(order))
    if is_cupy(like):
        from .device import cupy  # noqa: PLC0415

        return cupy().asarray(out)
    return out


def flat_in_order(arr, like):
    """The elements of ``arr`` (NumPy, shaped like ``like``) flattened in ``like``'s fill
    order."""
    return np.transpose(np.asarray(arr), fill_order(like)).ravel()


def _is_contiguous(arr):
    flags = getattr(arr, "flags", None)
    return bool(flags is None or flags.c_contiguous)


# -- the in-place methods ---------------------------------------------------------------


def _fill(t, name, values):
    """Overwrite ``t`` in place with ``values(old_array)`` (grad_fn ``name``).

    Recorded as ``t[...] = values``: the node keeps its edge to ``t``'s previous
    value, which gets a zero gradient, as in PyTorch.
    """
    from ..rules import tape_ops as T  # noqa: PLC0415
    from .tensor import inplace  # noqa: PLC0415

    return inplace(
        t, T.index_put, (Ellipsis, 0), name, eparams=(0,), compute=lambda old: values(old)
    )


def _host(arr):
    return arr.get() if is_cupy(arr) else np.asarray(arr)


def uniform_(self, a=0.0, b=1.0, *, generator=None, **kw):
    """Fill with U(a, b) samples (``from``/``to`` are accepted as keywords)."""
    a, b = kw.pop("from", a), kw.pop("to", b)
    _no_more(kw, "uniform_")
    gen = generator_for(generator, self.device, "uniform_")
    return _fill(
        self,
        "UniformBackward0",
        lambda old: place(uniform_values(gen, old.size, old.dtype, a, b), old),
    )


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with N(mean, std**2) samples."""
    gen = generator_for(generator, self.device, "normal_")

    def values(old):
        z = normal_values(gen, old.size, old.dtype, mean, std, _is_contiguous(old))
        return place(z, old)

    return _fill(self, "NormalBackward0", values)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 draws: probability ``p`` (a number, or a tensor broadcast to self)."""
    from .tensor import Tensor  # noqa: PLC0415

    gen = generator_for(generator, self.device, "bernoulli_")
    if isinstance(p, Tensor):
        probs = _host(p._data)

        def values(old):
            full = np.broadcast_to(probs, old.shape)
            return place(bernoulli_tensor_values(gen, flat_in_order(full, old), old.dtype), old)

        return _fill(self, "BernoulliBackward1", values)
    return _fill(
        self,
        "BernoulliBackward2",
        lambda old: place(bernoulli_scalar_values(gen, old.size, p, old.dtype), old),
    )


def random_(self, from_=None, to=None, *, generator=None, **kw):
    """``random_()``: integers in [0, the dtype's top]; ``random_(to)``: in [0, to);
    ``random_(from, to)``: in [from, to)."""
    from_ = kw.pop("from", from_)
    to = kw.pop("to", to)
    _no_more(kw, "random_")
    gen = generator_for(generator, self.device, "random_")
    if from_ is None and to is None:
        name, low, high = "RandomBackward2", None, None
    elif to is None:
        name, low, high = "RandomBackward1", 0, from_
    else:
        name, low, high = "RandomBackward0", from_, to
    return _fill(
        self,
        name,
        lambda old: place(random_values(gen, old.size, old.dtype, low, high), old),
    )


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exponential(lambd) samples."""
    gen = generator_for(generator, self.device, "exponential_")
    return _fill(
        self,
        "ExponentialBackward0",
        lambda old: place(exponential_values(gen, old.size, lambd, old.dtype), old),
    )


def _no_more(kw, name):
    if kw:
        key = next(iter(kw))
        raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")


METHODS = {
    "uniform_": uniform_,
    "normal_": normal_,
    "bernoulli_": bernoulli_,
    "random_": random_,
    "exponential_": exponential_,
}


def install(cls):
    """Put the random fills on ``Tensor`` as methods."""
    for name, fn in METHODS.items():
        setattr(cls, name, fn)
