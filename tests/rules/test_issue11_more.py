"""What the peer suites (HIPS autograd's tests, Tangent's corpus, retargeted at srcad)
found after the first round of issue 11, each against central finite differences in
float64 or a hand-derived formula, in every engine that takes the program.

* NumPy functions passed directly, with keywords (``srcad.grad(np.sum)(x, axis=0)``);
* ``np.r_[...]``/``np.c_[...]`` in source mode; ``dict(...)`` displays; a parameter
  default that names an enclosing variable; nested lists as arrays; a scalar
  assigned into a row; loops over a dict's keys and sorted items;
* complex inputs (JAX's convention, docs/rules.md): ``var``/``std``, ``svd``,
  ``eigh``/``eigvalsh``, and a complex argument's gradient is complex;
* the tape: tuple and dict outputs of ``vjp``/``jvp``, ``float % Tensor``, and a
  complex argument reaching the tape through ``mode="auto"`` is refused.
"""

import operator
import warnings

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad

ENGINES = ("source", "tape", "auto")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        return fn(*args, **kwargs)


def _close(got, want, tol=1e-6):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=tol, atol=tol)


def _fd_vjp(f, args, kwargs, wrt, ct, eps=1e-6):
    """d/d args[wrt] of <ct, f(*args, **kwargs)> (real arguments), by central differences."""

    def loss(*a):
        return float(np.sum(np.asarray(ct) * np.asarray(f(*a, **kwargs))))

    return numerical_grad(loss, args, wrt=wrt, eps=eps)


# -- NumPy functions passed directly -------------------------------------------------


RNG = np.random.RandomState(11)
X34 = RNG.randn(3, 4)
Y34 = RNG.randn(3, 4)
DIRECT = [
    (np.sum, (X34,), {"axis": 0, "keepdims": True}, 0),
    (np.sum, (X34,), {"axis": None}, 0),
    (np.mean, (X34,), {"axis": 1}, 0),
    (np.var, (X34,), {"axis": 0, "ddof": 1}, 0),
    (np.einsum, ("ij,ij->i", X34, Y34), {}, 1),
    (np.einsum, ("ij,ij->i", X34, Y34), {}, 2),
    (np.tensordot, (X34, Y34), {"axes": 2}, 1),
    (np.vstack, ((X34, Y34),), {}, 0),
    (np.concatenate, ((X34, Y34),), {"axis": 1}, 0),
    (np.transpose, (X34,), {"axes": (1, 0)}, 0),
]


@pytest.mark.parametrize("mode", ENGINES)
@pytest.mark.parametrize(
    "prim, args, kwargs, wrt",
    DIRECT,
    ids=[f"{p.__name__}-{i}" for i, (p, *_) in enumerate(DIRECT)],
)
def test_numpy_function_passed_directly(prim, args, kwargs, wrt, mode):
    out = prim(*args, **kwargs)
    ct = np.random.RandomState(0).randn(*np.shape(out))
    value, pullback = _quiet(srcad.vjp(prim, wrt=wrt, mode=mode), *args, **kwargs)
    _close(value, out)
    got = pullback(ct)
    want = _fd_vjp(prim, args, kwargs, wrt, ct)
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            _close(g, w)
    else:
        _close(got, want)


@pytest.mark.parametrize("mode", ENGINES)
def test_numpy_reduction_passed_directly_to_grad(mode):
    g = _quiet(srcad.grad(np.sum, mode=mode), X34, axis=None)
    _close(g, np.ones_like(X34))
    g = _quiet(srcad.grad(np.prod, mode=mode), np.array([2.0, 3.0, 5.0]))
    _close(g, [15.0, 10.0, 6.0])


def test_numpy_function_passed_directly_forward_mode():
    t = RNG.randn(3, 4)
    value, tout = srcad.jvp(np.sum, mode="source")(X34, t, axis=0)
    _close(value, np.sum(X34, axis=0))
    _close(tout, np.sum(t, axis=0))


# -- np.r_ / np.c_ ---------------------------------------------------------------------


def r_mixed(x):
    return np.sum(np.r_[x[0], x[1:3] * 2.0, 0:2, 7.0] ** 2)


def r_rows(x):
    return np.sum(np.sin(np.r_[x, x * x]))


def c_cols(x):
    return np.sum(np.c_[x, 3.0 * x] ** 3)


