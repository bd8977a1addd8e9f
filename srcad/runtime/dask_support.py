"""Dask arrays in source mode: what the runtime needs to keep them lazy.

srcad never imports Dask.  A Dask array is recognised by its type's
``__dask_graph__`` (the Dask collection protocol), so this module costs nothing
where Dask is absent.

Two things differ from eager arrays (NumPy, CuPy):

* The boundary helpers (:func:`srcad.runtime.core.finalize`) must not convert a
  gradient with ``np.asarray``: that would run the graph.  An adjoint that
  depends on Dask data stays a Dask array, even for a NumPy parameter.
* Small constants the rules build next to an array (``eye``, ``arange``, one-hot
  index tables) are made with the namespace of the Dask array's *chunks*
  (NumPy, or CuPy for CuPy-backed Dask arrays) and combined with the Dask array
  by the ordinary operators.  They are not made by NEP 35's ``like=``: Dask's
  creation functions take other positional arguments (``da.eye(N, chunks, M,
  k)``) and refuse NumPy's ``order=``.
"""

import numpy as np


def is_lazy(x):
    """True for a Dask collection (any object whose type has ``__dask_graph__``)."""
    return hasattr(type(x), "__dask_graph__")


class ChunkNamespace:
    """The array module of a Dask array's chunks, as :func:`namespace_of` gives it.

    It forwards every attribute to that module (``numpy`` or ``cupy``), so a
    helper calling ``xp.eye(...)`` builds a concrete constant.  It is a distinct
    object from ``numpy`` itself, which tells ``grads._create`` to call the
    function directly rather than through ``like=``.
    """

    __slots__ = ("module",)

    def __init__(self, module):
        self.module = module

    def __getattr__(self, name):
        return getattr(self.module, name)

    def __repr__(self):
        return f"ChunkNamespace({self.module.__name__})"


_NAMESPACES = {}


def chunk_namespace(x, namespace_of):
    """The :class:`ChunkNamespace` of the Dask array ``x`` (one per chunk module)."""
    meta = getattr(x, "_meta", None)
    module = np if meta is None else namespace_of(meta)
    if module not in _NAMESPACES:
        _NAMESPACES[module] = ChunkNamespace(module)
    return _NAMESPACES[module]
