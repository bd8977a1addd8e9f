"""The construct corpus (``tests/corpus``) with its arrays given as Dask arrays.

Every case with an array argument is differentiated twice in source mode: on
the NumPy inputs (checked against finite differences by ``tests/test_corpus.py``)
and on the same inputs with every NumPy array turned into a chunked Dask array.
The Dask gradient must equal the NumPy one, come back as Dask arrays, and the
call must compute nothing -- except what the function itself computes to decide
a branch or a loop count (``if np.sum(x) > 0``, ``float(x[0])``), counted by
running the function alone under the same counting scheduler.

The cases that cannot be lazy today are named below, each with its reason
(``test_the_exceptions_are_few`` counts them).  A listed case is still held to
the right value whenever it runs.
"""

import os
import sys

import numpy as np
import pytest

pytest.importorskip("dask.array")
import dask  # noqa: E402
from dask_harness import counting_scheduler, is_lazy, leaves, to_dask  # noqa: E402

import srcad  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import corpus  # noqa: E402
from corpus import diff_params, make_args, rng_for  # noqa: E402

# Dask warns, then computes with NumPy, where it lacks a function (np.inner, np.split).
pytestmark = pytest.mark.filterwarnings("ignore:The `numpy.*is not implemented by Dask")

_RESHAPE_ORDER = (
    "the adjoint calls np.reshape(..., order='C') and Dask's reshape takes no order= "
    "(rules/builtins_and_methods.py and runtime/grads.py:unravel pass order only when not 'C')"
)
_ADD_AT = "the adjoint scatters with np.add.at, which Dask does not implement (core.add_at)"
_NEWAXIS = "core.add_at writes out[:, None] += g; Dask's setitem does not broadcast over None"
_UNKNOWN_SHAPE = "a boolean-mask assignment gives Dask chunks of unknown size (nan)"
_SCIPY = "Dask's linalg.inv/solve (used by the adjoint) need SciPy"

# The gradient raises on Dask inputs today (srcad or Dask would need a change).
RAISES = {
    **dict.fromkeys(
        (
            "arith.broadcast_column-x",
            "arith.broadcast_outer_sum-x",
            "numpy_prims.np_sum_tuple_axes-X",
            "numpy_prims.np_reshape-x",
            "numpy_prims.np_reshape_minus_one-A",
            "numpy_prims.np_transpose_axes-X",
            "numpy_prims.np_moveaxis-X",
            "numpy_prims.np_squeeze-x",
            "numpy_prims.np_squeeze_axis-x",
            "numpy_prims.np_ravel-A",
            "methods_builtins.method_reshape-x",
            "methods_builtins.method_reshape_tuple-x",
            "methods_builtins.method_reshape_minus_one-A",
            "methods_builtins.method_ravel-A",
            "methods_builtins.method_flatten-A",
            "methods_builtins.method_squeeze-x",
            "methods_builtins.method_chain-A",
        ),
        _RESHAPE_ORDER,
    ),
    **dict.fromkeys(
        (
            "logic.argmax_index-x",
            "indexing.fancy_list-x",
            "indexing.fancy_repeated-x",
            "indexing.fancy_rows-A",
            "indexing.fancy_int_array-x",
            "indexing.mask_positive-x",
            "indexing.mask_from_other_array-x",
            "indexing.mask_stored-x",
        ),
        _ADD_AT,
    ),
    **dict.fromkeys(
        ("indexing.newaxis_outer-x", "indexing.newaxis_outer-u", "indexing.newaxis_constant-u"),
        _NEWAXIS,
    ),
    "indexing.setitem_mask-x": _UNKNOWN_SHAPE,
    "numpy_prims.np_det-M": _SCIPY,
    "numpy_prims.np_slogdet-M": _SCIPY,
}

# The gradient is right but comes back computed: the function itself left Dask.
COMPUTED = {
    "methods_builtins.builtin_float-a": "d/da of float(x[0]) * a is the Python float x[0]",
    "numpy_prims.np_split-x": "Dask has no np.split: NumPy computes it (with a warning)",
    "numpy_prims.np_split_indices-A": "Dask has no np.split: NumPy computes it (with a warning)",
}

