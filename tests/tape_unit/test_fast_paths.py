"""The tape's fast paths give what the general paths give (benchmarks/README.md, "Where
the tape's time goes").

References: PyTorch 2.13 (the oracle), ``inspect`` binding for the template-argument
binder, and the general recording path (``apply_prim``) for the NumPy ufunc path.
"""

import operator

import numpy as np
import pytest

import srcad
from srcad.rules import registry
from srcad.tape import interop
from srcad.tape.node import info

torch = pytest.importorskip(
    "torch", reason="PyTorch is the oracle of the tape tests: pip install torch==2.13.0"
)


def _grads(lib, fn, *values):
    leaves = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
    out = fn(lib, *leaves)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x, y: lib.tanh(lib.sin(x * y + y) * 0.5 - x / y),
        lambda lib, x, y: 2.0 - (x * 3.0) / (1.5 + y) + y * x * x,
        lambda lib, x, y: lib.exp(x) * lib.cos(y) + (x - y) * (y - x),
        lambda lib, x, y: (x * y)[None] + x.reshape(1, -1) * 0.25,  # broadcasting
    ],
)
def test_operator_and_unary_fast_paths_match_pytorch(fn):
    a, b = [0.3, -1.2, 2.0], [1.1, 0.4, -0.7]
    out_s, g_s = _grads(srcad, fn, a, b)
    out_t, g_t = _grads(torch, fn, a, b)
    np.testing.assert_allclose(out_s, out_t, rtol=1e-12)
    for gs, gt in zip(g_s, g_t):
        np.testing.assert_allclose(gs, gt, rtol=1e-12)


def test_operator_fast_path_keeps_pytorch_promotion():
    def dtypes(lib):
        i = lib.tensor([1, 2, 3])
        f = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float32)
        d = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float64)
        z = lib.tensor(2.0, dtype=lib.float64)
        return [str(r.dtype) for r in (i * 2.5, i / 2, f * d, f + 1, i + i, f * 2.0, f * z)]

    assert dtypes(srcad) == dtypes(torch)


def test_tensor_with_a_dtype_rounds_python_floats_once():
    values = [0.1, 1 / 3, -1.2, 1e-310]
    for name in ("float64", "float32", "float16"):
        got = srcad.tensor(values, dtype=getattr(srcad, name)).numpy()
        want = torch.tensor(values, dtype=getattr(torch, name)).numpy()
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()
    assert srcad.tensor(0.1, dtype=srcad.float64).item() == 0.1


def test_saved_tensor_modified_in_place_still_raises():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0])
        y = x * c  # saves c
        c.add_(1.0)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
        return str(err.value).split(":")[0]

    assert run(srcad) == run(torch)


def test_second_backward_through_freed_graph_raises():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tanh(x * 2.0)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.sum().backward()
        z = x + 1.0  # saves nothing: PyTorch allows a second backward
        z.sum().backward()
        z.sum().backward()
        return x.grad.numpy().tolist()

    assert run(srcad) == run(torch)


def test_autograd_grad_runs_only_nodes_leading_to_inputs():
    def run(lib):
        calls = []
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        a = x * 3.0
        b = w.exp()  # leads only to w, which is not asked for
        b.grad_fn.register_prehook(lambda g: calls.append("exp"))
        a.grad_fn.register_prehook(lambda g: calls.append("mul"))
        (g,) = lib.autograd.grad((a * b).sum(), [x])
        return g.detach().numpy(), calls

    (g_s, calls_s), (g_t, calls_t) = run(srcad), run(torch)
    assert calls_s == calls_t == ["mul"]
    np.testing.assert_allclose(g_s, g_t, rtol=1e-12)


def test_nodes_run_latest_created_first_as_in_pytorch():
    def run(lib):
        order = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        p = x * 2.0
        q = x.sin()
        r = p + q
        s = q * r
        for name, t in (("p", p), ("q", q), ("r", r), ("s", s)):
            t.grad_fn.register_prehook(lambda g, name=name: order.append(name))
        s.sum().backward()
        return order, x.grad.numpy().tolist()

    got, want = run(srcad), run(torch)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


