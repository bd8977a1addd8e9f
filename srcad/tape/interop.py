"""NumPy calls on tensors, recorded on the tape.

``np.sin(t)`` reaches ``Tensor.__array_ufunc__``, ``np.sum(t)`` reaches
``Tensor.__array_function__``, and a primitive of ``srcad.rules.tape_ops`` called on a
tensor reaches ``Tensor.__srcad_function__``.  All three end in :func:`apply_prim`:
unwrap the tensors, run the primitive on the arrays, and record a node with the
primitive's registry rule.  This is how a NumPy-written function runs on the tape
(``srcad.grad(f, mode="tape")``) and how rules run on tensors under ``create_graph``.
NumPy semantics (dtypes included) apply to these calls.
"""

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..rules import registry
from ..runtime.core import NUMPY_WRITERS, numpy_out_position
from . import cow as _cow
from .device import memory_root
from .grad_mode import STATE
from .names import NAMES, name_for
from .node import _INFO as _node_info
from .node import info, multi_node_class, node_class
from .tensor import Tensor, make_node, record, record_binary, record_unary, wrap

__all__ = ["apply_prim", "array_function", "array_ufunc"]


def unwrap(a):
    """``a`` with every tensor replaced by its array (inside lists, tuples and dicts too)."""
    if isinstance(a, Tensor):
        return a._data
    t = type(a)
    if t is list or t is tuple:
        return t(unwrap(v) for v in a)
    if t is dict:
        return {k: unwrap(v) for k, v in a.items()}
    return a


def _any_requires(a):
    if isinstance(a, Tensor):
        return a._rg
    t = type(a)
    if t is list or t is tuple:
        return any(_any_requires(v) for v in a)
    if t is dict:
        return any(_any_requires(v) for v in a.values())
    return False


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Tensor)


def _wrap_out(out):
    if isinstance(out, np.generic):
        return wrap(np.asarray(out))
    if _is_array(out):
        return wrap(out)
    return out


_PY_RESULTS = (float, complex)


def _no_rule(what, instead=None):
    """The tape's refusal of a function with no derivative rule, on a tensor that
    requires grad, saying what to do instead."""
    instead = instead or f"Register one with @srcad.adjoint({what})"
    return RuntimeError(
        f"srcad has no derivative rule for {what}, so the tape cannot record it on a "
        f"tensor that requires grad. {instead}, or call it on .detach()ed tensors."
    )


