"""srcad's random numbers against PyTorch 2.13's on CPU, number for number.

Every test seeds both libraries alike, makes the same calls in the same order and
asserts the values are bit-identical (and, where it matters, that the streams are
still aligned afterwards, by one more draw from each).
"""

import math
import time
from fractions import Fraction

import numpy as np
import pytest

import srcad
from srcad.tape import random as R

torch = pytest.importorskip("torch")

SIZES = [0, 1, 2, 15, 16, 17, 31, 100, 1000]
DTYPES = ["float32", "float64"]


def arr(t):
    return np.asarray(t.detach().numpy())


def same(a, b):
    """Bit-identical values of equal shape and dtype (torch's first, srcad's second)."""
    x, y = arr(a), arr(b)
    assert x.shape == y.shape
    assert x.dtype == y.dtype
    assert np.array_equal(np.atleast_1d(x).view(np.uint8), np.atleast_1d(y).view(np.uint8))


def both(program, seed=0):
    """``program(lib)`` run on torch and on srcad after ``manual_seed(seed)``; the
    returned tensors (a list) are compared, and then one more ``rand`` each."""
    outs = []
    for lib in (torch, srcad):
        lib.manual_seed(seed)
        res = program(lib)
        res = list(res) if isinstance(res, (list, tuple)) else [res]
        outs.append(res + [lib.rand(5)])
    assert len(outs[0]) == len(outs[1])
    for a, b in zip(*outs):
        same(a, b)


# -- the generator ----------------------------------------------------------------------


def test_seeding_matches_for_wide_and_negative_seeds():
    for s in [0, 1, 42, 2**32 + 1, 2**40 + 7, 12345678901234, -1, 2**64 - 1, -(2**63)]:
        both(lambda lib: lib.randint(0, 2**31, (5,)), seed=s)
        assert srcad.initial_seed() == torch.initial_seed()


def test_default_generator_starts_from_entropy():
    # PyTorch seeds its default generator from the OS at start-up, while a new
    # Generator starts from 67280421310721; so does srcad (in a fresh process).
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "import srcad; print(srcad.initial_seed(), srcad.Generator().initial_seed())"
    out = subprocess.check_output([sys.executable, "-c", code], text=True).split()
    assert out[1] == str(torch.Generator().initial_seed())
    assert out[0] != out[1]


def test_fresh_generator_and_defaults():
    assert srcad.Generator().initial_seed() == torch.Generator().initial_seed()
    g = srcad.Generator()
    assert g.manual_seed(3) is g
    assert str(g.device) == "cpu"
    assert srcad.manual_seed(5) is srcad.default_generator
    same(torch.rand(3, generator=torch.Generator()), srcad.rand(3, generator=srcad.Generator()))
    assert isinstance(srcad.seed(), int)
    s = srcad.Generator().seed()
    assert 0 <= s < 2**64


def test_generator_argument_leaves_default_stream_alone():
    def program(lib):
        g = lib.Generator().manual_seed(7)
        return [
            lib.rand(3, generator=g),
            lib.randn(20, generator=g),
            lib.randint(0, 9, (4,), generator=g),
            lib.randperm(9, generator=g),
            lib.multinomial(lib.tensor([0.2, 0.5, 0.3]), 4, True, generator=g),
            lib.empty(5).uniform_(-1, 2, generator=g),
            lib.empty(5).normal_(1, 2, generator=g),
            lib.nn.init.kaiming_uniform_(lib.empty(4, 3), a=math.sqrt(5), generator=g),
            lib.bernoulli(lib.full((6,), 0.4), generator=g),
            lib.rand(2),  # the default generator, untouched so far
        ]

    both(program)


