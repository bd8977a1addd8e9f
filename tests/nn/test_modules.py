"""``srcad.nn`` and ``srcad.optim`` against PyTorch 2.13: the same scenario on both.

Weights go from the torch module into the srcad module through ``state_dict`` numpy
arrays; then outputs, gradients, hook calls (order, argument shapes), reprs,
running statistics and optimizer trajectories are compared.
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

RTOL, ATOL = 1e-5, 1e-6


def arr(t):
    return None if t is None else t.detach().numpy()


def to_srcad(t):
    return srcad.tensor(arr(t))


def copy_weights(tmod, smod):
    smod.load_state_dict({k: arr(v) for k, v in tmod.state_dict().items()})
    return smod


def close(a, b, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(arr(a), arr(b), rtol=rtol, atol=atol)


def pair(build, *args, **kwargs):
    """The same layer built from torch.nn and srcad.nn, with the same weights."""
    tmod = getattr(tnn, build)(*args, **kwargs)
    smod = getattr(snn, build)(*args, **kwargs)
    return tmod, copy_weights(tmod, smod)


def inputs(*shape, seed=0, requires_grad=True):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return (
        torch.tensor(x, requires_grad=requires_grad),
        srcad.tensor(x, requires_grad=requires_grad),
    )


# ---------------------------------------------------------------------------
# Layers: forward values, gradients, grad_fn names

LAYERS = [
    ("Linear", (4, 3), {}, (5, 4)),
    ("Linear", (4, 3), {"bias": False}, (5, 4)),
    ("Linear", (4, 3), {}, (2, 5, 4)),
    ("Conv2d", (2, 3, 3), {}, (2, 2, 8, 7)),
    ("Conv2d", (2, 4, (3, 2)), {"stride": 2, "padding": 1}, (2, 2, 9, 8)),
    ("Conv2d", (2, 4, 3), {"bias": False, "padding": (0, 2)}, (1, 2, 6, 6)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 6)),
    ("MaxPool2d", (3,), {"stride": 1, "padding": 1}, (2, 3, 7, 7)),
    ("ReLU", (), {}, (4, 5)),
    ("Tanh", (), {}, (4, 5)),
    ("Sigmoid", (), {}, (4, 5)),
    ("Softmax", (), {"dim": 1}, (4, 5)),
    ("LogSoftmax", (), {"dim": 1}, (4, 5)),
    ("Flatten", (), {}, (2, 3, 4)),
    ("Identity", (), {}, (2, 3)),
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), {"affine": False}, (6, 3, 4)),
    ("BatchNorm2d", (3,), {}, (4, 3, 5, 5)),
]


@pytest.mark.parametrize("row", LAYERS, ids=[f"{r[0]}{r[1]}{r[2]}" for r in LAYERS])
def test_layer_forward_backward_and_grad_fn(row):
    name, args, kwargs, shape = row
    torch.manual_seed(0)
    tmod, smod = pair(name, *args, **kwargs)
    tx, sx = inputs(*shape)
    ty, sy = tmod(tx), smod(sx)
    close(ty, sy)
    assert type(sy.grad_fn).__name__ == type(ty.grad_fn).__name__
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(g))
    sy.backward(srcad.tensor(g))
    close(tx.grad, sx.grad)
    for (tn, tp), (sn, sp) in zip(tmod.named_parameters(), smod.named_parameters()):
        assert tn == sn
        close(tp.grad, sp.grad, rtol=1e-4, atol=1e-5)
    for (tn, tb), (sn, sb) in zip(tmod.named_buffers(), smod.named_buffers()):
        assert tn == sn
        close(tb, sb)


LOSSES = [
    ("CrossEntropyLoss", {}, (5, 4), "class"),
    ("CrossEntropyLoss", {"reduction": "sum"}, (5, 4), "class"),
    ("CrossEntropyLoss", {"reduction": "none", "ignore_index": 1}, (5, 4), "class"),
    ("CrossEntropyLoss", {}, (2, 4, 3, 3), "class"),
    ("NLLLoss", {}, (5, 4), "class"),
    ("NLLLoss", {"reduction": "none"}, (5, 4), "class"),
    ("MSELoss", {}, (5, 4), "same"),
    ("MSELoss", {"reduction": "sum"}, (5, 4), "same"),
    ("MSELoss", {"reduction": "none"}, (5, 4), "same"),
]


@pytest.mark.parametrize("row", LOSSES, ids=[f"{r[0]}-{r[1]}-{len(r[2])}d" for r in LOSSES])
def test_losses(row):
    name, kwargs, shape, kind = row
    tx, sx = inputs(*shape)
    rng = np.random.default_rng(2)
    if kind == "class":
        tshape = (shape[0],) + shape[2:]
        target = rng.integers(0, shape[1], tshape)
        tt, st = torch.tensor(target), srcad.tensor(target)
    else:
        target = rng.standard_normal(shape).astype(np.float32)
        tt, st = torch.tensor(target), srcad.tensor(target)
    tl = getattr(tnn, name)(**kwargs)(tx, tt)
    sl = getattr(snn, name)(**kwargs)(sx, st)
    close(tl, sl)
    assert type(sl.grad_fn).__name__ == type(tl.grad_fn).__name__
    tl.sum().backward()
    sl.sum().backward()
    close(tx.grad, sx.grad)


def test_cross_entropy_records_log_softmax_then_nll():
    _, sx = inputs(3, 4)
    loss = sF.cross_entropy(sx, srcad.tensor([0, 3, 1]))
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"


def test_class_weights():
    tx, sx = inputs(6, 3)
    w = np.array([0.2, 1.0, 3.0], dtype=np.float32)
    y = np.array([0, 1, 2, 2, 1, 0])
    tl = tnn.CrossEntropyLoss(weight=torch.tensor(w))(tx, torch.tensor(y))
    sl = snn.CrossEntropyLoss(weight=srcad.tensor(w))(sx, srcad.tensor(y))
    close(tl, sl)
    tl.backward()
    sl.backward()
    close(tx.grad, sx.grad)


def test_functional_grad_fn_names():
    tx, sx = inputs(2, 3, 6, 6)
    tw, sw = inputs(4, 3, 3, 3, seed=1)
    cases = [
        (lambda F, x, w: F.conv2d(x, w), "ConvolutionBackward0"),
        (lambda F, x, w: F.max_pool2d(x, 2), "MaxPool2DWithIndicesBackward0"),
        (lambda F, x, w: F.relu(x), "ReluBackward0"),
        (lambda F, x, w: F.softmax(x, 1), "SoftmaxBackward0"),
        (lambda F, x, w: F.log_softmax(x, 1), "LogSoftmaxBackward0"),
        (lambda F, x, w: F.dropout(x, 0.5), "MulBackward0"),
        (lambda F, x, w: F.linear(x.flatten(1), w.reshape(1, 108)), "MmBackward0"),
        (lambda F, x, w: F.mse_loss(x, x.detach() * 2), "MseLossBackward0"),
    ]
    for fn, name in cases:
        assert type(fn(tF, tx, tw).grad_fn).__name__ == name
        assert type(fn(sF, sx, sw).grad_fn).__name__ == name


# ---------------------------------------------------------------------------
# Dropout and BatchNorm: train vs eval


def test_dropout_eval_is_identity_and_train_scales():
    srcad.manual_seed(0)
    d = snn.Dropout(0.25)
    x = srcad.ones(4000, requires_grad=True)
    d.eval()
    assert d(x) is x
    d.train()
    y = d(x)
    vals = np.unique(arr(y))
    assert set(vals.tolist()) <= {0.0, np.float32(1 / 0.75)}
    frac = float(np.mean(arr(y) == 0))
    assert 0.2 < frac < 0.3
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), arr(y))  # grad is the mask itself
    srcad.manual_seed(0)
    again = snn.Dropout(0.25)(srcad.ones(4000))
    np.testing.assert_array_equal(arr(again), arr(y))  # srcad.manual_seed repeats masks
    assert not np.any(arr(snn.Dropout(1.0)(x)))
    assert snn.Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        snn.Dropout(1.5)


@pytest.mark.parametrize(
    "name,shape,momentum",
    [
        ("BatchNorm1d", (8, 3), 0.1),
        ("BatchNorm2d", (4, 3, 5, 5), 0.1),
        ("BatchNorm2d", (4, 3, 2, 2), None),
    ],
)
def test_batchnorm_running_stats_and_eval(name, shape, momentum):
    tmod, smod = pair(name, 3, momentum=momentum)
    for step in range(3):
        tx, sx = inputs(*shape, seed=step)
        tx = tx * (step + 1) + step
        sx = sx * (step + 1) + step
        close(tmod(tx), smod(sx), rtol=1e-4, atol=1e-5)
    close(tmod.running_mean, smod.running_mean)
    close(tmod.running_var, smod.running_var, rtol=1e-5)
    assert smod.num_batches_tracked.item() == 3
    tmod.eval()
    smod.eval()
    tx, sx = inputs(*shape, seed=9)
    ty, sy = tmod(tx), smod(sx)
    close(ty, sy)
    assert type(sy.grad_fn).__name__ == "NativeBatchNormBackward0"
    ty.sum().backward()
    sy.sum().backward()
    close(tx.grad, sx.grad)
    close(tmod.weight.grad, smod.weight.grad, rtol=1e-4, atol=1e-5)
    assert smod.num_batches_tracked.item() == 3  # eval does not count


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        snn.BatchNorm1d(3)(srcad.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        snn.BatchNorm2d(3)(srcad.randn(2, 3, 4))


# ---------------------------------------------------------------------------
# A whole network


class _Net:
    """The same small CNN in both libraries (conv, batchnorm, pool, dropout, linear)."""

    @staticmethod
    def build(nn, F):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
                self.bn = nn.BatchNorm2d(4)
                self.pool = nn.MaxPool2d(2)
                self.drop = nn.Dropout(0.5)
                self.head = nn.Sequential(
                    nn.Flatten(), nn.Linear(4 * 4 * 4, 10), nn.Tanh(), nn.Linear(10, 3)
                )

            def forward(self, x):
                x = self.pool(F.relu(self.bn(self.conv1(x))))
                return self.head(self.drop(x))

        return Net()


def test_network_outputs_gradients_and_repr():
    torch.manual_seed(0)
    tnet = _Net.build(tnn, tF)
    snet = copy_weights(tnet, _Net.build(snn, sF))
    assert repr(snet) == repr(tnet)
    assert [n for n, _ in snet.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert list(snet.state_dict()) == list(tnet.state_dict())
    assert [n for n, _ in snet.named_modules()] == [n for n, _ in tnet.named_modules()]
    tnet.eval()
    snet.eval()  # dropout off; batchnorm uses running stats
    assert not snet.drop.training and not snet.head[1].training
    tx, sx = inputs(2, 1, 8, 8)
    y = np.array([0, 2])
    tl = tF.cross_entropy(tnet(tx), torch.tensor(y))
    sl = sF.cross_entropy(snet(sx), srcad.tensor(y))
    close(tl, sl)
    tl.backward()
    sl.backward()
    close(tx.grad, sx.grad, rtol=1e-4, atol=1e-6)
    for tp, sp in zip(tnet.parameters(), snet.parameters()):
        close(tp.grad, sp.grad, rtol=1e-4, atol=1e-6)
    snet.zero_grad()
    assert all(p.grad is None for p in snet.parameters())


REPRS = [
    lambda nn: nn.Linear(320, 50),
    lambda nn: nn.Conv2d(1, 10, 5),
    lambda nn: nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, bias=False),
    lambda nn: nn.MaxPool2d(2, 2),
    lambda nn: nn.BatchNorm1d(4, affine=False),
    lambda nn: nn.Dropout(0.3),
    lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)),
    lambda nn: nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Sigmoid()]),
    lambda nn: nn.Sequential(
        nn.Flatten(),
        nn.Identity(),
        nn.Tanh(),
        nn.Softmax(dim=1),
        nn.CrossEntropyLoss(),
        nn.MSELoss(),
        nn.NLLLoss(),
    ),
]


@pytest.mark.parametrize("make", REPRS)
def test_reprs_match_torch(make):
    assert repr(make(snn)) == repr(make(tnn))


def test_parameter_repr_and_registration():
    torch.manual_seed(0)
    tlin, slin = pair("Linear", 2, 2)
    assert repr(slin.weight) == repr(tlin.weight)
    assert str(slin.weight).startswith("Parameter containing:\ntensor(")
    assert isinstance(slin.weight, srcad.Tensor) and slin.weight.is_leaf
    y = slin.weight * 2
    assert type(y) is srcad.Tensor
    m = snn.Module()
    m.p = snn.Parameter(srcad.zeros(3))
    m.register_buffer("buf", srcad.ones(2))
    m.child = snn.Linear(1, 1)
    assert [n for n, _ in m.named_parameters()] == ["p", "child.weight", "child.bias"]
    assert [n for n, _ in m.named_buffers()] == ["buf"]
    assert list(m.children()) == [m.child]
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope  # noqa: B018
    with pytest.raises(TypeError, match="cannot assign"):
        m.p = srcad.zeros(3)

    class Early(snn.Module):
        def __init__(self):
            self.l = snn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__"):
        Early()


def test_shared_modules_count_once():
    lin = snn.Linear(2, 2)
    seq = snn.Sequential(lin, snn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]


def test_state_dict_errors_match_torch():
    tsmall, tbig = tnn.Linear(2, 2), tnn.Linear(2, 3)
    ssmall, sbig = snn.Linear(2, 2), snn.Linear(2, 3)
    with pytest.raises(RuntimeError) as te:
        tbig.load_state_dict(tsmall.state_dict())
    with pytest.raises(RuntimeError) as se:
        sbig.load_state_dict(ssmall.state_dict())
    assert str(se.value) == str(te.value)
    with pytest.raises(RuntimeError) as te:
        tsmall.load_state_dict({"weight": tsmall.weight})
    with pytest.raises(RuntimeError) as se:
        ssmall.load_state_dict({"weight": ssmall.weight})
    assert str(se.value) == str(te.value)
    assert repr(ssmall.load_state_dict(ssmall.state_dict())) == "<All keys matched successfully>"
    res = ssmall.load_state_dict({"weight": ssmall.weight}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == []


def test_dtype_and_device_moves():
    net = snn.Sequential(snn.Linear(2, 2), snn.BatchNorm1d(2))
    net.double()
    assert all(p.dtype == srcad.float64 for p in net.parameters())
    assert net[1].running_mean.dtype == srcad.float64
    assert net[1].num_batches_tracked.dtype == srcad.int64
    w = net[0].weight
    net.float()
    assert net[0].weight is w and w.dtype == srcad.float32  # same Parameter object
    assert net.to("cpu") is net and net.cpu() is net
    out = net(srcad.randn(3, 2))
    assert out.dtype == srcad.float32


def test_train_eval_propagates():
    net = _Net.build(snn, sF)
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_default_init_bounds():
    srcad.manual_seed(0)
    lin = snn.Linear(320, 50)
    bound = 1 / np.sqrt(320)
    w, b = arr(lin.weight), arr(lin.bias)
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)
    assert np.std(w) == pytest.approx(bound / np.sqrt(3), rel=0.05)
    conv = snn.Conv2d(1, 10, 5)
    assert np.all(np.abs(arr(conv.weight)) <= 1 / 5)
    srcad.manual_seed(0)
    np.testing.assert_array_equal(arr(snn.Linear(320, 50).weight), w)


# ---------------------------------------------------------------------------
# Hooks


def _record_hooks(nn, lin, log):
    def pre(mod, args):
        log.append(("pre", len(args)))

    def fwd(mod, args, out):
        log.append(("fwd", tuple(out.shape)))

    def bwd(mod, gin, gout):
        log.append(
            (
                "bwd",
                [None if g is None else tuple(g.shape) for g in gin],
                [tuple(g.shape) for g in gout],
            )
        )

    return [
        lin.register_forward_pre_hook(pre),
        lin.register_forward_hook(fwd),
        lin.register_full_backward_hook(bwd),
    ]


def test_hook_order_and_shapes_match_torch():
    logs = []
    for lib, nn in ((torch, tnn), (srcad, snn)):
        lib.manual_seed(0)
        lin = nn.Linear(2, 1)
        log = []
        handles = _record_hooks(nn, lin, log)
        x = lib.ones(3, 2, requires_grad=True)
        lin(x).sum().backward()
        for h in handles:
            h.remove()
        lin(x).sum().backward()  # removed: no more entries
        logs.append(log)
    assert logs[1] == logs[0] == [("pre", 1), ("fwd", (3, 1)), ("bwd", [(3, 2)], [(3, 1)])]


def test_forward_hooks_replace_input_and_output():
    results = []
    for lib, nn in ((torch, tnn), (srcad, snn)):
        lin = nn.Linear(2, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
            lin.bias.zero_()
        lin.register_forward_pre_hook(lambda m, a: a[0] * 2)  # a single value is wrapped
        lin.register_forward_hook(lambda m, a, out: out + 1)
        y = lin(lib.tensor([[1.0, 1.0]]))
        results.append(arr(y))
    np.testing.assert_allclose(results[1], results[0])
    np.testing.assert_allclose(results[1], [[7.0, 15.0]])


def test_full_backward_hook_replaces_grad_input():
    for lib, nn in ((torch, tnn), (srcad, snn)):
        lin = nn.Linear(2, 1)
        lin.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 10,))
        x = lib.ones(3, 2, requires_grad=True)
        lin(x).sum().backward()
        np.testing.assert_allclose(arr(x.grad), np.tile(arr(lin.weight) * 10, (3, 1)))


def test_full_backward_hook_errors_and_warnings():
    lin = snn.Linear(2, 1)
    lin.register_full_backward_hook(lambda m, gin, gout: (gin[0], gin[0]))
    x = srcad.ones(3, 2, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="Backward hook returned an invalid number of grad_input, got 2, but expected 1",
    ):
        lin(x).sum().backward()
    lin = snn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda m, gin, gout: seen.append((gin, gout[0].shape)))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lin(srcad.ones(3, 2)).sum().backward()
    assert any(
        "Full backward hook is firing when gradients are computed with respect to "
        "module outputs since no inputs require gradients" in str(m.message)
        for m in w
    )
    assert seen == [((None,), srcad.Size([3, 1]))]
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
        lin.register_backward_hook(lambda *a: None)


def test_backward_pre_hook_replaces_grad_output():
    for lib, nn in ((torch, tnn), (srcad, snn)):
        lin = nn.Linear(2, 1)
        lin.register_full_backward_pre_hook(lambda m, gout: (gout[0] * 0,))
        x = lib.ones(3, 2, requires_grad=True)
        lin(x).sum().backward()
        assert not np.any(arr(x.grad)) and not np.any(arr(lin.weight.grad))


def test_old_style_backward_hook_on_conv_matches_torch():
    seen = {}
    for name, lib, nn in (("torch", torch, tnn), ("srcad", srcad, snn)):
        lib.manual_seed(0)
        conv = nn.Conv2d(1, 10, 5)

        def hook(mod, gin, gout, name=name):
            seen[name] = (
                [None if g is None else tuple(g.shape) for g in gin],
                [tuple(g.shape) for g in gout],
            )

        conv.register_backward_hook(hook)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = conv(lib.randn(1, 1, 28, 28))
        assert any(
            issubclass(m.category, FutureWarning) and "non-full backward hook" in str(m.message)
            for m in w
        )
        out.sum().backward()
    assert seen["srcad"] == seen["torch"] == ([None, (10, 1, 5, 5), (10,)], [(1, 10, 24, 24)])


# ---------------------------------------------------------------------------
# Optimizers: five steps on the same model, every parameter compared after each


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "eps": 1e-6}),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{o[0]}-{o[1]}" for o in OPTIMIZERS])
def test_optimizer_trajectory(name, kwargs):
    torch.manual_seed(0)
    tnet = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 2))
    snet = copy_weights(tnet, snn.Sequential(snn.Linear(3, 4), snn.Tanh(), snn.Linear(4, 2)))
    topt = getattr(torch.optim, name)(tnet.parameters(), **kwargs)
    sopt = getattr(srcad.optim, name)(snet.parameters(), **kwargs)
    assert repr(sopt) == repr(topt)
    tx, sx = inputs(5, 3, requires_grad=False)
    ty, sy = inputs(5, 2, seed=3, requires_grad=False)
    for _ in range(5):
        for net, opt, x, y, F in ((tnet, topt, tx, ty, tF), (snet, sopt, sx, sy, sF)):
            opt.zero_grad()
            F.mse_loss(net(x), y).backward()
            opt.step()
        for tp, sp in zip(tnet.parameters(), snet.parameters()):
            close(tp, sp, rtol=1e-5, atol=1e-6)
    assert all(p.grad is not None for p in snet.parameters())
    sopt.zero_grad()
    assert all(p.grad is None for p in snet.parameters())


def test_optimizer_param_groups_and_errors():
    a = srcad.ones(2, requires_grad=True)
    b = srcad.ones(2, requires_grad=True)
    opt = srcad.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(arr(a), [0.9, 0.9])
    np.testing.assert_allclose(arr(b), [0.5, 0.5])
    assert a._version > 0  # an in-place update, visible to saved-tensor checks
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        srcad.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "):
        srcad.optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        srcad.optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        srcad.optim.Adam([a * 2])
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        srcad.optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [1]


# ---------------------------------------------------------------------------
# Gradients of gradients (create_graph): the rules' own rules


@pytest.mark.parametrize("which", ["conv_pool", "linear_ce", "softmax_mse", "batch_norm"])
def test_double_backward_matches_torch(which):
    def run(lib, F):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((3, 2, 5, 5)).astype(np.float32), requires_grad=True)
        w = lib.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
        W = lib.tensor(rng.standard_normal((3, 50)).astype(np.float32), requires_grad=True)
        if which == "conv_pool":
            out = (F.max_pool2d(F.conv2d(x, w, padding=1), 2) ** 2).sum()
            wrt = (x, w)
        elif which == "linear_ce":
            out = F.cross_entropy(F.linear(x.flatten(1), W), lib.tensor([0, 2, 1]))
            wrt = (x, W)
        elif which == "softmax_mse":
            p = F.softmax(F.linear(x.flatten(1), W), 1)
            out = F.mse_loss(F.log_softmax(p, 1), p * 0.5)
            wrt = (x, W)
        else:
            out = (F.batch_norm(x, None, None, training=True) ** 3).mean()
            wrt = (x,)
        grads = lib.autograd.grad(out, wrt, create_graph=True)
        sum((g**2).sum() for g in grads).backward()
        return [t.grad.detach().numpy() for t in wrt]

    for a, b in zip(run(torch, tF), run(srcad, sF)):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4 * np.abs(a).max())
