"""The gradients issue 11 found silently wrong, each against central finite
differences in float64 (srcad.testing.numerical_grad) in source and tape mode,
forward and reverse, and against torch where torch has the operation.
"""

import warnings

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad

torch = pytest.importorskip("torch", reason="the test oracle, torch 2.13, is not installed")

MODES = ("source", "tape")


def _grad(f, args, wrt, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        return srcad.grad(f, wrt=wrt, mode=mode)(*args)


def _check(f, args, wrt=0, modes=MODES, rtol=1e-6, atol=1e-7):
    want = numerical_grad(f, args, wrt=wrt)
    for mode in modes:
        got = _grad(f, args, wrt, mode)
        if isinstance(wrt, tuple):
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=mode)
        else:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=mode)
    return want


def _check_jvp(f, args, tangent, rtol=1e-6, atol=1e-7):
    eps = 1e-6
    plus = f(*[a + eps * tangent if i == 0 else a for i, a in enumerate(args)])
    minus = f(*[a - eps * tangent if i == 0 else a for i, a in enumerate(args)])
    want = (plus - minus) / (2 * eps)
    _, got = srcad.jvp(f, mode="source")(*args, tangent)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# -- np.std over a single element -----------------------------------------------


def std_one(x):
    return np.std(x) + np.sum(x)


def std_rows(x):
    return np.sum(np.std(x, axis=1) * np.array([1.0, 2.0]))


def test_std_of_one_element_has_zero_gradient():
    x = np.array([2.0])
    g = _check(std_one, (x,))
    np.testing.assert_array_equal(g.round(6), [1.0])
    t = torch.tensor(x, requires_grad=True)
    (torch.std(t, unbiased=False) + t.sum()).backward()
    np.testing.assert_array_equal(t.grad.numpy(), [1.0])
    _check_jvp(std_one, (x,), np.array([1.0]))


def test_std_over_length_one_axis_and_float32():
    x = np.array([[1.5], [-0.5]])
    _check(std_rows, (x,))
    g = srcad.grad(std_rows, mode="source")(x.astype(np.float32))
    assert g.dtype == np.float32 and np.all(np.isfinite(g))


# -- np.power(x, 0.0) at x = 0 ----------------------------------------------------


def power_zero(x):
    return np.sum(np.power(x, 0.0) * x)


def pow_op_zero(x):
    return np.sum(x**0.0 + x**2)


def python_pow_zero(x):
    return x**0.0 * 3.0 + x


@pytest.mark.parametrize("f", [power_zero, pow_op_zero])
def test_power_with_zero_exponent_at_zero(f):
    x = np.array([0.0, 1.5, -2.0])
    _check(f, (x,))
    _check_jvp(f, (x,), np.array([1.0, -1.0, 0.5]))
    t = torch.tensor(x, requires_grad=True)
    (torch.pow(t, 0.0) * t).sum().backward() if f is power_zero else (
        t**0.0 + t**2
    ).sum().backward()
    np.testing.assert_allclose(srcad.grad(f, mode="source")(x), t.grad.numpy())


def test_python_float_power_zero_at_zero():
    assert _grad(python_pow_zero, (0.0,), 0, "source") == 1.0
    assert _grad(python_pow_zero, (0.0,), 0, "tape") == 1.0


def power_array_exponent(x, y):
    return np.sum(np.power(x, y))


def test_power_with_array_exponent_containing_zero():
    x = np.array([0.0, 1.5, 2.0])
    y = np.array([0.0, 2.0, 0.5])
    got = srcad.grad(power_array_exponent, mode="source")(x, y)
    np.testing.assert_allclose(got, [0.0, 3.0, 0.5 / np.sqrt(2.0)])


def second_power(x):
    return np.sum(x**3)


def test_power_second_order_stays_in_source_mode():
    gg = srcad.hvp(second_power)
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(gg(x, np.ones(2)), 6 * x)


# -- eigh / eigvalsh / cholesky read one triangle -----------------------------------

A = np.array([[2.0, 0.7, -0.3], [0.4, 1.5, 0.2], [0.9, -0.6, 3.0]])


def eigh_values(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * np.array([1.0, -2.0, 0.5]))


