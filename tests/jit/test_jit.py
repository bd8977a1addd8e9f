"""srcad.grad(f, jit=True): compiled code, checked against the plain generated code
(the same transformation without jit) and against central finite differences."""

import importlib.util
import itertools
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .programs import scalar_programs

numba = pytest.importorskip("numba")
from srcad.jit import JitFallbackWarning  # noqa: E402

_DIR = tempfile.mkdtemp(prefix="srcad_jit_test_")
_COUNT = itertools.count()


def load(source, name="f"):
    """Import ``source`` from a real file (the compiler reads the function's source)."""
    modname = f"srcad_jit_prog_{os.getpid()}_{next(_COUNT)}"
    path = os.path.join(_DIR, modname + ".py")
    with open(path, "w") as fh:
        fh.write("import math\nimport numpy as np\n\n" + source)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


def fd(f, args, k, eps=1e-6):
    """Central difference of scalar ``f`` in argument ``k`` (a float or an array)."""
    x = np.asarray(args[k], dtype=float)
    out = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        up, dn = list(args), list(args)
        if x.shape:
            up[k], dn[k] = x.copy(), x.copy()
            up[k][j] += eps
            dn[k][j] -= eps
        else:
            up[k], dn[k] = float(x) + eps, float(x) - eps
        out[j] = (float(f(*up)) - float(f(*dn))) / (2 * eps)
    return out if x.shape else float(out)


def same(got, want, rtol=1e-12):
    """Equal up to rounding, and of the same types and shapes, all the way down."""
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w, rtol)
        return
    if isinstance(want, np.ndarray):
        assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14)


def compiled(g):
    """Whether the last signature built was compiled (not left to the plain path)."""
    return "_jit_" in g._jit.last_source


def scalar_loop(a, b):
    s = 0.0
    for i in range(100):
        s = s + a * math.sin(b * i)
    return s