@pytest.mark.parametrize("draw", ["nothing", "randn3", "randn17", "randint"])
def test_state_bytes_match_and_restore_across_libraries(draw):
    def advance(lib):
        if draw == "randn3":
            lib.randn(3)  # leaves a cached normal in the state
        elif draw == "randn17":
            lib.randn(17)
        elif draw == "randint":
            lib.randint(0, 2**30, (700,))  # crosses a twist

    torch.manual_seed(11)
    srcad.manual_seed(11)
    advance(torch)
    advance(srcad)
    ts, ss = torch.get_rng_state(), srcad.get_rng_state()
    assert ss.dtype == srcad.uint8 and tuple(ss.shape) == (5056,)
    assert np.array_equal(ts.numpy(), arr(ss))
    expected = [torch.randn(5), torch.rand(4)]
    # a state saved by torch restores srcad, and srcad's own round trip works too
    srcad.manual_seed(999)
    srcad.set_rng_state(srcad.tensor(ts.numpy()))
    got = [srcad.randn(5), srcad.rand(4)]
    for a, b in zip(expected, got):
        same(a, b)
    srcad.set_rng_state(ss)
    for a, b in zip(expected, [srcad.randn(5), srcad.rand(4)]):
        same(a, b)


def test_generator_get_set_state():
    def program(lib):
        g = lib.Generator().manual_seed(5)
        lib.randn(3, generator=g)
        state = g.get_state()
        first = lib.randn(7, generator=g)
        g.set_state(state)
        return [first, lib.randn(7, generator=g), lib.randn(7, generator=g)]

    both(program)


def test_state_errors():
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056"):
        srcad.set_rng_state(srcad.zeros(10, dtype=srcad.uint8))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        srcad.set_rng_state(srcad.zeros(5056))
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        srcad.manual_seed(2**64)
    with pytest.raises(TypeError, match="randn"):
        srcad.randn(3, generator=5)


# -- uniforms ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_rand(n, dtype):
    for s in (0, 3):
        both(lambda lib: lib.rand(n, dtype=getattr(lib, dtype)), seed=s)


def test_rand_shapes_and_size_keyword():
    both(lambda lib: [lib.rand(2, 3), lib.rand((4, 5, 6)), lib.rand(size=(3, 2))])
    both(lambda lib: lib.rand(50, dtype=lib.float16))
    both(lambda lib: lib.rand_like(lib.zeros(3, 4, dtype=lib.float64)))


@pytest.mark.parametrize("dtype", DTYPES + ["float16"])
def test_uniform_bounds(dtype):
    rs = np.random.RandomState(0)
    for _ in range(6):
        lo, hi = sorted(rs.uniform(-3, 3, 2) * 10 ** rs.uniform(-3, 3))
        both(lambda lib, lo=lo, hi=hi: lib.empty(500, dtype=getattr(lib, dtype)).uniform_(lo, hi))


def test_uniform_values_that_round_to_the_upper_bound():
    # a value that rounds to ``to`` in the tensor's dtype becomes ``from``
    both(lambda lib: lib.rand(100000, dtype=lib.float16))
    both(lambda lib: lib.empty(100000).uniform_(1000.0, 1000.25))
    both(lambda lib: lib.empty(20000, dtype=lib.float64).uniform_(1e6, 1e6 + 1e-9))


def test_fills_follow_memory_order_of_views():
    def program(lib):
        a = lib.zeros(5, 4)
        a.t().uniform_()
        b = lib.zeros(2, 3, 4)
        b.permute(2, 0, 1).normal_()  # 24 elements, not contiguous: element-wise path
        c = lib.zeros(4, 6)
        c[:, ::2].uniform_(-1, 1)
        d = lib.zeros(6, 8)
        d[1:5].normal_(2.0, 3.0)  # a contiguous block of 32
        return [a, b, c, d]

    both(program)


# -- normals -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_randn(n, dtype):
    for s in (0, 5):
        both(lambda lib: lib.randn(n, dtype=getattr(lib, dtype)), seed=s)


def test_randn_large_blocks_exact():
    both(lambda lib: [lib.randn(16 * 4000 + 7), lib.randn(3001, dtype=lib.float64)], seed=9)


def test_normal_cache_is_carried_between_calls():
    def program(lib):
        return [
            lib.randn(3),
            lib.randn(1),
            lib.randn(5, dtype=lib.float64),
            lib.randn(17),
            lib.randn(1),
            lib.empty(2).normal_(0.5, 2.0),
        ]

    both(program)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [3, 16, 17, 100])
def test_normal_mean_std(n, dtype):
    for mean, std in [(0.3, 2.7), (-1.1, 0.01), (5.0, 0.0)]:
        both(lambda lib, m=mean, s=std: lib.empty(n, dtype=getattr(lib, dtype)).normal_(m, s))


