"""``srcad.utils.data`` against ``torch.utils.data`` (PyTorch 2.13).

Unshuffled loaders must give exactly torch's batches (values, dtypes, container types);
shuffled ones must give a permutation per epoch, reproducible from a seeded generator.
Errors are compared by type and message.
"""

from collections import namedtuple

import numpy as np
import pytest

import srcad
from srcad.utils import data as sdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = namedtuple("Point", ["x", "y"])


def same(a, b):
    """Batches ``a`` (torch) and ``b`` (srcad) agree in structure, dtype and values."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, srcad.Tensor), type(b)
        assert str(b.dtype) == str(a.dtype)
        assert tuple(b.shape) == tuple(a.shape)
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    elif isinstance(a, dict):
        assert type(b) is type(a) and list(b) == list(a)
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(b).__name__ == type(a).__name__ and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    else:
        assert a == b


class Samples:
    """A map-style dataset built for both libraries from one list of makers."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        lib = self.lib
        return {
            "x": lib.tensor([float(i), i * 0.5]),
            "label": i % 3,
            "weight": i / 10,
            "flag": i % 2 == 0,
            "name": f"s{i}",
            "pair": (np.float32(i), np.arange(2) + i),
            "point": Point(i, lib.tensor(i * 2)),
            "list": [i, i + 1],
        }


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, False)])
def test_unshuffled_batches_match_torch(batch_size, drop_last):
    tl = tdata.DataLoader(Samples(torch, 7), batch_size=batch_size, drop_last=drop_last)
    sl = sdata.DataLoader(Samples(srcad, 7), batch_size=batch_size, drop_last=drop_last)
    assert len(sl) == len(tl)
    tb, sb = list(tl), list(sl)
    assert len(sb) == len(tb)
    for a, b in zip(tb, sb):
        same(a, b)


def test_tensor_dataset_and_workers_accepted():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    tds = tdata.TensorDataset(torch.tensor(x), torch.tensor(y))
    sds = sdata.TensorDataset(srcad.tensor(x), srcad.tensor(y))
    assert len(sds) == len(tds)
    same(tds[3], sds[3])
    tl = tdata.DataLoader(tds, batch_size=4, num_workers=2)
    sl = sdata.DataLoader(sds, batch_size=4, num_workers=2)
    for a, b in zip(tl, sl):
        same(a, b)
    # no batching: samples converted, not stacked
    for a, b in zip(
        tdata.DataLoader(tds, batch_size=None), sdata.DataLoader(sds, batch_size=None)
    ):
        same(a, b)
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        sdata.TensorDataset(srcad.ones(3), srcad.ones(4))


def test_shuffle_is_a_permutation_reproducible_from_a_generator():
    n = 23
    ds = sdata.TensorDataset(srcad.arange(n))

    def epoch(loader):
        return [int(v) for (b,) in loader for v in b.tolist()]

    gen_a = np.random.default_rng(5) if not hasattr(srcad, "Generator") else None
    if gen_a is None:
        gen_a = srcad.Generator().manual_seed(5)
        gen_b = srcad.Generator().manual_seed(5)
    else:
        gen_b = np.random.default_rng(5)
    la = sdata.DataLoader(ds, batch_size=4, shuffle=True, generator=gen_a)
    lb = sdata.DataLoader(ds, batch_size=4, shuffle=True, generator=gen_b)
    e1, e2 = epoch(la), epoch(la)
    assert sorted(e1) == sorted(e2) == list(range(n))
    assert e1 != list(range(n)) and e1 != e2  # shuffled, and anew each epoch
    assert epoch(lb) == e1  # same seed, same order
    srcad.manual_seed(0)
    g1 = epoch(sdata.DataLoader(ds, batch_size=5, shuffle=True, drop_last=True))
    srcad.manual_seed(0)
    g2 = epoch(sdata.DataLoader(ds, batch_size=5, shuffle=True, drop_last=True))
    assert g1 == g2 and len(g1) == 20 and len(set(g1)) == 20