def test_scalar_loop_compiled_and_right():
    g = srcad.grad(scalar_loop, wrt=(0, 1), jit=True)
    plain = srcad.grad(scalar_loop, wrt=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first, second = g(1.3, 0.7), g(1.3, 0.7)
        other = g(-0.4, 2.1)  # the same signature: the compiled code
    assert compiled(g)
    same(second, plain(1.3, 0.7))
    same(other, plain(-0.4, 2.1))
    same(first, second)
    # the formulas: d/da = sum sin(b i), d/db = sum a i cos(b i)
    a, b = -0.4, 2.1
    want = (
        sum(math.sin(b * i) for i in range(100)),
        sum(a * i * math.cos(b * i) for i in range(100)),
    )
    np.testing.assert_allclose(other, want, rtol=1e-12)


def test_value_and_grad_types_and_keywords():
    g = srcad.value_and_grad(scalar_loop, wrt=0, jit=True)
    plain = srcad.value_and_grad(scalar_loop, wrt=0)
    g(1.3, 0.7)
    same(g(0.2, 0.9), plain(0.2, 0.9))
    same(g(a=0.2, b=0.9), plain(0.2, 0.9))  # keywords: bound, then the compiled code
    same(g(2, 0.9), plain(2, 0.9))  # an int argument differentiated as a float
    assert type(g(2, 0.9)[1]) is float


def smallarr(x, c):
    for _ in range(10):
        x = x + 0.5 * np.tanh(np.sin(x) * c + np.exp(0.1 * x))
    return np.sum(x)


def indexed(x, w, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * w**2 + math.cos(x[i + 1])
    return s * w


@pytest.mark.parametrize("vg", [srcad.grad, srcad.value_and_grad])
def test_small_arrays(vg):
    rng = np.random.default_rng(0)
    x, c = rng.standard_normal(10), rng.standard_normal(10)
    x0, c0 = x.copy(), c.copy()
    g = vg(smallarr, wrt=(0, 1), jit=True)
    plain = vg(smallarr, wrt=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g(x, c)
        got = g(x, c)
    assert compiled(g)
    same(got, plain(x, c))
    grads = got[1] if vg is srcad.value_and_grad else got
    np.testing.assert_allclose(grads[0], fd(smallarr, (x, c), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads[1], fd(smallarr, (x, c), 1), rtol=1e-6, atol=1e-8)
    # the caller's arrays are untouched, and no result is one of them
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(c, c0)
    assert not any(np.shares_memory(r, a) for r in grads for a in (x, c))


def test_element_loop_with_add_at():
    x = np.linspace(-1.0, 1.0, 6)
    x0 = x.copy()
    g = srcad.grad(indexed, wrt=(0, 1), jit=True)
    plain = srcad.grad(indexed, wrt=(0, 1))
    g(x, 0.8, 4)
    got = g(x, 0.8, 4)
    assert compiled(g)
    same(got, plain(x, 0.8, 4))
    np.testing.assert_allclose(got[0], fd(indexed, (x, 0.8, 4), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], fd(indexed, (x, 0.8, 4), 1), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, x0)
    # another shape is another signature, compiled on its own
    y = np.linspace(-1.0, 1.0, 9)
    same(g(y, 0.8, 7), plain(y, 0.8, 7))


def branchy(a, b, n):
    s = 0.0
    t = 1.0
    for i in range(n):
        if s > 0.5:
            s = s + math.tanh(a * i) / (1.0 + b * b)
        else:
            t = t * math.cos(b)
            s = s - math.exp(-a) * t
    while s > 3.0:
        s = s / 2.0
    return s * b


@pytest.mark.parametrize("a", [1.3, 0.2, -2.0])
def test_value_dependent_branches_and_while(a):
    g = srcad.grad(branchy, wrt=(0, 1), jit=True)
    plain = srcad.grad(branchy, wrt=(0, 1))
    g(1.3, 0.7, 10)  # compiled on one path; the others run the same code
    got = g(a, 0.7, 10)
    assert compiled(g)
    same(got, plain(a, 0.7, 10))
    np.testing.assert_allclose(got[0], fd(branchy, (a, 0.7, 10), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], fd(branchy, (a, 0.7, 10), 1), rtol=1e-6, atol=1e-8)


def outcome(g, *args):
    try:
        return g(*args)
    except Exception as exc:  # the plain code's exception is part of its answer
        return type(exc), str(exc)


def test_non_finite_and_errors_as_without_jit():
    def f(a, b):
        return a * b + math.log(a) + 1.0 / b

    g = srcad.value_and_grad(f, wrt=(0, 1), jit=True)
    plain = srcad.value_and_grad(f, wrt=(0, 1))
    g(1.5, 2.0)
    assert compiled(g)
    # an infinity, a math domain error (NaN in compiled code), a division by zero:
    # the plain path answers each, with its result or its exception
    for a, b in [(1.5, math.inf), (-1.0, 2.0), (1.5, 0.0), (0.0, 1.0), (1.5, -2.0)]:
        want = outcome(plain, a, b)
        got = outcome(g, a, b)
        if isinstance(want[0], type):
            assert got == want
        else:
            np.testing.assert_equal(got, want)
            assert type(got[1][0]) is type(want[1][0])
    assert outcome(plain, -1.0, 2.0)[0] is ValueError


K = 2.0


def uses_global(a):
    return K * math.sin(a)


def takes_list(xs, a):
    return a * sum(xs)


def test_fallbacks_warn_once_and_give_the_plain_result():
    global K
    g = srcad.grad(uses_global, jit=True)
    with pytest.warns(JitFallbackWarning, match="global 'K'"):
        g(0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per signature
        K = 3.0
        try:
            np.testing.assert_allclose(g(0.3), 3.0 * math.cos(0.3), rtol=1e-14)
        finally:
            K = 2.0
    g2 = srcad.grad(takes_list, wrt=1, jit=True)
    with pytest.warns(JitFallbackWarning, match="list"):
        got = g2([1.0, 2.0], 0.5)
    assert got == srcad.grad(takes_list, wrt=1)([1.0, 2.0], 0.5) == 3.0


def test_has_aux_falls_back():
    def f(a):
        return a * a, {"a": a}

    g = srcad.grad(f, has_aux=True, jit=True)
    with pytest.warns(JitFallbackWarning, match="has_aux"):
        grad, aux = g(3.0)
    assert grad == 6.0 and aux == {"a": 3.0}


def test_jit_with_tape_mode_refused():
    with pytest.raises(ValueError, match="tape"):
        srcad.grad(scalar_loop, mode="tape", jit=True)


def test_numba_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    with pytest.raises(ImportError, match=r"srcad\[jit\]"):
        srcad.grad(scalar_loop, jit=True)
    with pytest.raises(ImportError, match=r"srcad\[jit\]"):
        srcad.value_and_grad(wrt=1, jit=True)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    prog=scalar_programs(),
    a=st.sampled_from([-1.1, 0.45, 0.9]),
    b=st.sampled_from([0.35, -0.8]),
    n=st.integers(2, 6),
)
def test_generated_scalar_programs(prog, a, b, n):
    source, kinks = prog
    f = load(source)
    g = srcad.grad(f, wrt=(0, 1), jit=True)
    plain = srcad.grad(f, wrt=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every program of the family compiles
        g(0.5, 0.5, 3)
        got = g(a, b, n)
    assert compiled(g), source
    same(got, plain(a, b, n))
    if all(abs(a - k) > 1e-3 for k in kinks):
        np.testing.assert_allclose(got[0], fd(f, (a, b, n), 0), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got[1], fd(f, (a, b, n), 1), rtol=1e-6, atol=1e-7)


def layer(x, W, V):
    h = np.tanh(x @ W)
    return np.sum((h @ V) ** 2)


@pytest.mark.parametrize("batch", [False, True])
def test_matmul_adjoints(batch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4) if batch else 4)
    W, V = rng.standard_normal((4, 5)) / 2, rng.standard_normal(5) / 2
    g = srcad.grad(layer, wrt=(0, 1, 2), jit=True)
    plain = srcad.grad(layer, wrt=(0, 1, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g(x, W, V)
        got = g(x, W, V)
    try:
        import scipy  # noqa: F401  (Numba's linear algebra needs it)

        assert compiled(g) and not caught
    except ImportError:  # the plain path, after one warning that says why
        assert [str(w.message) for w in caught if "scipy" in str(w.message)]
    same(got, plain(x, W, V))
    for k in range(3):
        np.testing.assert_allclose(got[k], fd(layer, (x, W, V), k), rtol=1e-6, atol=1e-8)


def running_best(a, n):
    best = None
    for i in range(n):
        v = math.sin(a * i + 0.5)
        if best is None or v > best:
            best = v
    return best * a


def test_none_keeps_its_meaning():
    g = srcad.grad(running_best, jit=True)
    plain = srcad.grad(running_best)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JitFallbackWarning)
        g(0.9, 6)
        for a, n in [(0.9, 6), (2.3, 9), (-1.7, 4)]:
            got = g(a, n)
            same(got, plain(a, n))
            np.testing.assert_allclose(got, fd(running_best, (a, n), 0), rtol=1e-6)


def with_default(a, b=0.5, n=4):
    s = 0.0
    for i in range(n):
        s = s + math.cos(a * b + i)
    return s


def test_defaults_and_keywords():
    g = srcad.grad(with_default, jit=True)
    plain = srcad.grad(with_default)
    calls = [  # (args, kwargs, the b and n they mean)
        ((0.3,), {}, 0.5, 4),
        ((0.3, 0.9), {}, 0.9, 4),
        ((0.3,), {"n": 6}, 0.5, 6),
        ((0.7, 0.2, 3), {}, 0.2, 3),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g(0.3)
        for args, kw, b, n in calls:
            got = g(*args, **kw)
            same(got, plain(*args, **kw))
            want = -sum(b * math.sin(args[0] * b + i) for i in range(n))
            np.testing.assert_allclose(got, want, rtol=1e-12)
    assert compiled(g)


def test_decorator_forms_and_nesting():
    @srcad.grad(wrt=1, jit=True)
    def f(a, b):
        return a * math.exp(b)

    assert f(2.0, 0.5) == f(2.0, 0.5) == 2.0 * math.exp(0.5)
    assert compiled(f)
    # grad of a jit grad: the outer one differentiates the inner's generated code
    d2 = srcad.grad(srcad.grad(scalar_loop, wrt=1, jit=True), wrt=1)
    want = -sum(1.3 * i * i * math.sin(0.7 * i) for i in range(100))
    np.testing.assert_allclose(d2(1.3, 0.7), want, rtol=1e-10)


@pytest.mark.parametrize("vg", [srcad.grad, srcad.value_and_grad])
def test_one_element_wrt_tuple(vg):
    x = np.linspace(0.1, 0.9, 3)
    g = vg(smallarr, wrt=(0,), jit=True)
    plain = vg(smallarr, wrt=(0,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g(x, x)
        got = g(x, x)
    assert compiled(g)
    same(got, plain(x, x))


def ignores_b(a, b):
    return a * a


def picks(x, i):
    return x[i] * x[i + 1]


def test_zero_gradients_and_infinite_arguments():
    g = srcad.value_and_grad(ignores_b, wrt=(0, 1), jit=True)
    plain = srcad.value_and_grad(ignores_b, wrt=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g(1.0, 2.0)
        for a, b in [(3.0, 2.0), (3.0, math.inf), (math.inf, 1.0)]:
            np.testing.assert_equal(g(a, b), plain(a, b))
    assert g(3.0, 2.0) == (9.0, (6.0, 0.0))
    assert compiled(g)
    x = np.array([0.5, -2.0, 3.0, 1.5])
    gp = srcad.grad(picks, jit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gp(x, 1)
        got = gp(x, 1)
    assert compiled(gp)
    np.testing.assert_array_equal(got, [0.0, 3.0, -2.0, 0.0])
    same(got, srcad.grad(picks)(x, 1))


def test_numpy_scalar_arguments():
    g = srcad.value_and_grad(scalar_loop, wrt=(0, 1), jit=True)
    plain = srcad.value_and_grad(scalar_loop, wrt=(0, 1))
    a, b = np.float64(1.3), np.float64(0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g(a, b)
        got = g(a, b)
    assert compiled(g)
    same(got, plain(a, b))  # (types included)


def softplus_sum(a, b):
    return np.logaddexp(0.0, a * 3.0) + np.logaddexp(a, b) + np.logaddexp(b, -40.0)


@pytest.mark.parametrize("a, b", [(0.3, -0.2), (-50.0, 1.0), (50.0, -60.0)])
def test_logaddexp_compiled_without_its_result(a, b):
    """logaddexp's adjoint is the logistic function of the difference (_rt.logistic,
    compiled too): d/da = 3 s(3a) + s(a - b), d/db = s(b - a) + s(b + 40)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitFallbackWarning)
        g = srcad.grad(softplus_sum, wrt=(0, 1), jit=True)
        for _ in range(2):
            da, db = g(a, b)

    def s(t):  # the logistic function, written independently
        return math.exp(-math.log1p(math.exp(-t))) if t > -30 else math.exp(t)

    np.testing.assert_allclose(da, 3 * s(3 * a) + s(a - b), rtol=1e-12)
    np.testing.assert_allclose(db, s(b - a) + s(b + 40.0), rtol=1e-12)


def softplus_of_negations(a, x):
    return np.logaddexp(0.0, -a * 2.0) + np.sum(np.logaddexp(0.0, -x))


@pytest.mark.parametrize("a", [0.3, -50.0, 50.0, 0.0])
def test_logistic_neg_compiled(a):
    """``np.logaddexp(0.0, -z)``'s adjoint reads ``_rt.logistic_neg(z)`` (negations.py);
    compiled, on a number and on an array: d/da = -2 s(-2a), d/dx = -s(-x)."""
    x = np.array([-40.0, -1.5, 0.0, 2.0, 700.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitFallbackWarning)
        g = srcad.grad(softplus_of_negations, wrt=(0, 1), jit=True)
        for _ in range(2):
            da, dx = g(a, x)
    assert "logistic_neg" in g.source

    def s(t):  # the logistic function, written independently
        return math.exp(-math.log1p(math.exp(-t))) if t > -30 else math.exp(t)

    np.testing.assert_allclose(da, -2.0 * s(-2.0 * a), rtol=1e-12)
    np.testing.assert_allclose(dx, [-s(-v) for v in x], rtol=1e-12, atol=0.0)


def picked_from_a_product(x, k):
    t = x * 2.0
    return t[k] * 3.0 + np.sum(x)


def test_a_stand_in_is_compiled_as_the_operation():
    """The shape pass gives ``t[k]``'s adjoint ``_rt.result_like(x, '*', 2.0)`` for
    ``t`` (shapes.py); compiled, that is ``x * 2.0`` again, not a refusal."""
    x = np.arange(4.0)
    g = srcad.grad(picked_from_a_product, jit=True)
    plain = srcad.grad(picked_from_a_product)
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitFallbackWarning)
        got = g(x, 1)
        got = g(x, 2)
    want = plain(x, 2)
    assert "result_like" in plain.source, plain.source  # (the stand-in is there)
    assert compiled(g), g._jit.last_source
    same(got, want)
    np.testing.assert_allclose(got, fd(picked_from_a_product, (x, 2), 0), rtol=1e-6, atol=1e-8)