@pytest.mark.parametrize(
    "prim,args,kwargs",
    [
        (np.sum, (np.ones(3),), {}),
        (np.sum, (np.ones((2, 3)), 1), {}),
        (np.sum, (np.ones((2, 3)),), {"axis": 0, "keepdims": True}),
        (np.mean, (np.ones((2, 3)),), {"axis": (0, 1)}),
        (np.sin, (np.ones(2),), {}),
        (operator.mul, (np.ones(2), 2.0), {}),
        (np.clip, (np.ones(3), 0.0, 0.5), {}),
    ],
)
def test_binding_matches_inspect(prim, args, kwargs):
    inf = info(prim)
    bound = registry.lookup(prim).adjoint.bind(args, kwargs)
    assert inf.bind(args, kwargs) == tuple(bound[p] for p in inf.params)


def test_binding_refuses_what_inspect_refuses():
    inf = info(np.sum)
    for args, kwargs in [((np.ones(2),), {"a": 1}), ((), {}), ((np.ones(2),), {"nope": 1})]:
        with pytest.raises(TypeError):
            registry.lookup(np.sum).adjoint.bind(args, kwargs)
        with pytest.raises(TypeError):
            inf.bind(args, kwargs)


@pytest.mark.parametrize(
    "call",
    [
        lambda t, u: np.sin(t),
        lambda t, u: np.tanh(t),
        lambda t, u: np.multiply(t, 2.0),
        lambda t, u: np.add(np.array([1.0, 2.0, 3.0]), t),
        lambda t, u: np.power(t, u),
        lambda t, u: np.maximum(t, u),
        lambda t, u: np.subtract(3, t),
    ],
)
def test_numpy_ufunc_fast_path_matches_the_general_path(call):
    def run(general):
        t = srcad.tensor([0.5, 1.5, 2.5], dtype=srcad.float64, requires_grad=True)
        u = srcad.tensor([1.0, 0.5, 2.0], dtype=srcad.float64, requires_grad=True)
        saved = interop._UFUNC_PLANS.copy()
        if general:  # every ufunc through apply_prim
            for k in list(interop._UFUNC_PLANS) + [np.sin, np.tanh, np.multiply, np.add]:
                interop._UFUNC_PLANS[k] = False
            for k in (np.power, np.maximum, np.subtract):
                interop._UFUNC_PLANS[k] = False
        try:
            out = call(t, u)
        finally:
            interop._UFUNC_PLANS.clear()
            interop._UFUNC_PLANS.update(saved)
        out.sum().backward()
        return (
            out.detach().numpy().tolist(),
            str(out.dtype),
            type(out.grad_fn).__name__,
            t.grad.numpy().tolist(),
            None if u.grad is None else u.grad.numpy().tolist(),
        )

    assert run(general=False) == run(general=True)


def test_numpy_ufunc_on_integer_tensor_keeps_numpy_dtype():
    t = srcad.tensor([1, 2, 3])
    assert np.sin(t).dtype == srcad.float64  # NumPy's rule (PyTorch's sin gives float32)
    np.testing.assert_allclose(np.sin(t).numpy(), np.sin([1, 2, 3]))


def test_ufunc_fast_path_leaves_a_subclass_protocol_to_numpy():
    from srcad.tape import numpy_mode
    from srcad.tape.tensor import Tensor

    class Mine(Tensor):
        __slots__ = ()

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return ("mine", ufunc.__name__)

    t = Mine._make_subclass(Mine, srcad.tensor([1.0, 2.0]))
    assert np.sin(t) == ("mine", "sin")
    # the NumPy program's ufunc (np.sin inside srcad.grad(mode="tape")) dispatches alike
    assert numpy_mode.NUMPY.sin(t) == ("mine", "sin")
    assert numpy_mode.NUMPY.add(srcad.tensor([1.0]), t) == ("mine", "add")
