"""Shared helpers of the Dask tests: Dask-array arguments and a scheduler that counts.

(No ``__init__.py`` and no ``conftest.py`` here on purpose: a package named
``tests/dask`` could shadow the real ``dask`` on ``sys.path``, so the tests
import ``dask.array`` through ``pytest.importorskip`` and this module by its
own, unique name.)
"""

import contextlib

import numpy as np


def is_lazy(x):
    return hasattr(type(x), "__dask_graph__")


def to_dask(value, chunks=2):
    """NumPy arrays in ``value`` (and in its tuples, lists, dicts) as Dask arrays."""
    import dask.array as da

    if type(value) is np.ndarray:
        return da.from_array(value, chunks=chunks)
    if isinstance(value, (tuple, list)):
        return type(value)(to_dask(v, chunks) for v in value)
    if isinstance(value, dict):
        return {k: to_dask(v, chunks) for k, v in value.items()}
    return value


def leaves(value):
    """The array and number leaves of a (nested) gradient, in order."""
    if isinstance(value, (tuple, list)):
        for v in value:
            yield from leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    else:
        yield value


class ComputeCounter:
    """The synchronous scheduler, counting how many graphs it is asked to run."""

    def __init__(self):
        self.count = 0

    def __call__(self, dsk, keys, **kwargs):
        import dask

        self.count += 1
        return dask.get(dsk, keys, **kwargs)


@contextlib.contextmanager
def counting_scheduler():
    """Run Dask synchronously; yields the counter (``.count`` graphs computed so far)."""
    import dask

    counter = ComputeCounter()
    with dask.config.set(scheduler=counter):
        yield counter


@contextlib.contextmanager
def computes(expected):
    """Assert that the block runs exactly ``expected`` Dask computations."""
    with counting_scheduler() as counter:
        yield counter
    assert counter.count == expected, f"{counter.count} Dask computations, expected {expected}"
