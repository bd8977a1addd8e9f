"""The tape's ``Tensor``: an array (NumPy or CuPy) plus what autograd needs.

A tensor that requires grad and came out of an op has a ``grad_fn`` (a node in
``node.py``); leaves reach the graph through an ``AccumulateGrad`` node.  This module
holds the class, the recording of nodes (:func:`record`), views (which share their
base's data and version counter) and in-place updates (version counter, leaf checks,
``CopySlices``).  The maths of each op lives in ``ops.py`` (forward, NumPy) and in
``srcad.rules`` (backward).
"""

import builtins
import operator
import sys
import weakref

import numpy as np

from .. import runtime as _rt
from ..rules import tape_ops as T
from . import cow as _cow
from . import dtypes as _dt
from . import hooks as _hooks
from . import node as _node_module
from .device import CPU, c_contiguous, device_of, is_cupy, writeable
from .grad_mode import STATE
from .node import _SEQ, AccumulateGrad, Node, info, node_class

__all__ = ["Tensor", "Size", "wrap", "is_tensor"]

_new = object.__new__
_wref = weakref.ref

E5 = "a leaf Variable that requires grad is being used in an in-place operation."
E5B = "a view of a leaf Variable that requires grad is being used in an in-place operation."
E7 = (
    "you can only change requires_grad flags of leaf variables. If you want to use a "
    "computed variable in a subgraph that doesn't require differentiation use "
    "var_no_grad = var.detach()."
)
E8B = "only Tensors of floating point dtype can require gradients"
E12 = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
E14 = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as "
    "True, gradients are views of DDP buckets, and hence detach_() cannot be called on "
    "these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
    "function in torch/optim/optimizer.py as the solution."
)
W1 = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
    "Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
    "Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size([{', '.join(str(n) for n in self)}])"

    __str__ = __repr__

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class _Extra:
    """Rarely used per-tensor state, allocated on first use."""

    __slots__ = ("hooks", "pahooks", "steps", "vver", "views")

    def __init__(self):
        self.hooks = None
        self.pahooks = None
        self.steps = None
        self.vver = 0
        self.views = None  # a base that does not require grad: weak refs to its views


def wrap(data, rg=False, fn=None, nr=0):
    """A new ``Tensor`` around the array ``data`` (no copy)."""
    t = _new(Tensor)
    t._data = data
    t._rg = rg
    t._fn = fn
    t._nr = nr
    t._vc = [0]
    t._grad = None
    t._base = None
    t._acc = None
    t._x = None
    return t


def is_tensor(obj):
    """True for srcad tensors."""
    return isinstance(obj, Tensor)


def raw(a):
    """The array behind ``a`` (tensors unwrapped, lists/tuples element by element)."""
    if isinstance(a, Tensor):
        return a._data
    if type(a) in (list, tuple):
        return type(a)(raw(v) for v in a)
    return a


def requires(a):
    """True when ``a`` is (or, for a list, holds) a tensor that requires grad."""
    if isinstance(a, Tensor):
        return a._rg
    if type(a) in (list, tuple):
        return any(isinstance(v, Tensor) and v._rg for v in a)
    return False


# --------------------------------------------------------------------------------------
# Recording


def edge(t):
    """The graph edge gradients for ``t`` flow into: ``(grad_fn, output_nr)``."""
    base = t._base
    if base is not None and t._x.vver != t._vc[0]:
        _refresh_view(t)
    fn = t._fn
    if fn is not None:
        return (fn, t._nr)
    ref = t._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._acc = weakref.ref(acc)
    return (acc, 0)


_NONE_EDGE = (None, 0)
_ndarray = np.ndarray


def _plain(a):
    return isinstance(a, np.ndarray)


def _protect(args, read):
    """``args`` with every plain NumPy array the backward reads replaced by a copy.

    A tensor has a version counter that catches a later in-place change; a plain array
    has none, and the program may still change it (``t -= ...``, ``a[i] = ...``, or
    through another view of its memory), so the value the backward needs is copied at
    save time.  Nothing is copied when no plain array is saved (the PyTorch path).
    """
    for i in read:
        a = args[i]
        if _plain(a) or (type(a) in (list, tuple) and any(_plain(v) for v in a)):
            break
    else:
        return args
    args = list(args)
    for i in read:
        a = args[i]
        if _plain(a):
            args[i] = a.copy()
        elif type(a) in (list, tuple):
            args[i] = type(a)(v.copy() if _plain(v) else v for v in a)
    return tuple(args)


