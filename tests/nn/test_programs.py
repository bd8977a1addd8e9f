"""Whole training programs of the kind tutorials print, run on torch and on srcad.

Each program is written once against a module ``lib`` (``torch`` or ``srcad``); the
srcad model starts from torch's initial weights (copied through ``state_dict``), the
data comes from NumPy, and the printed numbers (losses per epoch, accuracy, learning
rates, a reloaded model's predictions) must agree.
"""

import io

import numpy as np
import pytest

import srcad

torch = pytest.importorskip("torch")


def data_module(lib):
    return torch.utils.data if lib is torch else srcad.utils.data


def quickstart(lib, start):
    """Classifier: DataLoader, Flatten/Linear/ReLU, CrossEntropyLoss, SGD, StepLR,
    clip_grad_norm_, save/load of the state dict, eval + no_grad inference."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 1, 4, 4)).astype(np.float32)
    y = (x.reshape(40, -1).sum(1) > 0).astype(np.int64)
    nn, data = lib.nn, data_module(lib)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.0), nn.Linear(8, 2)
    )
    model.load_state_dict({k: lib.tensor(v) for k, v in start.items()})
    loader = data.DataLoader(data.TensorDataset(lib.tensor(x), lib.tensor(y)), batch_size=8)
    loss_fn = nn.CrossEntropyLoss()
    opt = lib.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    printed = []
    for _ in range(4):
        model.train()
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item()
        sched.step()
        printed.append((round(total, 4), sched.get_last_lr()[0]))
    buf = io.BytesIO()
    lib.save(model.state_dict(), buf)
    buf.seek(0)
    clone = nn.Sequential(
        nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.0), nn.Linear(8, 2)
    )
    clone.load_state_dict(lib.load(buf, weights_only=True))
    clone.eval()
    with lib.no_grad():
        pred = clone(lib.tensor(x)).argmax(1)
    printed.append(int((pred == lib.tensor(y)).sum()))
    return printed


def sequence_model(lib, start):
    """Embedding + LSTM + Linear on token sequences: Adam, CosineAnnealingLR."""
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 7, (6, 5))
    targets = rng.standard_normal((6, 1)).astype(np.float32)
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(7, 4, padding_idx=0)
            self.rnn = nn.LSTM(4, 5, batch_first=True, num_layers=2)
            self.norm = nn.LayerNorm(5)
            self.out = nn.Linear(5, 1)

        def forward(self, t):
            h, (h_n, _) = self.rnn(self.emb(t))
            return self.out(nn.functional.gelu(self.norm(h[:, -1]))) + 0 * h_n.sum()

    model = Net()
    model.load_state_dict({k: lib.tensor(v) for k, v in start.items()})
    opt = lib.optim.Adam(model.parameters(), lr=0.02)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(lib.tensor(tokens)), lib.tensor(targets))
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


def initial_state(program):
    """torch's initial weights for ``program`` (captured from its first model)."""
    captured = {}
    original = torch.nn.Module.load_state_dict

    def capture(self, state, *args, **kwargs):
        if not captured:
            captured.update({k: v.numpy().copy() for k, v in self.state_dict().items()})
        return original(self, self.state_dict(), *args, **kwargs)

    torch.manual_seed(0)
    torch.nn.Module.load_state_dict = capture
    try:
        program(torch, {})
    except Exception:  # noqa: BLE001 - only the first model's weights are needed
        pass
    finally:
        torch.nn.Module.load_state_dict = original
    return captured


@pytest.mark.parametrize("program", [quickstart, sequence_model], ids=lambda f: f.__name__)
def test_program_prints_what_torch_prints(program):
    start = initial_state(program)
    theirs = program(torch, start)
    ours = program(srcad, start)
    flat_t = np.array([v for item in theirs for v in np.ravel(item)], dtype=float)
    flat_s = np.array([v for item in ours for v in np.ravel(item)], dtype=float)
    np.testing.assert_allclose(flat_s, flat_t, rtol=2e-4, atol=1e-5)
