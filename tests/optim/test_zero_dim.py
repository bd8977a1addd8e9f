"""Optimizers on parameters of every rank, 0-d included, against PyTorch 2.13.

A 0-d parameter (``torch.full((), v, requires_grad=True)``) once broke the optimizers:
NumPy arithmetic on 0-d arrays returns scalars (copies), so in-place buffer updates were
lost.  Each case runs six steps on both libraries from the same start and compares the
parameter and every state buffer after each step.
"""

import numpy as np
import pytest

import srcad

torch = pytest.importorskip("torch")

SHAPES = [(), (1,), (3,), (2, 3)]

CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.2}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "maximize": True, "betas": (0.8, 0.9)}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.3, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.2}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "maximize": True}),
]


def loss(lib, p, target):
    return ((p - target) ** 2 * 3.0 + 0.1 * p**3).sum()


def run(lib, name, kwargs, start, target, steps=6):
    p = lib.tensor(start, requires_grad=True)
    opt = getattr(lib.optim, name)([p], **kwargs)
    t = lib.tensor(target)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss(lib, p, t).backward()
        opt.step()
        state = {k: np.array(v.detach().numpy()) for k, v in opt.state[p].items()}
        out.append((p.detach().numpy().copy(), state))
    return out, p


def cases():
    for shape in SHAPES:
        for name, kwargs in CASES:
            yield pytest.param(name, kwargs, shape, id=f"{name}-{kwargs}-{shape}")


@pytest.mark.parametrize("name,kwargs,shape", list(cases()))
def test_trajectory_every_rank(name, kwargs, shape):
    rng = np.random.default_rng(len(shape))
    start = rng.standard_normal(shape).astype(np.float32)
    target = rng.standard_normal(shape).astype(np.float32)
    theirs, tp = run(torch, name, kwargs, start, target)
    ours, sp = run(srcad, name, kwargs, start, target)
    t_opt = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
    s_opt = getattr(srcad.optim, name)([srcad.zeros(1, requires_grad=True)], **kwargs)
    assert repr(s_opt) == repr(t_opt)
    assert tuple(sp.shape) == tuple(tp.shape) and str(sp.dtype) == str(tp.dtype)
    for (tx, tstate), (sx, sstate) in zip(theirs, ours):
        np.testing.assert_allclose(sx, tx, rtol=2e-5, atol=1e-6)
        assert sorted(sstate) == sorted(tstate)
        for key in tstate:
            assert sstate[key].shape == tstate[key].shape, key
            assert sstate[key].dtype == tstate[key].dtype, key
            np.testing.assert_allclose(sstate[key], tstate[key], rtol=2e-5, atol=1e-6)


def test_seed_style_legendre_fit_with_momentum():
    """The issue's program: 0-d coefficients, SGD with momentum, a polynomial fit."""
    xs = np.linspace(-np.pi, np.pi, 200).astype(np.float32)
    ys = np.sin(xs)

    def fit(lib):
        x, y = lib.tensor(xs), lib.tensor(ys)
        a, b, c, d = (lib.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        opt = lib.optim.SGD([a, b, c, d], lr=5e-6, momentum=0.9)
        losses = []
        for _ in range(30):
            pred = a + b * x + c * x**2 + d * x**3
            loss_value = ((pred - y) ** 2).sum()
            losses.append(loss_value.item())
            opt.zero_grad()
            loss_value.backward()
            opt.step()
        return losses, [t.item() for t in (a, b, c, d)]

    (tl, tc), (sl, sc) = fit(torch), fit(srcad)
    np.testing.assert_allclose(sl, tl, rtol=1e-4)
    np.testing.assert_allclose(sc, tc, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_loaded_state_made_of_zero_dim_arithmetic_is_updated(name):
    """State tensors built by 0-d arithmetic (NumPy scalars inside) still update."""
    kwargs = {"lr": 0.1, "momentum": 0.9} if name != "Adam" else {"lr": 0.1}

    def run(lib, tamper):
        p = lib.full((), 1.5, requires_grad=True)
        opt = getattr(lib.optim, name)([p], **kwargs)
        for i in range(4):
            opt.zero_grad()
            (p * p * 2.0).backward()
            opt.step()
            if i == 1 and tamper:
                sd = opt.state_dict()
                sd["state"][0] = {k: v * 1 for k, v in sd["state"][0].items()}
                opt.load_state_dict(sd)
        return p.item()

    assert run(srcad, True) == pytest.approx(run(torch, True), rel=1e-6)
    assert run(srcad, True) == pytest.approx(run(srcad, False), rel=1e-6)