def apply_prim(prim, args, kwargs, name=None, numpy=False):
    """Run primitive ``prim`` on tensor arguments and record it with its registry rule.

    ``name`` is the grad_fn name (PyTorch's by default, see ``names.py``).  ``numpy``:
    the call came through NumPy's protocol, so in a NumPy program an inactive result
    NumPy gives as a scalar stays that scalar (:func:`numpy_scalar`).  Example, for an
    op written elsewhere (``nn.functional``)::

        y = apply_prim(my_conv_prim, (x, w), {"stride": 1}, name="ConvolutionBackward0")
    """
    if any(type(a) in _SEQS or type(a) is dict for a in (*args, *kwargs.values())):
        args = tuple(_lift_nested(a) for a in args)
        kwargs = {k: _lift_nested(v) for k, v in kwargs.items()}
        _refuse_buried(prim, args, kwargs)
    impl = getattr(prim, "impl", prim)
    out = impl(*unwrap(args), **unwrap(kwargs))
    if (
        type(out) in _PY_RESULTS
        and STATE.enabled
        and (_any_requires(args) or _any_requires(kwargs))
        and getattr(registry.lookup(prim), "adjoint", None) is not None
    ):
        out = np.asarray(out)  # (math.erf gives a Python float: recorded, not dropped)
    if isinstance(out, (tuple, list)):
        out = (
            type(out)(_unshare(o, args, kwargs, prim) for o in out)
            if not hasattr(out, "_fields")
            else type(out)(*[_unshare(o, args, kwargs, prim) for o in out])
        )
    else:
        out = _unshare(out, args, kwargs, prim)
    if isinstance(out, (tuple, list)):
        if (
            any(_is_array(o) or isinstance(o, np.generic) for o in out)
            and STATE.enabled
            and (_any_requires(args) or _any_requires(kwargs))
        ):
            return _record_multi(prim, args, kwargs, out, name)
        items = [_mark_view(_wrap_out(o), prim) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if isinstance(out, np.generic):
        active = STATE.enabled and (_any_requires(args) or _any_requires(kwargs))
        if numpy and numpy_scalar(active):
            return out
        out = np.asarray(out)
    elif not _is_array(out):
        return out
    if not (STATE.enabled and (_any_requires(args) or _any_requires(kwargs))):
        return _mark_view(wrap(out), prim)
    rule = registry.lookup(prim)
    if rule is None or rule.adjoint is None:
        if rule is not None and rule.nondiff:
            return _mark_view(wrap(out), prim)
        raise _no_rule(getattr(prim, "__name__", repr(prim)))
    inf = info(prim)
    bound = inf.bind(args, kwargs)
    t = record(inf, bound, out, node_class(name or name_for(prim, bound)))
    return _mark_view(t, prim)


_SEQS = (list, tuple)


def numpy_scalar(active):
    """Whether an inactive result that NumPy gives as a scalar (``np.float64``) stays
    that scalar: in a NumPy program, when it is not being differentiated (``active``
    False).  ``np.sum(D)`` of a held array, ``D[1]``, ``np.uint8(5) - s``: as tensors
    they met an integer array's item assignment (``c[0] -= np.sum(D)``) as a Python int,
    an ``OverflowError`` where NumPy casts; and they are NumPy's scalars to ``type``."""
    return not active and _cow._STATE.reg is not None


def _holds_tensor(a):
    if isinstance(a, Tensor):
        return True
    return type(a) in _SEQS and any(_holds_tensor(v) for v in a)


def _stacked(seq):
    """A nested list of tensors and numbers as one tensor (NumPy's ``asarray``), stacked
    on the tape."""
    parts = [_stacked(v) if type(v) in _SEQS else v for v in seq]
    parts = [p if isinstance(p, Tensor) else wrap(np.asarray(p)) for p in parts]
    return np.stack(parts)


def _lift_nested(a):
    """A sequence argument (``np.hstack([x, [x[0], 1.0]])``) with its elements that are
    themselves lists holding tensors stacked: the recorded node sees one level only."""
    if type(a) not in _SEQS or not any(type(v) in _SEQS and _holds_tensor(v) for v in a):
        return a
    return type(a)(_stacked(v) if type(v) in _SEQS and _holds_tensor(v) else v for v in a)


def _refuse_buried(prim, args, kwargs):
    """A tensor that requires grad deeper than the node can see (in a dict, or below a
    list's elements) would lose its gradient: refuse."""

    def buried(a, depth):
        if isinstance(a, Tensor):
            return depth > 1 and a._rg
        if type(a) in _SEQS:
            return any(buried(v, depth + 1) for v in a)
        if type(a) is dict:
            return any(buried(v, depth + 2) for v in a.values())
        return False

    if any(buried(a, 0) for a in (*args, *kwargs.values())):
        what = getattr(prim, "__name__", repr(prim))
        raise RuntimeError(
            f"srcad: {what} got a tensor that requires grad inside a nested container, "
            "which the tape cannot record; pass it as an array (np.asarray(...)) instead."
        )


def _record_multi(prim, args, kwargs, out, name):
    """Record a primitive with several array results as one node with an output each
    (its rule reads the tuple of their adjoints)."""
    what = getattr(prim, "__name__", repr(prim))
    if not all(_is_array(o) or isinstance(o, np.generic) for o in out):
        raise RuntimeError(
            f"{what} returns several values, not all arrays, which the tape cannot record "
            "on tensors that require grad; use srcad.grad(f, mode='source') for this function"
        )
    rule = registry.lookup(prim)
    if rule is not None and rule.adjoint is None and rule.nondiff:
        items = [_mark_view(_wrap_out(o), prim) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if rule is None or rule.adjoint is None:
        raise _no_rule(what)
    arrays = [o if _is_array(o) else np.asarray(o) for o in out]  # (device ones stay)
    saved = tuple(arrays) if type(out) is not list else list(arrays)
    inf = info(prim)
    bound = inf.bind(args, kwargs)
    vc = [0]
    node = make_node(inf, bound, saved, multi_node_class(name or name_for(prim, bound)), None, vc)
    node._nout = len(arrays)
    items = []
    for k, a in enumerate(arrays):
        t = wrap(a, True, node, k)
        t._vc = vc
        items.append(_mark_view(t, prim))
    return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)


def array_function(func, args, kwargs):
    """``Tensor.__array_function__``: a NumPy function called with tensors."""
    view = _VIEWS.get(func)
    if view is not None and args and isinstance(args[0], Tensor):
        out = view(*args, **kwargs)
        if out is not NotImplemented:
            return out
    if func in _WRITERS:
        return _WRITERS[func](func, *args, **kwargs)
    args, kwargs, out = _split_out(func, args, kwargs)
    result = apply_prim(func, args, kwargs, numpy=True)
    return result if out is None else _write_out(out, result)


# -- NumPy functions that write into an argument ------------------------------------
# Run as written they would change a tensor's array behind the tape (a wrong gradient):
# np.copyto is a recorded copy, the others are refused with what to write instead.


def _copyto(func, dst, src, casting="same_kind", where=True):
    if where is not True:
        src = np.where(where, src, dst)
    _write_out(dst, src)


def _refused_writer(func, *args, **kwargs):
    name = getattr(func, "__name__", "this function")
    raise TypeError(
        f"np.{name}() writes into its argument in place, which srcad's tape cannot record "
        "for a tensor; build a new tensor instead (y = x.clone(); y[index] = value)"
    )


_WRITERS = {
    getattr(np, _n): _refused_writer for _n in NUMPY_WRITERS if callable(getattr(np, _n, None))
}
_WRITERS[np.copyto] = _copyto


def _split_out(func, args, kwargs):
    """``(args, kwargs, out)`` with the ``out`` argument (by keyword or by position:
    ``np.cumsum(a, 0, None, out)``) taken out; ``out`` is None when none was given.
    The function then runs without it and the result is written into ``out`` as a
    recorded copy (NumPy writing into a tensor's array would bypass the tape)."""
    out = kwargs.get("out")
    if out is not None:
        kwargs = {k: v for k, v in kwargs.items() if k != "out"}
        return args, kwargs, out
    pos = numpy_out_position(func)
    if pos is not None and len(args) > pos and args[pos] is not None:
        return args[:pos] + args[pos + 1 :], kwargs, args[pos]
    return args, kwargs, None


def _write_out(out, result):
    """NumPy's ``out=``: ``result`` written into ``out`` (returned), on the tape."""
    target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if isinstance(target, Tensor):
        return target.copy_(result)
    if isinstance(result, Tensor) and result.requires_grad:
        raise RuntimeError(_E12)  # writing into a NumPy array would drop the gradient
    target[...] = unwrap(result)
    return target


# -- NumPy functions that return views -------------------------------------------------
# np.reshape(t, s) shares t's memory, as t.reshape(s) does: it must be a tape view of
# t, so that a write into it reaches t's graph.  The common ones are tape views; any
# other result that shares a tensor's memory becomes a read-only copy (below).


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if order != "C" or copy or shape is None:
        return NotImplemented
    return a.reshape(shape)


def _ravel(a, order="C"):
    return a.reshape(-1) if order == "C" else NotImplemented


def _transpose(a, axes=None):
    return a.permute(tuple(range(a.ndim))[::-1] if axes is None else tuple(axes))


def _swapaxes(a, axis1, axis2):
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return a.permute(tuple(axes))


def _expand_dims(a, axis):
    if not isinstance(axis, int):
        return NotImplemented
    return a.unsqueeze(axis)


def _squeeze(a, axis=None):
    if axis is None:
        return a.reshape(tuple(n for n in a.shape if n != 1))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = a.ndim
    axes = {x % nd if nd else x for x in axes}
    for x in axes:
        if a.shape[x] != 1:
            return NotImplemented  # NumPy's own error
    return a.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def _flip(m, axis=None):
    if m.ndim == 0:
        return NotImplemented
    axes = _axes(axis, m.ndim)
    rev = slice(None, None, -1)
    return m[tuple(rev if k in axes else slice(None) for k in range(m.ndim))]


def _fliplr(m):
    return _flip(m, 1) if m.ndim >= 2 else NotImplemented


def _flipud(m):
    return _flip(m, 0) if m.ndim >= 1 else NotImplemented


def _moveaxis(a, source, destination):
    try:
        src = normalize_axis_tuple(source, a.ndim, "source")
        dst = normalize_axis_tuple(destination, a.ndim, "destination")
    except (ValueError, TypeError):
        return NotImplemented  # NumPy's own error
    if len(src) != len(dst):
        return NotImplemented
    perm = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return a.permute(tuple(perm))


def _rot90(m, k=1, axes=(0, 1)):
    if m.ndim < 2 or len(axes) != 2:
        return NotImplemented
    a0, a1 = _axes(axes, m.ndim)
    if a0 == a1:
        return NotImplemented
    k %= 4
    if k == 0:
        return m[...]
    if k == 2:
        return _flip(_flip(m, a0), a1)
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return _flip(m, a1).permute(tuple(perm))
    return _flip(m.permute(tuple(perm)), a1)


def _broadcast_to(array, shape, subok=False):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if len(shape) < array.ndim:
        return NotImplemented
    return array.expand(*shape)


def _real(val):
    return val[...] if val._data.dtype.kind != "c" else NotImplemented


def _atleast(n):
    def view(*arys):
        if len(arys) != 1:
            return NotImplemented
        a = arys[0]
        shape = tuple(a.shape)
        if len(shape) >= n:
            return a
        if n == 1:
            return a.reshape((1,))
        if n == 2:
            return a.reshape((1,) + shape if shape else (1, 1))
        return a.reshape({0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)])

    return view


