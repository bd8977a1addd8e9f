"""Central finite differences in float64: the independent reference of these tests."""

import numpy as np


def fd(f, x, eps=1e-6):
    """d f / d x for a float or a float array ``x`` (``f`` returns a scalar)."""
    if np.ndim(x) == 0:
        x = float(x)
        return (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (float(f(x + e)) - float(f(x - e))) / (2 * eps)
    return g