def eigh_values_upper(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return np.sum(w * w)


def eigh_vectors(a):
    w, v = np.linalg.eigh(a)
    return np.sum((v * v) * np.array([[1.0, 2.0, 3.0]])) + np.sum(w**3)


def eigvalsh_loss(a):
    return np.sum(np.linalg.eigvalsh(a) ** 2 * np.array([1.0, 0.5, -1.0]))


def eigvalsh_upper(a):
    return np.sum(np.linalg.eigvalsh(a, "U") ** 3)


@pytest.mark.parametrize("f", [eigh_values, eigh_values_upper, eigh_vectors])
def test_eigh_of_a_non_symmetric_input(f):
    g = _check(f, (A,), modes=("source",), rtol=1e-5)
    upper = "upper" in f.__name__
    other = np.tril(g, -1) if upper else np.triu(g, 1)
    np.testing.assert_allclose(other, 0.0, atol=1e-7)
    _check_jvp(f, (A,), np.arange(9.0).reshape(3, 3) / 9)


@pytest.mark.parametrize("f", [eigvalsh_loss, eigvalsh_upper])
def test_eigvalsh_of_a_non_symmetric_input(f):
    _check(f, (A,), rtol=1e-5)
    _check_jvp(f, (A,), np.arange(9.0).reshape(3, 3) / 9)


def _fold_lower(g):
    """torch gives the symmetric gradient; the lower triangle carries both halves."""
    return np.tril(g + g.T) - np.diag(np.diag(g))


def test_eigvalsh_agrees_with_torch():
    t = torch.tensor(A, requires_grad=True)
    (torch.linalg.eigvalsh(t) ** 2 * torch.tensor([1.0, 0.5, -1.0])).sum().backward()
    got = srcad.grad(eigvalsh_loss, mode="source")(A)
    np.testing.assert_allclose(got, _fold_lower(t.grad.numpy()), rtol=1e-6, atol=1e-9)


S = A @ A.T + 3 * np.eye(3)
S_RAGGED = S + np.triu(np.full((3, 3), 5.0), 1)  # upper triangle is garbage


def chol_lower(a):
    return np.sum(np.linalg.cholesky(a) * np.array([[1.0, 2.0, 3.0]]))


def chol_upper(a):
    return np.sum(np.linalg.cholesky(a, upper=True) ** 2 * np.array([[1.0], [2.0], [3.0]]))


def test_cholesky_reads_the_lower_triangle():
    g = _check(chol_lower, (S_RAGGED,), rtol=1e-5)
    np.testing.assert_allclose(np.triu(g, 1), 0.0, atol=1e-8)
    _check_jvp(chol_lower, (S_RAGGED,), np.arange(9.0).reshape(3, 3) / 9)
    t = torch.tensor(S_RAGGED, requires_grad=True)
    (torch.linalg.cholesky(t) * torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    np.testing.assert_allclose(
        srcad.grad(chol_lower)(S_RAGGED), _fold_lower(t.grad.numpy()), atol=1e-9
    )


def test_cholesky_upper_reads_the_upper_triangle():
    a = S + np.tril(np.full((3, 3), -4.0), -1)
    g = _check(chol_upper, (a,), rtol=1e-5)
    np.testing.assert_allclose(np.tril(g, -1), 0.0, atol=1e-8)


# -- np.linspace with active endpoints ---------------------------------------------


def lin(x, y):
    return np.sum(np.linspace(x, y, 5) ** 2)


def lin_open(x, y):
    return np.sum(np.linspace(x, y, num=4, endpoint=False) * np.arange(4.0))


def lin_arrays(x, y):
    return np.sum(np.linspace(x, y, 3, axis=1) * np.arange(6.0).reshape(2, 3))


def lin_step(x, y):
    samples, step = np.linspace(x, y, 6, retstep=True)
    return np.sum(samples**2) + 3.0 * step


def lin_one(x, y):
    return np.sum(np.linspace(x, y, 1) * 2.0)


@pytest.mark.parametrize("f", [lin, lin_open, lin_step, lin_one])
def test_linspace_scalar_endpoints(f):
    _check(f, (1.0, 2.5), wrt=(0, 1))  # (samples, step) too: the tape records both
    _, t = srcad.jvp(f, wrt=(0, 1))(1.0, 2.5, (1.0, 0.0))
    assert t == pytest.approx(numerical_grad(f, (1.0, 2.5), wrt=0), rel=1e-6)


def test_linspace_array_endpoints_and_axis():
    x, y = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    _check(lin_arrays, (x, y), wrt=(0, 1))


def test_linspace_agrees_with_torch():
    tx = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    # torch.linspace takes no tensors that require grad: write it as torch does it
    s = tx + torch.arange(5, dtype=torch.float64) / 4 * (ty - tx)
    (s**2).sum().backward()
    gx, gy = srcad.grad(lin, wrt=(0, 1))(1.0, 2.5)
    assert gx == pytest.approx(tx.grad.item()) and gy == pytest.approx(ty.grad.item())


# -- np.einsum in sublist form -----------------------------------------------------


def einsum_sub(a, b):
    return np.sum(np.einsum(a, (0, 1), b, (1, 2), (0, 2)) ** 2)


def einsum_sub_implicit(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2]) * np.arange(8.0).reshape(2, 4))