_VIEWS = {
    np.reshape: _reshape,
    np.ravel: _ravel,
    np.transpose: _transpose,
    np.swapaxes: _swapaxes,
    np.expand_dims: _expand_dims,
    np.squeeze: _squeeze,
    np.flip: _flip,
    np.fliplr: _fliplr,
    np.flipud: _flipud,
    np.moveaxis: _moveaxis,
    np.rot90: _rot90,
    np.broadcast_to: _broadcast_to,
    np.real: _real,
    np.atleast_1d: _atleast(1),
    np.atleast_2d: _atleast(2),
    np.atleast_3d: _atleast(3),
}


def _tensor_roots(a, out):
    if isinstance(a, Tensor):
        d = a._data
        if isinstance(d, np.ndarray):
            out.add(id(memory_root(d)))
    elif type(a) in (list, tuple):
        for v in a:
            _tensor_roots(v, out)
    elif type(a) is dict:
        for v in a.values():
            _tensor_roots(v, out)
    return out


def _unshare(out, args, kwargs, prim):
    """A result sharing a tensor argument's memory (a view NumPy made, such as a piece
    of ``np.split`` or ``np.flip(t)``) as a read-only copy: the tape does not know the
    view, so a write into it could not reach the tensor's graph; refusing the write
    beats a wrong gradient."""
    if not isinstance(out, np.ndarray):
        return out
    roots = _tensor_roots(args, _tensor_roots(kwargs, set()))
    root = memory_root(out)
    if id(root) not in roots:
        return out
    out = out.copy()
    out.flags.writeable = False
    _cow.note_stale_copy(root, out, getattr(prim, "__name__", "function"))
    return out