def r_directive(x):
    return np.sum(np.r_["0,2", x, x + 1.0] ** 2)


@pytest.mark.parametrize("f", [r_mixed, r_rows, c_cols, r_directive])
def test_index_tricks_in_source_mode(f):
    x = np.array([0.3, -1.2, 0.7, 2.0])
    _close(srcad.grad(f, mode="source")(x), numerical_grad(f, (x,)))
    value, tout = srcad.jvp(f, mode="source")(x, np.ones(4))
    _close(tout, np.sum(numerical_grad(f, (x,))))


def test_index_tricks_on_the_tape_refuse_rather_than_drop_the_gradient():
    x = np.array([0.3, -1.2, 0.7, 2.0])
    try:
        g = srcad.grad(r_rows, mode="tape")(x)
    except RuntimeError:
        return  # a clear refusal is allowed
    _close(g, numerical_grad(r_rows, (x,)))


# -- dict(...) --------------------------------------------------------------------------


def dict_keywords(a, b):
    d = dict(a=a, b=b * 2.0)
    return d["a"] * d["b"]


def dict_pairs(a, b):
    d = dict([("a", a), ("c", 3.0)], b=b)
    return d["a"] * d["b"] + d["c"]


def dict_copy(a, b):
    d = dict({"a": a * b, "b": b}, a=a)  # a repeated key keeps the last value
    return d["a"] * d["b"]


def _saxpy(val):
    return val["a"] * val["b"] + val["c"]


def dict_wrapper(abc):
    a, b, c = abc
    return _saxpy(dict(a=a, b=b, c=c))


make = dict


def dict_other_name(a, b):
    return make(a=a, b=b)["a"] * b


@pytest.mark.parametrize("mode", ENGINES)
@pytest.mark.parametrize("f", [dict_keywords, dict_pairs, dict_copy, dict_other_name])
def test_dict_constructor_on_active_values(f, mode):
    args = (1.3, -0.7)
    got = _quiet(srcad.grad(f, wrt=(0, 1), mode=mode), *args)
    want = numerical_grad(f, args, wrt=(0, 1))
    _close(got, want)


def test_dict_constructor_in_a_called_function():
    abc = (0.5, -1.5, 2.0)
    got = srcad.grad(dict_wrapper, mode="source")(abc)
    _close(got, (-1.5, 0.5, 1.0))  # d(ab + c) = (b, a, 1)


# -- a default that names an enclosing variable ------------------------------------------

SCALE = 3.0


def scaled(x, s=SCALE * 2.0):
    return np.sum(x * x) * s


def _closures():
    out = []
    for num in (1, 4):

        def fun(x, y, num=num):
            return np.sum(np.linspace(x, y, num) ** 2)

        out.append(fun)
    return out


@pytest.mark.parametrize("mode", ENGINES)
def test_default_naming_an_enclosing_variable(mode):
    for fun in _closures():
        got = _quiet(srcad.grad(fun, wrt=(0, 1), mode=mode), 1.2, 3.4)
        _close(got, numerical_grad(fun, (1.2, 3.4), wrt=(0, 1)))
    x = np.array([1.0, -2.0])
    _close(_quiet(srcad.grad(scaled, mode=mode), x), 12.0 * x)


# -- nested lists, a scalar into a row ---------------------------------------------------


def nested_rows(x):
    return np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])


def scalar_into_rows(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h * np.arange(3.0))


def scalar_into_rows_then_used(x):
    h = np.zeros((len(x), 3))
    v = 0.0
    for t in range(len(h)):
        v = x[t] * 2.0
        h[t] = v
    return np.sum(h) + v * np.sum(x)


@pytest.mark.parametrize("mode", ENGINES)
def test_nested_list_as_a_2d_array(mode):
    ct = np.arange(6.0).reshape(2, 3)
    _, pullback = _quiet(srcad.vjp(nested_rows, mode=mode), 3.0)
    _close(pullback(ct), 0 + 1 + 2 + 3 * 2 * 3.0 + 4 + 5 / 2.0)


@pytest.mark.parametrize("mode", ENGINES)
@pytest.mark.parametrize("f", [scalar_into_rows, scalar_into_rows_then_used])
def test_scalar_assigned_into_a_row(f, mode):
    x = np.array([0.5, -1.0, 2.0])
    _close(_quiet(srcad.grad(f, mode=mode), x), numerical_grad(f, (x,)))


