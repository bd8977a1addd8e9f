"""Central finite differences in float64 for the compiler tests, with every argument
copied for every evaluation (functions that write into their data arrays included)."""

import numpy as np


def fd(f, args, k, eps=1e-6):
    """d f / d args[k], element by element."""
    x = np.asarray(args[k], dtype=float)
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        up = [np.array(a, dtype=float) for a in args]
        dn = [np.array(a, dtype=float) for a in args]
        up[k][j] += eps
        dn[k][j] -= eps
        g[j] = (f(*up) - f(*dn)) / (2 * eps)
    return g