def make_node(inf, args, out, cls, eparams=None, out_vc=None, first_edge=None):
    """A node for ``inf.prim(*args) -> out`` (``args`` in template-parameter order;
    missing trailing parameters take the template's defaults)."""
    n = inf.nparams
    if len(args) < n:
        args = tuple(args) + inf.defaults[len(args) :]
    needs = [False] * n
    for i in inf.written:
        a = args[i]
        if isinstance(a, Tensor):
            needs[i] = a._rg
        elif type(a) in (list, tuple):
            needs[i] = requires(a)
    needs = tuple(needs)
    edges = []
    emap = None
    for i in inf.written if eparams is None else eparams:
        a = args[i]
        if isinstance(a, Tensor):
            if not needs[i]:
                edges.append(_NONE_EDGE)
            elif a._fn is not None and a._base is None:
                edges.append((a._fn, a._nr))
            else:
                edges.append(edge(a))
        elif type(a) in (list, tuple):
            if emap is None:
                emap = list(inf.emap_for(eparams)[: len(edges)])
            for j, v in enumerate(a):
                edges.append(edge(v) if isinstance(v, Tensor) and v._rg else _NONE_EDGE)
                emap.append((i, j))
            continue
        else:
            edges.append(_NONE_EDGE)
        if emap is not None:
            emap.append((i, -1))
    if first_edge is not None:
        edges[0] = first_edge
    node = _new(cls)
    node._seq = next(_SEQ)
    node._hk = None
    an = inf.analysis(needs)
    args = _protect(args, an.read)
    vers = []
    for i in an.read:
        a = args[i]
        if isinstance(a, Tensor):
            vers.append((i, a._vc[0]))
        elif type(a) in (list, tuple) and any(isinstance(v, Tensor) for v in a):
            vers.append((i, tuple(v._vc[0] if isinstance(v, Tensor) else None for v in a)))
    if an.res:
        node._res = (out, out_vc)
        vers.append((-1, out_vc[0]))
    reg = _cow._STATE.reg
    if reg is not None and (an.read or an.res):
        reg.append(_wref(node))  # (cow: filed under its memory blocks at a write)
    node._info = inf
    node._args = args
    node._needs = needs
    node._emap = emap if emap is not None else inf.emap_for(eparams)
    node._an = an
    node._freed = False
    node._vers = vers
    node._next = tuple(edges)
    return node


def record(inf, args, out, cls, eparams=None):
    """Wrap ``out``, the result of ``inf.prim`` on ``args``; record a node when needed.
    An integer or bool result carries no gradient (``np.sum(x, dtype=int)``), as in
    PyTorch, where only floating and complex tensors require grad."""
    dtype = getattr(out, "dtype", None)
    if dtype is not None and dtype.kind in "biu":
        return wrap(out)
    if STATE.enabled:
        for i in inf.written:
            if i < len(args):
                a = args[i]
                if a._rg if isinstance(a, Tensor) else requires(a):
                    break
        else:
            return wrap(out)
        vc = [0]
        node = make_node(inf, args, out, cls, eparams, vc)
        t = wrap(out, True, node)
        t._vc = vc
        return t
    return wrap(out)


def _edge_of(a):
    fn = a._fn
    if fn is not None and a._base is None:
        return (fn, a._nr)
    return edge(a)


def _finish_node(node, inf, plan, args, edges, out):
    """Fill ``node`` (recorded by ``plan``) and return its output tensor: the shared
    tail of the fast recorders, with :func:`wrap` spelled out."""
    vc = [0]
    read = plan.read
    plain = False  # a plain array (or a sequence) is saved
    if read:
        vers = []
        for i in read:
            a = args[i]
            if isinstance(a, Tensor):
                vers.append((i, a._vc[0]))
            elif not plain and (isinstance(a, _ndarray) or type(a) in (list, tuple)):
                plain = True
        if plain:
            args = _protect(args, read)
        if plan.res:
            node._res = (out, vc)
            vers.append((-1, 0))
    elif plan.res:
        node._res = (out, vc)
        vers = [(-1, 0)]
    else:
        vers = ()
    node._seq = next(_SEQ)
    node._hk = None
    node._info = inf
    node._args = args
    node._needs = plan.needs
    node._emap = plan.emap
    node._an = plan.an
    node._freed = False
    node._vers = vers
    node._next = edges
    reg = _cow._STATE.reg
    if reg is not None and (vers or plain):
        reg.append(_wref(node))
    t = _new(Tensor)
    t._data = out
    t._rg = True
    t._fn = node
    t._nr = 0
    t._vc = vc
    t._grad = None
    t._base = None
    t._acc = None
    t._x = None
    return t


def record_unary(inf, x, out, cls):
    """:func:`record` for a primitive of one tensor ``x`` (other parameters at their
    defaults): the hot path of elementwise functions."""
    if not (x._rg and STATE.enabled):
        return wrap(out)
    if inf.written != (0,):
        vc = [0]
        t = wrap(out, True, make_node(inf, (x,), out, cls, None, vc))
        t._vc = vc
        return t
    return record_op1(inf, cls, x, out)