VIEW_WRITE = (
    "srcad: the result of np.{} shares memory with a tensor (a NumPy view), which the "
    "tape does not track; writing into it is not supported. Write into a copy "
    "(np.{}(...).copy()) instead."
)


def _mark_view(t, prim):
    if isinstance(t, Tensor) and isinstance(t._data, np.ndarray) and not t._data.flags.writeable:
        t.__dict__["_npview"] = getattr(prim, "__name__", "function")
    return t


_REDUCE = {
    np.add: np.sum,
    np.multiply: np.prod,
    np.maximum: np.max,
    np.minimum: np.min,
    np.logical_and: np.all,
    np.logical_or: np.any,
}
_ACCUMULATE = {np.add: np.cumsum, np.multiply: np.cumprod}


_E12 = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."


# -- the common ufunc call, spelled out -------------------------------------------------
#
# ``np.sin(t)``, ``np.multiply(t, 2.0)``: a ufunc called with tensors, numbers or arrays
# and no keywords.  :func:`apply_prim` would find the same: a ufunc never returns memory
# of its inputs (no view to mark or copy), its operands are not nested, and its rule's
# parameters take the inputs in order.  Only ufuncs with a rule whose template binds
# those inputs plainly take this path; every other call goes through apply_prim.

_NDARRAY = np.ndarray
_OPERAND_TYPES = (float, int, bool, _NDARRAY)
_UFUNC_PLANS = {}  # ufunc -> (OpInfo, node class or None when the name varies) or False
_TENSOR_UFUNC = Tensor.__array_ufunc__


