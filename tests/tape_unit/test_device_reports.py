"""torch.cuda / torch.accelerator / torch.backends report a GPU exactly when CuPy sees one.

The machines CI runs on have no GPU, so a stand-in ``cupy`` module (its runtime's device
count) checks the logic both ways; the real answer on this machine is checked against
PyTorch in tests/tape/test_first_week.py.
"""

import sys
import types

import srcad


def _fake_cupy(count):
    runtime = types.SimpleNamespace(getDeviceCount=lambda: count, getDevice=lambda: 0)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def test_gpu_reported_when_cupy_sees_one(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(2))
    assert srcad.cuda.is_available()
    assert srcad.cuda.device_count() == 2
    assert srcad.cuda.current_device() == 0
    assert srcad.accelerator.is_available()
    assert srcad.accelerator.current_accelerator() == srcad.device("cuda")
    assert srcad.backends.cuda.is_built()


def test_no_gpu_when_cupy_sees_none(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(0))
    assert not srcad.cuda.is_available()
    assert srcad.cuda.device_count() == 0
    assert srcad.accelerator.current_accelerator() is None


def test_no_gpu_when_the_driver_fails(monkeypatch):
    def broken():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = _fake_cupy(0)
    fake.cuda.runtime.getDeviceCount = broken
    monkeypatch.setitem(sys.modules, "cupy", fake)
    assert not srcad.cuda.is_available()
    assert srcad.cuda.device_count() == 0


def test_no_gpu_without_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    assert not srcad.cuda.is_available()
    assert not srcad.backends.cuda.is_built()
    srcad.cuda.manual_seed(0)  # a no-op, as PyTorch's without CUDA
