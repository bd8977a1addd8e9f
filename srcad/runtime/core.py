"""What generated code (and the tape) calls at run time.

An adjoint that nothing reached is the symbolic zero ``ZERO`` (a type of its
own, see :class:`_Zero`); helpers here give it back where a container adjoint
has no entry and take it wherever an adjoint may be missing.

Every helper takes its array namespace from the values at hand: NumPy functions
are called on the arrays, and CuPy arrays (or srcad tensors) answer them through
``__array_function__`` / ``__array_ufunc__``.  Nothing converts an array to NumPy.
"""

import math
import numbers
import operator
import sys

import numpy as np

from .dask_support import chunk_namespace, is_lazy


class _Zero:
    """The symbolic zero: "this adjoint has no contribution", of whatever shape.

    Generated code binds an adjoint to ``ZERO`` where control flow merges a path
    that contributed to it with one that did not, and the runtime helpers give
    it back for an element of a container adjoint that nothing reached.  It is
    never mistaken for a user value (it is its own type), adding it to anything
    gives that thing, and it never reaches a rule template: the compiler guards
    every statement whose incoming adjoint may be ``ZERO``.  It is made into a
    real zero of the primal's shape and dtype only at the function's boundary
    (:func:`finalize`).  NumPy refuses it loudly (``__array__`` raises), so a
    leak is an error, never a silently wrong number.
    """

    __slots__ = ()
    __array_ufunc__ = None  # ndarray + ZERO defers to __radd__ below
    __array_priority__ = 1e9  # so does cupy.ndarray + ZERO (CuPy defers by priority)

    def __repr__(self):
        return "_rt.ZERO"

    def __reduce__(self):
        return "ZERO"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __add__(self, other):
        return other

    __radd__ = __add__

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        """A sum of no adjoint is none (the compiler writes ``g.sum(axis=0)`` for
        ``unbroadcast`` where the shapes are known, compiler/shapes.py), and so is
        ``np.sum(ZERO, ...)`` or ``np.mean`` of it, which NumPy hands to this method
        (a tangent that is zero at run time in forward mode: ``np.sum(dr)`` of a loop
        over ``d.get(k, default)``'s inactive default, fuzz seed 94026).  Never into an
        ``out=`` array: that one would keep its old values."""
        if out is not None:
            raise TypeError("srcad's symbolic zero reached NumPy with out=: a bug in srcad")
        return self

    mean = sum

    def __sub__(self, other):
        return -other

    def __rsub__(self, other):
        return other

    def __neg__(self):
        return self

    def __mul__(self, other):
        return self

    __rmul__ = __truediv__ = __mul__

    def __array__(self, *args, **kwargs):
        raise TypeError("srcad's symbolic zero reached NumPy: this is a bug in srcad")


ZERO = _Zero()


def is_zero(x):
    """True for "no adjoint": the symbolic zero, or the Python float ``0.0`` that
    forward-mode helpers receive for an inactive argument's tangent."""
    return x is ZERO or (type(x) is float and x == 0.0)


def instantiate(dx, x):
    """``dx`` as a real value shaped like ``x`` (a zero array for ``ZERO``)."""
    return zeros_like(x) if x is not None and is_zero(dx) else dx