def _ufunc_plan(ufunc):
    if ufunc.nout != 1:
        return False
    try:
        inf = info(ufunc)
    except (LookupError, TypeError):
        return False
    if inf.npos < ufunc.nin or any(i >= ufunc.nin for i in inf.required):
        return False
    try:
        fixed = isinstance(NAMES.get(ufunc, ""), str)
    except TypeError:
        return False
    return inf, (node_class(name_for(ufunc, ())) if fixed else None)


def unary_plan(ufunc):
    """``(OpInfo, node class)`` when ``ufunc(t)`` of one tensor is recorded by
    :func:`~.tensor.record_op1` (one input, its rule's other parameters at their
    defaults, a grad_fn name that does not vary), else False."""
    plan = _UFUNC_PLANS.get(ufunc)
    if plan is None:
        plan = _UFUNC_PLANS[ufunc] = _ufunc_plan(ufunc)
    if plan is False or ufunc.nin != 1 or plan[1] is None or plan[0].written != (0,):
        return False
    return plan


def reduce_call(prim, x):
    """``prim(x)`` for ``np.sum``/``np.mean`` of one tensor and nothing else, recorded as
    :func:`apply_prim` records it (a reduction returns new memory, so there is no view to
    mark or copy), or None when the call is not that common one."""
    d = x._data
    if type(d) is not _NDARRAY:
        return None
    # (np.sum of an ndarray is np.add.reduce over every axis, less its Python wrapper)
    out = _add_reduce(d, None) if prim is np.sum else getattr(prim, "impl", prim)(d)
    if isinstance(out, np.generic):
        if numpy_scalar(x._rg and STATE.enabled):
            return out
        out = np.asarray(out)
    elif type(out) is not _NDARRAY:
        return None
    if not (x._rg and STATE.enabled):
        return wrap(out)
    hit = _REDUCE_PLANS.get(prim)  # (OpInfo, node class, rules' version) of the plain call
    if hit is not None and hit[2] == _RULES_VERSION[0] and _node_info.get(prim) is hit[0]:
        return record_unary(hit[0], x, out, hit[1])
    rule = registry.lookup(prim)
    if rule is None or rule.adjoint is None:
        return None  # apply_prim's message
    inf = info(prim)
    bound = inf.bind((x,), {})
    cls = node_class(name_for(prim, bound))
    if bound == (x,) + inf.defaults[1:]:
        _REDUCE_PLANS[prim] = (inf, cls, _RULES_VERSION[0])
        return record_unary(inf, x, out, cls)
    return record(inf, bound, out, cls)


_REDUCE_PLANS = {}
_RULES_VERSION = registry.VERSION  # (a registration since: found again)
_add_reduce = np.add.reduce