def test_randn_float16():
    both(lambda lib: [lib.randn(5, dtype=lib.float16), lib.randn(64, dtype=lib.float16)])


def test_normal_function_forms():
    def program(lib):
        m = lib.tensor(np.arange(40.0, dtype=np.float32).reshape(5, 8) / 10)
        s = lib.tensor(np.linspace(0.5, 2.0, 8, dtype=np.float32))
        return [
            lib.normal(m, s),
            lib.normal(m, 2.5),
            lib.normal(0.7, s),
            lib.normal(0.7, 2.5, (40,)),
            lib.normal(0.0, 1.0, size=(3, 4)),
            lib.normal(m.double(), 2.0),
        ]

    both(program)


def test_normal_with_tensor_mean_has_gradient():
    m = srcad.tensor([1.0, 2.0], requires_grad=True)
    srcad.normal(m, 0.5).sum().backward()
    assert m.grad.tolist() == [1.0, 1.0]


# -- integers ----------------------------------------------------------------------------


def test_randint_ranges_and_dtypes():
    cases = [
        (0, 10, "int64"),
        (-5, 7, "int64"),
        (0, 2**28 - 1, "int64"),
        (0, 2**28, "int64"),  # from here a 64-bit draw per element
        (-(2**40), 2**40, "int64"),
        (0, 2**31, "int32"),
        (3, 4, "int64"),
        (0, 100, "float32"),
        (-7, 1000, "float64"),
        (0, 200, "uint8"),
        (-100, 100, "int16"),
    ]
    for lo, hi, dt in cases:
        both(lambda lib, lo=lo, hi=hi, dt=dt: lib.randint(lo, hi, (50,), dtype=getattr(lib, dt)))


def test_randint_call_forms():
    def program(lib):
        return [
            lib.randint(10, (3,)),
            lib.randint(3, 10, (2, 2)),
            lib.randint(10, size=(4,)),
            lib.randint(low=2, high=5, size=(3,)),
            lib.randint_like(lib.zeros(3, dtype=lib.int32), 10),
            lib.randint_like(lib.zeros(3), 3, 10),
        ]

    both(program)


def test_swap_sequence_matches_the_plain_loop():
    rs = np.random.RandomState(2)
    for n in list(range(1, 12)) * 20 + [500, 5000]:
        partner = np.arange(n - 1) + rs.randint(0, n - np.arange(n - 1))
        expected = list(range(n))
        for i, k in enumerate(partner.tolist()):
            expected[i], expected[k] = expected[k], expected[i]
        assert R._swap_sequence(partner, n).tolist() == expected


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 17, 100, 1000, 60000, 300000])
def test_randperm(n):
    both(lambda lib: lib.randperm(n), seed=n)


def test_dataloader_style_shuffle_seeding():
    def program(lib):
        seed = int(lib.empty((), dtype=lib.int64).random_().item())
        g = lib.Generator()
        g.manual_seed(seed)
        return [lib.tensor(seed), lib.randperm(50, generator=g), lib.randperm(7, generator=g)]

    both(program, seed=123)


def test_randperm_dtypes():
    both(lambda lib: [lib.randperm(10, dtype=getattr(lib, d)) for d in ("float32", "int32")])


@pytest.mark.parametrize(
    "dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "float32", "float64", "float16"]
)
def test_random_(dtype):
    def program(lib):
        t = getattr(lib, dtype)
        out = [lib.empty(40, dtype=t).random_()]
        if dtype != "bool":
            out.append(lib.empty(40, dtype=t).random_(100))
            out.append(lib.empty(40, dtype=t).random_(3, 50))
        return out

    both(program)


# -- bernoulli, exponential, multinomial --------------------------------------------------


