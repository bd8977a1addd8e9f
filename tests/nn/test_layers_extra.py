"""Embedding, LazyLinear, pooling, Dropout2d, LayerNorm, activations, recurrent layers
and containers against PyTorch 2.13.

Weights go from torch into srcad through ``state_dict``; outputs, dtypes, reprs and
the gradients of inputs and of every parameter are compared (the backward seed is a
fixed random tensor, so each output element is weighted differently).
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


def arr(t):
    return t.detach().numpy()


def copy_weights(tmod, smod):
    smod.load_state_dict({k: arr(v) for k, v in tmod.state_dict().items()})
    return smod


def both(x, requires_grad=True):
    return (
        torch.tensor(x, requires_grad=requires_grad),
        srcad.tensor(x, requires_grad=requires_grad),
    )


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def flat(out):
    if isinstance(out, tuple):
        return [t for o in out for t in flat(o)]
    return [out]


def compare(tout, sout, tleaves, sleaves, rtol=1e-5, atol=1e-6):
    """Outputs equal; then backward with fixed random seeds; leaf gradients equal."""
    touts, souts = flat(tout), flat(sout)
    assert len(touts) == len(souts)
    tloss, sloss = 0, 0
    for k, (a, b) in enumerate(zip(touts, souts)):
        assert str(b.dtype) == str(a.dtype) and tuple(b.shape) == tuple(a.shape)
        np.testing.assert_allclose(arr(b), arr(a), rtol=rtol, atol=atol)
        seed = randn(*a.shape, seed=100 + k)
        tloss = tloss + (a * torch.tensor(seed)).sum()
        sloss = sloss + (b * srcad.tensor(seed)).sum()
    tloss.backward()
    sloss.backward()
    for t, s in zip(tleaves, sleaves):
        if t.grad is None:
            assert s.grad is None
            continue
        np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


def module_pair(name, *args, **kwargs):
    tmod = getattr(tnn, name)(*args, **kwargs)
    smod = getattr(snn, name)(*args, **kwargs)
    assert repr(smod) == repr(tmod)
    assert [n for n, _ in smod.named_parameters()] == [n for n, _ in tmod.named_parameters()]
    for (_, tp), (_, sp) in zip(tmod.named_parameters(), smod.named_parameters()):
        assert tuple(sp.shape) == tuple(tp.shape)
    return tmod, copy_weights(tmod, smod)


def run_module(name, args, kwargs, x, call_extra=()):
    tmod, smod = module_pair(name, *args, **kwargs)
    tx, sx = both(x)
    tout = tmod(tx, *[torch.tensor(e) for e in call_extra])
    sout = smod(sx, *[srcad.tensor(e) for e in call_extra])
    compare(tout, sout, [tx, *tmod.parameters()], [sx, *smod.parameters()])


# ---------------------------------------------------------------------------
# Embedding, one_hot, LazyLinear


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -1}], ids=str)
def test_embedding_matches_torch(kwargs):
    tmod, smod = module_pair("Embedding", 6, 3, **kwargs)
    idx = np.array([[0, 1, 5], [1, 1, 2]])
    tout, sout = tmod(torch.tensor(idx)), smod(srcad.tensor(idx))
    compare(tout, sout, [tmod.weight], [smod.weight])
    if "padding_idx" in kwargs:
        assert not smod.weight.grad.numpy()[kwargs["padding_idx"]].any()


def test_embedding_max_norm_from_pretrained_and_errors():
    w = randn(5, 3) * 3
    tmod = tnn.Embedding(5, 3, max_norm=1.5)
    smod = snn.Embedding(5, 3, max_norm=1.5)
    with torch.no_grad():
        tmod.weight.copy_(torch.tensor(w))
    smod.load_state_dict({"weight": w})
    idx = np.array([0, 2, 2])
    compare(tmod(torch.tensor(idx)), smod(srcad.tensor(idx)), [tmod.weight], [smod.weight])
    np.testing.assert_allclose(arr(smod.weight), arr(tmod.weight), rtol=1e-6)
    te = tnn.Embedding.from_pretrained(torch.tensor(w))
    se = snn.Embedding.from_pretrained(srcad.tensor(w))
    assert repr(se) == repr(te) and se.weight.requires_grad == te.weight.requires_grad
    for bad, err in ((np.array([1.0]), RuntimeError), (np.array([5]), IndexError)):
        with pytest.raises(err) as theirs:
            te(torch.tensor(bad))
        with pytest.raises(err) as ours:
            se(srcad.tensor(bad))
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "values,num_classes",
    [([1, 0, 3], -1), ([[1, 0], [2, 2]], 4), ([1.0, 2.0], 3), ([1, 5], 3), ([-1, 2], 3)],
)
def test_one_hot_matches_torch(values, num_classes):
    try:
        want = tF.one_hot(torch.tensor(values), num_classes)
    except RuntimeError as theirs:
        with pytest.raises(RuntimeError) as ours:
            sF.one_hot(srcad.tensor(values), num_classes)
        assert str(ours.value) == str(theirs)
        return
    got = sF.one_hot(srcad.tensor(values), num_classes)
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_lazy_linear_matches_torch_and_trains():
    tmod, smod = tnn.LazyLinear(4), snn.LazyLinear(4)
    assert repr(smod) == repr(tmod)
    sopt = srcad.optim.SGD(smod.parameters(), lr=0.1)  # built before the first call
    x = randn(2, 3)
    tmod(torch.tensor(x))
    smod(srcad.tensor(x))
    assert repr(smod) == repr(tmod) and type(smod) is snn.Linear
    copy_weights(tmod, smod)
    topt = torch.optim.SGD(tmod.parameters(), lr=0.1)
    for mod, opt, lib in ((tmod, topt, torch), (smod, sopt, srcad)):
        opt.zero_grad()
        (mod(lib.tensor(x)) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(arr(smod.weight), arr(tmod.weight), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arr(smod.bias), arr(tmod.bias), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Pooling


@pytest.mark.parametrize(
    "shape,args",
    [
        ((2, 3, 6, 6), {"kernel_size": 2}),
        ((2, 3, 7, 5), {"kernel_size": 3, "stride": 2}),
        ((1, 2, 5, 5), {"kernel_size": 3, "stride": 1, "padding": 1}),
        ((1, 2, 5, 6), {"kernel_size": (3, 2), "padding": (1, 1), "count_include_pad": False}),
        ((1, 2, 4, 4), {"kernel_size": 2, "divisor_override": 3}),
        ((3, 6, 6), {"kernel_size": 2, "stride": (1, 2)}),
    ],
    ids=str,
)
def test_avg_pool2d_matches_torch(shape, args):
    x = randn(*shape)
    run_module("AvgPool2d", (), args, x)
    tx, sx = both(x)
    compare(tF.avg_pool2d(tx, **args), sF.avg_pool2d(sx, **args), [tx], [sx])


@pytest.mark.parametrize("size", [1, (1, 1), 2, (2, 3), (None, 2), 3, (4, 5)], ids=str)
def test_adaptive_avg_pool2d_matches_torch(size):
    x = randn(2, 3, 6, 7)
    run_module("AdaptiveAvgPool2d", (size,), {}, x)
    run_module("AdaptiveAvgPool2d", (size,), {}, x[0])


def test_pool_errors_match_torch():
    for call in (
        lambda F, lib: F.avg_pool2d(lib.ones(1, 1, 4, 4), 3, padding=2),
        lambda F, lib: F.avg_pool2d(lib.ones(1, 1, 2, 2), 3),
    ):
        with pytest.raises(RuntimeError) as theirs:
            call(tF, torch)
        with pytest.raises(RuntimeError) as ours:
            call(sF, srcad)
        assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------------------
# Dropout2d


def test_dropout2d_zeroes_whole_channels():
    x = srcad.tensor(randn(4, 8, 3, 3) + 5, requires_grad=True)
    m = snn.Dropout2d(0.25)
    assert repr(m) == repr(tnn.Dropout2d(0.25))
    out = m(x)
    out.sum().backward()
    ratio = (out / x).detach().numpy().reshape(4, 8, 9)
    # each channel entirely 0 or entirely 1 / (1 - p), and the gradient is the mask
    assert np.all(np.isclose(ratio, 0) | np.isclose(ratio, 1 / 0.75))
    assert np.allclose(ratio.min(-1), ratio.max(-1))
    np.testing.assert_allclose(x.grad.numpy().reshape(4, 8, 9), ratio, rtol=1e-6)
    assert 0 < (ratio[..., 0] == 0).sum() < 32
    m.eval()
    assert m(x) is x
    if hasattr(srcad.Tensor, "bernoulli_"):  # the tape draws PyTorch's streams: same masks
        torch.manual_seed(3)
        srcad.manual_seed(3)
        tout = tnn.Dropout2d(0.4)(torch.ones(3, 5, 2, 2))
        sout = snn.Dropout2d(0.4)(srcad.ones(3, 5, 2, 2))
        np.testing.assert_allclose(sout.numpy(), tout.numpy(), rtol=1e-6)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sF.dropout2d(srcad.ones(2, 3, 4))
        tF.dropout2d(torch.ones(2, 3, 4))
    assert str(w[0].message) == str(w[1].message)


# ---------------------------------------------------------------------------
# LayerNorm and activations


@pytest.mark.parametrize(
    "shape,norm,kwargs",
    [
        ((4, 5), 5, {}),
        ((2, 3, 4), (3, 4), {}),
        ((2, 3, 4), (4,), {"elementwise_affine": False}),
        ((2, 3, 4), (4,), {"bias": False, "eps": 1e-3}),
    ],
    ids=str,
)
def test_layer_norm_matches_torch(shape, norm, kwargs):
    tmod, smod = module_pair("LayerNorm", norm, **kwargs)
    if smod.weight is not None:  # non-trivial affine parameters
        w = randn(*smod.weight.shape, seed=7)
        with torch.no_grad():
            tmod.weight.copy_(torch.tensor(w))
        copy_weights(tmod, smod)
    tx, sx = both(randn(*shape))
    compare(tmod(tx), smod(sx), [tx, *tmod.parameters()], [sx, *smod.parameters()])
    with pytest.raises(RuntimeError) as theirs:
        tmod(torch.ones(2, 7))
    with pytest.raises(RuntimeError) as ours:
        smod(srcad.ones(2, 7))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("GELU", {}),
        ("GELU", {"approximate": "tanh"}),
        ("SiLU", {}),
        ("Softplus", {}),
        ("Softplus", {"beta": 2.0, "threshold": 3.0}),
        ("ELU", {"alpha": 0.5}),
    ],
    ids=str,
)
def test_activations_and_their_second_derivatives_match_torch(name, kwargs):
    x = randn(3, 5) * 3
    x[0, :3] = [0.0, 30.0, -30.0]
    run_module(name, (), kwargs, x)
    grads = []
    x[0, 0] = 0.3  # second derivatives at a kink (ELU at 0) are a convention; skip it
    for lib in (torch, srcad):  # float64: no float32 cancellation in the comparison
        xi = lib.tensor(x.astype(np.float64), requires_grad=True)
        y = getattr(lib.nn, name)(**kwargs)(xi)
        (g,) = lib.autograd.grad(y.sum(), xi, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), xi)
        grads.append(gg.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------
# Recurrent layers

RNN_CASES = [
    ("LSTM", (3, 4), {}),
    ("LSTM", (3, 4), {"num_layers": 2, "batch_first": True}),
    ("LSTM", (3, 4), {"bidirectional": True, "num_layers": 2}),
    ("LSTM", (3, 4), {"bias": False}),
    ("GRU", (3, 4), {}),
    ("GRU", (3, 5), {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("RNN", (3, 4), {}),
    ("RNN", (3, 4), {"nonlinearity": "relu", "num_layers": 2}),
]


@pytest.mark.parametrize("name,args,kwargs", RNN_CASES, ids=[f"{c[0]}-{c[2]}" for c in RNN_CASES])
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers_match_torch(name, args, kwargs, with_state):
    tmod, smod = module_pair(name, *args, **kwargs)
    length, batch = 5, 2
    shape = (batch, length, args[0]) if kwargs.get("batch_first") else (length, batch, args[0])
    tx, sx = both(randn(*shape))
    tleaves, sleaves = [tx, *tmod.parameters()], [sx, *smod.parameters()]
    if with_state:
        d = (2 if kwargs.get("bidirectional") else 1) * kwargs.get("num_layers", 1)
        th, sh = both(randn(d, batch, args[1], seed=3))
        tleaves.append(th)
        sleaves.append(sh)
        if name == "LSTM":
            tc, sc = both(randn(d, batch, args[1], seed=4))
            tleaves.append(tc)
            sleaves.append(sc)
            tout, sout = tmod(tx, (th, tc)), smod(sx, (sh, sc))
        else:
            tout, sout = tmod(tx, th), smod(sx, sh)
    else:
        tout, sout = tmod(tx), smod(sx)
    compare(tout, sout, tleaves, sleaves)


def test_unbatched_input_and_dropout_in_eval():
    tmod, smod = module_pair("LSTM", 3, 4, num_layers=2, dropout=0.5)
    tmod.eval()
    smod.eval()
    tx, sx = both(randn(6, 3))
    compare(tmod(tx), smod(sx), [tx, *tmod.parameters()], [sx, *smod.parameters()])


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, batched):
    tmod, smod = module_pair(name, 3, 4)
    x = randn(2, 3) if batched else randn(3)
    h = randn(2, 4, seed=1) if batched else randn(4, seed=1)
    tx, sx = both(x)
    th, sh = both(h)
    if name == "LSTMCell":
        tc, sc = both(h * 0.5)
        tout, sout = tmod(tx, (th, tc)), smod(sx, (sh, sc))
        leaves = ([tx, th, tc], [sx, sh, sc])
    else:
        tout, sout = tmod(tx, th), smod(sx, sh)
        leaves = ([tx, th], [sx, sh])
    compare(tout, sout, leaves[0] + list(tmod.parameters()), leaves[1] + list(smod.parameters()))
    tmod2, smod2 = module_pair(name, 3, 4, bias=False)
    tx, sx = both(x)
    compare(tmod2(tx), smod2(sx), [tx, *tmod2.parameters()], [sx, *smod2.parameters()])


@pytest.mark.parametrize(
    "build,call",
    [
        (lambda nn: nn.LSTM(3, 4), lambda lib: lib.ones(2, 5, 2)),
        (lambda nn: nn.LSTM(3, 4), lambda lib: lib.ones(5, 3, 2, 3)),
        (lambda nn: nn.GRU(3, 4), lambda lib: lib.ones(5, 3, 2, 3)),
        (lambda nn: nn.RNN(3, 4), lambda lib: lib.ones(5, 3, 2, 3)),
        (lambda nn: nn.LSTMCell(3, 4), lambda lib: lib.ones(2, 5)),
        (lambda nn: nn.GRUCell(3, 4), lambda lib: lib.ones(2, 2, 3)),
    ],
)
def test_recurrent_errors_match_torch(build, call):
    with pytest.raises(Exception) as theirs:
        build(tnn)(call(torch))
    with pytest.raises(type(theirs.value)) as ours:
        build(snn)(call(srcad))
    assert str(ours.value) == str(theirs.value)


def test_recurrent_hidden_shape_errors_and_warnings_match_torch():
    def run(lib):
        out = []
        for hx in (lib.ones(2, 2, 4),):
            try:
                lib.nn.GRU(3, 4)(lib.ones(5, 2, 3), hx)
            except RuntimeError as e:
                out.append(str(e))
        try:
            lib.nn.LSTM(3, 4)(lib.ones(5, 2, 3), (lib.ones(1, 2, 4), lib.ones(1, 3, 4)))
        except RuntimeError as e:
            out.append(str(e))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.LSTM(3, 4, dropout=0.5)
        out.append([str(m.message) for m in w])
        try:
            lib.nn.LSTM(3, 4, dropout=2)
        except ValueError as e:
            out.append(str(e))
        return out

    assert run(srcad) == run(torch)


def test_lstm_trains_like_torch():
    """Five Adam steps of an LSTM + Linear sequence model, every parameter compared."""

    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = lib.nn.LSTM(2, 6, batch_first=True)
                self.head = lib.nn.Linear(6, 1)

            def forward(self, x):
                out, (h, _) = self.lstm(x)
                return self.head(out[:, -1, :]) + h[-1].sum(-1, keepdim=True) * 0.1

        return Net()

    tnet, snet = build(torch), build(srcad)
    copy_weights(tnet, snet)
    topt = torch.optim.Adam(tnet.parameters(), lr=0.01)
    sopt = srcad.optim.Adam(snet.parameters(), lr=0.01)
    x, y = randn(4, 7, 2), randn(4, 1, seed=2)
    for _ in range(5):
        for net, opt, lib in ((tnet, topt, torch), (snet, sopt, srcad)):
            opt.zero_grad()
            lib.nn.functional.mse_loss(net(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
    for (n, tp), (_, sp) in zip(tnet.named_parameters(), snet.named_parameters()):
        np.testing.assert_allclose(arr(sp), arr(tp), rtol=1e-4, atol=1e-6, err_msg=n)


# ---------------------------------------------------------------------------
# Containers


def test_containers_register_and_print_like_torch():
    def build(lib):
        nn = lib.nn
        m = nn.Module()
        m.blocks = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
        m.extra = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), nn.Parameter(lib.zeros(4))])
        m.named = nn.ParameterDict({"scale": nn.Parameter(lib.ones(2))})
        return m

    t, s = build(torch), build(srcad)
    assert [n for n, _ in s.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(s.state_dict()) == list(t.state_dict())
    assert repr(s.blocks) == repr(t.blocks)
    assert repr(s.extra) == repr(t.extra)
    assert repr(s.named) == repr(t.named)
    assert len(s.extra) == 2 and "a" in s.blocks and list(s.blocks.keys()) == ["a", "b"]


# ---------------------------------------------------------------------------
# F.pad and pad_sequence


@pytest.mark.parametrize(
    "shape,pad,kwargs",
    [
        ((1, 2, 3), (1, 2), {}),
        ((1, 2, 3), (1, 1, 1, 0), {"value": -1.0}),
        ((1, 2, 3), (-1, 1), {}),
        ((2, 2, 3, 4), (1, 0, 2, 1), {"mode": "constant", "value": 0.5}),
        ((1, 2, 3), (2, 2), {"mode": "reflect"}),
        ((1, 2, 4, 5), (2, 1, 3, 1), {"mode": "reflect"}),
        ((1, 2, 3), (2, 4), {"mode": "replicate"}),
        ((1, 2, 3, 3), (1, 2, 2, 0), {"mode": "replicate"}),
        ((1, 2, 3), (1, 2), {"mode": "circular"}),
    ],
    ids=str,
)
def test_pad_matches_torch(shape, pad, kwargs):
    tx, sx = both(randn(*shape))
    compare(tF.pad(tx, pad, **kwargs), sF.pad(sx, pad, **kwargs), [tx], [sx])


@pytest.mark.parametrize(
    "shape,pad,kwargs",
    [
        ((1, 2, 3), (3, 2), {"mode": "reflect"}),
        ((1, 2, 3), (1, 2, 3), {}),
        ((1, 2, 3), (1, 1), {"mode": "foo"}),
    ],
    ids=str,
)
def test_pad_errors_match_torch(shape, pad, kwargs):
    with pytest.raises(Exception) as theirs:
        tF.pad(torch.ones(*shape), pad, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        sF.pad(srcad.ones(*shape), pad, **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    from torch.nn.utils.rnn import pad_sequence as tpad

    from srcad.nn.utils.rnn import pad_sequence as spad

    arrays = [randn(2, 3, seed=1), randn(4, 3, seed=2), randn(1, 3, seed=3)]
    pairs = [both(a) for a in arrays]
    kw = {"batch_first": batch_first, "padding_value": -1.0, "padding_side": side}
    tout = tpad([p[0] for p in pairs], **kw)
    sout = spad([p[1] for p in pairs], **kw)
    compare(tout, sout, [p[0] for p in pairs], [p[1] for p in pairs])


# ---------------------------------------------------------------------------
# 1-D convolution and pooling (as height-1 2-D ones)


@pytest.mark.parametrize(
    "args,kwargs,shape",
    [
        ((3, 4, 3), {}, (2, 3, 9)),
        ((3, 4, 5), {"stride": 2, "padding": 1, "bias": False}, (2, 3, 11)),
        ((3, 2, 3), {"padding": "same"}, (3, 7)),
    ],
    ids=str,
)
def test_conv1d_matches_torch(args, kwargs, shape):
    run_module("Conv1d", args, kwargs, randn(*shape))


@pytest.mark.parametrize(
    "name,args,kwargs",
    [
        ("MaxPool1d", (2,), {}),
        ("MaxPool1d", (3,), {"stride": 1, "padding": 1}),
        ("AvgPool1d", (3,), {"stride": 2}),
        ("AvgPool1d", (3,), {"stride": 1, "padding": 1, "count_include_pad": False}),
    ],
    ids=str,
)
def test_pool1d_matches_torch(name, args, kwargs):
    run_module(name, args, kwargs, randn(2, 3, 8))
    run_module(name, args, kwargs, randn(3, 8))


INIT_CASES = [
    ("LSTM", (3, 4), {"num_layers": 2}),
    ("GRU", (3, 4), {"bidirectional": True}),
    ("RNN", (3, 4), {}),
    ("LSTMCell", (3, 4), {}),
    ("Embedding", (5, 3), {"padding_idx": 1}),
    ("Conv1d", (3, 4, 3), {}),
]


@pytest.mark.parametrize("name,args,kwargs", INIT_CASES, ids=[c[0] for c in INIT_CASES])
def test_seeded_initialisation(name, args, kwargs):
    """Parameters drawn in PyTorch's order and ranges; with the tape's PyTorch-identical
    streams (``srcad.Generator``) the same seed gives the same numbers."""

    def build(lib):
        lib.manual_seed(0)
        return {n: arr(p) for n, p in getattr(lib.nn, name)(*args, **kwargs).named_parameters()}

    theirs, ours = build(torch), build(srcad)
    assert list(ours) == list(theirs)
    if name in ("LSTM", "GRU", "RNN", "LSTMCell"):
        bound = 1 / np.sqrt(args[1])
        assert all(np.abs(v).max() <= bound for v in ours.values())
    if name == "Embedding":
        assert not ours["weight"][1].any()
    if hasattr(srcad, "Generator"):
        for n in theirs:
            np.testing.assert_array_equal(ours[n], theirs[n], err_msg=n)