def shape_of(x):
    """Shape of an array-like; ``()`` for Python and NumPy scalars."""
    return getattr(x, "shape", ())


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x`` (undo NumPy broadcasting).

    ``x`` is the value the adjoint belongs to; Python scalars get a scalar back.
    """
    if g is ZERO or x is ZERO:
        return ZERO
    gshape = getattr(g, "shape", None)
    if gshape is None:
        return g
    xshape = getattr(x, "shape", None)
    if xshape is None:
        # x is a Python scalar: the adjoint is the sum of everything.
        if gshape == ():
            return g
        return np.sum(g)
    if gshape == xshape:
        return g
    extra = len(gshape) - len(xshape)
    if extra > 0:
        g = sum_axes(g, tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(xshape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = sum_axes(g, axes, keepdims=True)
    if g.shape != xshape:
        g = np.reshape(g, xshape)
    return g


_BLAS_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
_ONES = {}


def sum_axes(g, axis, keepdims=False):
    """``np.sum(g, axis=axis, keepdims=keepdims)``, the reduction that undoes
    broadcasting (``unbroadcast``, and the sums compiler/shapes.py writes for it where
    shapes are known).

    NumPy sums over a short axis slowly: per outer index it starts an inner loop, so
    the row sums of a 1000 x 10 array (a softmax's ``keepdims`` adjoint) cost 16 us,
    and its column sums (a bias's adjoint) 15 us.  A matrix-vector product with ones
    does either in under 3.  So a C-contiguous float64 or float32 NumPy array summed
    over its leading axes, or over its trailing axes where they hold at most 128
    entries, goes through ``@``.  The numbers are the same sums in another order:
    over leading axes NumPy adds row after row, as BLAS does; over trailing axes
    NumPy adds pairwise, which for 128 entries or fewer is a plain unrolled sum too,
    hence the bound.  Anything else (other dtypes, other layouts, other axes, small
    arrays, CuPy, the symbolic zero) is ``np.sum`` itself (the method, for a NumPy
    array: a vector's sum costs 0.8 us that way, 1.7 through ``np.sum``)."""
    if type(g) is np.ndarray:
        if g.ndim > 1 and g.size >= 64 and g.dtype in _BLAS_FLOATS:
            out = _summed_by_product(g, axis, keepdims)
            if out is not None:
                return out
        return g.sum(axis=axis, keepdims=keepdims)  # (without np.sum's Python layers)
    return np.sum(g, axis=axis, keepdims=keepdims)


def _summed_by_product(g, axis, keepdims):
    """``sum_axes`` as one product with ones, or None where that does not apply."""
    if not g.flags.c_contiguous:
        return None
    nd, shape = g.ndim, g.shape
    if type(axis) is int:  # (the common case, without the general one's loops)
        if axis < 0:
            axis += nd
        k = 1
        if axis == 0 and nd > 1:
            first = True
        elif axis == nd - 1 and nd > 1:
            first = False
        else:
            return None
    else:
        if type(axis) is not tuple or not 0 < len(axis) < nd:
            return None
        if not all(type(a) is int and -nd <= a < nd for a in axis):
            return None
        axes = tuple(sorted(a % nd for a in axis))
        k = len(axes)
        if axes == tuple(range(k)):
            first = True
        elif axes == tuple(range(nd - k, nd)):
            first = False
        else:
            return None
    if first:
        m = shape[0] if k == 1 else math.prod(shape[:k])
        out = _ones(m, g.dtype) @ g.reshape(m, -1)
        return out.reshape((1,) * k + shape[k:] if keepdims else shape[k:])
    m = shape[-1] if k == 1 else math.prod(shape[nd - k :])
    if m > 128:
        return None
    out = g.reshape(-1, m) @ _ones(m, g.dtype)
    return out.reshape(shape[: nd - k] + (1,) * k if keepdims else shape[: nd - k])


def _ones(m, dtype):
    """A read-only vector of ``m`` ones of ``dtype``, kept for the next call."""
    key = (m, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones(m, dtype)
        ones.flags.writeable = False
    return ones


def add(a, b):
    """Accumulate two adjoints of any structure (placeholders, arrays, tuples, lists, dicts)."""
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    if isinstance(a, (tuple, list)):
        out = [add(x, y) for x, y in zip(a, b)]
        return out if isinstance(a, list) else tuple(out)
    if isinstance(a, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = add(out[k], v) if k in out else v
        return out
    return a + b


def zeros_like(x):
    """A real zero adjoint for ``x`` (arrays keep shape, dtype and device)."""
    if x is None or x is _MISSING:
        return x
    if x is ZERO:
        return ZERO
    if isinstance(x, (tuple, list)):
        out = [zeros_like(v) for v in x]
        return out if isinstance(x, list) else tuple(out)
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, bool):
        return 0.0
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return 0.0 * x if isinstance(x, float) else 0.0
    return np.zeros_like(x)


def ones_like(x):
    """The seed adjoint of a scalar output: floating point always.  An integer or bool
    output (``np.sum`` of a uint8 array that a value was cast into) has derivative
    zero, which the casts on its way give; an integer seed would make every adjoint an
    integer array that a float adjoint cannot be added into (fuzz seed 20032)."""
    if isinstance(x, float):
        return 1.0
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return 1.0
    if getattr(x, "dtype", None) is not None and x.dtype.kind in "biu":
        return np.ones_like(x, dtype=np.float64)
    return np.ones_like(x)


def _materialize(dx, x):
    """``dx`` as a concrete value shaped like ``x`` (placeholders become zeros)."""
    if is_zero(dx):
        return zeros_like(x)
    if isinstance(x, (tuple, list)) and isinstance(dx, (tuple, list)):
        out = [_materialize(a, b) for a, b in zip(dx, x)]
        return out if isinstance(x, list) else tuple(out)
    if isinstance(x, dict) and isinstance(dx, dict):
        return {k: _materialize(dx.get(k, ZERO), v) for k, v in x.items()}
    return dx


def getitem_adj(dx, i):
    """``dx[i]`` where ``dx`` may be a placeholder (whose items are all zero)."""
    if is_zero(dx):
        return ZERO
    if isinstance(dx, dict):
        return dx.get(i, ZERO)
    return dx[i]


def display_entry_adj(dx, keys, i):
    """The adjoint of entry ``i`` of a dict display whose keys were ``keys``: none when
    a later entry has an equal key (the display keeps the last of them: ``{-1: a,
    t - 1: b}`` at ``t = 0`` is ``{-1: b}``), else the entry's adjoint."""
    if is_zero(dx) or {k: j for j, k in enumerate(keys)}[keys[i]] != i:
        return ZERO
    return getitem_adj(dx, keys[i])


def add_at(dx, x, i, g):
    """Return ``dx`` with ``g`` added at index ``i``; ``x`` is the indexed value.

    Arrays use ``np.add.at`` semantics (repeated fancy indices accumulate);
    tuples and dicts get a new container, and so do lists unless the caller's
    variable is the only holder of ``dx`` (see ``push_adj``).  An array ``dx`` is
    never modified in place, because another adjoint may share it.
    """
    if g is ZERO or (is_zero(g) and not is_zero(dx)):
        return dx
    if type(dx) is list and type(x) is list and type(i) is int and _refcount(dx) <= _SOLE:
        dx[i] = add(dx[i], g)  # (the list-reading loop's common step, in place: push_adj)
        return dx
    # (a computed 0.0 added to nothing yet gives a real zero below, never ZERO: the
    # compiler counts on a value here)
    if isinstance(x, tuple):
        base = [ZERO] * len(x) if is_zero(dx) else list(dx)
        base[i] = add(base[i], g)
        return tuple(base)
    if isinstance(x, list):
        if is_zero(dx):
            base = [ZERO] * len(x)
        elif type(dx) is list and _refcount(dx) <= _SOLE:
            base = dx  # (held by the caller's variable only: see push_adj)
        else:
            base = list(dx)
        if isinstance(i, slice):
            idx = range(len(x))[i]
            for k, gk in zip(idx, g):
                base[k] = add(base[k], gk)
        else:
            base[i] = add(base[i], g)
        return base
    if isinstance(x, dict):
        if is_zero(dx):
            base = {}
        elif type(dx) is dict and _refcount(dx) <= _SOLE:
            base = dx  # (held by the caller's variable only: see push_adj)
        else:
            base = dict(dx)
        base[i] = add(base[i], g) if i in base else g
        return base
    if is_zero(dx):
        fast = _scatter_into_zeros(x, i, g)
        if fast is not None:
            return fast
        out = np.zeros_like(x)
        if out.dtype.kind in "biu":  # an integer array's adjoint holds what flows in
            out = np.zeros_like(x, dtype=np.result_type(getattr(g, "dtype", float), float))
    elif dx.dtype.kind in "biu":  # (as above: never an integer adjoint)
        out = dx.astype(np.result_type(getattr(g, "dtype", float), float))
    else:
        out = dx.copy()
    g = _real_into(out, g)
    if _is_basic_index(i):
        out[i] += g
    else:
        scatter_add(out, i, g)
    return out


def scatter_distinct(x, i, g):
    """``add_at(ZERO, x, i, g)`` for an index whose places are known to be distinct
    (compiler/shapes.py proves it: a tuple of vectors of one length, one of them an
    ``np.arange``, as in the softmax cross-entropy's ``logp[np.arange(N), labels]``):
    zeros like ``x`` with ``g + 0.0`` written at ``i``, one fancy assignment instead of
    a scatter that adds (1000 picks of a 1000 x 10 array: 9 us against 20).  The same
    numbers, bit for bit: each place gets one ``g``, added to 0.0 (``g + 0.0`` makes a
    ``-0.0`` the ``0.0`` that adding gives).  Anything but a float64 or float32 NumPy
    ``x`` with a ``g`` of its dtype or a Python float is ``add_at`` itself."""
    if type(x) is np.ndarray and x.dtype in _BLAS_FLOATS:
        tg = type(g)
        if tg is float or (tg is np.ndarray and g.dtype == x.dtype):
            out = np.zeros(x.shape, x.dtype)
            out[i] = g + 0.0
            return out
    return add_at(ZERO, x, i, g)


def picked_row_sums(s, g):
    """The row sums, kept as a column, of ``s``, the adjoint of one pick per row
    (``scatter_distinct(x, (np.arange(n), c), g)``, compiler/shapes.py proves it):
    each row holds one ``g + 0.0`` and zeros, so its sum is that, in ``s``'s dtype.
    The same numbers as summing, bit for bit, without the pass over ``s``.  Anything
    but a 2-D NumPy ``s`` is the sum itself."""
    if type(s) is np.ndarray and s.ndim == 2:
        col = np.empty((s.shape[0], 1), s.dtype)
        col[:, 0] = g + 0.0
        return col
    return np.sum(s, axis=1, keepdims=True)


_RESULT_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_PLAIN_NUMBERS = (float, int, complex)


def result_like(a, op, b):
    """A stand-in for ``x = a <op> b`` (``+``, ``-`` or ``*``) where only its array
    type, shape and dtype are read (``add_at(ZERO, x, i, g)``, the adjoint of an item
    of ``x``, which starts from zeros like ``x``): an uninitialised array of the
    broadcast shape and ``np.result_type`` of NumPy arrays and numbers, which is what
    the operation makes, without computing it (the softmax's ``logp`` read at its
    labels: a pass over the scores).  Anything else (a 0-d result is a NumPy scalar,
    not an array; an integer result may overflow and raise) is the operation itself."""
    ta, tb = type(a), type(b)
    if (ta is np.ndarray or ta in _PLAIN_NUMBERS) and (tb is np.ndarray or tb in _PLAIN_NUMBERS):
        if ta is np.ndarray or tb is np.ndarray:
            try:
                shape = np.broadcast_shapes(np.shape(a), np.shape(b))
                dtype = np.result_type(a, b)
            except (ValueError, TypeError, OverflowError):
                return _RESULT_OPS[op](a, b)  # (the operation's own error)
            if shape and dtype.kind in "fc":  # (integers: the operation's own checks)
                return np.empty(shape, dtype)
    return _RESULT_OPS[op](a, b)


def _scatter_into_zeros(x, i, g):
    """``np.add.at(np.zeros_like(x), i, g)`` for a float64 NumPy ``x`` indexed by
    integer arrays (and ints) on every axis, as one ``np.bincount`` of the flat
    indices: half the time of ``add.at`` (1000 picks of a 1000 x 10 array: 9 against
    18 us), the same bits (both add each ``g`` in index order into 0.0, duplicates
    included).  None where that does not apply; a negative or out-of-range index
    (``ravel_multi_index`` refuses both) goes the ``add.at`` way, which takes the
    first and raises NumPy's IndexError for the second."""
    if type(x) is not np.ndarray or x.dtype != np.float64:
        return None
    if not (type(g) is float or (type(g) is np.ndarray and g.dtype == np.float64)):
        return None
    parts = i if type(i) is tuple else (i,)
    if (
        x.ndim == 0
        or len(parts) != x.ndim
        or not all(
            type(p) is int or (type(p) is np.ndarray and p.dtype.kind in "iu") for p in parts
        )
    ):
        return None
    try:
        flat = np.ravel_multi_index(parts, x.shape)
        weights = np.broadcast_to(g, flat.shape)
    except ValueError:
        return None
    return np.bincount(flat.ravel(), weights.ravel(), minlength=x.size).reshape(x.shape)


def scatter_add(out, i, g):
    """``np.add.at(out, i, g)`` where ``out`` lives. CuPy's ``ufunc.at`` takes index
    arrays on the device, not lists or NumPy arrays (through NumPy's protocol it
    declines them), so for an array that is not NumPy's the list and host-array parts
    of the index are made arrays of ``out``'s kind first and its own ``add.at`` runs."""
    if type(out) is np.ndarray:
        np.add.at(out, i, g)
        return
    xp = namespace_of(out)
    if xp is np:  # another array type speaking NumPy's protocols (a test double)
        np.add.at(out, _index_as(i, lambda c: np.asarray(c, like=out)), g)
    elif hasattr(xp.add, "at"):  # CuPy 13 and later
        xp.add.at(out, _index_as(i, xp.asarray), g)
    else:
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(out, _index_as(i, xp.asarray), g)


def _index_as(i, make):
    """Index ``i`` with its lists and NumPy arrays made by ``make``."""
    if isinstance(i, tuple):
        return tuple(_index_as(c, make) for c in i)
    if isinstance(i, (list, np.ndarray)):
        return make(i)
    return i


def _real_into(out, g):
    """A complex cotangent landing in a real array: its real part (a real value's
    cotangent is ``Re(g)``, see :func:`real_cotangent`), without NumPy's warning."""
    kind = getattr(getattr(out, "dtype", None), "kind", None)  # (tape dtypes have none)
    if kind is not None and kind != "c":
        return real_cotangent(g)
    return g


def add_at_inplace(dx, x, i, g):
    """``add_at`` that may write into ``dx``: the compiler emits it only where no
    other name can hold the same array (see optimize.accumulate_in_place)."""
    if is_zero(dx) or is_zero(g) or type(dx) is tuple or not hasattr(dx, "__setitem__"):
        return add_at(dx, x, i, g)
    if isinstance(dx, (list, dict)):
        dx[i] = add(dx[i], g) if (not isinstance(dx, dict) or i in dx) else g
        return dx
    g = _real_into(dx, g)
    if _is_basic_index(i):
        dx[i] += g
    else:
        scatter_add(dx, i, g)
    return dx


def _is_basic_index(i):
    if isinstance(i, tuple):
        return all(_is_basic_index(k) for k in i)
    return isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis


def setitem_adj(dx, x, i, v=None):
    """Adjoint of ``x[i] = v`` in the backward sweep: returns ``(dx with dx[i] = 0, dv)``.

    ``dv`` has ``v``'s shape: a value broadcast into the slot (``h[t] = x[t]`` with a
    row ``h[t]``) gets the slot's adjoint summed back.
    """
    sole = type(dx) in (list, dict) and _refcount(dx) <= _SOLE  # (see push_adj)
    dx, dv = _setitem_adj(dx, x, i, sole)
    if _casts_to_exact(x) and not is_zero(dv):
        # the value was cast into integers (or bools): no derivative. A real zero, not
        # ZERO: the compiler knows dv is zero only where dx is, and sends a value on
        # (a symbolic zero reached NumPy there, seed 19027)
        dv = zeros_like(dv)
        if getattr(dv, "dtype", np.dtype(float)).kind not in "fc":
            dv = dv.astype(float)
    if v is not None and not is_zero(dv) and not isinstance(v, (tuple, list, dict)):
        if getattr(dv, "shape", None) is not None and np.shape(v) != dv.shape:
            dv = unbroadcast(dv, v)
    return dx, dv


def through_cast(g, dtype):
    """The adjoint ``g`` of a cast's result passed back through a cast to ``dtype``:
    none (``ZERO``) for integers and bools, whose values carry no derivative."""
    return ZERO if np.dtype(dtype).kind in "biu" else g


def through_cast_tangent(t, dtype):
    """The tangent ``t`` of a cast's result (forward mode): zeros for integers and
    bools, as floats of ``t``'s shape (``t`` itself was cast, ``0.7`` to ``0``)."""
    if np.dtype(dtype).kind in "biu":
        return np.zeros(np.shape(t))
    return t


def _casts_to_exact(x):
    """Whether ``x[i] = v`` casts ``v`` to an integer or bool dtype (NumPy's setitem
    casts unsafely: ``N[0] = 0.7`` stores 0), so nothing flows back to ``v``."""
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(x, "ndim", None) is not None and dtype.kind in "biu"


def _setitem_adj(dx, x, i, sole=False):
    if is_zero(dx):
        return dx, ZERO
    if isinstance(dx, (tuple, list, dict)):
        dv = dx.get(i, ZERO) if isinstance(dx, dict) else dx[i]
        if sole:  # (nothing else holds the list or dict: changed in place)
            base = dx
        else:
            base = dict(dx) if isinstance(dx, dict) else list(dx)
        base[i] = ZERO
        return (tuple(base) if isinstance(dx, tuple) else base), dv
    dv = dx[i]
    if hasattr(dv, "copy"):
        dv = dv.copy()
    if not _is_basic_index(i):
        lost = overwritten_slots(x, i)
        if lost is not None:
            dv[lost] = 0  # (a value a later one overwrote reached nothing)
    out = dx.copy()
    out[i] = 0
    return out, dv


def overwritten_slots(x, i):
    """For ``x[i] = v`` with an integer-array index that names an element more than
    once, the slots of ``v`` that a later slot overwrites (NumPy writes in order, and
    the last write sticks: ``y[[0, 0, 1]] = v`` leaves ``v[1]`` in ``y[0]``), as a
    boolean mask shaped like ``x[i]``; None when no element is named twice.  Their
    adjoint is zero (FINDINGS A7: it was the element's, as PyTorch's index_put gives)."""
    shape = getattr(x, "shape", None)
    parts = i if isinstance(i, tuple) else (i,)
    if shape is None or not any(_integer_array(p) for p in parts):
        return None
    xp = namespace_of(x)
    ids = xp.arange(math.prod(shape)).reshape(shape)[i]
    flat = ids.ravel()
    if flat.size < 2:
        return None
    _, last_from_end = xp.unique(flat[::-1], return_index=True)
    kept = xp.zeros(flat.size, dtype=bool)
    kept[flat.size - 1 - last_from_end] = True
    if bool(kept.all()):
        return None
    return ~kept.reshape(ids.shape)


def _integer_array(p):
    """An index part that is an array or list of integers (advanced indexing)."""
    if isinstance(p, (list, tuple)) or getattr(p, "ndim", 0):
        kind = getattr(getattr(p, "dtype", None), "kind", None)
        if kind is None:
            try:
                kind = np.asarray(p).dtype.kind
            except (ValueError, TypeError):
                return False
        return kind in "iu"
    return False


def broadcast_like(dx, result):
    """``dx`` broadcast to the shape of ``result`` (a tangent of a broadcasting op)."""
    rshape = getattr(result, "shape", None)
    if rshape is None or getattr(dx, "shape", None) == rshape:
        return dx
    return np.broadcast_to(dx, rshape) + np.zeros_like(result)


def set_tangent(dx, x, i, dv):
    """Tangent of ``x[i] = v``: a copy of ``dx`` with ``dv`` at ``i``.

    ``x`` already holds ``v``.  A zero ``dv`` (an inactive value written in) goes into
    a list or dict tangent as a real zero shaped like ``v``: a later read of that
    entry feeds NumPy functions (``np.sum``, ``.mean(axis=0)``) that take no
    placeholder."""
    out = (
        zeros_like(x)
        if is_zero(dx)
        else (
            list(dx) if isinstance(dx, list) else (dict(dx) if isinstance(dx, dict) else dx.copy())
        )
    )
    if is_zero(dv) or _casts_to_exact(x):
        dv = zeros_like(x[i]) if isinstance(x, (list, dict)) else 0.0
    out[i] = dv
    return out


_MISSING = object()


def restore_item(x, i, old):
    """Undo ``x[i] = v`` in the backward sweep (a dict key that was new is removed)."""
    if old is _MISSING:
        del x[i]
    else:
        x[i] = old


def restore_tangent(dx, x, i, old, dold):
    """Tangent of ``restore_item(x, i, old)``: forward mode over generated code."""
    if old is _MISSING:
        if isinstance(dx, dict):
            dx = dict(dx)
            dx.pop(i, None)
        return dx
    return set_tangent(dx, x, i, dold)


def index_value(x, i):
    """``x[i]`` copied when it is an array view, so that later in-place writes to
    ``x`` cannot change a value the backward sweep saved."""
    if isinstance(x, dict) and i not in x:
        return _MISSING
    v = x[i]
    return v.copy() if hasattr(v, "copy") and not isinstance(v, (list, dict)) else v


def finalize(dx, x):
    """Shape the adjoint of an argument like the argument itself.

    A Python float argument gets a float, an array an array of its shape and
    dtype (0-d stays 0-d), containers the same structure.
    """
    dx = _materialize(dx, x)
    if isinstance(x, bool) or x is None:
        return dx
    if isinstance(x, float) or (isinstance(x, int) and not isinstance(x, bool)):
        # A Python number gets a Python float, unless the adjoint lives on a device
        # (CuPy, a tensor): converting it would force a host copy behind the user's back.
        if isinstance(dx, (float, int, np.generic)) or (type(dx) is np.ndarray and dx.size == 1):
            return float(dx)
        return dx
    if isinstance(x, (tuple, list)):
        out = [finalize(a, b) for a, b in zip(dx, x)]
        return out if isinstance(x, list) else tuple(out)
    if isinstance(x, dict):
        return {k: finalize(dx[k], v) for k, v in x.items()}
    xshape = getattr(x, "shape", None)
    if xshape is not None:
        gshape = getattr(dx, "shape", None)
        if gshape is None or gshape != xshape:
            dx = unbroadcast(dx, x) if gshape is not None else dx + np.zeros_like(x)
        dtype = getattr(x, "dtype", None)
        if dtype is not None and getattr(dx, "dtype", dtype) != dtype and _is_float(dtype):
            dx = dx.astype(dtype)
        if type(x) is np.ndarray and type(dx) is not np.ndarray and not is_lazy(dx):
            dx = np.asarray(dx)
        return dx
    if isinstance(x, np.generic):
        return dx.astype(x.dtype) if is_lazy(dx) else x.dtype.type(dx)
    return dx


def _is_float(dtype):
    return getattr(dtype, "kind", "") in "fc"


def check_scalar(value, fname):
    """Raise the ValueError that points to ``vjp`` when ``value`` is not a scalar."""
    if isinstance(value, (float, int, complex)) and not isinstance(value, bool):
        return  # (a complex number is a scalar: ``seed`` refuses it as complex)
    shape = getattr(value, "shape", None)
    if shape is not None and all(n == 1 for n in tuple(shape)):
        return  # 0-d or size-1 (arrays, CuPy arrays, tape tensors alike)
    what = f"an array of shape {tuple(shape)}" if shape is not None else type(value).__name__
    raise ValueError(
        f"srcad.grad: {fname} must return a scalar (a Python number, a 0-d or "
        f"size-1 array) but returned {what}. For a non-scalar output use "
        f"srcad.vjp({fname}) and call the pullback with a cotangent of that shape."
    )


def check_element(value, label, filename, lineno):
    """Before ``y -= v`` where ``y`` may be an element ``Y[i]`` of an array that the
    function reads again: fine when ``y`` is a number (the statement rebinds it);
    an UnsupportedError when it is an array (the statement writes into memory that
    another name shares, a change the compiler does not follow)."""
    if isinstance(value, (numbers.Number, np.generic)) or value is ZERO:
        return
    from ..errors import UnsupportedError

    exc = UnsupportedError(
        f"`{label}` is an array here, not a number, so this augmented assignment "
        "writes into it, and an array the function reads later may share memory "
        "with it; srcad cannot follow that change",
        filename,
        lineno,
        f"write a plain assignment (`{label} = {label} - v` makes a new array), or "
        f"copy first (`{label} = ....copy()`)",
    )
    exc.at_run_time = True
    raise exc


def check_argument_write(value, label, filename, lineno):
    """Before ``y += v`` where ``y`` is a parameter of a called function: fine when
    ``y`` is a number (the statement rebinds it); an UnsupportedError when it is an
    array or a list, which the statement changes in place, under the caller's
    variable too, a change the caller's generated code does not follow (FINDINGS A6)."""
    if isinstance(value, (numbers.Number, np.generic)) or value is ZERO:
        return
    from ..errors import UnsupportedError

    exc = UnsupportedError(
        f"`{label} op= ...` changes the argument `{label}` in place inside a called "
        f"function (it is a {type(value).__name__} here, not a number): the caller's "
        "value changes too, and srcad does not follow a change made inside the call",
        filename,
        lineno,
        f"write `{label} = {label} + ...` (a new value) and return it",
    )
    exc.at_run_time = True
    raise exc


def partial_overlap(dst, src):
    """Whether copying ``src`` into ``dst`` (NumPy or CuPy arrays) reads memory it
    writes, other than each element onto itself. NumPy then copies element by
    element in memory order (``z[:, -1] = z[1]`` overwrites ``z[1, 2]`` before
    reading it), a result no adjoint that assumes a copy follows; PyTorch refuses."""
    if not (hasattr(dst, "shape") and hasattr(src, "shape")) or not hasattr(src, "dtype"):
        return False
    if not np.may_share_memory(dst, src):
        return False
    strides = getattr(dst, "strides", None)
    if (
        strides is not None
        and dst.shape == src.shape
        and strides == getattr(src, "strides", None)
        and _address(dst) is not None
        and _address(dst) == _address(src)
    ):
        return False  # the same region: a copy onto itself
    return bool(np.shares_memory(dst, src))


def _address(a):
    if type(a) is np.ndarray:
        return a.__array_interface__["data"][0]
    return getattr(getattr(a, "data", None), "ptr", None)  # CuPy


def check_overlap(x, i, v, filename, lineno):
    """Before ``x[i] = v`` where alias.py found that ``v`` may share ``x``'s memory: an
    UnsupportedError at the line when the regions overlap (see partial_overlap)."""
    dst = x[i] if _is_basic_index(i) else x
    if not partial_overlap(dst, v):
        return
    from ..errors import UnsupportedError

    exc = UnsupportedError(
        "this item assignment copies into an array a value that shares its memory "
        "(a view of the same array): NumPy then copies element by element, reading "
        "elements it has already overwritten, which srcad's derivative does not follow",
        filename,
        lineno,
        "copy the value first (`x[...] = v.copy()`)",
    )
    exc.at_run_time = True
    raise exc


def seed(value, fname):
    """The cotangent ``1`` for a real scalar output; a ValueError pointing to vjp for
    another shape, and for a complex value the TypeError that the tape, JAX and
    PyTorch give (``grad`` differentiates a real loss; the compiler's convention for
    complex values inside one is docs/rules.md)."""
    check_scalar(value, fname)
    if isinstance(value, complex) or getattr(getattr(value, "dtype", None), "kind", "") == "c":
        raise TypeError(
            f"{fname}: srcad.grad needs a real scalar output, got a complex value "
            "(see docs/boundary.md)"
        )
    return ones_like(value)


def adjoint_like(g, x):
    """The adjoint ``g`` of an array argument that was passed as a list or tuple
    (``np.sum([a, b])``): one entry per element, each shaped like its element."""
    if is_zero(g) or not isinstance(x, (list, tuple)) or isinstance(g, (list, tuple)):
        return g
    return type(x)(_entry_adjoint(g[k], x[k]) for k in range(len(x)))


def _entry_adjoint(g, x):
    # a nested list ([[a, b], [c, d]]) is an array too: its rows are not Python scalars
    return adjoint_like(g, x) if isinstance(x, (list, tuple)) else unbroadcast(g, x)


def stack_like(h, g):
    """Adjoint of :func:`adjoint_like` with respect to its array ``g``: the entries
    of the list adjoint ``h`` stacked back into an array shaped like ``g``."""
    if is_zero(h) or not isinstance(h, (list, tuple)):
        return h
    parts = [
        np.broadcast_to(stack_like(instantiate(h[k], g[k]), g[k]), np.shape(g[k]))
        for k in range(len(h))
    ]
    return np.stack(parts) if parts else g * 0


def like_sequence(g, x):
    """The adjoint ``g`` of ``list(x)``/``tuple(x)`` given back in ``x``'s own type."""
    if is_zero(g) or not isinstance(x, (list, tuple)):
        return g
    return type(x)(g)


def concat_adj(g, a, b):
    """Adjoint of ``a + b`` for lists/tuples: the two slices of ``g``."""
    if is_zero(g):
        return ZERO, ZERO
    n = len(a)
    return type(a)(g[:n]), type(b)(g[n:])


# -- list adjoints changed in place when nothing else holds them -------------------------
#
# A loop that appends to a list (``terms.append(v)``) pops the list's adjoint once per
# step going back; a copy of the rest at every step made that quadratic (1,000 steps:
# 1.5 ms of a 2 ms gradient).  The helpers below change a list adjoint in place when
# its reference count says the generated code's variable is its only holder (the
# count NumPy also reads before reusing a temporary); any alias, a container holding
# it, anything, gives a count above that, and a copy as before.  ``_SOLE`` is the
# count a helper sees for a list held by one local of its caller, measured once with
# a call of the same shape, so that the Python version's counting is the one used.


def _refs_in_callee(x):
    return _refcount(x)


def _calibrate():
    held = []
    return _refs_in_callee(held)


_refcount = getattr(sys, "getrefcount", None)
_SOLE = _calibrate() if _refcount is not None else -1  # (-1: always copy)


def push_adj(dlst, lst, g):
    """Adjoint of ``t = lst.pop()``: ``g`` goes back at the end.  Called before the
    sweep restores ``lst`` (reverse.py appends ``t`` back after), so ``lst`` is one
    element short of the list this is the adjoint of (FINDINGS C13: taken for the
    restored list, the adjoint was one short, and a later ``lst[i]`` fell off it)."""
    if is_zero(dlst):
        return [ZERO] * len(lst) + [g]
    if type(dlst) is list and _refcount(dlst) <= _SOLE:
        dlst.append(g)  # (held by the caller's variable only)
        return dlst
    return list(dlst) + [g]


def pop_adj(dlst):
    """Adjoint of ``lst.append(v)``: ``(adjoint of the shorter list, adjoint of v)``."""
    if is_zero(dlst):
        return dlst, ZERO
    if type(dlst) is list and _refcount(dlst) <= _SOLE:
        return dlst, dlst.pop()  # (held by the caller's variable only)
    return list(dlst[:-1]), dlst[-1]


def namespace_of(*values):
    """The array module (numpy or cupy) of the first array among ``values``.

    For a Dask array: the module of its chunks, wrapped so that constants are
    made concrete (see :mod:`srcad.runtime.dask_support`).
    """
    for v in values:
        if is_lazy(v):
            return chunk_namespace(v, namespace_of)
        mod = type(v).__module__.split(".", 1)[0]
        if mod == "cupy":
            import cupy  # noqa: PLC0415

            return cupy
    return np


_OUT_POSITIONS = {}  # id(NumPy callable) -> (callable, index or None)


# NumPy functions that write into their first argument (``np.random.shuffle`` too).
# Run as plain calls on active values they would carry no gradient through the write:
# the compiler lowers ``copyto`` and refuses the others (normalize.py), its save plan and
# optimizer treat them as writes, purity.py as writers, and the tape records ``copyto``
# and refuses the others (tape/interop.py).
NUMPY_WRITERS = frozenset(
    {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "shuffle"}
)


def numpy_out_position(fn):
    """The index of a NumPy callable's positional ``out`` parameter, or None
    (``np.cumsum(a, 0, None, out)``: 3).  Ufuncs take their outputs after their
    ``nin`` inputs instead; the compiler's lowering and the tape both read this."""
    module = getattr(fn, "__module__", None) or ""
    if module.split(".", 1)[0] != "numpy" or isinstance(fn, type):
        return None
    hit = _OUT_POSITIONS.get(id(fn))
    if hit is not None and hit[0] is fn:
        return hit[1]
    import inspect  # noqa: PLC0415  (only on a first sight of the callable)

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    pos = next(
        (i for i, p in enumerate(params) if p.name == "out" and p.kind is p.POSITIONAL_OR_KEYWORD),
        None,
    )
    _OUT_POSITIONS[id(fn)] = (fn, pos)  # the callable kept alive: its id stays its own
    return pos


def stack_copy(x):
    """What Tangent's ``push`` stores: a copy of an array or a list, else ``x`` itself
    (the compiler lowers ``tangent.push(stack, x, op_id)`` to
    ``stack.append(_rt.stack_copy(x))``)."""
    if type(x) is list:
        return x[:]
    if isinstance(x, np.ndarray) or namespace_of(x) is not np:
        return x.copy()  # NumPy or CuPy
    return x


def sorted_item_keys(d, key=None, reverse=False):
    """The keys of ``d`` in the order ``sorted(d.items(), key=key, reverse=reverse)``
    visits them: the compiler loops over these and reads ``d[k]`` (the order itself
    carries no gradient)."""
    return [kv[0] for kv in sorted(d.items(), key=key, reverse=reverse)]


def real_cotangent(g):
    """The cotangent of a real-valued result, made real.

    A real value ``y`` pairs with its cotangent as ``Re(g dy) = Re(g) dy`` (JAX's
    convention), so only ``Re(g)`` is its cotangent; a rule that multiplies it by a
    complex factor (``abs``, ``angle``, ``var`` of complex input) must drop the
    imaginary part a complex consumer of ``y`` sent back first.  Tape tensors (real
    only) and real arrays pass through.
    """
    if isinstance(g, complex) or (isinstance(g, (np.ndarray, np.generic)) and g.dtype.kind == "c"):
        return np.real(g)
    return g