def einsum_sub_ellipsis(a):
    return np.sum(np.einsum(a, [Ellipsis, 0, 0], [Ellipsis]) ** 2)


@pytest.mark.parametrize("f", [einsum_sub, einsum_sub_implicit])
def test_einsum_sublist_form(f):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    _check(f, (a, b), wrt=(0, 1))
    _, t = srcad.jvp(f, wrt=(0, 1))(a, b, (np.ones((2, 3)), np.zeros((3, 4))))
    assert t == pytest.approx(np.sum(numerical_grad(f, (a, b), wrt=0)), rel=1e-6)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    y = torch.einsum(ta, [0, 1], tb, [1, 2], [0, 2])
    (y**2).sum().backward() if f is einsum_sub else (
        y * torch.arange(8.0, dtype=torch.float64).reshape(2, 4)
    ).sum().backward()
    ga, gb = srcad.grad(f, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(ga, ta.grad.numpy())
    np.testing.assert_allclose(gb, tb.grad.numpy())


def test_einsum_sublist_ellipsis():
    a = np.random.default_rng(1).normal(size=(2, 3, 3))
    _check(einsum_sub_ellipsis, (a,))


# -- np.r_ / np.c_ through the runtime functions the compiler rewrites them into ---


def test_r_concat_matches_numpy_and_finite_differences():
    from srcad.runtime import c_concat, r_concat

    x, y = np.array([1.0, 2.0]), np.array([[3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(r_concat((x, x)), np.r_[x, x])
    np.testing.assert_array_equal(r_concat((x, 0.5, slice(0, 3))), np.r_[x, 0.5, 0:3])
    np.testing.assert_array_equal(c_concat((x, x)), np.c_[x, x])
    np.testing.assert_array_equal(c_concat((y, x)), np.c_[y, x])
    np.testing.assert_array_equal(r_concat(("0,2", x, x)), np.r_["0,2", x, x])
    np.testing.assert_array_equal(r_concat(("1", y, y)), np.r_["1", y, y])

    def f_r(x):
        return np.sum(r_concat((x, x, 2.0)) ** 2 * np.arange(5.0))

    def f_c(x, y):
        return np.sum(c_concat((y, x)) ** 3)

    _check(f_r, (x,))
    _check(f_c, (x, y), wrt=(0, 1), modes=("source",))


# -- stacking one array (iterated along its first axis), dict.get on active values --


def vstack_one(x):
    return np.sum(np.vstack(x) ** 2 * np.arange(6.0).reshape(3, 2))


def hstack_one(x):
    return np.sum(np.hstack(x) ** 3)


def column_stack_one(x):
    return np.sum(np.column_stack(x) ** 3)


@pytest.mark.parametrize("f", [vstack_one, hstack_one, column_stack_one])
def test_stacking_the_rows_of_one_array(f):
    x = np.arange(6.0).reshape(3, 2) / 5 if f is vstack_one else np.arange(6.0).reshape(2, 3) / 5
    _check(f, (x,))


def dict_get(x, y):
    table = {"a": x, "b": 2.0 * x}
    return np.sum(table.get("a") * table.get("b", y)) + np.sum(table.get("zz", y) ** 2)


def test_dict_get_on_active_values():
    x, y = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    _check(dict_get, (x, y), wrt=(0, 1))
    _, t = srcad.jvp(dict_get, wrt=(0, 1))(x, y, (np.ones(2), np.ones(2)))
    g = numerical_grad(dict_get, (x, y), wrt=(0, 1))
    assert t == pytest.approx(float(np.sum(g[0]) + np.sum(g[1])), rel=1e-6)


def remainder_of_a_float(x):
    return np.sum(np.remainder(7.0, x) + np.mod(x, 2.5))


def test_remainder_with_a_python_float_first():
    _check(remainder_of_a_float, (np.array([2.0, 3.0, 4.5]),), modes=("source",))
