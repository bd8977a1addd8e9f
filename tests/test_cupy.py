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


@pytest.mark.cupy
@pytest.mark.parametrize("case, wrt", PARAMS)
def test_corpus_gradient_on_gpu_matches_numpy(case, wrt):
    args = make_args(case.fn, rng_for(case.id))
    host = srcad.grad(case.fn, wrt=wrt, mode="source")(*args)
    g = srcad.grad(case.fn, wrt=wrt, mode="source")
    dev = g(*_to_gpu(args))
    assert _all_on_gpu(dev) or isinstance(dev, float)
    srcad.testing.assert_grad_close(_to_host(dev), host, 1e-9, 1e-12)


@pytest.mark.cupy
def test_generated_source_is_the_same_for_cupy():
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
