"""Central finite differences in float64: the independent reference of these tests."""

import numpy as np


def fd_grad(f, x, eps=1e-6):
    """d f / d x of a scalar function, by central differences (x a float or an array)."""
    if isinstance(x, float):
        return (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        g.flat[k] = (float(f(x + e)) - float(f(x - e))) / (2 * eps)
    return g


def fd_jacobian(f, x, eps=1e-6):
    """``out.shape + x.shape`` Jacobian of an array function, by central differences."""
    x = np.array(x, dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    out_shape = np.shape(cols[0])
    return np.stack(cols, axis=-1).reshape(out_shape + x.shape)
