"""Loss functions and modules against PyTorch 2.13: values, gradients, dtypes, errors.

Each case builds the same inputs for both libraries (NumPy arrays in), runs the
functional form and the module form with every reduction, and compares the value,
its dtype and the gradient of every input that requires grad.
"""

import warnings

import numpy as np
import pytest

import srcad
import srcad.nn as snn
import srcad.nn.functional as sF

torch = pytest.importorskip("torch")
tnn = torch.nn
tF = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]


def pair(array, requires_grad=False):
    return (
        torch.tensor(array, requires_grad=requires_grad),
        srcad.tensor(array, requires_grad=requires_grad),
    )


def check(tout, sout, tins, sins, rtol=1e-5, atol=1e-6):
    assert str(sout.dtype) == str(tout.dtype)
    assert tuple(sout.shape) == tuple(tout.shape)
    np.testing.assert_allclose(sout.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    tout.sum().backward()
    sout.sum().backward()
    for t, s in zip(tins, sins):
        if t.requires_grad:
            np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


MIXED = [(np.float32, np.int64), (np.float32, np.float64), (np.float64, np.float32)]


@pytest.mark.parametrize("dtypes", MIXED, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_mixed_dtypes(dtypes, reduction):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(dtypes[0])
    y = (rng.standard_normal((4, 3)) * 3).astype(dtypes[1])
    tx, sx = pair(x, True)
    ty, sy = pair(y)
    check(
        tnn.MSELoss(reduction=reduction)(tx, ty),
        snn.MSELoss(reduction=reduction)(sx, sy),
        [tx],
        [sx],
    )


def run_loss(name, x, y, kwargs, grad_target=False, fn=None):
    """The module ``name`` (or functional ``fn``) on both libraries; value and grads."""
    tx, sx = pair(x, True)
    ty, sy = pair(y, grad_target)
    if fn is None:
        tout = getattr(tnn, name)(**kwargs)(tx, ty)
        sout = getattr(snn, name)(**kwargs)(sx, sy)
    else:
        tout = getattr(tF, fn)(tx, ty, **kwargs)
        sout = getattr(sF, fn)(sx, sy, **kwargs)
    check(tout, sout, [tx, ty], [sx, sy])


def data(shape=(4, 3), seed=0, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "prob":
        return rng.uniform(0.05, 0.95, shape).astype(np.float32)
    if kind == "binary":
        return (rng.uniform(size=shape) > 0.5).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("L1Loss", {}),
        ("SmoothL1Loss", {}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("SmoothL1Loss", {"beta": 0.0}),
        ("HuberLoss", {"delta": 0.7}),
        ("MSELoss", {}),
    ],
    ids=str,
)
def test_regression_losses_match_torch(name, kwargs, reduction):
    x = data()
    y = data(seed=1)
    y[0, 0] = x[0, 0]  # a zero difference: the kink of |d|
    run_loss(name, x, y, dict(kwargs, reduction=reduction), grad_target=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_losses_match_torch(reduction):
    p, t = data(kind="prob"), data(seed=2, kind="binary")
    run_loss("BCELoss", p, t, {"reduction": reduction})
    logits = data() * 5
    logits[0, :] = [0.0, 60.0, -60.0]  # the kink of max(-x, 0) and both tails
    run_loss("BCEWithLogitsLoss", logits, t, {"reduction": reduction})
    run_loss(
        "BCEWithLogitsLoss",
        logits,
        data(seed=3, kind="prob"),
        {"reduction": reduction},
        grad_target=True,
    )
    w = torch.tensor([0.5, 2.0, 1.0])
    tx, sx = pair(logits, True)
    ty, sy = pair(t)
    tout = tnn.BCEWithLogitsLoss(weight=w, pos_weight=w * 3, reduction=reduction)(tx, ty)
    sw = srcad.tensor(w.numpy())
    sout = snn.BCEWithLogitsLoss(weight=sw, pos_weight=sw * 3, reduction=reduction)(sx, sy)
    check(tout, sout, [tx], [sx])
    tx, sx = pair(p, True)
    tout = tnn.BCELoss(weight=w, reduction=reduction)(tx, ty)
    sout = snn.BCELoss(weight=sw, reduction=reduction)(sx, sy)
    check(tout, sout, [tx], [sx])


def test_bce_with_logits_second_derivative_matches_torch():
    x = data() * 3
    t = data(seed=4, kind="prob")
    grads = []
    for lib, F in ((torch, tF), (srcad, sF)):
        xi = lib.tensor(x, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(xi, lib.tensor(t))
        (g,) = lib.autograd.grad(loss, xi, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), xi)
        grads.append(gg.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(
    "fn,x,y,kwargs",
    [
        ("binary_cross_entropy", np.full(2, 0.5, np.float32), np.ones(3, np.float32), {}),
        ("binary_cross_entropy", np.full(2, 2.0, np.float32), np.ones(2, np.float32), {}),
        ("binary_cross_entropy", np.full(2, 0.5, np.float32), np.ones(2, np.float64), {}),
        ("binary_cross_entropy_with_logits", np.ones(2, np.float32), np.ones(3, np.float32), {}),
        ("smooth_l1_loss", np.ones(2, np.float32), np.ones(2, np.float32), {"beta": -1.0}),
        ("l1_loss", np.ones(2, np.float32), np.ones(2, np.float32), {"reduction": "avg"}),
    ],
)
def test_loss_errors_match_torch(fn, x, y, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(tF, fn)(torch.tensor(x), torch.tensor(y), **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(sF, fn)(srcad.tensor(x), srcad.tensor(y), **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("dtypes", MIXED, ids=str)
@pytest.mark.parametrize("fn", ["l1_loss", "smooth_l1_loss", "binary_cross_entropy_with_logits"])
def test_mixed_dtype_promotion_matches_torch(dtypes, fn):
    x = data(kind="prob").astype(dtypes[0])
    y = data(seed=5, kind="binary").astype(dtypes[1])
    try:
        getattr(tF, fn)(torch.tensor(x), torch.tensor(y))
    except RuntimeError as theirs:
        with pytest.raises(RuntimeError) as ours:
            getattr(sF, fn)(srcad.tensor(x), srcad.tensor(y))
        assert str(ours.value) == str(theirs)
        return
    run_loss(None, x, y, {}, fn=fn)


def test_nll_and_softmax_modules_match_torch():
    x = data((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    tx, sx = pair(x, True)
    tout = tnn.NLLLoss()(tnn.LogSoftmax(dim=1)(tx), torch.tensor(target))
    sout = snn.NLLLoss()(snn.LogSoftmax(dim=1)(sx), srcad.tensor(target))
    check(tout, sout, [tx], [sx])
    tx, sx = pair(x, True)
    check(tnn.Softmax(dim=0)(tx), snn.Softmax(dim=0)(sx), [tx], [sx])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"label_smoothing": 0.2}, {"label_smoothing": 0.1, "ignore_index": 2}],
    ids=str,
)
def test_cross_entropy_label_smoothing_matches_torch(kwargs, reduction):
    x = data((5, 4))
    target = np.array([0, 3, 2, 1, 2])
    tx, sx = pair(x, True)
    tout = tnn.CrossEntropyLoss(reduction=reduction, **kwargs)(tx, torch.tensor(target))
    sout = snn.CrossEntropyLoss(reduction=reduction, **kwargs)(sx, srcad.tensor(target))
    check(tout, sout, [tx], [sx])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 2, 2)], ids=str)
@pytest.mark.parametrize("smoothing,weighted", [(0.0, False), (0.3, False), (0.0, True)])
def test_cross_entropy_probability_targets_match_torch(reduction, shape, smoothing, weighted):
    x = data(shape)
    classes = shape[0] if len(shape) == 1 else shape[1]
    axis = 0 if len(shape) == 1 else 1
    probs = np.exp(data(shape, seed=9))
    probs = (probs / probs.sum(axis, keepdims=True)).astype(np.float32)
    w = np.linspace(0.5, 2.0, classes).astype(np.float32) if weighted else None
    tx, sx = pair(x, True)
    ty, sy = pair(probs, True)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    tout = tF.cross_entropy(tx, ty, weight=None if w is None else torch.tensor(w), **kw)
    sout = sF.cross_entropy(sx, sy, weight=None if w is None else srcad.tensor(w), **kw)
    check(tout, sout, [tx, ty], [sx, sy])


def test_cross_entropy_probability_target_promotes_and_huber_keeps_input_dtype():
    x = data((3, 4)).astype(np.float32)
    p = np.full((3, 4), 0.25)
    tx, sx = pair(x, True)
    ty, sy = pair(p)
    check(tF.cross_entropy(tx, ty), sF.cross_entropy(sx, sy), [tx], [sx])
    for dtypes in MIXED + [(np.float64, np.int64)]:
        a, b = data().astype(dtypes[0]), (data(seed=3) * 2).astype(dtypes[1])
        # torch 2.13's huber backward fails on mixed dtypes; compare the forward
        tout = tnn.HuberLoss()(torch.tensor(a), torch.tensor(b))
        sout = snn.HuberLoss()(srcad.tensor(a), srcad.tensor(b))
        assert str(sout.dtype) == str(tout.dtype)
        np.testing.assert_allclose(sout.numpy(), tout.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logp = np.log(np.random.default_rng(0).dirichlet(np.ones(4), 3)).astype(np.float32)
    q = np.random.default_rng(1).dirichlet(np.ones(4), 3).astype(np.float32)
    q[0, 1] = 0.0  # a zero target probability contributes 0
    y = np.log(q + 1e-3).astype(np.float32) if log_target else q
    kw = {"reduction": reduction, "log_target": log_target}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tx, sx = pair(logp, True)
        ty, sy = pair(y)
        check(tnn.KLDivLoss(**kw)(tx, ty), snn.KLDivLoss(**kw)(sx, sy), [tx], [sx])
    messages = [str(m.message) for m in w]
    assert len(messages) == (2 if reduction == "mean" else 0)
    assert len(set(messages)) <= 1


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_and_cosine_similarity_match_torch(dim):
    a = data((4, 3))
    b = data((4, 3), seed=8)
    ta, sa = pair(a, True)
    check(tF.normalize(ta, dim=dim), sF.normalize(sa, dim=dim), [ta], [sa])
    ta, sa = pair(a, True)
    tb, sb = pair(b, True)
    check(
        tnn.CosineSimilarity(dim=dim)(ta, tb),
        snn.CosineSimilarity(dim=dim)(sa, sb),
        [ta, tb],
        [sa, sb],
    )
    ta, sa = pair(a, True)
    check(tF.normalize(ta, p=1.0, dim=dim), sF.normalize(sa, p=1.0, dim=dim), [ta], [sa])