def record_op1(inf, cls, x, out):
    """The node of ``inf.prim(x)`` for a tensor ``x`` that requires grad (grad mode on,
    ``inf.written == (0,)``, the other parameters at their defaults), and its output:
    :func:`record_unary` after its checks, with :func:`_finish_node` spelled out (the
    hot path of elementwise functions)."""
    fn = x._fn
    e = (fn, x._nr) if fn is not None and x._base is None else edge(x)
    plan = inf.plan1
    if plan is None:
        plan = inf.plan1 = inf.plan(inf.needs_first)
    args = (x,) + inf.defaults[1:]
    node = _new(cls)
    vc = [0]
    read = plan.read
    if read:
        if read != (0,):
            return _finish_node(node, inf, plan, args, (e,), out)
        vers = [(0, x._vc[0])]
        if plan.res:
            node._res = (out, vc)
            vers.append((-1, 0))
    elif plan.res:
        node._res = (out, vc)
        vers = [(-1, 0)]
    else:
        vers = ()
    node._seq = next(_SEQ)
    node._hk = None
    node._info = inf
    node._args = args
    node._needs = plan.needs
    node._emap = plan.emap
    node._an = plan.an
    node._freed = False
    node._vers = vers
    node._next = (e,)
    reg = _cow._STATE.reg
    if reg is not None and vers:
        reg.append(_wref(node))
    t = _new(Tensor)
    t._data = out
    t._rg = True
    t._fn = node
    t._nr = 0
    t._vc = vc
    t._grad = None
    t._base = None
    t._acc = None
    t._x = None
    return t


def record_binary(inf, a, b, out, cls, eparams=None):
    """:func:`record` for a two-parameter primitive (operators): the hot path."""
    ra = a._rg if isinstance(a, Tensor) else False
    rb = b._rg if isinstance(b, Tensor) else False
    if not ((ra or rb) and STATE.enabled):
        return wrap(out)
    if not inf.binary:
        return record(inf, (a, b), out, cls, eparams)
    if eparams is None:
        return record_op2(inf, cls, a, b, ra, rb, out)
    if ra:
        fn = a._fn
        ea = (fn, a._nr) if fn is not None and a._base is None else edge(a)
    else:
        ea = _NONE_EDGE
    if rb:
        fn = b._fn
        eb = (fn, b._nr) if fn is not None and b._base is None else edge(b)
    else:
        eb = _NONE_EDGE
    edges = (ea,) if eparams == (0,) else (eb,)
    return _finish_node(_new(cls), inf, inf.plan((ra, rb), eparams), (a, b), edges, out)


def record_op2(inf, cls, a, b, ra, rb, out):
    """The node of ``inf.prim(a, b)`` (``inf.binary``; ``ra``/``rb``: whether ``a``/``b``
    are tensors that require grad, one of them at least, grad mode on) and its output:
    :func:`record_binary` after its checks, with :func:`_finish_node` spelled out for
    tensors and numbers (the hot path of operators)."""
    if ra:
        fn = a._fn
        ea = (fn, a._nr) if fn is not None and a._base is None else edge(a)
    else:
        ea = _NONE_EDGE
    if rb:
        fn = b._fn
        eb = (fn, b._nr) if fn is not None and b._base is None else edge(b)
    else:
        eb = _NONE_EDGE
    row = inf.plans2[ra]
    plan = row[rb]
    if plan is None:
        plan = row[rb] = inf.plan((bool(ra), bool(rb)))
    node = _new(cls)
    args = (a, b)
    vc = [0]
    read = plan.read
    saved = False  # a tensor's value is saved (for the NumPy program's copy on write)
    if read:
        vers = []
        for i in read:
            v = args[i]
            if isinstance(v, Tensor):
                vers.append((i, v._vc[0]))
                saved = True
            elif type(v) is not float and type(v) is not int:
                return _finish_node(node, inf, plan, args, (ea, eb), out)
        if plan.res:
            node._res = (out, vc)
            vers.append((-1, 0))
            saved = True
    elif plan.res:
        node._res = (out, vc)
        vers = [(-1, 0)]
        saved = True
    else:
        vers = ()
    node._seq = next(_SEQ)
    node._hk = None
    node._info = inf
    node._args = args
    node._needs = plan.needs
    node._emap = plan.emap
    node._an = plan.an
    node._freed = False
    node._vers = vers
    node._next = (ea, eb)
    if saved:
        reg = _cow._STATE.reg
        if reg is not None:
            reg.append(_wref(node))
    t = _new(Tensor)
    t._data = out
    t._rg = True
    t._fn = node
    t._nr = 0
    t._vc = vc
    t._grad = None
    t._base = None
    t._acc = None
    t._x = None
    return t


# --------------------------------------------------------------------------------------
# Views


def make_view(src, out_tensor, step):
    """Make ``out_tensor`` a view of ``src`` (shared version counter, base, steps)."""
    base = src._base
    if base is None:
        base, steps = src, (step,)
    else:
        steps = src._x.steps + (step,)
    out_tensor._base = base
    out_tensor._vc = src._vc
    x = out_tensor._x = _Extra()
    x.steps = steps
    x.vver = src._vc[0]
    if not base._rg:
        _note_view(base, out_tensor)
    return out_tensor


