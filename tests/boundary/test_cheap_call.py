"""The cheap call (api.py ``_fast_call``): a transformation called again with arrays
and numbers of the same types, shapes and dtypes skips binding, the argument walk
and, when the generated code is argument-pure (compiler/purity.py), the private
copies of the arrays.  It must give what the careful call gives and never change a
caller's array, also when the purity verdict is wrong (read-only views catch the
write).  References: finite differences and hand-derived formulas.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import srcad
from srcad.compiler import driver
from tests.fuzz import check as fuzz_check
from tests.fuzz import gen as fuzz_gen
from tests.fuzz.regressions.crash_alias_001 import f as dot_after_a_branch


def fd_grad(f, args, i, eps=1e-6):
    x = np.asarray(args[i], dtype=np.float64)
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        plus = list(args)
        minus = list(args)
        plus[i] = x + e if x.ndim else float(x + e)
        minus[i] = x - e if x.ndim else float(x - e)
        g.flat[k] = (f(*plus) - f(*minus)) / (2 * eps)
    return g if x.ndim else float(g)


def pure(x, w):
    return np.sum(np.tanh(x @ w) ** 2)


def writes_argument(x, w):
    x[0] = 2.0 * x[1]  # the caller's array must not change
    return np.sum(np.tanh(x @ w) ** 2)


def scalar_loop(a, b):
    s = 0.0
    for i in range(20):
        s = s + a * np.sin(b * i)
    return s


def writes_own_dict(x, w):
    hs = {}
    hs[0] = x @ w  # (into a dict the function made: no argument changes)
    hs[1] = np.tanh(hs[0])
    return np.sum(hs[1] ** 2)


def writes_own_list(x, w):
    hs = [x @ w]
    hs[0] = np.tanh(hs[0])
    return np.sum(hs[0] ** 2)


def writes_through_own_list(x, w):
    hs = [x]
    hs[0][0] = 2.0 * x[1]  # (into the argument, through the list)
    return np.sum(np.tanh(x @ w) ** 2)


def writes_own_dict_rebound(x, w):
    hs = {}
    if w[0] > 0:
        hs = x  # (hs may be the argument)
    hs[0] = 2.0 * x[1]
    return np.sum(np.tanh(x @ w) ** 2)


def _product(g):
    return g._last[0]


def test_only_a_container_the_code_made_may_be_written():
    """The analysis itself (the compiler refuses these two for its own reasons): a store
    through the function's own list into what it holds, or into a name that may be
    an argument, is not argument-pure."""
    import inspect
    import textwrap

    import gast

    from srcad.compiler.purity import argument_pure

    for f, want in (
        (writes_own_dict, True),
        (writes_own_list, True),
        (writes_through_own_list, False),
        (writes_own_dict_rebound, False),
        (writes_argument, False),
    ):
        fdef = gast.parse(textwrap.dedent(inspect.getsource(f))).body[0]
        assert argument_pure([fdef], {}, {"np": np}) is want, f.__name__


def test_purity_verdicts():
    x, w = np.ones((3, 2)), np.full(2, 0.3)
    for f, want in (
        (pure, True),
        (writes_argument, False),
        (writes_own_dict, True),
        (writes_own_list, True),
    ):
        g = srcad.grad(f, wrt=1, mode="source")
        g(x.copy(), w)
        assert _product(g).__srcad_pure__ is want, f.__name__


@pytest.mark.parametrize("f", [pure, writes_argument, writes_own_dict, writes_own_list])
def test_repeated_calls_agree_with_finite_differences(f):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 2)), rng.standard_normal(2)
    keep_x, keep_w = x.copy(), w.copy()
    g = srcad.grad(f, wrt=(0, 1), mode="source")
    want = [fd_grad(f, (x.copy(), w.copy()), i) for i in (0, 1)]
    for _ in range(3):
        got = g(x, w)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
            assert a.flags.writeable and not np.shares_memory(a, x) and not np.shares_memory(a, w)
        np.testing.assert_array_equal(x, keep_x)
        np.testing.assert_array_equal(w, keep_w)


def test_cheap_path_is_taken_for_pure_code():
    g = srcad.grad(pure, wrt=1, mode="source")
    x, w = np.ones((3, 2)), np.full(2, 0.3)
    g(x, w)
    assert g._fast, "the first call records the cheap path"
    g2 = srcad.grad(writes_argument, wrt=1, mode="source")
    g2(x.copy(), w)
    assert not g2._fast, "code that writes into an argument keeps its private copies"


def test_a_wrong_purity_verdict_costs_a_redo_not_an_array(monkeypatch):
    """Pretend the analysis says 'pure' for code that writes into its argument: the
    read-only view turns the write into NumPy's error, and the call is redone on
    private copies (the gradient right, the caller's array unchanged)."""
    monkeypatch.setattr(driver, "argument_pure", lambda *a: True)
    srcad.clear_cache()
    try:
        rng = np.random.default_rng(4)
        x, w = rng.standard_normal((3, 2)), rng.standard_normal(2)
        keep = x.copy()
        g = srcad.grad(writes_argument, wrt=1, mode="source")
        want = fd_grad(writes_argument, (x.copy(), w.copy()), 1)
        for _ in range(3):
            np.testing.assert_allclose(g(x, w), want, rtol=1e-5, atol=1e-7)
            np.testing.assert_array_equal(x, keep)
        assert g._fast is None  # switched off after the read-only error
    finally:
        srcad.clear_cache()


def test_new_shapes_and_dtypes_after_a_cheap_call():
    g = srcad.grad(pure, wrt=1, mode="source")
    rng = np.random.default_rng(5)
    for shape in [(3, 2), (3, 2), (5, 2), (3, 2), (1, 2)]:
        x, w = rng.standard_normal(shape), rng.standard_normal(2)
        np.testing.assert_allclose(g(x, w), fd_grad(pure, (x, w), 1), rtol=1e-5, atol=1e-7)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    got = g(x32, w32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, fd_grad(pure, (x, w), 1), rtol=1e-3, atol=1e-4)
    # an integer array for the wrt argument is converted (not taken by the cheap path)
    got = g(x, np.array([1, 2]))
    np.testing.assert_allclose(got, fd_grad(pure, (x, np.array([1.0, 2.0])), 1), rtol=1e-5)


def test_python_floats():
    g = srcad.grad(scalar_loop, wrt=(0, 1), mode="source")
    for a, b in [(1.3, 0.7), (1.3, 0.7), (-0.4, 2.0)]:
        got = g(a, b)
        # d/da = sum sin(b i), d/db = sum a i cos(b i)
        want_a = sum(np.sin(b * i) for i in range(20))
        want_b = sum(a * i * np.cos(b * i) for i in range(20))
        assert type(got[0]) is float and type(got[1]) is float
        np.testing.assert_allclose(got, (want_a, want_b), rtol=1e-12)


def biased(w, b, X):
    return np.sum(np.tanh(np.dot(X, w) + b))


def test_a_float_argument_whose_gradient_is_a_numpy_scalar():
    # db is a sum over an array (np.float64) in the generated code: the cheap call
    # gives the float the careful call gives, every time
    rng = np.random.default_rng(5)
    w, X = rng.standard_normal(3), rng.standard_normal((6, 3))
    g = srcad.grad(biased, wrt=(0, 1), mode="source")
    for b in (0.3, 0.3, -1.2, 0.3):
        got = g(w, b, X)
        assert type(got[1]) is float
        want = np.sum(1.0 - np.tanh(X @ w + b) ** 2)
        np.testing.assert_allclose(got[1], want, rtol=1e-12)
        np.testing.assert_allclose(got[1], fd_grad(biased, (w, b, X), 1), rtol=1e-6)
    assert g._run is not None  # (the cheap call answered)


HELPER_SCALE = 2.0


def helper(v):
    return HELPER_SCALE * v


def uses_helper(x):
    return np.sum(helper(x) ** 2)


def test_a_rebound_global_is_seen_by_the_cheap_path(monkeypatch):
    g = srcad.grad(uses_helper, mode="source")
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(g(x), 8.0 * x)
    np.testing.assert_allclose(g(x), 8.0 * x)
    monkeypatch.setitem(globals(), "helper", lambda v: 3.0 * v)
    np.testing.assert_allclose(g(x), 18.0 * x)
    monkeypatch.setitem(globals(), "HELPER_SCALE", 0.5)  # data: read when the code runs
    np.testing.assert_allclose(g(x), 18.0 * x)


def test_value_is_never_the_callers_array():
    x = np.array(2.0)
    value, grad = srcad.value_and_grad(lambda v: v, mode="source")(x)
    value2, _ = srcad.value_and_grad(lambda v: v, mode="source")(x)
    for v in (value, value2):
        assert not (isinstance(v, np.ndarray) and np.shares_memory(v, x))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(fuzz_gen.programs("all"))
def test_generated_programs_twice(prog):
    """Programs from the fuzzer's generator, each gradient taken twice on the same
    arrays: the second (cheap) call gives exactly what the first gave, and neither
    changes the caller's arrays.  (The fuzzer itself checks both calls against
    finite differences: tests/fuzz/check.py.)"""
    f = fuzz_check.load(prog.source, prog.name)
    args = fuzz_gen.make_args(prog)
    pristine = fuzz_check._copy(args)
    try:  # a program NumPy itself cannot run, or whose own values overflow, is not a
        # test of srcad (the fuzzer's checker rejects it the same way: check.py)
        with np.errstate(all="ignore", over="raise"):
            f(*fuzz_check._copy(args))
    except Exception:  # noqa: BLE001
        return
    g = srcad.grad(f, wrt=tuple(prog.wrt), mode="source")
    try:
        with np.errstate(all="ignore"):
            first = g(*args)
            second = g(*args)
    except srcad.UnsupportedError:
        return
    for a, b in zip(first, second):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert fuzz_check._same_inputs(args, pristine)


# -- arguments read only as operands get no view (purity.operand_parameters) ----------

SCALE_ARRAY = np.array([1.0, 2.0])


class Writer:
    """An operand whose ``__array_ufunc__`` writes into the other operand."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kw):
        for v in inputs:
            if isinstance(v, np.ndarray):
                v[...] = 0.0
        return 0.0


WRITER = Writer()


def only_operands(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, -z) + (1.0 - y) * z)


def passes_to_a_call(w, y):
    return np.sum(np.tanh(w) * y[0])


def global_object_operand(w, y):
    return np.sum(w * y) + 0.0 * (y * WRITER)


def test_operand_parameters():
    rng = np.random.default_rng(1)
    w, X, y = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.random(5)
    cases = [
        (only_operands, (w, X, y), {0, 1, 2}),
        (passes_to_a_call, (w, w + 1.0), {0}),  # w only into a ufunc, y subscripted
    ]
    for f, args, want in cases:
        g = srcad.grad(f, mode="source")
        g(*args)
        got = set(_product(g).__srcad_operands__)
        assert got == want, (f.__name__, got, g.source)


def _operands(src, **globs):
    import gast

    from srcad.compiler.purity import operand_parameters

    fdef = gast.parse(src).body[0]
    return set(operand_parameters(fdef, {"_rt": srcad.runtime}, {"np": np, **globs}))


def test_operand_parameters_rule():
    head = "def f(a, b, c):\n"
    assert _operands(head + "    return a @ b - (-c) * 2.0\n") == {0, 1, 2}
    assert _operands(head + "    return a < b\n") == {0, 1, 2}
    assert _operands(head + "    return a * b, c\n") == {0, 1}  # c itself is returned
    assert _operands(head + "    return a[0] * b.T * np.sum(c)\n") == set()
    # a ufunc's or np.dot's positional inputs: a new array, nothing written
    assert _operands(head + "    return np.tanh(a) * np.dot(b, c)\n") == {0, 1, 2}
    assert _operands(head + "    return np.add(a, b, out=c)\n") == set()  # (c written)
    assert _operands(head + "    return np.add(a, b, c)\n") == set()  # c: the output
    assert _operands(head + "    return np.add.reduce(a) * np.reshape(b, 2) * c\n") == {2}
    assert _operands(head + "    return np.dot(*a) * np.exp(x=b) * c\n") == {2}
    assert _operands(head + "    return np.dot(a, b, c)\n") == set()
    assert _operands(head + "    return np.einsum('ij->ji', a) * b * c\n") == {1, 2}
    assert _operands(head + "    return K.exp(a) * b * c\n", K=np.ones(2)) == {1, 2}
    assert _operands(head + "    d = a\n    return d * b * c\n") == {1, 2}  # a copied
    assert _operands(head + "    a = 2.0 * a\n    return a * b * c\n") == {1, 2}
    assert _operands(head + "    return a * b * c * K\n", K=2.0) == {0, 1, 2}
    assert _operands(head + "    return a * b * c * K\n", K=np.ones(2)) == {0, 1, 2}
    # ZERO + x and x - ZERO are x itself: a sum or difference makes a new array only
    # with a number, a parameter never bound again, or a local bound only to
    # arithmetic or NumPy calls over those (never the symbolic zero)
    assert _operands(head + "    return a + b, 1.0 - c\n") == {0, 1, 2}
    assert _operands(head + "    d = a * 2.0\n    return d + b, c - d\n") == {0, 1, 2}
    assert _operands(head + "    d = np.exp(a)\n    e = -d\n    return e + b, c - e\n") == {
        0,
        1,
        2,
    }
    assert _operands(head + "    d = _rt.ZERO\n    return d + b, a * c\n") == {0, 2}
    assert _operands(head + "    d = a * _rt.ZERO\n    return d + b, c * 2.0\n") == {0, 2}
    assert _operands(head + "    s = [a]\n    d = s.pop()\n    return d + b, c * 2.0\n") == {2}
    assert _operands(head + "    d = _rt.unbroadcast(a, c)\n    return d + b, c * 2.0\n") == set()
    assert _operands(head + "    d = K.exp(a)\n    return d + b, c * 2.0\n", K=np.ones(2)) == {2}
    assert _operands(head + "    d = a * 2.0\n    d = d * K\n    return d + b, c\n", K=2.0) == {0}
    assert _operands(head + "    d, e = a, c\n    return d + b, e * 2.0\n") == set()
    assert _operands(head + "    d = a\n    d += 1.0\n    return b - d, c * 2.0\n") == {2}
    assert _operands(head + "    return (a * 2.0) + b, c - (a * b)\n") == {0}
    assert _operands(head + "    b = b * 2.0\n    return a + b, c * 2.0\n") == {0, 2}
    assert _operands(head + "    b = b * _rt.ZERO\n    return a + b, c * 2.0\n") == {2}
    # a global that is not a plain value (it may write into its operands), or a name
    # from a closure: nothing is proven
    assert _operands(head + "    return a * b * c * K\n", K=WRITER) == set()
    assert _operands(head + "    return a * b * c * K\n", K=np.ma.ones(2)) == set()
    assert _operands(head + "    return a * b * c * unknown\n") == set()
    assert _operands("def f(a, *b):\n    return a + 1.0\n") == set()
    # reading only the shape: np.shape, np.ndim, np.size, len, .shape and the like
    shapes = "    return a * np.shape(b)[0] * len(c)\n"
    assert _operands(head + shapes) == {0, 1, 2}
    assert _operands(head + "    return a.shape[0] * b.ndim * c.size * np.ndim(a)\n") == {0, 1, 2}
    assert _operands(head + "    return a.T * np.shape(b, c)\n") == set()  # (a.T: a view)
    assert _operands(head + "    return a * np.sum(b) * np.size(c, 0)\n") == {0}
    assert _operands(head + shapes, len=lambda x: 3) == set()  # (a global len: not proven)
    assert _operands(head + "    return a * K.shape(b) * c\n", K=WRITER) == set()


def test_a_gradient_that_is_the_symbolic_zero_plus_an_argument():
    """``dx0 = dx0 + x1`` where ``dx0`` is ``_rt.ZERO`` on the path not taken: the sum is
    ``x1`` itself, so ``x1`` keeps its view and the gradient is a copy, never the
    caller's array (with ``value_and_grad`` too; the program is the fuzz case
    tests/fuzz/regressions/crash_alias_001.py)."""
    x, y = np.ones(3), np.array([1.0, 2.0, 3.0])
    for vg in (False, True):
        g = (srcad.value_and_grad if vg else srcad.grad)(dot_after_a_branch, mode="source")
        for _ in range(3):
            d = g(x, y)
            d = d[1] if vg else d
            assert not np.shares_memory(d, y)
            np.testing.assert_array_equal(d, y)
        if not vg:  # (with the value the seed is a name: dx0 + df * x1)
            assert "_rt.ZERO" in g.source and "dx0 + x1" in g.source, g.source
            assert 1 not in _product(g).__srcad_operands__


def test_a_global_object_operand_keeps_every_view():
    """A global whose ``__array_ufunc__`` writes into its operands: no argument goes
    without a view, and the caller's array is never the one written."""
    g = srcad.grad(global_object_operand, mode="source")
    w, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for _ in range(2):
        g(w, y)
        np.testing.assert_array_equal(y, [3.0, 4.0])
    assert _product(g).__srcad_operands__ == frozenset()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(fuzz_gen.programs("all"))
def test_arguments_without_views_are_never_changed_nor_returned(prog):
    """Generated programs, each gradient taken three times: no caller's array changes,
    and no gradient is (or shares memory with) an argument, whether or not the cheap
    call passed that argument without a view."""
    f = fuzz_check.load(prog.source, prog.name)
    args = fuzz_gen.make_args(prog)
    try:
        with np.errstate(all="ignore", over="raise"):
            f(*fuzz_check._copy(args))
    except Exception:  # noqa: BLE001  (NumPy itself cannot run it: not a test of srcad)
        return
    pristine = fuzz_check._copy(args)
    g = srcad.grad(f, wrt=tuple(prog.wrt), mode="source")
    for _ in range(3):
        try:
            with np.errstate(all="ignore"):
                grads = g(*args)
        except srcad.UnsupportedError:
            return
        for a, p in zip(args, pristine):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, p)
        for gr in grads if isinstance(grads, tuple) else (grads,):
            for a in args:
                if isinstance(gr, np.ndarray) and isinstance(a, np.ndarray):
                    assert not np.shares_memory(gr, a)