def test_bernoulli_forms():
    def program(lib):
        p32 = lib.tensor(np.linspace(0.0, 1.0, 40, dtype=np.float32))
        return [
            lib.empty(30).bernoulli_(0.3),
            lib.empty(30, dtype=lib.float64).bernoulli_(0.7),
            lib.empty(30, dtype=lib.int64).bernoulli_(0.5),
            lib.empty(30, dtype=lib.bool).bernoulli_(0.5),
            lib.bernoulli(p32),
            lib.bernoulli(p32.double()),
            lib.empty(40, dtype=lib.float64).bernoulli_(p32),
            lib.empty(40).bernoulli_(p32.double()),
            lib.bernoulli(lib.zeros(8), p=0.3),
            p32.bernoulli(),
            lib.empty(4, 10).bernoulli_(p32[::4]),  # broadcast p
        ]

    both(program)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exponential(dtype):
    for lam in (1.0, 2.5, 0.1):
        both(lambda lib, lam=lam: lib.empty(300, dtype=getattr(lib, dtype)).exponential_(lam))


def test_multinomial():
    rs = np.random.RandomState(0)
    for trial in range(16):
        rows, ncat = rs.randint(1, 4), rs.randint(2, 300)
        dt = ["float32", "float64"][trial % 2]
        w = (rs.rand(rows, ncat) ** 3).astype(dt)
        w[w < 0.05] = 0
        k_max = int((w > 0).sum(1).min())
        for rep, k in [(True, 1), (True, 7), (False, 1), (False, min(5, k_max)), (False, k_max)]:
            both(
                lambda lib, w=w, k=k, rep=rep: [
                    lib.multinomial(lib.tensor(w), k, replacement=rep),
                    lib.tensor(w[0]).multinomial(k, rep),
                ],
                seed=trial,
            )


def test_multinomial_errors():
    cases = [
        ((srcad.tensor([1.0, -1.0]), 1), "probability tensor contains either"),
        ((srcad.tensor([0.0, 0.0]), 1), r"invalid multinomial distribution \(sum"),
        ((srcad.tensor([1.0, 1.0]), 3), "cannot sample n_sample > prob_dist"),
        ((srcad.tensor([1.0, 1.0]), 0), "cannot sample n_sample <= 0 samples"),
        ((srcad.tensor([1, 1]), 1), "multinomial only supports floating-point dtypes"),
        ((srcad.tensor(1.0), 1), "prob_dist must be 1 or 2 dim"),
    ]
    for args, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            srcad.multinomial(*args)
    # zero-probability categories are taken last, when they must be
    both(lambda lib: lib.multinomial(lib.tensor([1.0, 0.0]), 2))


# -- nn: init, layers, dropout -------------------------------------------------------------


def test_linear_conv_init_and_a_mixed_program():
    def program(lib):
        x = lib.rand(4, 3)
        z = lib.randn(2, 5)
        lin = lib.nn.Linear(3, 4)
        conv = lib.nn.Conv2d(3, 8, 3)
        y = lib.nn.functional.dropout(x, 0.5, training=True)
        return [x, z, *lin.parameters(), *conv.parameters(), y]

    both(program)
    both(lambda lib: list(lib.nn.Linear(3, 4).double().parameters()), seed=3)


@pytest.mark.parametrize("p", [0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.9, 1.0])
def test_dropout_masks(p):
    def program(lib):
        x = lib.randn(8, 50)
        drop = lib.nn.Dropout(p)
        drop.train()
        return [lib.nn.functional.dropout(x, p, training=True), drop(x), drop.eval()(x)]

    both(program)


def test_dropout_inplace_and_float64():
    both(lambda lib: lib.nn.functional.dropout(lib.ones(30, dtype=lib.float64), 0.15, True))
    both(lambda lib: lib.nn.functional.dropout(lib.ones(30), 0.3, True, inplace=True))


def test_init_functions():
    def program(lib):
        init = lib.nn.init
        return [
            init.uniform_(lib.empty(5, 7), -0.3, 0.2),
            init.normal_(lib.empty(20, 3), 0.1, 0.5),
            init.normal_(lib.empty(3, 3)),
            init.kaiming_uniform_(lib.empty(6, 5, 3, 3), a=math.sqrt(5)),
            init.kaiming_uniform_(lib.empty(7, 9), mode="fan_out", nonlinearity="relu"),
            init.kaiming_normal_(lib.empty(7, 9)),
            init.kaiming_normal_(lib.empty(4, 3), nonlinearity="relu"),
            init.xavier_uniform_(lib.empty(10, 13), gain=init.calculate_gain("tanh")),
            init.xavier_normal_(lib.empty(10, 13)),
            init.xavier_uniform_(lib.empty(3, 4, dtype=lib.float64)),
        ]

    both(program)


