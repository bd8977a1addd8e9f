"""The functions the Dask tests differentiate, with references independent of srcad.

``mlp_loss`` has a hand-derived gradient (``mlp_grad_by_hand``); ``looped`` has a
loop and a branch on the data, checked by central differences (``central_diff``).
"""

import numpy as np


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - Y) ** 2)


def mlp_grad_by_hand(W1, b1, W2, b2, X, Y):
    Z = X @ W1 + b1
    H = np.tanh(Z)
    dO = 2.0 * (H @ W2 + b2 - Y) / Y.size
    dZ = (dO @ W2.T) * (1.0 - H * H)
    return X.T @ dZ, dZ.sum(0), H.T @ dO, dO.sum(0)


def looped(W, X, n):
    h = X
    for _ in range(n):
        if np.mean(h) > 0.0:
            h = np.tanh(h @ W)
        else:
            h = 0.5 * np.sin(h @ W) + 0.1
    return np.sum(h**2)


def branches_taken(W, X, n):
    h, taken = X, []
    for _ in range(n):
        taken.append(bool(np.mean(h) > 0.0))
        h = np.tanh(h @ W) if taken[-1] else 0.5 * np.sin(h @ W) + 0.1
    return taken


def central_diff(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g
