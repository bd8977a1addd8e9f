"""Both engines on a real GPU with CuPy.

Every test here needs CuPy and a CUDA device and skips, with the reason, where
either is missing (CI has neither). The same checks run in CI on the CPU
stand-in `srcad.testing.StrictArray`, which refuses implicit conversion to
NumPy as CuPy does (see test_corpus.py::test_grad_strict_arrays,
tests/test_rules_table.py and tests/tape_unit). Run on a GPU machine with
`python -m pytest tests/test_cupy.py -v`.
"""

import os
import sys

import numpy as np
import pytest

import srcad

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'srcad[cuda]')")
try:
    _N_GPUS = cupy.cuda.runtime.getDeviceCount()
except Exception:  # noqa: BLE001 - any CUDA failure means: no usable GPU
    _N_GPUS = 0
if _N_GPUS == 0:
    pytest.skip("CuPy is installed but no CUDA GPU is available", allow_module_level=True)

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import corpus  # noqa: E402
from corpus import diff_params, make_args, rng_for  # noqa: E402


def _to_gpu(v):
    if isinstance(v, np.ndarray):
        return cupy.asarray(v)
    if isinstance(v, tuple):
        return tuple(_to_gpu(e) for e in v)
    if isinstance(v, list):
        return [_to_gpu(e) for e in v]
    if isinstance(v, dict):
        return {k: _to_gpu(e) for k, e in v.items()}
    return v


def _to_host(v):
    if isinstance(v, cupy.ndarray):
        return cupy.asnumpy(v)
    if isinstance(v, (tuple, list)):
        return type(v)(_to_host(e) for e in v)
    if isinstance(v, dict):
        return {k: _to_host(e) for k, e in v.items()}
    return v


def _all_on_gpu(v):
    if isinstance(v, np.ndarray):
        return False
    if isinstance(v, (tuple, list)):
        return all(_all_on_gpu(e) for e in v)
    if isinstance(v, dict):
        return all(_all_on_gpu(e) for e in v.values())
    return True


CASES = [
    c
    for c in corpus.collect()
    if not hasattr(c.fn, "corpus_may_refuse") and not getattr(c.fn, "corpus_no_strict", None)
]
PARAMS = [pytest.param(c, w, id=f"{c.id}-{w}") for c in CASES for w in diff_params(c.fn)]


def _gpu_args_or_skip(case):
    """The case's arguments on the GPU; a skip where CuPy cannot run the function
    itself (``np.dot(float, cupy.ndarray)`` raises inside CuPy, seen on an H200)."""
    args = make_args(case.fn, rng_for(case.id))
    try:
        case.fn(*_to_gpu(args))
    except Exception as exc:  # noqa: BLE001 - CuPy's own limits, not srcad's
        pytest.skip(f"CuPy cannot run {case.id} itself: {type(exc).__name__}: {exc}")
    return args


@pytest.mark.cupy
@pytest.mark.parametrize("case, wrt", PARAMS)
def test_corpus_gradient_on_gpu_matches_numpy(case, wrt):
    args = _gpu_args_or_skip(case)
    host = srcad.grad(case.fn, wrt=wrt, mode="source")(*args)
    g = srcad.grad(case.fn, wrt=wrt, mode="source")
    dev = g(*_to_gpu(args))
    assert _all_on_gpu(dev) or isinstance(dev, float)
    srcad.testing.assert_grad_close(_to_host(dev), host, 1e-9, 1e-12)


@pytest.mark.cupy
@pytest.mark.parametrize("case, wrt", PARAMS)
def test_corpus_tape_gradient_on_gpu_matches_numpy(case, wrt):
    """The tape (``mode="tape"``) on CuPy arrays gives NumPy's source-mode gradient."""
    _gpu_args_or_skip(case)
    ref = corpus.tape_reference(case, wrt)
    if ref is None:
        pytest.skip(f"the tape refuses {case.id} on NumPy arrays too")
    args, host, tol = ref
    dev = srcad.grad(case.fn, wrt=wrt, mode="tape")(*_to_gpu(args))
    assert _all_on_gpu(dev) or isinstance(dev, float)
    srcad.testing.assert_grad_close(_to_host(dev), host, *tol)


@pytest.mark.cupy
def test_generated_source_is_the_same_for_cupy(monkeypatch):
    """CuPy calls get the generic version (no shape specialization: its constants would
    be NumPy arrays), the same code a NumPy call gets once specialization is off."""
    monkeypatch.setattr(srcad.api, "_MAX_SHAPE_SIGNATURES", 0)

    def f(w, x):
        return np.sum(np.tanh(x @ w) ** 2)

    rng = np.random.default_rng(0)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    g = srcad.grad(f, mode="source")
    g(w, x)
    src_host = g.source
    dw = g(cupy.asarray(w), cupy.asarray(x))
    assert isinstance(dw, cupy.ndarray) and dw.device.id == cupy.cuda.Device().id
    assert g.source == src_host


@pytest.mark.cupy
def test_random_programs_same_gradient_on_gpu():
    """Random programs (tests/fuzz/device.py) on CuPy arrays: no gradient differs from
    NumPy's, in source mode or on the tape."""
    from tests.fuzz.device import run

    counts, saved = run("cupy", n=200, seed_=2, time_limit=90.0)
    differs = [s for s in saved if s["kind"] == "differs"]
    assert not differs, differs[0]
    assert counts["checked"] >= 30


@pytest.mark.cupy
@pytest.mark.parametrize("mode", ["source", "tape"])
def test_float_argument_beside_cupy_arrays(mode):
    def f(s, x):
        return np.sum(x * x) * s + s

    x = np.array([0.5, -1.0, 2.0])
    ds, dx = srcad.grad(f, wrt=(0, 1), mode=mode)(1.5, cupy.asarray(x))
    assert isinstance(dx, cupy.ndarray)
    np.testing.assert_allclose(float(ds), np.sum(x * x) + 1.0)
    np.testing.assert_allclose(cupy.asnumpy(dx), 2 * 1.5 * x)


@pytest.mark.cupy
def test_tape_on_cuda():
    x = srcad.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    y = (x * x).sin().sum()
    y.backward()
    assert x.grad.device.type == "cuda"
    np.testing.assert_allclose(
        x.grad.cpu().numpy(), 2 * np.array([1, 2, 3.0]) * np.cos(np.array([1, 4, 9.0])), rtol=1e-6
    )


@pytest.mark.cupy
def test_tape_refuses_mixed_devices():
    a = srcad.ones(2, device="cuda")
    b = srcad.ones(2)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + b


@pytest.mark.cupy
def test_module_and_optimizer_on_cuda_match_cpu():
    srcad.manual_seed(0)
    model = srcad.nn.Sequential(srcad.nn.Linear(4, 8), srcad.nn.Tanh(), srcad.nn.Linear(8, 2))
    gpu = srcad.nn.Sequential(srcad.nn.Linear(4, 8), srcad.nn.Tanh(), srcad.nn.Linear(8, 2))
    gpu.load_state_dict(model.state_dict())
    gpu.to("cuda")
    x = srcad.randn(5, 4)
    for m, inp in ((model, x), (gpu, x.cuda())):
        opt = srcad.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        loss = (m(inp) ** 2).mean()
        loss.backward()
        opt.step()
    for p, q in zip(model.parameters(), gpu.parameters()):
        assert q.device.type == "cuda"
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=1e-5)