def _note_view(base, view):
    """Remember ``view`` of ``base``, which does not require grad yet: if an in-place
    update makes the base require grad, its views do too (PyTorch: a view requires grad
    when its base does), even those made before the update."""
    x = base._x
    if x is None:
        x = base._x = _Extra()
    views = x.views
    if views is None:
        views = x.views = []
    elif len(views) >= 64 and (len(views) & (len(views) - 1)) == 0:
        views[:] = [r for r in views if r() is not None]  # drop the dead now and then
    views.append(weakref.ref(view))


def _views_now_require(base):
    """``base`` has just come to require grad by an in-place update: every live view
    made before gets its grad_fn from the base (an ``AsStridedBackward0``)."""
    x = base._x
    views = x.views if x is not None else None
    if not views:
        return
    x.views = None
    for r in views:
        v = r()
        if v is not None and not v._rg and v._base is base:
            _refresh_view(v)


def view_op(src, prim, args, out, name, step):
    """Record a view-producing primitive: the result shares ``src``'s data and version."""
    inf = info(prim)
    if src._rg and STATE.enabled:
        node = make_node(inf, args, out, node_class(name), None, src._vc)
        t = wrap(out, True, node)
    else:
        t = wrap(out)
    return make_view(src, t, step)


def _refresh_view(t):
    """A view whose base was modified in place gets its grad_fn rebuilt from the base."""
    base = t._base
    t._x.vver = t._vc[0]
    if base._rg and STATE.enabled:
        t._fn = make_node(
            info(T.as_view),
            (base, t._x.steps),
            t._data,
            node_class("AsStridedBackward0"),
            None,
            t._vc,
        )
        t._nr = 0
        t._rg = True


class CopySlices(Node):
    """The grad_fn of a base after an in-place update of one of its views.

    Gradients for the updated region go through the in-place op's rule (``inner``);
    the rest of the base passes straight through.
    """

    __slots__ = ("_inner", "_steps")
    _label = "torch::autograd::CopySlices"

    def __init__(self, base_edge, inner, steps):
        self._seq = next(_SEQ)
        self._hk = None
        self._inner = inner
        self._steps = steps
        self._next = (base_edge,) + inner._next[1:]

    def apply(self, grads, create):
        g = grads[0]
        if g is None:
            return [None] * len(self._next)
        steps = self._steps
        inner = self._inner.apply(
            [T.as_view(g, steps) if create else T.apply_steps(g, steps)], create
        )
        region = inner[0]
        if create:
            mask = T.view_scatter.impl(np.ones_like(T.apply_steps(g._data, steps)), g._data, steps)
            gb = g * (1 - mask)
            if region is not None:
                gb = gb + T.view_scatter(region, g._data, steps)
        else:
            gb = g.copy()
            T.apply_steps(gb, [s for s in steps if s[0] != "e"])[...] = (
                0 if region is None else region
            )
        return [gb] + list(inner[1:])

    def release(self):
        self._inner.release()


# --------------------------------------------------------------------------------------
# In-place updates


def check_inplace(t):
    """E5 / E5b: in-place updates of leaves that require grad (grad mode on)."""
    if t._rg and t._fn is None:
        raise RuntimeError(E5)
    base = t._base
    if base is not None and base._rg and base._fn is None:
        raise RuntimeError(E5B)


def _cast_for_inplace(new, dtype, operands=()):
    """``new`` in the dtype of the tensor updated in place (PyTorch refuses to lower
    the category: a float result cannot go into an integer tensor)."""
    if new.dtype != dtype:
        if _dt.category(new.dtype) > _dt.category(dtype):
            result = _dt.NP2DT[new.dtype]
            if not any(isinstance(a, Tensor) or hasattr(a, "dtype") for a in operands):
                result = _dt.get_default_dtype() if result.is_floating_point else result
            raise RuntimeError(
                f"result type {result._legacy.replace('Tensor', '')} can't be cast to the "
                f"desired output type {_dt.NP2DT[dtype]._legacy.replace('Tensor', '')}"
            )
        new = new.astype(dtype)
    return new


def _write(t, new):
    data = t._data
    _cow.before_write(data)
    if not writeable(data):
        view_of = getattr(t, "_npview", None) or getattr(t._base, "_npview", None)
        if view_of is not None:
            from .interop import VIEW_WRITE  # noqa: PLC0415

            raise RuntimeError(VIEW_WRITE.format(view_of, view_of))
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers "
            "to a single memory location. Please clone() the tensor before performing the "
            "operation."
        )
    if new.shape == data.shape:
        data[...] = new
        return
    try:
        data[...] = np.broadcast_to(new, data.shape)
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(data.shape)} doesn't match the broadcast shape "
            f"{list(new.shape)}"
        ) from None


def _saved_before_write(node, args, vc):
    """An in-place op that reads its own target (``s *= s``) saved that operand
    before the write: PyTorch then refuses the backward (E6), and so do we."""
    vers = node._vers
    for k, (i, v) in enumerate(vers):
        if i >= 1 and isinstance(args[i], Tensor) and args[i]._vc is vc:
            vers[k] = (i, v - 1)


