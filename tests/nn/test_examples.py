"""The MLP training examples: a few epochs on each engine, the loss falls."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import srcad

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_tape_mlp_loss_falls(optimizer):
    losses = load("train_mlp_tape").train(epochs=4, optimizer=optimizer, verbose=False)
    assert len(losses) == 4
    assert losses[-1] < 0.5 * losses[0]


def test_source_mlp_loss_falls_on_the_compiler():
    mod = load("train_mlp_source")
    losses = mod.train(epochs=4, verbose=False)
    assert losses[-1] < 0.5 * losses[0]
    assert mod.loss_grad.mode == "source" and "def " in mod.loss_grad.source


def test_source_mlp_gradient_matches_the_tape():
    mod = load("train_mlp_source")
    x, y = mod.make_data(n_per_class=10)
    onehot = np.eye(3, dtype=np.float32)[y]
    params = mod.init_params()
    value, grads = mod.loss_grad(params, x, onehot)
    tape = srcad.value_and_grad(mod.loss, wrt="params", mode="tape")
    tvalue, tgrads = tape(params, x, onehot)
    assert float(value) == pytest.approx(float(tvalue), rel=1e-6)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape and grads[k].dtype == params[k].dtype
        np.testing.assert_allclose(grads[k], tgrads[k], rtol=1e-5, atol=1e-6)