# -- loops over a dict's keys and sorted items -------------------------------------------


def keys_sorted(d):
    total = 0.0
    for i, k in enumerate(sorted(d)):
        total = total + np.sum(np.sin(d[k])) * (i + 1.0)
    for k in sorted(d.keys()):
        total = total + np.sum(np.cos(d[k]))
    return total


def items_sorted(d):
    total = 0.0
    for i, (_k, v) in enumerate(sorted(d.items(), key=operator.itemgetter(0))):
        total = total + np.sum(np.sin(v)) * (i + 1.0)
    for k, v in sorted(d.items(), reverse=True):
        total = total + np.sum(v * v) * len(k)
    for v in d.values():
        total = total + np.sum(np.sin(v))
    return total


@pytest.mark.parametrize("f", [keys_sorted, items_sorted])
def test_loops_over_dict_keys_and_sorted_items(f):
    d = {"b": RNG.randn(2, 3), "a": RNG.randn(4), "cc": RNG.randn(3)}
    want = numerical_grad(f, (d,))
    for mode in ENGINES:
        got = _quiet(srcad.grad(f, mode=mode), d)
        assert set(got) == set(d)
        for k in d:
            _close(got[k], want[k])


# -- complex inputs (source mode; JAX's convention) ---------------------------------------


def _fd_complex(f, z, eps=1e-6):
    """g = dL/dRe z - 1j dL/dIm z of a real-valued f, element by element."""
    z = np.array(z, dtype=np.complex128)
    g = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        for part in (1.0, 1j):
            zp, zm = z.copy(), z.copy()
            zp[idx] += eps * part
            zm[idx] -= eps * part
            d = (f(zp) - f(zm)) / (2 * eps)
            g[idx] += d if part == 1.0 else -1j * d
    return g


def _complex_matrix(rng, *shape):
    return rng.randn(*shape) + 1j * rng.randn(*shape)


CPLX = np.random.RandomState(5)
W = CPLX.randn(4, 3)


def var_c(z):
    return np.sum(np.var(z, axis=0) * np.arange(1.0, 4.0)) + np.std(z)


def svd_s(z):
    return np.sum(np.linalg.svd(z, compute_uv=False) * np.arange(1.0, 4.0))


def svd_abs(z):
    u, s, vh = np.linalg.svd(z, full_matrices=False)
    return np.sum(np.abs(u) * W) + np.sum(s * s) + np.sum(np.abs(vh) ** 2 * W[:3, :3])


def svd_wide(z):
    u, s, vh = np.linalg.svd(z.T, full_matrices=False)
    return np.sum(np.abs(u) * W[:3, :3]) + np.sum(np.abs(vh) * W.T) + np.sum(s)


def svd_product(z):
    u, s, vh = np.linalg.svd(z, full_matrices=False)
    return np.real(np.sum((u * s) @ vh * W))


def eigh_lower(z):
    w, v = np.linalg.eigh(z)
    return np.sum(w * np.arange(1.0, 5.0)) + np.sum(np.abs(v) * W[:, :1])


def eigh_upper(z):
    w, v = np.linalg.eigh(z, UPLO="U")
    return np.sum(w**2) + np.sum(np.abs(v) ** 2 * np.arange(4.0))


def eigvalsh_c(z):
    return np.sum(np.linalg.eigvalsh(z) * np.arange(1.0, 5.0))


@pytest.mark.parametrize(
    "f, shape",
    [
        (var_c, (4, 3)),
        (svd_s, (4, 3)),
        (svd_abs, (4, 3)),
        (svd_wide, (4, 3)),
        (svd_product, (4, 3)),
        (eigh_lower, (4, 4)),
        (eigh_upper, (4, 4)),
        (eigvalsh_c, (4, 4)),
    ],
)
def test_complex_input_reverse_and_forward(f, shape):
    z = _complex_matrix(np.random.RandomState(3), *shape)
    want = _fd_complex(f, z)
    got = srcad.grad(f, mode="source")(z)
    assert np.iscomplexobj(got)
    _close(got, want, 1e-5)
    # forward mode: the directional derivative along t is Re(sum(g * t))
    t = _complex_matrix(np.random.RandomState(4), *shape)
    _, tout = srcad.jvp(f, mode="source")(z, t)
    _close(tout, np.real(np.sum(want * t)), 1e-5)