def inplace(t, prim, rest, name, eparams=None, compute=None):
    """``t <- prim(t, *rest)`` in place, with PyTorch's checks and graph rewiring."""
    grad_on = STATE.enabled
    if grad_on:
        check_inplace(t)
    old = t._data
    new = (
        compute(old)
        if compute is not None
        else getattr(prim, "impl", prim)(old, *[raw(a) for a in rest])
    )
    new = _cast_for_inplace(np.asarray(new) if not hasattr(new, "shape") else new, old.dtype, rest)
    recording = grad_on and (t._rg or any(requires(a) for a in rest))
    if not recording:
        _write(t, new)
        t._vc[0] += 1
        return t
    _cow.before_recorded_write(t._data)
    inf = info(prim)
    rest = _cow.snapshot_operands(t, rest)
    needs0 = t._rg
    args_needs = (needs0,) + tuple(requires(a) for a in rest)
    an = inf.analysis(tuple(n and i in inf.wset for i, n in enumerate(args_needs)))
    snap = wrap(old.copy() if 0 in an.read else old, needs0, t._fn, t._nr)
    if t._base is not None and t._x.vver != t._vc[0]:
        _refresh_view(t)
        snap._fn, snap._nr = t._fn, t._nr
    _write(t, new)
    t._vc[0] += 1
    cls = node_class(name)
    args = (snap,) + tuple(rest)
    base = t._base
    if base is None:
        t._fn = make_node(inf, args, old, cls, eparams, t._vc)
        _saved_before_write(t._fn, args, t._vc)
        t._nr = 0
        t._rg = True
        if not needs0:
            _views_now_require(t)
        return t
    # an in-place update of a view: the base's grad_fn becomes CopySlices
    steps = t._x.steps
    inner = make_node(inf, args, old, cls, eparams, t._vc, first_edge=_NONE_EDGE)
    _saved_before_write(inner, args, t._vc)
    base_edge = edge(base) if base._rg else _NONE_EDGE
    base_was = base._rg
    base._fn = CopySlices(base_edge, inner, steps)
    base._nr = 0
    base._rg = True
    if not base_was:
        _views_now_require(base)
    t._fn = make_node(
        info(T.as_view), (base, steps), old, node_class("AsStridedBackward0"), None, t._vc
    )
    t._nr = 0
    t._rg = True
    t._x.vver = t._vc[0]
    return t


# --------------------------------------------------------------------------------------
# Indexing


def norm_index(index):
    """An index with tensors and lists turned into arrays (PyTorch's indexing rules)."""
    if type(index) is tuple:
        # a sequence inside the tuple (x[(0, 1), (3, 2)]) is an index array, as a list is
        return tuple(_norm_component(list(i) if type(i) is tuple else i) for i in index)
    return _norm_component(index)


def _norm_component(i):
    if isinstance(i, Tensor):
        d = i._data
        if d.ndim == 0 and d.dtype.kind in "iu":
            return int(d)
        return d
    if type(i) is list:
        if any(
            isinstance(v, (Tensor, list, tuple, slice)) or v is None or v is Ellipsis for v in i
        ):
            if any(isinstance(v, slice) or v is None or v is Ellipsis for v in i):
                return tuple(_norm_component(v) for v in i)
            return np.asarray([raw(v) for v in i])
        return np.asarray(i)
    if isinstance(i, bool):
        return np.asarray(i)
    return i


def _dim_error(i, size, dim):
    return IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")


def _on_device_of(index, data):
    """Index arrays moved to CuPy when the data is on the GPU."""
    if not type(data).__module__.startswith("cupy"):
        return index
    import cupy  # noqa: PLC0415

    if type(index) is tuple:
        return tuple(cupy.asarray(i) if isinstance(i, np.ndarray) else i for i in index)
    return cupy.asarray(index) if isinstance(index, np.ndarray) else index