# The gradient is lazy but srcad computes something the function does not.
EXTRA_COMPUTE = {
    "numpy_prims.np_diag_vector-u": "the adjoint calls np.copy, which Dask does not implement "
    "(runtime/grads.py: np.diagonal(g, k).copy() would stay lazy)",
}

# Dask cannot run the function itself: nothing to differentiate.
DASK_CANNOT_RUN = {
    "numpy_prims.np_dot_scalar-a": "np.dot(float, dask array) fails inside Dask",
    "numpy_prims.np_dot_scalar-x": "np.dot(float, dask array) fails inside Dask",
    "numpy_prims.np_inv-M": "Dask's linalg.inv needs SciPy",
    "numpy_prims.np_solve_vector-M": "Dask's linalg.solve needs SciPy",
    "numpy_prims.np_solve_vector-u": "Dask's linalg.solve needs SciPy",
    "numpy_prims.np_solve_matrix-M": "Dask's linalg.solve needs SciPy",
    "numpy_prims.np_solve_matrix-N": "Dask's linalg.solve needs SciPy",
    "methods_builtins.method_cumsum-x": "Dask's Array.cumsum needs an axis",
    "methods_builtins.method_item-x": "Dask arrays have no .item()",
}


def _has_array(case):
    return any(type(t) is np.ndarray for t in leaves(make_args(case.fn, rng_for(case.id))))


CASES = [c for c in corpus.collect() if _has_array(c)]
PARAMS = [
    pytest.param(case, wrt, id=f"{case.id}-{wrt}")
    for case in CASES
    for wrt in diff_params(case.fn)
]


def _same(a, b, path="grad"):
    if isinstance(b, (tuple, list, dict)):
        assert type(a) is type(b), f"{path}: {type(a).__name__} for a {type(b).__name__}"
        keys = b.keys() if isinstance(b, dict) else range(len(b))
        assert len(a) == len(b)
        for k in keys:
            _same(a[k], b[k], f"{path}[{k!r}]")
        return
    assert np.shape(a) == np.shape(b), f"{path}: shape {np.shape(a)} != {np.shape(b)}"
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12, err_msg=path)


@pytest.mark.parametrize("case, wrt", PARAMS)
def test_corpus_on_dask_arrays(case, wrt):
    key = f"{case.id}-{wrt}"
    args = make_args(case.fn, rng_for(case.id))
    g = srcad.grad(case.fn, wrt=wrt, mode="source")
    try:
        want = g(*args)
    except srcad.UnsupportedError:
        pytest.skip("refused on NumPy inputs too (allowed by the case)")
    dargs = to_dask(args)
    with counting_scheduler() as counter:
        try:
            case.fn(*dargs)
        except Exception:
            if key in DASK_CANNOT_RUN:
                pytest.skip(f"Dask cannot run the function itself: {DASK_CANNOT_RUN[key]}")
            raise
        own = counter.count
        counter.count = 0
        try:
            got = g(*dargs)
        except Exception:
            if key in RAISES:
                return  # named above, with its reason
            raise
        extra = counter.count
    with counting_scheduler():
        computed = dask.compute(got)[0]
    _same(computed, want)
    if key in COMPUTED:
        return
    assert all(is_lazy(t) for t in leaves(got)), f"not lazy: {[type(t) for t in leaves(got)]}"
    if own == 0 and key not in EXTRA_COMPUTE:
        assert extra == 0, f"the gradient computed {extra} Dask graphs, the function none"


def test_the_exceptions_are_few():
    ids = {f"{c.id}-{w}" for c in CASES for w in diff_params(c.fn)}
    named = {**RAISES, **COMPUTED, **EXTRA_COMPUTE, **DASK_CANNOT_RUN}
    assert set(named) <= ids, f"stale names: {sorted(set(named) - ids)}"
    assert len(ids) >= 450
    assert len(RAISES) + len(COMPUTED) + len(EXTRA_COMPUTE) == 35
