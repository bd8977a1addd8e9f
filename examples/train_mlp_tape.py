"""Train an MLP classifier with srcad's tape: ``srcad.nn`` layers and ``srcad.optim``.

The same code runs on PyTorch with ``import torch`` in place of ``import srcad as
torch``.  The data are three Gaussian blobs in the plane (made with NumPy, so the
script needs nothing else); the loss is printed once per epoch and falls.

    python examples/train_mlp_tape.py [--epochs 20] [--optimizer adam|sgd]
"""

import argparse

import numpy as np

import srcad as torch
import srcad.nn as nn


def make_data(n_per_class=200, seed=0):
    """Three noisy blobs: features (3n, 2) float32 and labels (3n,) int64."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    x = np.concatenate([c + rng.standard_normal((n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(3), n_per_class)
    perm = rng.permutation(len(y))
    return x[perm].astype(np.float32), y[perm].astype(np.int64)


class MLP(nn.Module):
    def __init__(self, n_in=2, hidden=32, n_out=3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


def train(epochs=20, optimizer="adam", batch_size=64, seed=0, verbose=True):
    """Train and return the mean training loss of every epoch."""
    torch.manual_seed(seed)
    x_np, y_np = make_data(seed=seed)
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    model = MLP()
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    order = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        model.train()
        perm = order.permutation(len(y_np))
        total = 0.0
        for start in range(0, len(perm), batch_size):
            idx = torch.tensor(perm[start : start + batch_size])
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(perm))
        if verbose:
            model.eval()
            with torch.no_grad():
                acc = (model(x).argmax(dim=1) == y).float().mean().item()
            print(f"epoch {epoch + 1:3d}  loss {losses[-1]:.4f}  accuracy {acc:.3f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    args = parser.parse_args()
    train(args.epochs, args.optimizer)
