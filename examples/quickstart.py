"""srcad's main job: differentiate a NumPy function and show the generated code.

Run:  python examples/quickstart.py
"""

import numpy as np

import srcad


def loss(w, x, y):
    p = np.tanh(x @ w)
    return np.mean((p - y) ** 2)


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    y = rng.standard_normal(8)
    w = rng.standard_normal(3)

    dloss = srcad.grad(loss)  # gradient with respect to w (argument 0)
    print("Generated adjoint code:\n")
    print(dloss.source)
    print("loss(w)  =", loss(w, x, y))
    print("dloss/dw =", dloss(w, x, y))

    # Check against central finite differences.
    eps = 1e-6
    fd = np.array([(loss(w + e, x, y) - loss(w - e, x, y)) / (2 * eps) for e in np.eye(3) * eps])
    print("finite differences =", fd)


if __name__ == "__main__":
    main()
