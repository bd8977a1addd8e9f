"""Train the same MLP with the compiler: plain NumPy, gradient by ``srcad.grad``.

The loss is an ordinary NumPy function of a dict of weight arrays; ``srcad.grad``
writes its gradient as Python source (``loss_grad.source``) that returns a dict of
the same shape.  Plain gradient descent with momentum, the loss printed per epoch.

    python examples/train_mlp_source.py [--epochs 20] [--show-source]
"""

import argparse

import numpy as np

import srcad


def make_data(n_per_class=200, seed=0):
    """Three noisy blobs (the data of train_mlp_tape.py): x (3n, 2), labels (3n,)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    x = np.concatenate([c + rng.standard_normal((n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(3), n_per_class)
    perm = rng.permutation(len(y))
    return x[perm].astype(np.float32), y[perm].astype(np.int64)


def init_params(sizes=(2, 32, 32, 3), seed=0):
    """PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / np.sqrt(n_in)
        params[f"w{i}"] = rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32)
        params[f"b{i}"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return params


def loss(params, x, onehot):
    """Mean cross-entropy of a 2-hidden-layer ReLU MLP."""
    h = np.maximum(x @ params["w0"] + params["b0"], 0.0)
    h = np.maximum(h @ params["w1"] + params["b1"], 0.0)
    logits = h @ params["w2"] + params["b2"]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=1))


loss_grad = srcad.value_and_grad(loss, wrt="params")


def train(epochs=20, batch_size=64, lr=0.05, momentum=0.9, seed=0, verbose=True):
    """Train and return the mean training loss of every epoch."""
    x, y = make_data(seed=seed)
    onehot = np.eye(3, dtype=np.float32)[y]
    params = init_params(seed=seed)
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    order = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        perm = order.permutation(len(y))
        total = 0.0
        for start in range(0, len(perm), batch_size):
            idx = perm[start : start + batch_size]
            value, grads = loss_grad(params, x[idx], onehot[idx])
            for k in params:
                velocity[k] = momentum * velocity[k] + grads[k]
                params[k] = params[k] - lr * velocity[k]
            total += float(value) * len(idx)
        losses.append(total / len(perm))
        if verbose:
            h = np.maximum(x @ params["w0"] + params["b0"], 0.0)
            h = np.maximum(h @ params["w1"] + params["b1"], 0.0)
            acc = np.mean(np.argmax(h @ params["w2"] + params["b2"], axis=1) == y)
            print(f"epoch {epoch + 1:3d}  loss {losses[-1]:.4f}  accuracy {acc:.3f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--show-source", action="store_true")
    args = parser.parse_args()
    train(args.epochs)
    if args.show_source:
        print(loss_grad.source)
    print("engine:", loss_grad.mode)
