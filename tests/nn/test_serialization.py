"""``srcad.save``/``srcad.load`` round trips, and training resumed from a checkpoint
against PyTorch 2.13 doing the same through ``torch.save``/``torch.load``."""

import io
import math
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import srcad

torch = pytest.importorskip("torch")


def roundtrip(obj, **kw):
    buf = io.BytesIO()
    srcad.save(obj, buf)
    buf.seek(0)
    return srcad.load(buf, **kw)


def test_tensors_keep_values_dtypes_shapes_and_flags():
    rng = np.random.default_rng(0)
    for array in (
        rng.standard_normal((2, 3)).astype(np.float32),
        rng.standard_normal(()).astype(np.float64),
        np.arange(5, dtype=np.int64),
        np.array([True, False]),
        np.zeros((0, 4), dtype=np.float32),
    ):
        t = srcad.tensor(array)
        back = roundtrip(t)
        assert back.dtype == t.dtype and back.shape == t.shape
        np.testing.assert_array_equal(back.numpy(), array)
        assert not back.requires_grad
    w = srcad.ones(3, requires_grad=True)
    back = roundtrip(w)
    assert back.requires_grad and back.is_leaf
    p = srcad.nn.Parameter(srcad.zeros(2))
    back = roundtrip(p)
    assert isinstance(back, srcad.nn.Parameter) and repr(back) == repr(p)


def test_containers_and_scalars_round_trip():
    t = srcad.arange(3)
    obj = {
        "a": [1, 2.5, float("inf"), None, True, "s", 1 + 2j],
        3: (t, t),  # the same tensor twice loads as one tensor
        (1, 2): OrderedDict(x=srcad.float32, y=srcad.Size([2, 3])),
        "nan": float("nan"),
        "dev": srcad.device("cpu"),
    }
    back = roundtrip(obj)
    assert list(back) == ["a", 3, (1, 2), "nan", "dev"]
    assert back["a"][:6] == [1, 2.5, math.inf, None, True, "s"] and back["a"][6] == 1 + 2j
    assert back[3][0] is back[3][1] and back[3][0].tolist() == [0, 1, 2]
    assert isinstance(back[(1, 2)], OrderedDict)
    assert back[(1, 2)]["x"] is srcad.float32 and back[(1, 2)]["y"] == srcad.Size([2, 3])
    assert math.isnan(back["nan"]) and str(back["dev"]) == "cpu"


def test_the_file_holds_no_pickle_and_torch_files_are_refused(tmp_path):
    path = tmp_path / "w.pt"
    srcad.save({"w": srcad.ones(2)}, path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert set(names) == {"srcad_format", "tree.json", "arrays/0.npy"}
        assert b"\x80" not in z.read("tree.json")
    assert srcad.load(str(path), weights_only=True)["w"].tolist() == [1.0, 1.0]
    tpath = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2)}, tpath)
    with pytest.raises(RuntimeError, match="not a file written by srcad.save"):
        srcad.load(tpath)
    with pytest.raises(TypeError, match="cannot save an object of type"):
        srcad.save({"f": lambda: 0}, io.BytesIO())


class Net(srcad.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = srcad.nn.Sequential(srcad.nn.Linear(3, 4), srcad.nn.ReLU())
        self.head = srcad.nn.Linear(4, 1)
        self.register_buffer("scale", srcad.tensor(2.0))

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


def test_whole_module_needs_weights_only_false_like_torch(tmp_path):
    """``torch.save(model)``: torch's default ``weights_only=True`` refuses the file
    with ``UnpicklingError``; with ``weights_only=False`` the model comes back."""
    import pickle

    tpath = tmp_path / "t.pt"
    torch.save(torch.nn.Linear(2, 3), tpath)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(tpath)
    net = Net()
    path = tmp_path / "s.pt"
    srcad.save(net, path)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        srcad.load(path)
    back = srcad.load(path, weights_only=False)
    assert type(back) is Net and repr(back) == repr(net)
    assert [n for n, _ in back.named_parameters()] == [n for n, _ in net.named_parameters()]
    x = srcad.randn(5, 3)
    np.testing.assert_array_equal(back(x).detach().numpy(), net(x).detach().numpy())
    back(x).sum().backward()
    assert back.head.weight.grad is not None and net.head.weight.grad is None
    assert list(back.state_dict()) == list(net.state_dict())


def make_net(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))