def _ufunc_call(ufunc, inputs):
    """``ufunc(*inputs)`` recorded, or None when the call is not the common one."""
    plan = _UFUNC_PLANS.get(ufunc)
    if plan is None:
        plan = _UFUNC_PLANS[ufunc] = _ufunc_plan(ufunc)
    if plan is False or len(inputs) != ufunc.nin:
        return None
    raw, rg = [], False
    for a in inputs:
        if isinstance(a, Tensor):
            d = a._data
            if type(d) is not _NDARRAY or (
                type(a) is not Tensor and type(a).__array_ufunc__ is not _TENSOR_UFUNC
            ):  # CuPy data, or a subclass with its own NumPy protocol: the long way
                return None
            # a Python float's tensor is the float: weak in NumPy's promotion (a float16
            # array plus a float stays float16; a 0-d float64 array would make float64)
            raw.append(d if type(a) is Tensor else _cow.number_value(a, d))
            rg = rg or a._rg
        elif type(a) in _OPERAND_TYPES or isinstance(a, np.generic):
            raw.append(a)
        else:
            return None
    out = ufunc(*raw)
    if type(out) is not _NDARRAY:
        if not isinstance(out, np.generic):
            return None
        if numpy_scalar(rg and STATE.enabled):
            return out
        out = np.asarray(out)
    if not (rg and STATE.enabled):
        return wrap(out)
    inf, cls = plan
    if cls is None:
        cls = node_class(name_for(ufunc, inf.bind(inputs, {})))
    if len(inputs) == 1:
        return record_unary(inf, inputs[0], out, cls)
    if len(inputs) == 2:
        return record_binary(inf, inputs[0], inputs[1], out, cls)
    return record(inf, inf.bind(inputs, {}), out, cls)


def _other_ufunc_method(ufunc, method, inputs, kwargs, out):
    """A ufunc method the tape has no rule for (``np.logaddexp.reduce``): NumPy's own
    on values not being differentiated; on one being differentiated, the tape's
    refusal, which says what to do (NumPy's own "returned NotImplemented" did not)."""
    if out is not None or (
        STATE.enabled and (_any_requires(list(inputs)) or _any_requires(kwargs))
    ):
        raise _no_rule(
            f"{ufunc.__name__}.{method}",
            "Write it with functions that have one (np.logaddexp.reduce(x) is "
            "np.log(np.sum(np.exp(x))))",
        )
    return _wrap_out(getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs)))


def array_ufunc(ufunc, method, inputs, kwargs):
    """``Tensor.__array_ufunc__``: a NumPy ufunc (or one of its methods) on tensors."""
    if method == "__call__" and not kwargs:
        result = _ufunc_call(ufunc, inputs)
        if result is not None:
            return result
    out = kwargs.pop("out", None)
    if method == "__call__":
        result = apply_prim(ufunc, inputs, kwargs, numpy=True)
    elif method == "reduce" and ufunc in _REDUCE:
        kw = dict(kwargs)
        kw.setdefault("axis", 0)
        result = apply_prim(_REDUCE[ufunc], inputs[:1], kw, numpy=True)
    elif method == "accumulate" and ufunc in _ACCUMULATE:
        kw = dict(kwargs)
        kw.setdefault("axis", 0)
        result = apply_prim(_ACCUMULATE[ufunc], inputs[:1], kw, numpy=True)
    elif method == "outer" and len(inputs) == 2:
        a, b = inputs
        nb = np.ndim(unwrap(b))
        shape = tuple(np.shape(unwrap(a))) + (1,) * nb
        a = a.reshape(shape) if isinstance(a, Tensor) else np.reshape(a, shape)
        result = apply_prim(ufunc, (a, b), kwargs, numpy=True)
    else:
        return _other_ufunc_method(ufunc, method, inputs, kwargs, out)
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) else out
    if isinstance(target, Tensor):
        return target.copy_(result)
    if isinstance(result, Tensor) and result.requires_grad:
        # writing into a NumPy array (z += t with z an ndarray) would drop the
        # gradient silently: refuse as PyTorch refuses to turn such a tensor into NumPy
        raise RuntimeError(_E12)
    target[...] = unwrap(result)
    return target