def test_eigh_of_a_complex_matrix_reads_one_triangle_and_a_real_diagonal():
    z = _complex_matrix(np.random.RandomState(8), 4, 4)
    g = srcad.grad(eigh_lower, mode="source")(z)
    assert np.all(np.triu(g, 1) == 0)
    assert np.all(np.imag(np.diagonal(g)) == 0)
    g = srcad.grad(eigh_upper, mode="source")(z)
    assert np.all(np.tril(g, -1) == 0)


# a real result whose consumer is complex sends back a complex cotangent: only its real
# part belongs to the real result (Re(g dy) = Re(g) dy), before any complex factor

C = 1.0 + 2.0j


def abs_c(z):
    return np.real(np.sum(C * np.abs(z)))


def angle_c(z):
    return np.real(np.sum(C * np.angle(z)))


def imag_c(z):
    return np.real(np.sum(C * np.imag(z) ** 2))


def var_std_c(z):
    return np.real(C * np.var(z) + C * np.std(z, axis=0)[1])


def norm_c(z):
    return np.real(C * np.linalg.norm(z) + C * np.sum(np.linalg.norm(z, ord=3, axis=1)))


def svd_rebuilt(z):
    u, s, vh = np.linalg.svd(z, full_matrices=False)
    return np.real(np.sum(((u * s) @ vh) * W))


def eigh_c(z):
    w, v = np.linalg.eigh(z)
    return np.real(np.sum(C * w) + np.sum(np.abs(v) * W[:, :1]) * C)


@pytest.mark.parametrize(
    "f, shape",
    [
        (abs_c, (4, 3)),
        (angle_c, (4, 3)),
        (imag_c, (4, 3)),
        (var_std_c, (4, 3)),
        (norm_c, (4, 3)),
        (svd_rebuilt, (4, 3)),
        (eigh_c, (4, 4)),
    ],
)
@pytest.mark.filterwarnings("ignore:Casting complex values to real")  # (a real sum's adjoint
# filled from a complex cotangent keeps its real part, which is what belongs to it)
def test_complex_cotangent_of_a_real_result(f, shape):
    z = _complex_matrix(np.random.RandomState(6), *shape)
    _close(srcad.grad(f, mode="source")(z), _fd_complex(f, z), 1e-5)


def real_sum(x):
    return np.sum(np.real(x))


def test_gradient_of_a_complex_argument_is_complex():
    assert isinstance(srcad.grad(real_sum, mode="source")(1.0j), complex)
    assert isinstance(srcad.grad(real_sum, mode="source")(2.0), float)
    g = srcad.grad(real_sum, mode="source")(np.array([1.0j, 2.0]))
    assert g.dtype == np.complex128
    _close(g, [1.0, 1.0])


def _nested_local(x):
    inner = srcad.grad(real_sum, mode="auto")
    return np.abs(inner(x) * x)


def test_auto_mode_never_takes_a_complex_argument_to_the_tape():
    # the source engine refuses the call of a transformation held in a local; the
    # tape cannot take a complex argument: a TypeError, never a zero gradient
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        with pytest.raises(TypeError, match="complex"):
            srcad.grad(_nested_local, mode="auto")(1.1 + 1.3j)


# -- the tape: several outputs, float % Tensor -------------------------------------------


def pair_out(a):
    return 2.0 * a, {"q": a * a, "r": np.sin(a)}


@pytest.mark.parametrize("mode", ENGINES)
def test_vjp_and_jvp_of_a_function_with_several_outputs(mode):
    a = 1.5
    value, pullback = _quiet(srcad.vjp(pair_out, mode=mode), a)
    _close(value[0], 3.0)
    got = pullback((1.0, {"q": 10.0, "r": -2.0}))
    _close(got, 2.0 + 10.0 * 2 * a - 2.0 * np.cos(a))
    _, tout = _quiet(srcad.jvp(pair_out, mode=mode), a, 0.5)
    _close(tout[0], 1.0)
    _close(tout[1]["q"], 0.5 * 2 * a)
    _close(tout[1]["r"], 0.5 * np.cos(a))


def rmod(x):
    return np.sum(2.5 % x) + np.sum(7.0 % (x * 2.0))


@pytest.mark.parametrize("mode", ENGINES)
def test_float_modulo_an_active_array(mode):
    x = np.array([1.3, 2.2, 3.7])
    _close(_quiet(srcad.grad(rmod, mode=mode), x), numerical_grad(rmod, (x,)))