@pytest.mark.parametrize(
    "opt_name,kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    ],
)
def test_checkpoint_resume_matches_torch(tmp_path, opt_name, kwargs):
    """Train 3 steps, save model and optimizer, load into fresh objects, train 3 more."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.standard_normal((8, 2)).astype(np.float32)
    torch.manual_seed(0)
    start = {k: v.detach().numpy().copy() for k, v in make_net(torch).state_dict().items()}

    def train(lib, path):
        net = make_net(lib)
        net.load_state_dict({k: lib.tensor(v) for k, v in start.items()})
        opt = getattr(lib.optim, opt_name)(net.parameters(), **kwargs)
        xs, ys = lib.tensor(x), lib.tensor(y)

        def steps(net, opt):
            for _ in range(3):
                opt.zero_grad()
                lib.nn.functional.mse_loss(net(xs), ys).backward()
                opt.step()

        steps(net, opt)
        lib.save({"model": net.state_dict(), "opt": opt.state_dict()}, path)
        ckpt = lib.load(path)
        net2 = make_net(lib)
        net2.load_state_dict(ckpt["model"])
        opt2 = getattr(lib.optim, opt_name)(net2.parameters(), **kwargs)
        opt2.load_state_dict(ckpt["opt"])
        steps(net2, opt2)
        net2.eval()
        with lib.no_grad():
            out = net2(xs)
        assert not out.requires_grad
        return out.numpy(), {k: v.numpy() for k, v in net2.state_dict().items()}

    tout, tstate = train(torch, tmp_path / "t.pt")
    sout, sstate = train(srcad, tmp_path / "s.pt")
    np.testing.assert_allclose(sout, tout, rtol=1e-5, atol=1e-6)
    assert list(sstate) == list(tstate)
    for k in tstate:
        np.testing.assert_allclose(sstate[k], tstate[k], rtol=1e-5, atol=1e-6)


def test_optimizer_state_dict_structure_matches_torch():
    def build(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.Adam([p], lr=0.1)
        p.grad = lib.ones(3)
        opt.step()
        return roundtrip(opt.state_dict()) if lib is srcad else opt.state_dict()

    t, s = build(torch), build(srcad)
    assert s["param_groups"] == t["param_groups"]
    assert list(s["state"]) == list(t["state"])
    for k, v in t["state"][0].items():
        assert str(s["state"][0][k].dtype) == str(v.dtype)
        np.testing.assert_allclose(s["state"][0][k].numpy(), v.numpy(), rtol=1e-6)


def test_lazy_linear_loads_a_state_dict_and_schedulers_save(tmp_path):
    src = srcad.nn.Sequential(srcad.nn.Linear(3, 4), srcad.nn.ReLU(), srcad.nn.Linear(4, 2))
    srcad.save(src.state_dict(), tmp_path / "w.pt")
    lazy = srcad.nn.Sequential(srcad.nn.LazyLinear(4), srcad.nn.ReLU(), srcad.nn.LazyLinear(2))
    lazy.load_state_dict(srcad.load(tmp_path / "w.pt"))
    tlazy = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.ReLU(), torch.nn.LazyLinear(2))
    tlazy.load_state_dict({k: torch.tensor(v.numpy()) for k, v in src.state_dict().items()})
    assert repr(lazy) == repr(tlazy)
    x = srcad.randn(5, 3)
    np.testing.assert_array_equal(lazy(x).detach().numpy(), src(x).detach().numpy())
    tlazy(torch.tensor(x.numpy()))
    assert repr(lazy) == repr(tlazy)  # Linear(in_features=0, ...), torch's quirk
    opt = srcad.optim.SGD(src.parameters(), lr=0.1)
    sched = srcad.optim.lr_scheduler.MultiStepLR(opt, [2, 4])
    back = roundtrip(sched.state_dict())
    assert back["milestones"] == {2: 1, 4: 1} and back["base_lrs"] == [0.1]
    plateau = srcad.optim.lr_scheduler.ReduceLROnPlateau(opt)
    assert roundtrip(plateau.state_dict())["best"] == math.inf