def test_random_split_lengths_and_errors():
    ds = sdata.TensorDataset(srcad.arange(10))
    a, b = sdata.random_split(ds, [7, 3])
    assert (len(a), len(b)) == (7, 3)
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    tparts = tdata.random_split(tdata.TensorDataset(torch.arange(10)), [0.5, 0.3, 0.2])
    sparts = sdata.random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in sparts] == [len(p) for p in tparts]
    tparts = tdata.random_split(range(7), [0.34, 0.33, 0.33])
    sparts = sdata.random_split(range(7), [0.34, 0.33, 0.33])
    assert [len(p) for p in sparts] == [len(p) for p in tparts]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length"):
        sdata.random_split(ds, [5, 6])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_workers": -1},
        {"shuffle": True, "sampler": [0, 1]},
        {"batch_size": None, "drop_last": True},
        {"batch_sampler": [[0, 1]], "batch_size": 2},
        {"persistent_workers": True},
    ],
    ids=str,
)
def test_option_errors_match_torch(kwargs):
    with pytest.raises(Exception) as theirs:
        tdata.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        sdata.DataLoader(list(range(4)), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_dataset_base_and_iterable():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        sdata.Dataset()[0]

    class Stream(sdata.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    class TStream(tdata.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    for a, b in zip(
        tdata.DataLoader(TStream(), batch_size=2), sdata.DataLoader(Stream(), batch_size=2)
    ):
        same(a, b)
    cat = sdata.TensorDataset(srcad.arange(3)) + sdata.TensorDataset(srcad.arange(3, 5))
    assert len(cat) == 5 and int(cat[3][0]) == 3 and int(cat[-1][0]) == 4


def test_training_loop_through_a_loader_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 3)).astype(np.float32)
    y = rng.standard_normal((12, 1)).astype(np.float32)
    w0 = rng.standard_normal((1, 3)).astype(np.float32)

    def train(lib, data_mod):
        model = lib.nn.Linear(3, 1)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(w0))
            model.bias.zero_()
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        loader = data_mod.DataLoader(data_mod.TensorDataset(lib.tensor(x), lib.tensor(y)), 5)
        for _ in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                lib.nn.functional.mse_loss(model(xb), yb).backward()
                opt.step()
        return model.weight.detach().numpy()

    np.testing.assert_allclose(train(srcad, sdata), train(torch, tdata), rtol=1e-5, atol=1e-6)


def test_shuffled_orders_follow_torch_streams_when_the_tape_has_them():
    """With the tape's PyTorch-identical generator (``srcad.Generator``,
    ``Tensor.random_``), shuffled epochs and ``random_split`` are torch's, number for
    number; without it they are still permutations (checked above)."""
    parity = hasattr(srcad, "Generator") and hasattr(srcad.Tensor, "random_")

    def epochs(lib, mod, gen):
        ds = mod.TensorDataset(lib.arange(11))
        loader = mod.DataLoader(ds, batch_size=3, shuffle=True, generator=gen)
        return [[int(v) for (b,) in loader for v in b.tolist()] for _ in range(2)]

    torch.manual_seed(1)
    srcad.manual_seed(1)
    theirs = epochs(torch, tdata, None)
    ours = epochs(srcad, sdata, None)
    assert all(sorted(e) == list(range(11)) for e in ours)
    if parity:
        assert ours == theirs
        tgen, sgen = torch.Generator().manual_seed(7), srcad.Generator().manual_seed(7)
        assert epochs(srcad, sdata, sgen) == epochs(torch, tdata, tgen)
        tgen, sgen = torch.Generator().manual_seed(42), srcad.Generator().manual_seed(42)
        tsplit = tdata.random_split(range(10), [0.7, 0.3], generator=tgen)
        ssplit = sdata.random_split(range(10), [0.7, 0.3], generator=sgen)
        assert [list(s.indices) for s in ssplit] == [list(s.indices) for s in tsplit]
