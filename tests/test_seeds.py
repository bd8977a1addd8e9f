"""The seed posts' examples (``examples/seeds/seed*.py``) print what the posts print.

Each script runs in a subprocess, as a user would run it.  Deterministic output is
compared line for line with the post (as PyTorch 2.13 prints it: ``tensor([-12.,
-8.])`` comes out width-aligned, ``tensor([-12.,  -8.])``); output that depends on
``randn`` is checked for its form and for the relations the post shows.  Seed 003's
fit has no randomness, so its losses are compared with PyTorch's own run.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"

NONLEAF_WARNING = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"
E1 = "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"
E2 = "RuntimeError: Trying to backward through the graph a second time"
FLOAT = r"-?\d+\.\d*(?:e[+-]\d+)?"


def run_seed(n):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, str(SEEDS / f"seed{n}.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def floats(text):
    return [float(v) for v in re.findall(FLOAT, text)]


@pytest.fixture(scope="module")
def seed1():
    return run_seed(1)


@pytest.fixture(scope="module")
def seed2():
    return run_seed(2)


def test_seed0_prints_the_posts_values():
    out, err = run_seed(0)
    assert out == (
        "tensor([36., 81.])\n"
        "tensor([-12.,  -8.])\n"
        "tensor([36., 81.]) tensor([-12.,  -8.])\n"
        "tensor([[1., 1.],\n"
        "        [1., 1.]], requires_grad=True)\n"
        "tensor([[8., 8.],\n"
        "        [8., 8.]])\n"
        "True\n"
        "False\n"
    )
    assert err == ""


def test_seed1_backward_cells(seed1):
    out, err = seed1
    lines = out.splitlines()
    assert lines[:3] == ["None", "tensor([300.0000,   0.3000])", "None"]
    assert NONLEAF_WARNING in err and "UserWarning" in err
    assert lines[3] == "tensor([300.0000,   0.3000])"
    assert lines[4] == E1
    assert lines[5] == "tensor([300.0000,   0.3000])"
    assert lines[6].startswith(E2)
    assert "Specify retain_graph=True" in lines[6]
    assert lines[7:9] == ["tensor([300.0000,   0.3000])", "tensor([600.0000,   0.6000])"]


def test_seed1_grad_fn_reprs(seed1):
    out, _ = seed1
    lines = out.splitlines()[9:12]
    pat = r"tensor\(\[ ?{f}, +{f}\], grad_fn=<{name}>\)"
    assert re.fullmatch(r"\(" + pat.format(f=FLOAT, name="AddBackward0") + ",", lines[0])
    assert re.fullmatch(" " + pat.format(f=FLOAT, name="MulBackward0") + ",", lines[1])
    assert re.fullmatch(" " + pat.format(f=FLOAT, name="DivBackward0") + r"\)", lines[2])
    w, y, z = (floats(line) for line in lines)
    for i in range(2):
        assert y[i] == pytest.approx(3 * 2 * z[i], abs=2e-3)
        assert w[i] == pytest.approx(2 * z[i] + y[i], abs=2e-3)


FORWARD_HOOK_CONV1 = """Inside Conv2d forwrd

input: <class 'tuple'>
input[0] shape: torch.Size([1, 1, 28, 28])
output shape: torch.Size([1, 10, 24, 24])

"""
FORWARD_HOOK_CONV2 = """Inside Conv2d forwrd

input: <class 'tuple'>
input[0] shape: torch.Size([1, 10, 12, 12])
output shape: torch.Size([1, 20, 8, 8])

"""
PRE_HOOK = """Inside Conv2d forward

input:  <class 'tuple'>
input[0] shape:  torch.Size([1, 1, 28, 28])
"""
BACKWARD_HOOK = """Inside Conv2d backward