def test_tensor_rmod_matches_torch_values():
    torch = pytest.importorskip("torch", reason="the test oracle, torch 2.13, is not installed")
    data = [1.5, 2.5, 3.7]
    mine = 2.5 % srcad.tensor(data, requires_grad=True)
    ref = 2.5 % torch.tensor(data, requires_grad=True)
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy())


# -- the tape: np.diff of a length-1 axis, a tuple of sequences as an index ---------------


@pytest.mark.parametrize("mode", ENGINES)
def test_diff_along_a_length_one_axis(mode):
    x = np.array([[0.5, -1.0, 2.0]])
    value, pullback = _quiet(srcad.vjp(np.diff, mode=mode), x, axis=0)
    assert np.shape(value) == (0, 3)
    _close(pullback(np.zeros((0, 3))), np.zeros((1, 3)))


def tuple_of_sequences_index(x):
    return np.sum(x[(0, 1, 0), (2, 2, 1)] ** 2)


@pytest.mark.parametrize("mode", ENGINES)
def test_tuple_of_sequences_as_an_index(mode):
    x = np.random.RandomState(2).randn(3, 4)
    got = _quiet(srcad.grad(tuple_of_sequences_index, mode=mode), x)
    _close(got, numerical_grad(tuple_of_sequences_index, (x,)))


def test_tuple_of_sequences_index_matches_torch():
    torch = pytest.importorskip("torch", reason="the test oracle, torch 2.13, is not installed")
    mine = srcad.arange(12.0).reshape(3, 4)[(0, 1), (3, 2)]
    ref = torch.arange(12.0).reshape(3, 4)[(0, 1), (3, 2)]
    np.testing.assert_array_equal(mine.numpy(), ref.numpy())


def complex_inside_indexed(a):
    b = a + 1.0j
    c = b[0] + 1.5
    d = a + b
    return np.sum(np.sin(np.real(d + c)))


@pytest.mark.parametrize("mode", ENGINES)
def test_complex_values_inside_a_real_function_with_indexing(mode):
    a = np.random.RandomState(9).randn(5)
    try:
        got = _quiet(srcad.grad(complex_inside_indexed, mode=mode), a)
    except TypeError as exc:  # the tape may refuse complex values inside: never a number
        assert mode != "source" and "complex" in str(exc)
        return
    _close(got, numerical_grad(complex_inside_indexed, (a,)))


# -- forward mode: a broadcast modulo, the tape's tangents of container arguments ----------


def test_forward_mode_of_a_broadcast_modulo():
    x = np.array([[1.3, 2.2, 3.7, 1.1]])
    y = np.random.RandomState(1).rand(3, 4) + 0.5
    t = np.random.RandomState(2).randn(1, 4)
    eps = 1e-6
    want = (np.mod(x + eps * t, y) - np.mod(x - eps * t, y)) / (2 * eps)
    _, tout = srcad.jvp(np.mod, wrt=0, mode="source")(x, y, t)
    _close(tout, want)


def tuple_saxpy(abc):
    a, b, c = abc
    return a * b + c


def dict_saxpy(val):
    return val["a"] * val["b"] + val["c"] * np.sum(val["v"])


@pytest.mark.parametrize("mode", ENGINES)
def test_jvp_with_a_container_argument(mode):
    _, tout = _quiet(srcad.jvp(tuple_saxpy, mode=mode), (0.5, -1.5, 2.0), (1.0, 2.0, 3.0))
    _close(tout, -1.5 * 1.0 + 0.5 * 2.0 + 3.0)
    val = {"a": 0.5, "b": -1.5, "c": 2.0, "v": np.array([1.0, 2.0])}
    tan = {"a": 1.0, "b": 2.0, "c": 3.0, "v": np.array([0.5, -1.0])}
    _, tout = _quiet(srcad.jvp(dict_saxpy, mode=mode), val, tan)
    _close(tout, -1.5 * 1.0 + 0.5 * 2.0 + 3.0 * 3.0 + 2.0 * (0.5 - 1.0))
    v = (0.3, 0.7, -0.2)
    got = _quiet(srcad.hvp(tuple_saxpy, mode=mode), (0.5, -1.5, 2.0), v)
    _close(got, (0.7, 0.3, 0.0))  # the Hessian of ab + c times v