@pytest.mark.parametrize(
    "kw",
    [{"std": 0.02}, {}, {"mean": 0.5, "a": 0.0, "b": 0.3}, {"a": 1.0, "b": 1.5}, {"std": 3.0}],
)
def test_trunc_normal(kw):
    both(lambda lib: lib.nn.init.trunc_normal_(lib.empty(60, 50), **kw))
    both(lambda lib: lib.nn.init.trunc_normal_(lib.empty(7), **kw))


# -- in-place fills on the tape ---------------------------------------------------------------


def test_random_fills_on_the_tape():
    names = {
        "uniform_": "UniformBackward0",
        "normal_": "NormalBackward0",
        "bernoulli_": "BernoulliBackward2",
        "random_": "RandomBackward2",
        "exponential_": "ExponentialBackward0",
    }
    for method, name in names.items():
        x = srcad.ones(3, requires_grad=True)
        y = x.clone()
        getattr(y, method)()
        assert type(y.grad_fn).__name__ == name
        assert type(y.grad_fn.next_functions[0][0]).__name__ == "CloneBackward0"
        (y * 2).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]  # PyTorch's zeros
        v = srcad.ones(4, requires_grad=True)
        z = v * 3
        getattr(z[1:3], method)()  # a fill of a view: CopySlices
        z.sum().backward()
        assert v.grad.tolist() == [3.0, 0.0, 0.0, 3.0]
        w = srcad.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(w, method)()


def test_fill_errors_are_torchs():
    cases = [
        (lambda L: L.empty(3).uniform_(2, 1), RuntimeError, "uniform_ expects to return"),
        (lambda L: L.empty(3).normal_(0, -1), RuntimeError, "normal expects std >= 0.0"),
        (lambda L: L.empty(3).random_(5, 2), RuntimeError, "random_ expects 'from' to be less"),
        (lambda L: L.randint(5, 2, (3,)), RuntimeError, "random_ expects 'from' to be less"),
        (lambda L: L.empty(3).bernoulli_(1.5), RuntimeError, "bernoulli_ expects p to be in"),
        (lambda L: L.empty(3).exponential_(0), RuntimeError, "exponential_ expects lambda > 0"),
        (lambda L: L.bernoulli(L.tensor([1.5])), RuntimeError, "Expected p_in >= 0"),
        (lambda L: L.rand(3, dtype=L.int64), NotImplementedError, "check_uniform_bounds"),
        (lambda L: L.randn(3, dtype=L.int64), NotImplementedError, "normal_kernel_cpu"),
        (lambda L: L.randperm(-1), RuntimeError, "Trying to create tensor with negative"),
    ]
    for fn, exc, msg in cases:
        for lib in (torch, srcad):
            with pytest.raises(exc, match=msg):
                fn(lib)


# -- building blocks and speed ---------------------------------------------------------------


def test_fma_helpers_round_once():
    rs = np.random.RandomState(1)
    a, b, c = rs.randn(3, 3000) * 10.0 ** rs.randint(-8, 8, (3, 3000))
    got = R.fma64(a, b, c)
    for x, y, z, w in zip(a, b, c, got):
        assert float(Fraction(x) * Fraction(y) + Fraction(z)) == w
    a32, b32, c32 = (rs.randn(3, 3000) * 10.0 ** rs.randint(-4, 4, (3, 3000))).astype(np.float32)
    got = R.fma32(a32, b32, c32)
    for x, y, z, w in zip(a32, b32, c32, got):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        lo = np.float32(float(exact))
        cands = [np.nextafter(lo, np.float32(-np.inf)), lo, np.nextafter(lo, np.float32(np.inf))]
        best = min(cands, key=lambda v: abs(Fraction(float(v)) - exact))
        assert w == best


def test_a_million_numbers_in_well_under_a_second():
    srcad.manual_seed(0)
    srcad.rand(10)
    start = time.process_time()  # CPU time: robust on a shared machine
    srcad.rand(10**6)
    srcad.randn(10**6)
    assert time.process_time() - start < 1.0
