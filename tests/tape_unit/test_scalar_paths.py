"""The 0-d fast paths of the tape (engine module docstring, ``operator_op``,
``node._plain_backward``) give what the general paths give.

References: PyTorch 2.13 (the oracle), central finite differences in float64,
hand-derived derivatives, NumPy's own 0-d array arithmetic and the registry's
backward functions (with their reductions) for the plain backwards.
"""

import math
import operator

import numpy as np
import pytest

import srcad
from srcad.rules import registry
from srcad.tape import node as node_module
from srcad.tape.node import info

torch = pytest.importorskip(
    "torch", reason="PyTorch is the oracle of the tape tests: pip install torch==2.13.0"
)

N = 200


def loop(a, b):
    s = 0.0
    for i in range(N):
        s = s + a * math.sin(b * i)
    return s


def loop_torch(a, b):
    s = 0.0
    for i in range(N):
        s = s + a * (torch.sin(b * i) if isinstance(b, torch.Tensor) else math.sin(b * i))
    return s


def _central(f, x, k, h=1e-6):
    up, down = list(x), list(x)
    up[k] += h
    down[k] -= h
    return (f(*up) - f(*down)) / (2 * h)


def test_scalar_loop_gradients_match_finite_differences_and_pytorch():
    a, b = 1.3, 0.7
    ga = srcad.grad(loop, 0, mode="tape")(a, b)
    gab = srcad.grad(loop, (0, 1), mode="tape")(a, b)
    assert type(ga) is float and all(type(g) is float for g in gab)
    assert ga == pytest.approx(sum(math.sin(b * i) for i in range(N)), rel=1e-13)
    for k in (0, 1):
        assert gab[k] == pytest.approx(_central(loop, (a, b), k), rel=1e-7)
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loop_torch(ta, tb).backward()
    assert gab[0] == pytest.approx(ta.grad.item(), rel=1e-13)
    assert gab[1] == pytest.approx(tb.grad.item(), rel=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zero_d_array_arguments_give_fresh_writeable_arrays(dtype):
    a, b = np.array(1.3, dtype=dtype), np.array(0.7, dtype=dtype)
    ga, gb = srcad.grad(lambda a, b: a * np.sin(a * b) + b * a, (0, 1), mode="tape")(a, b)
    for g in (ga, gb):
        assert type(g) is np.ndarray and g.shape == () and g.dtype == dtype
        assert g.flags.writeable
    ta = torch.tensor(1.3, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    tb = torch.tensor(0.7, dtype=ta.dtype, requires_grad=True)
    (ta * torch.sin(ta * tb) + tb * ta).backward()
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=rtol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pytorch_style_zero_d_chain_matches_pytorch(dtype):
    def run(lib):
        x = lib.tensor(0.8, dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.tensor(-1.7, dtype=getattr(lib, dtype), requires_grad=True)
        s = x * 0.0
        for i in range(20):
            s = s + x * lib.sin(y * i) / (1.5 + x * x) - 0.25 * y * 3
        s.backward()
        return s.detach().numpy(), x.grad.numpy(), y.grad.numpy()

    got, want = run(srcad), run(torch)
    rtol = 1e-5 if dtype == "float32" else 1e-13
    for g, w in zip(got, want):
        assert type(g) is np.ndarray and g.shape == () and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol)


OPS = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_operators_on_zero_d_tensors_are_numpys_zero_d_arithmetic(op, dtype):
    rng = np.random.default_rng(3)
    values = list(rng.standard_normal(20) * 10.0 ** rng.integers(-30, 30, 20)) + [0.0, -0.0]
    for u, v in zip(values, reversed(values)):
        x = np.array(u, dtype=dtype)
        for other in (float(v), int(v * 7), 2**53, np.array(v, dtype=dtype)):
            t = srcad.tensor(x, requires_grad=True)
            o = srcad.tensor(other) if isinstance(other, np.ndarray) else other
            with np.errstate(all="ignore"):
                got = op(t, o)._data
                want = np.asarray(op(x, other))
            assert type(got) is np.ndarray and got.shape == () and got.flags.writeable
            assert got.dtype == want.dtype
            assert got.tobytes() == want.tobytes(), (op, u, other)


def test_large_ints_keep_the_general_path():
    t = srcad.tensor(1.5, dtype=srcad.float64, requires_grad=True)
    with pytest.raises(OverflowError):
        t * 10**400
    assert (t * 2**60).item() == 1.5 * 2.0**60


def _scalar_safe_infos():
    seen, out = set(), []
    for r in registry.all_rules():
        if r.adjoint is None:
            continue
        try:
            inf = info(r.prim)
        except (LookupError, TypeError):
            continue
        if inf.scalar_ok and id(inf.tpl) not in seen:
            seen.add(id(inf.tpl))
            out.append(inf)
    return out


def test_the_scalar_safe_rules_are_plain_arithmetic():
    names = {inf.rule.name for inf in _scalar_safe_infos()}
    assert {"mul", "add", "sub", "truediv", "sin", "cos", "tanh", "exp"} <= names
    for name in ("sum", "matmul", "pow", "power", "abs", "maximum", "where"):
        assert name not in names  # reductions, scalar-math pow, branches


@pytest.mark.parametrize("inf", _scalar_safe_infos(), ids=lambda i: i.rule.name)
def test_plain_backwards_are_the_registry_backwards(inf):
    rng = np.random.default_rng(7)
    needs = tuple(i in inf.written for i in range(inf.nparams))

    def values(shape, scalar=False):
        def draw():
            v = rng.uniform(0.2, 0.9, shape)
            return v[()] if scalar else v

        args = [draw() if d is node_module._EMPTY else d for d in inf.defaults]
        return draw(), draw(), args

    g, r, args = values((4,))
    with np.errstate(all="ignore"):  # (values outside a domain: NaN on both sides)
        plain = inf.plain_backward(needs)(g, r, *args)
        want = inf.bwd(g, r, *args, needs)
    assert len(plain) == len(want)
    for p, w in zip(plain, want):
        assert (p is None) == (w is None)
        if p is not None:
            np.testing.assert_array_equal(p, w)
    # NumPy scalars against 0-d arrays of the same values
    g, r, args = values((), scalar=True)
    with np.errstate(all="ignore"):
        plain = inf.plain_backward(needs)(g, r, *args)
        want = inf.bwd(
            np.asarray(g),
            np.asarray(r),
            *[np.asarray(a) if isinstance(a, np.generic) else a for a in args],
            needs,
        )
    for p, w in zip(plain, want):
        if p is not None:
            assert np.asarray(p).dtype == np.asarray(w).dtype
            np.testing.assert_array_equal(np.asarray(p), np.asarray(w))


def test_hooks_and_retained_grads_of_zero_d_tensors_are_arrays():
    def run(lib):
        seen = []
        x = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        y = x * 2.0
        y.retain_grad()

        def hook(g):
            seen.append(type(g.detach().numpy()))
            return g * 3.0

        y.register_hook(hook)
        z = y * y + y
        z.backward(retain_graph=True)
        z.backward()
        return seen, x.grad.numpy(), y.grad.numpy()

    seen, xg, yg = run(srcad)
    _, txg, tyg = run(torch)
    assert seen == [np.ndarray, np.ndarray]
    assert type(xg) is np.ndarray and type(yg) is np.ndarray and yg.shape == ()
    np.testing.assert_allclose(xg, txg, rtol=1e-14)
    np.testing.assert_allclose(yg, tyg, rtol=1e-14)


def test_in_place_hook_on_a_zero_d_gradient():
    def run(lib):
        x = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g.add_(1.0))
        (y * 4.0).backward()
        return x.grad.item()

    assert run(srcad) == pytest.approx(run(torch), rel=1e-15)


def test_version_counter_error_on_a_saved_zero_d_tensor():
    def run(lib):
        x = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        y = x * 1.0
        z = y * y
        y.mul_(2.0)
        with pytest.raises(RuntimeError) as info_:
            z.backward()
        return str(info_.value).split(":")[0]

    assert run(srcad) == run(torch)


def test_create_graph_and_double_backward_on_zero_d():
    def run(lib):
        x = lib.tensor(0.9, dtype=lib.float64, requires_grad=True)
        y = x * lib.sin(x) * x + x / (1.0 + x)
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g, x)
        return g.item(), h.item()

    got, want = run(srcad), run(torch)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    second = srcad.grad(srcad.grad(lambda a: a * math.sin(a) * a, mode="tape"), mode="tape")
    x = 0.9
    want_h = 2 * math.sin(x) + 4 * x * math.cos(x) - x * x * math.sin(x)
    assert second(x) == pytest.approx(want_h, rel=1e-13)


def test_grad_fn_called_directly_returns_array_tensors():
    x = srcad.tensor(0.5, dtype=srcad.float64, requires_grad=True)
    y = x * 3.0
    (gx,) = [g for g in y.grad_fn(srcad.tensor(2.0, dtype=srcad.float64)) if g is not None]
    assert type(gx.detach().numpy()) is np.ndarray and gx.item() == 6.0


def test_np_sum_of_one_tensor_is_numpys_sum_every_call():
    rng = np.random.default_rng(11)
    x = rng.standard_normal(1001) * 10.0 ** rng.integers(-5, 5, 1001)

    def f(x):
        return np.sum(x * 1.0)

    vg = srcad.value_and_grad(f, mode="tape")
    for _ in range(3):  # the first call finds the plan, the later ones reuse it
        value, grad = vg(x)
        assert value == np.sum(x)  # the same pairwise summation, bit for bit
        assert type(grad) is np.ndarray and grad.dtype == np.float64
        np.testing.assert_array_equal(grad, np.ones_like(x))
    tx = torch.tensor(x, requires_grad=True)
    torch.sum(tx * 1.0).backward()
    np.testing.assert_array_equal(grad, tx.grad.numpy())
