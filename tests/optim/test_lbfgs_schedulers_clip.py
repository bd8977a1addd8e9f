"""LBFGS, learning-rate schedulers and gradient clipping against PyTorch 2.13."""

import math
import warnings

import numpy as np
import pytest

import srcad

torch = pytest.importorskip("torch")


def rosenbrock(lib, p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lr": 0.5, "history_size": 3},
        {"max_iter": 5},
        {"lr": 0.8, "max_iter": 7, "max_eval": 6},
    ],
    ids=str,
)
def test_lbfgs_closure_matches_torch(kwargs):
    def run(lib):
        p = lib.tensor(np.array([-1.5, 2.0]), requires_grad=True)
        opt = lib.optim.LBFGS([p], **kwargs)
        losses, evals = [], []

        def closure():
            opt.zero_grad()
            loss = rosenbrock(lib, p)
            loss.backward()
            evals.append(loss.item())
            return loss

        for _ in range(2):
            losses.append(opt.step(closure).item())
        state = opt.state[p]
        return p.detach().numpy(), losses, evals, state["n_iter"], state["func_evals"]

    (tp, tl, te, tn, tf), (sp, sl, se, sn, sf) = run(torch), run(srcad)
    # Rosenbrock amplifies round-off (1e-16 at the start, about 1e-10 after 40
    # evaluations, 1e-4 after 80): two steps of up to 20 iterations are compared.
    assert (sn, sf) == (tn, tf) and len(se) == len(te)
    np.testing.assert_allclose(sl, tl, rtol=1e-8)
    np.testing.assert_allclose(se, te, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(sp, tp, rtol=1e-8)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float32_model_and_errors(line_search_fn):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.standard_normal((10, 1)).astype(np.float32)
    w0 = rng.standard_normal((1, 3)).astype(np.float32)

    def run(lib):
        model = lib.nn.Linear(3, 1)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(w0))
            model.bias.fill_(0.5)
        opt = lib.optim.LBFGS(model.parameters(), lr=0.8, line_search_fn=line_search_fn)
        xs, ys = lib.tensor(x), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = ((model(xs) - ys) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        return model.weight.detach().numpy()

    np.testing.assert_allclose(run(srcad), run(torch), rtol=1e-4, atol=1e-5)
    a = srcad.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        srcad.optim.LBFGS([{"params": [a]}, {"params": [srcad.ones(1, requires_grad=True)]}])
    assert repr(srcad.optim.LBFGS([a])) == repr(
        torch.optim.LBFGS([torch.ones(1, requires_grad=True)])
    )


SCHEDULERS = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 2, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 8], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 4}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
    ("LambdaLR", {"lr_lambda": lambda e: 1 / (e + 1)}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 3}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 7}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.01}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 12}),
    (
        "OneCycleLR",
        {
            "max_lr": [0.5, 1.0],
            "epochs": 3,
            "steps_per_epoch": 4,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
    ),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{k}" for n, k in SCHEDULERS])
def test_scheduler_lrs_match_torch(name, kwargs):
    def run(lib):
        p = lib.ones(2, requires_grad=True)
        q = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.3}], lr=0.1, momentum=0.9)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        seen = [sched.get_last_lr()]
        for _ in range(12):
            opt.zero_grad()
            (p.sum() + (q * q).sum()).backward()
            opt.step()
            sched.step()
            seen.append(sched.get_last_lr())
        return seen, [g["lr"] for g in opt.param_groups], p.detach().numpy(), sched

    (ts, tl, tp, tsch), (ss, sl, sp, ssch) = run(torch), run(srcad)
    np.testing.assert_allclose(ss, ts, rtol=1e-12)
    np.testing.assert_allclose(sl, tl, rtol=1e-12)
    for tg, sg in zip(tsch.optimizer.param_groups, ssch.optimizer.param_groups):
        assert sg["momentum"] == pytest.approx(tg["momentum"], rel=1e-12)
    np.testing.assert_allclose(sp, tp, rtol=1e-6)
    assert ssch.last_epoch == tsch.last_epoch
    for key in ("base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert ssch.state_dict()[key] == pytest.approx(tsch.state_dict()[key])


def test_scheduler_order_warning_matches_torch():
    def run(lib):
        opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()
        return [str(m.message) for m in w]

    assert run(srcad) == run(torch) and len(run(torch)) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "max", "patience": 1},
        {"patience": 2, "cooldown": 2, "factor": 0.5},
        {"threshold_mode": "abs", "threshold": 0.1, "patience": 0, "min_lr": 0.02},
    ],
    ids=str,
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.8, 0.85, 0.85, 0.86, 0.87, 0.9, 0.95] * 2

    def run(lib):
        opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        out = []
        for m in metrics:
            sched.step(lib.tensor(m))
            out.append((opt.param_groups[0]["lr"], sched.num_bad_epochs, sched.best))
        return out, sched.get_last_lr()

    assert run(srcad) == run(torch)


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), ())]

    def run(lib):
        params = [lib.zeros(g.shape, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g)
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        return total, [p.grad.numpy() for p in params]

    (tt, tg), (st, sg) = run(torch), run(srcad)
    assert str(st.dtype) == str(tt.dtype) and st.shape == tt.shape
    np.testing.assert_allclose(st.numpy(), tt.numpy(), rtol=1e-6)
    for a, b in zip(sg, tg):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_clip_grad_value_and_nonfinite_error():
    g = np.array([[-3.0, 0.2], [0.7, 5.0]], dtype=np.float32)

    def run(lib):
        p = lib.zeros(2, 2, requires_grad=True)
        p.grad = lib.tensor(g)
        lib.nn.utils.clip_grad_value_([p], 0.5)
        return p.grad.numpy()

    np.testing.assert_array_equal(run(srcad), run(torch))
    p = srcad.zeros(2, requires_grad=True)
    p.grad = srcad.tensor([float("inf"), 1.0])
    tp = torch.zeros(2, requires_grad=True)
    tp.grad = torch.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.utils.clip_grad_norm_([tp], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ours:
        srcad.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert str(ours.value) == str(theirs.value)