grad_input len:  3
grad_input[1] shape:  torch.Size([10, 1, 5, 5])
grad_input[2] shape:  torch.Size([10])
grad_output len:  1
grad_output[0] shape:  torch.Size([1, 10, 24, 24])
"""


def test_seed1_module_hooks(seed1):
    out, err = seed1
    hooks = out[out.index("Inside") :]
    assert hooks == (
        FORWARD_HOOK_CONV1
        + FORWARD_HOOK_CONV2
        + PRE_HOOK
        + BACKWARD_HOOK
        + FORWARD_HOOK_CONV1  # In [20]; after h.remove() the second forward prints nothing
        + "saved: 1 torch.Size([1, 20, 8, 8]) output: torch.Size([10])\n"
    )
    # PyTorch 2 deprecates register_backward_hook on such a module, on stderr.
    assert "FutureWarning: Using a non-full backward hook when the forward contains " in err


def test_seed2_deterministic_cells(seed2):
    out, _ = seed2
    start = (
        "tensor([[1., 1.],\n        [1., 1.]])\n"
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "tensor([[3., 3.],\n        [3., 3.]])\n"
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "tensor([[2., 2.],\n        [2., 2.]], grad_fn=<MulBackward0>)\n"
        "tensor([[0.5000, 0.5000],\n        [0.5000, 0.5000]], grad_fn=<DivBackward0>)\n"
        "tensor([[3., 3.],\n        [3., 3.]])\n"
        "tensor([[3., 3.],\n        [3., 3.]], requires_grad=True)\n"
        "tensor(330.)\n"
    )
    assert out.startswith(start)
    end = (
        "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)\n"
        "tensor([[3., 4.],\n        [5., 6.]], grad_fn=<AddBackward0>)\n"
        "tensor([[ 27.,  48.],\n        [ 75., 108.]], grad_fn=<MulBackward0>)\n"
        "tensor(64.5000, grad_fn=<MeanBackward0>)\n"
        "tensor([[4.5000, 6.0000],\n        [7.5000, 9.0000]])\n"
        "tensor(2.) tensor(12.)\n"
        "True\nTrue\nFalse\nTrue\n"
    )
    assert out.endswith(end)


def test_seed2_random_cells_keep_the_relations(seed2):
    out, err = seed2
    blocks = out.split("tensor(330.)\n")[1].split("tensor([[1., 2.]")[0]
    tensors = re.findall(r"tensor\((.*?)\)(?:\n|$)", blocks, flags=re.S)
    x, y, z, xgrad = (floats(t.split("grad_fn")[0].split("requires_grad")[0]) for t in tensors[:4])
    assert "requires_grad=True" in tensors[0] and "AddBackward0" in tensors[1]
    assert "SumBackward0" in tensors[2]
    for i in range(4):
        assert y[i] == pytest.approx(x[i] + 2, abs=2e-4)
        assert xgrad[i] == pytest.approx(2 * y[i], abs=1e-3)
    assert z[0] == pytest.approx(sum(v * v for v in y), rel=1e-3)
    assert blocks.count("None\n") == 2
    assert err.count(NONLEAF_WARNING) == 2
    assert len(floats(tensors[4])) == 4  # In [22]: y.backward(z)


# PyTorch 2.13's own run of the post's fit (float32, CPU): step, loss.
TORCH_LOSSES = {
    99: 209.95834350585938,
    199: 144.66018676757812,
    299: 100.70249938964844,
    399: 71.03519439697266,
    499: 50.978511810302734,
    999: 14.877889633178711,
    1499: 9.692105293273926,
    1999: 8.943641662597656,
}


def test_seed3_legendre_fit_matches_pytorch():
    out, err = run_seed(3)
    lines = out.splitlines()
    steps = [line.split() for line in lines[:-1]]
    assert [int(s) for s, _ in steps] == list(range(99, 2000, 100))
    losses = [float(v) for _, v in steps]
    assert all(a > b for a, b in zip(losses, losses[1:]))
    for step, loss in zip(range(99, 2000, 100), losses):
        if step in TORCH_LOSSES:
            assert loss == pytest.approx(TORCH_LOSSES[step], rel=1e-3)
    a, b, c, d = floats(lines[-1])[:4]
    assert lines[-1].startswith("Result: y = ")
    assert abs(a) < 1e-6 and abs(c) < 1e-6
    assert b == pytest.approx(-2.2085, abs=2e-3)
    assert d == pytest.approx(0.25549, abs=2e-4)


def test_seed4_notes():
    out, err = run_seed(4)
    lines = out.splitlines()
    assert lines[0] == "a: tensor(2.) None None True True"
    assert lines[1] == "b: tensor(3.) None None True False"
    assert re.fullmatch(
        r"c: tensor\(6\.\) <MulBackward0 object at 0x[0-9a-f]+> False True", lines[2]
    )
    assert re.fullmatch(
        r"next_h: torch.Size\(\[20, 1\]\) <TanhBackward0 object at 0x[0-9a-f]+>", lines[3]
    )
    assert lines[4] == "W_h.grad: torch.Size([20, 20]) W_x.grad: torch.Size([20, 10])"
    assert lines[5:11] == ["tensor(9.)", "True", "False", "True", "False", "tensor(True)"]
    assert lines[11:] == [
        "eval is deterministic: True",
        "train mode zeroed some outputs: True",
        "detached point is a leaf: True False",
        "A got no grad: True B got grad: True",
        "w.grad: tensor([ 8., 16.]) h.grad: tensor([4., 8.])",
        "two backwards: tensor([10., 18.])",
        "summed losses: tensor([10., 18.])",
    ]