def getitem(t, index):
    """``t[index]``: basic indexing is a chain of views, advanced indexing a copy."""
    index = _on_device_of(norm_index(index), t._data)
    if not T.is_basic_index(index):
        out = t._data[index]
        return record(info(T.getitem), (t, index), out, node_class("IndexBackward0"))
    comps = index if type(index) is tuple else (index,)
    ndim = t._data.ndim
    used = sum(1 for c in comps if c is not None and c is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if Ellipsis in comps:
        k = comps.index(Ellipsis)
        comps = comps[:k] + (slice(None),) * (ndim - used) + comps[k + 1 :]
    cur = t
    dim = 0
    full = slice(None)
    for c in comps:
        if c is None:
            idx = (full,) * dim + (None, Ellipsis)
            cur = _index_step(cur, idx, "UnsqueezeBackward0")
            dim += 1
        elif type(c) is slice:
            if c != full:
                cur = _index_step(cur, (full,) * dim + (c, Ellipsis), "SliceBackward0")
            dim += 1
        else:
            size = cur._data.shape[dim]
            if not -size <= c < size:
                raise _dim_error(c, size, dim)
            cur = _index_step(cur, (full,) * dim + (int(c), Ellipsis), "SelectBackward0")
    if cur is t:
        cur = _index_step(t, (Ellipsis,), "AliasBackward0")
    return cur


def _index_step(t, idx, name):
    return view_op(t, T.getitem, (t, idx), t._data[idx], name, ("i", idx))


def setitem(t, index, value):
    """``t[index] = value`` (PyTorch: a copy into a view, or ``index_put_``)."""
    index = _on_device_of(norm_index(index), t._data)
    basic = T.is_basic_index(index)
    _check_overlap(t._data, index, basic, value)
    grad_on = STATE.enabled
    if not (grad_on and (t._rg or requires(value))):
        if grad_on:
            if basic and t._rg and t._fn is None:
                raise RuntimeError(E5B)
            check_inplace(t)
        data = t._data
        if not writeable(data):
            _write(t, data)
        v = raw(value)
        if hasattr(v, "dtype") and _dt.category(v.dtype) > _dt.category(data.dtype):
            _cast_for_inplace(v, data.dtype)
        _cow.before_write(data)
        data[index] = v
        t._vc[0] += 1
        return
    if basic:
        if t._rg and t._fn is None:
            raise RuntimeError(E5B)
        view = getitem(t, index)
        inplace(
            view,
            T.copy_to,
            (value,),
            "CopySlices",
            eparams=(0, 1),
            compute=lambda old: T.copy_to.impl(old, raw(value)),
        )
        if view._base is not t and t._base is not None:
            _refresh_view(t)
        return
    # a NumPy program (srcad's fallback) writes with NumPy's meaning for a repeated
    # index: the last write sticks, and the earlier ones get no gradient
    put = T.index_put_last if _cow.registry() is not None else T.index_put
    inplace(t, put, (index, value), "IndexPutBackward0", eparams=(0, 2))


E_OVERLAP = (
    "unsupported operation: some elements of the input tensor and the written-to tensor "
    "refer to a single memory location. Please clone() the tensor before performing the "
    "operation."
)


def _check_overlap(data, index, basic, value):
    """PyTorch's refusal of a copy whose source overlaps the region written
    (``z[:, -1] = z[1]``; NumPy would copy element by element in memory order)."""
    v = value._data if isinstance(value, Tensor) else value
    if not hasattr(v, "shape") or isinstance(v, np.generic):
        return
    if basic:
        if _rt.partial_overlap(data[index], v):
            raise RuntimeError(E_OVERLAP)
    elif np.may_share_memory(data, v):
        raise RuntimeError(E_OVERLAP)


def _integer_index(index):
    """Whether ``index`` is NumPy's scalar index: an int, or a tuple of ints (``()``
    included); Ellipsis, slices, None or arrays make a 0-d array (a view) instead."""
    if type(index) is tuple:
        return all(_is_int_key(k) for k in index)
    return _is_int_key(index)


def _is_int_key(k):
    return (isinstance(k, (int, np.integer)) and not isinstance(k, bool)) or (
        isinstance(k, Tensor) and k._data.ndim == 0 and k._data.dtype.kind in "iu"
    )


def _numpy_program_caller():
    """Whether the caller of the calling method is a NumPy program srcad runs on the tape
    (not srcad itself): ``x[0].item()`` and ``x.tolist()`` of a value being
    differentiated then keep its derivative, as ``float(x[0])`` does and as the source
    compiler has them (NumPy's numbers, where PyTorch's ``item()`` detaches)."""
    if _cow.registry() is None:
        return False
    caller = sys._getframe(2).f_globals.get("__name__") or ""
    return not (caller == "srcad" or caller.startswith("srcad."))


# --------------------------------------------------------------------------------------
# The class


class Tensor:
    """A multi-dimensional array that records operations for automatic differentiation.

    Example::

        >>> x = srcad.tensor([1.0, 2.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = (
        "_data",
        "_rg",
        "_fn",
        "_nr",
        "_vc",
        "_grad",
        "_base",
        "_acc",
        "_x",
        "__weakref__",
        "__dict__",
    )
    __array_priority__ = 1000

    def __new__(cls, *args, device=None):
        """Legacy constructor: ``Tensor(2, 3)`` (uninitialized) or ``Tensor(data)``."""
        from .factories import _from_data, empty  # noqa: PLC0415

        if not args:
            args = (0,)
        if len(args) == 1 and not isinstance(args[0], int):
            src = args[0]
            t = _from_data(
                src, _dt.get_default_dtype() if not isinstance(src, Tensor) else src.dtype, device
            )
        else:
            t = empty(*args, device=device)
        if cls is not Tensor:
            return cls._make_subclass(cls, t)
        return t

    @staticmethod
    def _make_subclass(cls, data, require_grad=False):
        """An instance of subclass ``cls`` sharing ``data``'s array (``nn.Parameter``)."""
        t = _new(cls)
        t._data = data._data if isinstance(data, Tensor) else data
        t._rg = False
        t._fn = None
        t._nr = 0
        t._vc = data._vc if isinstance(data, Tensor) else [0]
        t._grad = None
        t._base = None
        t._acc = None
        t._x = None
        if require_grad:
            t.requires_grad_(True)
        return t

    # -- autograd attributes -----------------------------------------------------------

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on a leaf in place; returns the tensor."""
        if self._fn is not None:
            if not requires_grad:
                raise RuntimeError(E7)
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(E8B)
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self._fn is None

    @property
    def grad_fn(self):
        if self._base is not None and self._x.vver != self._vc[0]:
            _refresh_view(self)
        return self._fn

    @property
    def grad(self):
        if self._fn is not None and not self.retains_grad:
            import warnings  # noqa: PLC0415

            warnings.warn(W1, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype and self._data.dtype.kind in "fc":
                theirs = _dt.NP2DT[value._data.dtype].name.replace("float64", "double")
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{theirs}' to a tensor with "
                    f"grad_dtype '{_dt.NP2DT[self._data.dtype]._legacy[:-6]}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype)."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to "
                    f"a tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        fn = self._fn
        return fn is not None and fn._retained(self._nr) is self

    @property
    def output_nr(self):
        return self._nr

    @property
    def _version(self):
        return self._vc[0]

    @property
    def data(self):
        """The same array without autograd history (no shared version counter)."""
        return wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else value

    def detach(self):
        """A tensor sharing data and version counter, cut from the graph."""
        t = wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        """Cut this tensor from the graph in place (not allowed on views)."""
        if self._base is not None:
            raise RuntimeError(E14)
        self._fn = None
        self._rg = False
        return self

    def retain_grad(self):
        """Populate ``.grad`` for this non-leaf tensor during backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._fn is None:
            return
        self.grad_fn._retain_ref(self._nr, self)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed.

        Returns a handle whose ``.remove()`` unregisters it.
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._fn is None:
            x = self._extra()
            x.hooks, handle = _hooks.add_hook(x.hooks, hook)
            return handle
        table = self.grad_fn._tensor_hooks(self._nr)
        _, handle = _hooks.add_hook(table, hook)
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after ``.grad`` of this leaf was updated."""
        if self._fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        x = self._extra()
        x.pahooks, handle = _hooks.add_hook(x.pahooks, hook)
        return handle

    def _extra(self):
        x = self._x
        if x is None:
            x = self._x = _Extra()
        return x

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        ``gradient`` is required unless the tensor has one element.
        """
        _engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- metadata ----------------------------------------------------------------------

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def size(self):
        """``x.size()`` / ``x.size(dim)`` as in PyTorch; also a number (NumPy's ``x.size``)."""
        return _numpy_compat._SizeMethod(self)

    def size_of(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dt.NP2DT[self._data.dtype]

    @property
    def device(self):
        d = self._data
        return device_of(d) if is_cupy(d) else CPU

    @property
    def is_cuda(self):
        return is_cupy(self._data)

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return int(self._data.nbytes)

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None):
        return c_contiguous(self._data)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    @property
    def is_sparse(self):
        return False

    @property
    def layout(self):
        return "torch.strided"

    def data_ptr(self):
        d = self._data
        return int(d.data.ptr) if is_cupy(d) else int(d.__array_interface__["data"][0])

    def get_device(self):
        return self._data.device.id if is_cupy(self._data) else -1

    # -- conversions -------------------------------------------------------------------

    def item(self, *args):
        """The value of a one-element tensor as a Python number (in a NumPy program,
        ``a.item(k)`` and ``a.item(i, j)`` are NumPy's: one element, by flat or full
        index)."""
        d = self._data
        if args:
            if not _numpy_program_caller():
                raise TypeError(f"TensorBase.item() takes no arguments ({len(args)} given)")
            index = args[0] if len(args) == 1 else args
            if isinstance(index, tuple):
                elem = self[index]
            else:
                elem = self.reshape(-1)[operator.index(index)]
            if isinstance(elem, Tensor) and elem._rg:
                return _cow.as_numbers(elem)  # (the caller is a NumPy program: above)
            return elem.item()
        if d.size != 1:
            raise RuntimeError(f"a Tensor with {d.size} elements cannot be converted to Scalar")
        if self._rg and _numpy_program_caller():
            return _cow.as_numbers(self)
        return d.item() if not is_cupy(d) else d.get().item()

    def tolist(self):
        d = self._data
        if self._rg and _numpy_program_caller():
            return _cow.as_numbers(self, listed=True)
        return (d.get() if is_cupy(d) else d).tolist()

    def numpy(self, force=False):
        """The NumPy array behind this tensor (shared memory)."""
        if self._rg and not force:
            raise RuntimeError(E12)
        d = self._data
        if is_cupy(d):
            if force:
                return d.get()
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                "to copy the tensor to host memory first."
            )
        return d

    def __array__(self, dtype=None, copy=None):
        if self._rg:
            raise RuntimeError(_cow.refusal("a plain NumPy array") or E12)
        d = self._data
        if is_cupy(d):
            raise TypeError(
                "Implicit conversion to a NumPy array is not allowed for a cuda tensor. "
                "Use .cpu() (or .numpy() on a CPU tensor) to copy it to the host explicitly."
            )
        if not isinstance(d, np.ndarray):  # a NumPy scalar left by an op: NumPy wants arrays
            d = np.asarray(d)
        if dtype is not None and d.dtype != dtype:
            return d.astype(dtype)
        return d.copy() if copy else _cow.plain_alias(d)

    def _scalar(self, kind):
        if self._rg and not (kind is int and _cow.registry() is not None):
            # int() of a value being differentiated is piecewise constant (a zero
            # derivative), so a NumPy program may take it; float() would lose one
            raise RuntimeError(_cow.refusal(f"a Python {kind.__name__}") or E12)
        d = self._data
        if d.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return kind(d.reshape(()).item() if not is_cupy(d) else d.get().item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __complex__(self):
        return self._scalar(complex)

    def __index__(self):
        d = self._data
        if d.dtype.kind not in "iub" or d.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(d.reshape(()).item())

    def __round__(self, ndigits=None):
        """``round(t)``: PyTorch's ``round`` (a tensor, no derivative); in a NumPy
        program on the tape, what NumPy's scalar gives (an int without ``ndigits``)."""
        d = self._data
        if _numpy_program_caller() and d.size == 1 and not is_cupy(d):
            v = d.reshape(())[()]
            return builtins.round(v) if ndigits is None else builtins.round(v, ndigits)
        from .ops.unary import round as round_op

        return round_op(self, ndigits or 0)

    def __bool__(self):
        d = self._data
        if d.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'more than one value' if d.size else 'no values'}"
                " is ambiguous"
            )
        return bool(d.reshape(()).item() if not is_cupy(d) else d.get().item())

    def __format__(self, spec):
        if self._data.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __repr__(self):
        from .repr import tensor_repr  # noqa: PLC0415

        return tensor_repr(self)

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __len__(self):
        d = self._data
        if d.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return d.shape[0]

    def __iter__(self):
        d = self._data
        if d.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        from . import cow  # noqa: PLC0415

        scalars = d.ndim == 1 and cow.registry() is not None
        for i in range(d.shape[0]):
            item = _index_step(self, (i, Ellipsis), "UnbindBackward0")
            # a NumPy program iterating a 1-D array gets scalars, which are copies
            # (`for r in x: r += 1` does not change x), not views
            yield item.clone() if scalars else item

    def __contains__(self, element):
        return bool((self._data == raw(element)).any())

    def __getitem__(self, index):
        out = getitem(self, index)
        if (
            _cow._STATE.reg is not None
            and out._data.ndim == 0
            and _integer_index(index)
            and out._base is not None
        ):
            # a NumPy program's x[i, j] is a scalar, a copy: a later write into x
            # must not change it (PyTorch gives a view); not being differentiated,
            # it is NumPy's scalar itself (interop.numpy_scalar)
            if not (out._rg and STATE.enabled) and type(out._data) is np.ndarray:
                return out._data[()]
            return out.clone()
        return out

    def __setitem__(self, index, value):
        setitem(self, index, value)

    def __deepcopy__(self, memo):
        if self._fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]
        t = _new(type(self))
        t._data = self._data.copy()
        t._rg = self._rg
        t._fn = None
        t._nr = 0
        t._vc = [0]
        t._grad = None if self._grad is None else self._grad.__deepcopy__(memo)
        t._base = None
        t._acc = None
        t._x = None
        d = getattr(self, "__dict__", None)
        if d:
            import copy  # noqa: PLC0415

            t.__dict__.update(copy.deepcopy(d, memo))
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, proto):
        d = self._data
        return (_rebuild, (d.get() if is_cupy(d) else d, self._rg, is_cupy(d)))

    # -- NumPy protocols: NumPy calls on tensors are recorded ----------------------------

    # (``_interop``, like ``_engine``, is bound at the end of this module: a
    # function-level import would cost a microsecond or two on every call)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _interop.array_function(func, args, kwargs)

    @classmethod
    def __srcad_function__(cls, prim, args, kwargs):
        return _interop.apply_prim(prim, args, kwargs)


def _rebuild(data, rg, cuda):
    if cuda:
        from .device import cupy  # noqa: PLC0415

        data = cupy().asarray(data)
    return wrap(data, rg)


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


_node_module._TENSOR[0] = Tensor
_node_module._WRAP[0] = wrap
_cow._TENSOR[0] = Tensor

from . import ops as _ops  # noqa: E402  (ops installs the math methods on Tensor)

_ops.install(Tensor)

from . import engine as _engine  # noqa: E402  (these import this module)
from . import interop as _interop  # noqa: E402
from . import numpy_compat as _numpy_compat  # noqa: E402
