"""Shapes known at transform time: the backward sweep specialized to its arguments.

``srcad.grad`` builds one transformation per signature of argument shapes (the api
puts the shapes of NumPy arrays and Python numbers in the cache key, for the first
few signatures a transformation sees; after that it builds one generic version).
With the parameters' shapes known, this pass infers the shape of every name of the
generated code and removes the broadcasting bookkeeping that cannot change a value:
``_rt.unbroadcast(g, x)`` where ``g`` and ``x`` surely have the same shape is ``g``.
Then nothing reads the values that were kept only for their shape, and the save
plan (which runs after this pass) neither pushes nor restores them.

The inference is flow-insensitive and conservative.  Every name gets the join of
the shapes of all its assignments in the function (the primal body and the
backward sweep together), iterated to a fixpoint: a shape when all of them agree,
*unknown* otherwise or when any of them is something this pass does not model
(a call it does not know, a list, a value popped from the stack in an unusual
way).  Two values carry no shape of their own and are left out of a join: the
symbolic zero ``_rt.ZERO`` (``unbroadcast`` of it is itself whatever the shapes)
and a restore ``x = _stack.pop()`` (it gives back a value ``x`` had before, whose
shape is already in the join).  The ``None`` placeholders of the prologue are
never read as values, so they are left out too.

A rewrite needs both shapes known and equal, so an unknown shape only costs speed.
"""

import builtins
import math
from collections import deque

import gast
import numpy as np

from .astutil import clone, replace_children, walk
from .vocab import (
    appended_list,
    assign,
    assigns_one_name,
    const,
    is_attr_of,
    is_call_of,
    name,
    popped_from,
)

_BOTTOM = "bottom"  # not known yet (a restore, a placeholder: left out of joins)
_ZERO = "zero"  # the symbolic zero: any shape (broadcasting leaves the others')
_RANGE = "range"  # a range object: iterating it gives Python ints

_REDUCTIONS = frozenset(
    {"sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var", "nansum", "nanmean"}
)
_LIKE = frozenset({"zeros_like", "ones_like", "empty_like", "full_like"})
_MAKERS = frozenset({"zeros", "ones", "empty", "full"})
_RT_LIKE_SECOND = frozenset({"unbroadcast", "instantiate", "expand_reduced", "unravel"})
# runtime helpers of one value, elementwise: the result has its shape (runtime/core.py,
# runtime/grads: np.real of g, np.sign of x, a log or 0 per element...)
_RT_ELEMENTWISE_ONE = frozenset(
    {"logistic", "logistic_neg", "real_cotangent", "abs_deriv", "log_or_zero"}
)


class ListOf:
    """The shape of a Python list whose elements all have shape ``elt`` (any length):
    ``hs = [h0]`` and ``hs.append(h)`` in an RNN, and the list's adjoint, whose
    entries are those shapes or the symbolic zero.  Only a list every use of which
    this pass follows has one (``_list_escapes``)."""

    __slots__ = ("elt",)

    def __init__(self, elt):
        self.elt = elt

    def __eq__(self, other):
        return type(other) is type(self) and other.elt == self.elt

    def __hash__(self):
        return hash((type(self).__name__, self.elt))

    def __repr__(self):
        return f"{type(self).__name__}({self.elt!r})"


class DictOf(ListOf):
    """The shape of a dict whose values all have shape ``elt`` (min-char-rnn's
    ``hs[t] = np.tanh(...)``; ``hs[t - 1]``), and the dict's adjoint.  Only a name bound
    to dict displays alone, every use of which this pass follows, has one."""

    __slots__ = ()


_HOLDERS = (ListOf, DictOf)


def join(a, b):
    if a == _BOTTOM or a == _ZERO:
        return b if b != _BOTTOM else a
    if b == _BOTTOM or b == _ZERO:
        return a
    if type(a) in _HOLDERS and type(a) is type(b):
        elt = join(a.elt, b.elt)
        return None if elt is None else type(a)(elt)
    return a if a == b else None


def broadcast(*shapes):
    if _BOTTOM in shapes:
        return _BOTTOM
    shapes = [s for s in shapes if s != _ZERO]
    if not shapes:
        return _ZERO
    if any(not isinstance(s, tuple) for s in shapes):
        return None
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


class ShapeInference:
    """Shapes of the names of one generated function (see the module docstring)."""

    def __init__(self, params, stmts, resolve, rt_name, stack=None):
        self.resolve = resolve  # a free name of the generated code -> (found, object)
        self.rt = rt_name
        self.stack = stack
        self.assigns = []  # the Assign and For nodes, in any order
        self.ints = set()  # names that only ever hold Python ints (range loop targets)
        self.env = dict(params)
        self.local = set(params)
        self.other = set(params)  # names bound by something other than a range loop
        values = set(params)  # names bound to something other than a restore
        has_dict = False
        for s in stmts:
            for n in walk(s):
                if isinstance(n, gast.Assign):
                    placeholder = isinstance(n.value, gast.Constant) and n.value.value is None
                    for t in n.targets:
                        for m in _bound(t):
                            self.local.add(m.id)
                            if not placeholder:
                                self.other.add(m.id)
                    self.assigns.append(n)
                    if not placeholder and not self._is_pop(n.value):
                        values.update(m.id for t in n.targets for m in _bound(t))
                elif isinstance(n, gast.For):
                    for m in _names(n.target):
                        self.local.add(m.id)
                        values.add(m.id)
                        if m is not n.target:
                            self.other.add(m.id)
                    self.assigns.append(n)
                elif isinstance(n, (gast.AugAssign, gast.AnnAssign, gast.Delete)):
                    for m in _names(getattr(n, "target", None) or n.targets):
                        self.local.add(m.id)
                        self.other.add(m.id)
                        self.env[m.id] = None  # not modelled: unknown
                elif isinstance(n, (gast.With, gast.NamedExpr, gast.comprehension)):
                    for m in _names(n):
                        if isinstance(m.ctx, gast.Store):
                            self.local.add(m.id)
                            self.other.add(m.id)
                            self.env[m.id] = None
                elif isinstance(n, gast.Dict):
                    has_dict = True
                elif appended_list(n) is not None and appended_list(n) in self.local:
                    self.assigns.append(n)  # lst.append(v): a binding of lst's elements
        for n in self.local - values:
            # bound by restores only (a value pushed under another name): unknown
            self.env[n] = None
        # names bound to dict displays alone (none without a display in sight)
        self.dicts = _dict_names(stmts) & self.local if has_dict else set()
        self._stmts = stmts
        self._escapes = None  # (_list_escapes, when a list or dict is first bound)

    def _binding_counts(self):
        """``(stores per name, the one plain assignment of each name)`` over every
        statement the inference saw, made on first use."""
        if getattr(self, "_counts", None) is None:
            stores, plain = {}, {}
            for s in self._stmts:
                for n in walk(s):
                    if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load):
                        stores[n.id] = stores.get(n.id, 0) + 1
                    elif (
                        isinstance(n, gast.Assign)
                        and len(n.targets) == 1
                        and isinstance(n.targets[0], gast.Name)
                    ):
                        plain.setdefault(n.targets[0].id, []).append(n)
            self._counts = stores, plain
        return self._counts

    def single_binding(self, t):
        """The one binding of ``t``, a plain ``t = <binary operation>``; else None."""
        stores, plain = self._binding_counts()
        found = plain.get(t, ())
        if stores.get(t) != 1 or len(found) != 1 or not isinstance(found[0].value, gast.BinOp):
            return None
        return found[0]

    def binding_just_before(self, t, node):
        """``(binding, bound)``: the one binding of ``t``, a top-level ``t = <call>``,
        when every top-level statement from it to the one holding ``node`` is a comment
        or a copy ``v = w`` (so nothing writes into ``t``'s array there), with the names
        those copies bind; else None."""
        stores, plain = self._binding_counts()
        found = plain.get(t, ())
        if stores.get(t) != 1 or len(found) != 1 or not isinstance(found[0].value, gast.Call):
            return None
        stmts = self._stmts
        start = next((k for k, s in enumerate(stmts) if s is found[0]), None)
        if start is None:
            return None
        bound = set()
        for s in stmts[start + 1 :]:
            if any(n is node for n in walk(s)):
                return found[0], bound
            if getattr(s, "srcad_comment", None) is not None:
                continue
            if not (assigns_one_name(s) and isinstance(s.value, gast.Name)):
                return None
            bound.add(s.targets[0].id)
        return None

    def unchanged_between(self, names, binding, node):
        """Whether ``binding`` is a statement of the top level and no statement from it
        to the one that holds ``node`` (that one included) binds any of ``names``:
        ``node`` then reads the values ``binding`` read."""
        stmts = self._stmts
        start = next((k for k, s in enumerate(stmts) if s is binding), None)
        if start is None:
            return False
        for s in stmts[start + 1 :]:
            inner = list(walk(s))
            if any(
                isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load) and n.id in names
                for n in inner
            ):
                return False
            if any(n is node for n in inner):
                return True
        return False

    @property
    def escapes(self):
        if self._escapes is None:
            self._escapes = _list_escapes(self._stmts, self.rt, self._builtin, self.dicts)
        return self._escapes

    def run(self):
        """The least fixpoint, by a worklist: every binding once in order, then again
        only the bindings that read a name whose shape changed.  A binding's shape
        reads the environment only through the names in its own expressions (and the
        loop targets of ``range``, known after the first pass), so this is the fixpoint
        that evaluating all of them until nothing changes reaches, in fewer steps."""
        assigns = self.assigns
        readers = {}  # name -> indices of the bindings that read it
        for i, s in enumerate(assigns):
            for m in _read_names(s):
                readers.setdefault(m, set()).add(i)
        env = self.env
        queue = deque(range(len(assigns)))
        queued = [True] * len(assigns)
        budget = 50 * len(assigns)  # (a list of lists of lists...: no fixpoint)
        while queue:
            budget -= 1
            if budget < 0:
                self.env = {n: None for n in self.local}  # no fixpoint: know nothing
                return self
            i = queue.popleft()
            queued[i] = False
            for n, shape in self._bindings(assigns[i]):
                old = env.get(n, _BOTTOM)
                new = join(old, shape)
                if new != old:
                    env[n] = new
                    for j in readers.get(n, ()):
                        if not queued[j]:
                            queued[j] = True
                            queue.append(j)
        if any(type(v) in _HOLDERS for v in env.values()):
            self.escapes  # noqa: B018  (read off the code before specialize rewrites it)
        return self

    def _bindings(self, s):
        out = self._bindings_of(s)
        # a list used in a way this pass does not follow (passed to a function, copied
        # to another name, extended...) may hold anything
        if not any(type(v) in _HOLDERS for _, v in out):
            return out
        escapes = self.escapes
        return [(n, None if type(v) in _HOLDERS and n in escapes else v) for n, v in out]

    def _bindings_of(self, s):
        if isinstance(s, gast.Expr):  # lst.append(v)
            return [(appended_list(s), ListOf(self.shape(s.value.args[0])))]
        if isinstance(s, gast.For):
            it = self.shape(s.iter)
            if it == _RANGE and isinstance(s.target, gast.Name):
                if s.target.id not in self.other:
                    self.ints.add(s.target.id)
                return [(s.target.id, ())]
            if type(it) is ListOf:
                elt = it.elt
            else:
                elt = it[1:] if isinstance(it, tuple) and len(it) >= 1 else None
            return [(m.id, elt if m is s.target else None) for m in _names(s.target)]
        t = s.targets[0] if len(s.targets) == 1 else None
        if isinstance(t, gast.Name):
            if self._is_pop(s.value):
                return [(t.id, _BOTTOM)]  # a value the name had before
            if isinstance(s.value, gast.Constant) and s.value.value is None:
                return [(t.id, _BOTTOM)]  # a placeholder, never read as a value
            return [(t.id, self.shape(s.value))]
        if (
            isinstance(t, gast.Subscript)
            and isinstance(t.value, gast.Name)
            and t.value.id in self.dicts
            and not isinstance(t.slice, gast.Slice)
        ):
            return [(t.value.id, DictOf(self.shape(s.value)))]  # d[k] = v: one more value
        popped = self._pop_adj(t, s.value)
        if popped is not None:
            return popped
        put = self._setitem_adj(t, s.value)
        if put is not None:
            return put
        return [(m.id, None) for t in s.targets for m in _bound(t)]

    def _setitem_adj(self, t, v):
        """``dd, dv = _rt.setitem_adj(dd, d, k, v)`` for a dict ``d`` of known values:
        the dict adjoint keeps its shape, and ``dv`` has the value's."""
        if not (
            isinstance(t, gast.Tuple)
            and len(t.elts) == 2
            and all(isinstance(e, gast.Name) for e in t.elts)
            and is_call_of(v, self.rt, "setitem_adj")
            and len(v.args) in (3, 4)
            and not v.keywords
        ):
            return None
        d = self.shape(v.args[1])
        if d == _BOTTOM:
            return [(t.elts[0].id, _BOTTOM), (t.elts[1].id, _BOTTOM)]
        if type(d) is not DictOf:
            return None
        dv = self.shape(v.args[3]) if len(v.args) == 4 else d.elt
        return [(t.elts[0].id, d), (t.elts[1].id, dv)]

    def _pop_adj(self, t, v):
        """``dl, dv = _rt.pop_adj(dl)``: the list adjoint keeps its shape, and ``dv`` is
        one of its entries."""
        if not (
            isinstance(t, gast.Tuple)
            and len(t.elts) == 2
            and all(isinstance(e, gast.Name) for e in t.elts)
            and isinstance(v, gast.Call)
            and isinstance(v.func, gast.Attribute)
            and isinstance(v.func.value, gast.Name)
            and v.func.value.id == self.rt
            and v.func.attr == "pop_adj"
            and len(v.args) == 1
            and not v.keywords
        ):
            return None
        lst = self.shape(v.args[0])
        if lst == _BOTTOM:
            return [(t.elts[0].id, _BOTTOM), (t.elts[1].id, _BOTTOM)]
        if type(lst) is not ListOf:
            return None
        return [(t.elts[0].id, lst), (t.elts[1].id, lst.elt)]

    def _builtin(self, n, fn):
        """Whether the free name ``n`` of the generated code is the builtin ``fn``."""
        if n in self.local:
            return False
        found, obj = self.resolve(n)
        return found and obj is fn

    def _is_pop(self, e):
        return self.stack is not None and popped_from(e) == self.stack

    # -- expressions ----------------------------------------------------------------

    def shape(self, e):
        if isinstance(e, gast.Constant):
            v = e.value
            if v is None:
                return None  # (an argument: np.sum(a, None) is no shape of its own)
            if isinstance(v, (bool, int, float, complex)):
                return ()
            return None
        if isinstance(e, gast.Name):
            if e.id in self.local:
                return self.env.get(e.id, _BOTTOM)
            return None
        if isinstance(e, gast.Attribute):
            return self._attribute(e)
        if isinstance(e, gast.BinOp):
            a, b = self.shape(e.left), self.shape(e.right)
            if isinstance(e.op, gast.MatMult):
                return _matmul(a, b)
            return broadcast(a, b)
        if isinstance(e, gast.UnaryOp):
            return _unknown(None) if isinstance(e.op, gast.Not) else self.shape(e.operand)
        if isinstance(e, gast.Compare):
            return broadcast(self.shape(e.left), *(self.shape(c) for c in e.comparators))
        if isinstance(e, gast.IfExp):
            return join(self.shape(e.body), self.shape(e.orelse))
        if isinstance(e, gast.Subscript):
            return self._subscript(e)
        if isinstance(e, gast.Call):
            return self._call(e)
        if isinstance(e, gast.List) and not any(isinstance(x, gast.Starred) for x in e.elts):
            elt = _BOTTOM
            for x in e.elts:
                elt = join(elt, self.shape(x))
            return None if elt is None else ListOf(elt)
        if isinstance(e, gast.Dict) and None not in e.keys:  # (no ** in the display)
            elt = _BOTTOM
            for x in e.values:
                elt = join(elt, self.shape(x))
            return None if elt is None else DictOf(elt)
        return None

    def _attribute(self, e):
        if isinstance(e.value, gast.Name) and e.value.id == self.rt and e.attr == "ZERO":
            return _ZERO
        if e.attr in ("size", "ndim"):  # of a value of known shape: a Python int
            s = self.shape(e.value)
            return () if isinstance(s, tuple) else _unknown(s)
        if e.attr == "T":
            s = self.shape(e.value)
            return tuple(reversed(s)) if isinstance(s, tuple) else _unknown(s)
        return None

    def _subscript(self, e):
        dim = self._shape_entry(e)
        if dim is not False:
            return dim
        base = self.shape(e.value)
        if type(base) is ListOf:
            if isinstance(e.slice, gast.Slice):
                return base  # (a shorter list of the same elements)
            return base.elt if self._is_int(e.slice) else None
        if type(base) is DictOf:
            return None if isinstance(e.slice, gast.Slice) else base.elt
        if not isinstance(base, tuple):
            return _unknown(base)
        idx = e.slice.elts if isinstance(e.slice, gast.Tuple) else [e.slice]
        if len(idx) > len(base):
            return None
        if any(self._arange_length(i) is not None for i in idx):
            return self._advanced(idx, base)
        out = []
        for i, n in zip(idx, base):
            if isinstance(i, gast.Slice):
                length = _slice_length(i, n)
                if length is None:
                    return None
                out.append(length)
            elif not self._is_int(i):
                return None
        return tuple(out) + base[len(idx) :]

    def _advanced(self, idx, base):
        """``x[np.arange(k), labels]``: index arrays, one of them ``np.arange(k)`` of a
        known length ``k >= 2``, the others of shape ``(k,)`` or ints.  NumPy broadcasts
        them to ``(k,)`` (a boolean one there has ``k`` or 1 true entries, or NumPy
        raises), so the result is ``(k,)`` and ``x``'s axes after them."""
        k = next(n for n in map(self._arange_length, idx) if n is not None)
        if k < 2:
            return None
        for i in idx:
            if self._arange_length(i) == k or self._is_int(i):
                continue
            if not isinstance(i, (gast.Name, gast.Call, gast.Subscript, gast.Attribute)):
                return None  # (a slice, None, ..., a constant: another kind of index)
            s = self.shape(i)
            if s != (k,):
                return _unknown(s) if not isinstance(s, tuple) else None
        return (k,) + base[len(idx) :]

    def _arange_length(self, e):
        """The length of ``np.arange(n)`` for an ``n`` known here (an int array), else
        None."""
        if not (isinstance(e, gast.Call) and len(e.args) == 1 and not e.keywords):
            return None
        found, obj = self._object(e.func)
        if not found or obj is not np.arange:
            return None
        n = self._dim(e.args[0])
        return None if n is None else max(n, 0)

    def _shape_entry(self, e):
        """``x.shape[k]`` or ``np.shape(x)[k]`` for an ``x`` of known shape: a Python
        int, shape ``()``.  False when ``e`` is not of that form."""
        if not (isinstance(e.slice, gast.Constant) and type(e.slice.value) is int):
            return False
        v, src = e.value, None
        if isinstance(v, gast.Attribute) and v.attr == "shape":
            src = v.value
        elif isinstance(v, gast.Call) and len(v.args) == 1 and not v.keywords:
            found, obj = self._object(v.func)
            if found and obj is np.shape:
                src = v.args[0]
        if src is None:
            return False
        s = self.shape(src)
        if isinstance(s, tuple):
            return () if -len(s) <= e.slice.value < len(s) else None
        return _unknown(s)

    def _tuple_shape(self, e):
        if isinstance(e, gast.Tuple) and all(
            isinstance(x, gast.Constant) and type(x.value) is int for x in e.elts
        ):
            return tuple(x.value for x in e.elts)
        return None

    def _is_int(self, e):
        if isinstance(e, gast.Constant):
            return type(e.value) is int
        if isinstance(e, gast.Name):
            return e.id in self.ints
        if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)):
            return self._is_int(e.left) and self._is_int(e.right)
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
            return self._is_int(e.operand)
        return False

    def _call(self, e):
        f = e.func
        if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
            if f.value.id == self.rt:
                return self._runtime(f.attr, e)
            if f.value.id in self.local:
                return self._method(f.attr, f.value, e)
        found, obj = self._object(f)
        if not found:
            return None
        if obj is range:
            return _RANGE
        if obj is reversed:
            return _RANGE if e.args and self.shape(e.args[0]) == _RANGE else None
        if obj in (float, len, int):
            return ()
        if obj is sum and len(e.args) == 1 and not e.keywords:
            # 0 + the elements: a number when they are numbers; for arrays their shape,
            # unless the list is empty (the int 0), which no shape here can rule out
            lst = self.shape(e.args[0])
            if type(lst) is ListOf and lst.elt in ((), _BOTTOM):
                return lst.elt
            return _unknown(lst)
        if obj is np.matmul:
            return self._numpy("matmul", e)
        if isinstance(obj, np.ufunc):
            if obj.signature is not None or e.keywords or len(e.args) != obj.nin:
                # (a generalized ufunc such as matmul or vecdot: no elementwise rule)
                return None
            return broadcast(*(self.shape(a) for a in e.args))
        if getattr(obj, "__module__", None) == "math" and not e.keywords:
            # math's functions take and give Python numbers
            args = [self.shape(a) for a in e.args]
            return _BOTTOM if _BOTTOM in args else () if all(a == () for a in args) else None
        if getattr(obj, "__module__", None) is None or not _is_numpy(obj):
            return None
        return self._numpy(obj.__name__, e)

    def _method(self, attr, base, e):
        """``x.dot(y)``, ``x.sum(axis)`` and kin, ``x.T``-like methods, for an ``x`` of
        known shape (an array, or a number: the methods then fail as they would)."""
        s = self.shape(base)
        if type(s) is ListOf and attr == "pop" and len(e.args) <= 1 and not e.keywords:
            return s.elt
        if not isinstance(s, tuple):
            return _unknown(s)
        args = [self.shape(a) for a in e.args]
        if _BOTTOM in args:
            return _BOTTOM
        kw = {k.arg: k.value for k in e.keywords}
        if attr == "dot" and len(args) == 1 and not kw:
            return _dot(s, args[0])
        if attr in _REDUCTIONS and len(e.args) <= 1 and set(kw) <= {"axis", "keepdims"}:
            if e.args and "axis" in kw:
                return None
            return _reduce(s, e.args[0] if e.args else kw.get("axis"), kw.get("keepdims"))
        if attr in ("copy", "astype") and len(e.args) <= 1 and not kw:
            return s
        if attr == "transpose" and not e.args and not kw:
            return tuple(reversed(s))
        if attr in ("ravel", "flatten") and not e.args and not kw:
            return (math.prod(s),)
        return None

    def _numpy(self, fname, e):
        args = [self.shape(a) for a in e.args]
        if _BOTTOM in args:
            return _BOTTOM
        kw = {k.arg: k.value for k in e.keywords}
        if fname in _REDUCTIONS and len(args) == 1 and set(kw) <= {"axis", "keepdims"}:
            if args[0] is None and _full(kw.get("axis"), kw.get("keepdims")):
                return ()  # (a whole array, of any shape, reduced to one number)
            return _reduce(args[0], kw.get("axis"), kw.get("keepdims"))
        if fname in ("dot", "matmul") and len(args) == 2 and not kw:
            return _dot(*args) if fname == "dot" else _matmul(*args)
        if fname == "where" and len(args) == 3 and not kw:
            return broadcast(*args)
        if fname in ("size", "ndim") and len(args) == 1 and not kw:
            return () if isinstance(args[0], tuple) else _unknown(args[0])
        if fname in _LIKE and len(e.args) >= 1 and set(kw) <= {"dtype"}:
            return args[0]
        if fname in _MAKERS and len(e.args) >= 1:
            return self._const_shape(e.args[0])
        return None

    def _const_shape(self, e):
        """The shape a ``shape`` argument (``3``, ``(2, n)``, ``x.shape[0]``) gives."""
        if isinstance(e, gast.Tuple):
            dims = [self._dim(x) for x in e.elts]
            return None if None in dims else tuple(dims)
        if isinstance(e, gast.Attribute) and e.attr == "shape":
            base = self.shape(e.value)
            return base if isinstance(base, tuple) else None
        d = self._dim(e)
        return None if d is None else (d,)

    def _dim(self, e):
        if isinstance(e, gast.Constant) and type(e.value) is int:
            return e.value
        if (
            isinstance(e, gast.Subscript)
            and isinstance(e.value, gast.Attribute)
            and e.value.attr == "shape"
            and isinstance(e.slice, gast.Constant)
            and type(e.slice.value) is int
        ):
            base = self.shape(e.value.value)
            if isinstance(base, tuple) and -len(base) <= e.slice.value < len(base):
                return base[e.slice.value]
        return None

    def _runtime(self, fname, e):
        args = [self.shape(a) for a in e.args]
        if fname in _RT_LIKE_SECOND and len(args) >= 2:
            return args[1]
        if fname in ("add_at", "push_adj") and len(args) >= 2 and type(args[1]) in _HOLDERS:
            return args[1]  # the adjoint of a list or dict: entries of its elements' shapes
        if fname == "add_at" and len(args) == 4 and isinstance(args[1], tuple) and args[1]:
            # an array's adjoint: a copy of dx (or zeros like x) with g added in, or dx
            # itself when g is the symbolic zero; x's shape either way
            return join(args[0], args[1])
        if fname == "scatter_distinct" and len(args) == 3 and isinstance(args[0], tuple):
            return args[0]  # (zeros like x with g written in)
        if fname == "picked_row_sums" and len(args) == 2:
            s = args[0]
            return (s[0], 1) if isinstance(s, tuple) and len(s) == 2 else _unknown(s)
        if fname == "expand_to" and len(e.args) >= 2:
            return self._tuple_shape(e.args[1])
        if fname == "seed" and args:
            return args[0]
        if fname == "add" and len(args) == 2 and not e.keywords:
            return broadcast(*args)  # a + b, or the one that is not the symbolic zero
        if fname == "pick_adjoint" and len(args) == 4 and not e.keywords:
            return broadcast(*args)  # g * (a weight per element of the result)
        if fname == "extremum_weights" and 2 <= len(args) <= 5 and not e.keywords:
            where = e.args[4] if len(e.args) == 5 else gast.Constant(True, None)
            if isinstance(where, gast.Constant) and where.value is True:
                return args[0]  # the hits of a, shared along the axis
        if fname in _RT_ELEMENTWISE_ONE and len(args) == 1 and not e.keywords:
            return args[0]  # elementwise
        if fname == "power_deriv" and len(args) == 2 and not e.keywords:
            return broadcast(*args)  # c * x ** (c - 1), elementwise
        if fname == "mean_adjoint" and 2 <= len(args) <= 5:
            where = e.args[4] if len(e.args) == 5 else gast.Constant(True, None)
            if isinstance(where, gast.Constant) and where.value is True:
                return args[1]  # (a mask may broadcast it)
        if fname in ("matmul_adjoint_a", "matmul_adjoint_b") and len(args) == 3:
            return args[1] if fname.endswith("a") else args[2]
        if fname == "masked" and args:
            where = e.args[1] if len(e.args) > 1 else None
            if where is None or (isinstance(where, gast.Constant) and where.value is True):
                return args[0]
            return broadcast(args[0], args[1])
        if fname == "dot_adjoint" and len(args) >= 3:
            wrt = (
                e.args[3]
                if len(e.args) > 3
                else next((k.value for k in e.keywords if k.arg == "wrt"), gast.Constant(0, None))
            )
            if isinstance(wrt, gast.Constant) and wrt.value in (0, 1):
                return args[1 + wrt.value]
        return None

    def _object(self, f):
        return object_of(f, self.local, self.resolve)


def _unknown(s):
    """The shape of a value computed from one of shape ``s`` by a rule that needs it."""
    return _BOTTOM if s == _BOTTOM else None


def _is_numpy(obj):
    mod = getattr(obj, "__module__", "") or ""
    return mod == "numpy" or mod.startswith("numpy.")


def _names(t):
    return [m for m in walk(t) if isinstance(m, gast.Name)]


def _bound(t):
    """The names an assignment to target ``t`` binds or changes: ``x[i] = v`` changes
    ``x``, not the ``i`` it reads (a store once made every index name unknown, so
    ``hs[t] = h`` cost the loop's ``xs[t]`` its shape)."""
    if isinstance(t, gast.Name):
        return [t]
    if isinstance(t, (gast.Tuple, gast.List)):
        return [m for e in t.elts for m in _bound(e)]
    if isinstance(t, gast.Starred):
        return _bound(t.value)
    while isinstance(t, (gast.Subscript, gast.Attribute)):
        t = t.value
    return [t] if isinstance(t, gast.Name) else []


def _read_names(s):
    """The names a binding statement's own expressions mention (a loop's target and
    iterable, not its body; an assignment's targets and value)."""
    parts = [s.target, s.iter] if isinstance(s, gast.For) else [s]
    return {n.id for p in parts for n in walk(p) if isinstance(n, gast.Name)}


def _dict_names(stmts):
    """Names every binding of which is ``name = {...}`` (a dict display)."""
    kinds = {}
    for s in stmts:
        for n in walk(s):
            if isinstance(n, gast.Assign) and len(n.targets) == 1:
                t = n.targets[0]
                if isinstance(t, gast.Name):
                    kinds.setdefault(t.id, set()).add(isinstance(n.value, gast.Dict))
                    continue
            if isinstance(n, (gast.Assign, gast.For, gast.AugAssign, gast.AnnAssign)):
                targets = n.targets if isinstance(n, gast.Assign) else [n.target]
                for t in targets:
                    if not isinstance(t, gast.Subscript):
                        for m in _names(t):
                            kinds.setdefault(m.id, set()).add(False)
            elif isinstance(n, (gast.NamedExpr, gast.With, gast.comprehension)):
                for m in _names(n):
                    if isinstance(m.ctx, gast.Store):
                        kinds.setdefault(m.id, set()).add(False)
    return {n for n, k in kinds.items() if k == {True}}


def _list_escapes(stmts, rt, builtin, dicts=frozenset()):
    """The names read anywhere but in the uses the list model follows: ``lst.append(v)``
    as a statement, ``lst.pop(...)``, ``lst[i]``, ``len(lst)``, ``sum(lst)``, ``for v in
    lst``, and an argument of a runtime helper (``_rt.add_at``, ``_rt.pop_adj``...),
    none of which puts an element of another shape in.  Any other read (an alias ``b =
    lst``, a call of any other function, ``lst.extend``, ``lst + [v]``) may, and so ends
    the model for that name.  ``builtin(name, fn)``: whether a free name is ``fn``."""
    followed = set()  # ids of the Name nodes read in a followed way
    loads = []
    for s in stmts:
        for n in walk(s):
            if isinstance(n, gast.Name):
                if isinstance(n.ctx, gast.Load):
                    loads.append(n)
            elif isinstance(n, gast.Expr) and appended_list(n) is not None:
                followed.add(id(n.value.func.value))
            elif isinstance(n, gast.Call):
                f = n.func
                if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
                    if f.attr == "pop":
                        followed.add(id(f.value))
                    elif f.value.id == rt:
                        followed.update(id(a) for a in n.args if isinstance(a, gast.Name))
                elif (
                    isinstance(f, gast.Name)
                    and len(n.args) == 1
                    and (builtin(f.id, len) or builtin(f.id, sum))
                ):
                    followed.add(id(n.args[0]))
            elif isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name):
                # a read, or a store into a dict (whose value's shape joins its own)
                if isinstance(n.ctx, gast.Load) or n.value.id in dicts:
                    followed.add(id(n.value))
            elif isinstance(n, gast.For) and isinstance(n.iter, gast.Name):
                followed.add(id(n.iter))
    return {n.id for n in loads if id(n) not in followed}


def _slice_length(sl, n):
    parts = []
    for p in (sl.lower, sl.upper, sl.step):
        if p is None:
            parts.append(None)
        elif isinstance(p, gast.Constant) and type(p.value) is int:
            parts.append(p.value)
        elif (
            isinstance(p, gast.UnaryOp)
            and isinstance(p.op, gast.USub)
            and isinstance(p.operand, gast.Constant)
            and type(p.operand.value) is int
        ):
            parts.append(-p.operand.value)
        else:
            return None
    if parts[2] == 0:
        return None
    return len(range(n)[slice(*parts)])


def _int_constant(e):
    """An int written in the code (``1``, ``-1``), else None."""
    if isinstance(e, gast.Constant) and type(e.value) is int:
        return e.value
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        k = _int_constant(e.operand)
        return None if k is None else -k
    return None


def axes_of(axis, ndim):
    """The axes (normalized, sorted) a reduction's ``axis`` argument names for an
    array of ``ndim`` dimensions: ``None`` (absent) for all of them, an int, ``-1``,
    a tuple of those; None when it is anything else or out of range."""
    if axis is None or (isinstance(axis, gast.Constant) and axis.value is None):
        return list(range(ndim))
    elts = axis.elts if isinstance(axis, gast.Tuple) else [axis]
    axes = [_int_constant(a) for a in elts]
    if any(a is None or not -ndim <= a < ndim for a in axes):
        return None
    return sorted({a % ndim for a in axes}) if ndim else []


def _full(axis, keepdims):
    """Do ``axis`` and ``keepdims`` (nodes, None when absent) reduce every axis to
    nothing?"""
    no_axis = axis is None or (isinstance(axis, gast.Constant) and axis.value is None)
    keep = keepdims is not None and not (
        isinstance(keepdims, gast.Constant) and keepdims.value is False
    )
    return no_axis and not keep


def _reduce(s, axis, keepdims):
    if not isinstance(s, tuple):
        return _unknown(s)
    keep = False
    if keepdims is not None:
        if not (isinstance(keepdims, gast.Constant) and isinstance(keepdims.value, bool)):
            return None
        keep = keepdims.value
    axes = axes_of(axis, len(s))
    if axes is None:
        return None
    if keep:
        return tuple(1 if i in axes else n for i, n in enumerate(s))
    return tuple(n for i, n in enumerate(s) if i not in axes)


def _dot(a, b):
    if not (isinstance(a, tuple) and isinstance(b, tuple)):
        return _BOTTOM if _BOTTOM in (a, b) else None
    if a == () or b == ():
        return broadcast(a, b)
    if a[-1] != (b[0] if len(b) == 1 else b[-2]):
        return None
    return a[:-1] + (b[:-2] + b[-1:] if len(b) >= 2 else ())


def _matmul(a, b):
    if not (isinstance(a, tuple) and isinstance(b, tuple)):
        return _BOTTOM if _BOTTOM in (a, b) else None
    if a == () or b == ():
        return None
    if len(a) <= 2 and len(b) <= 2:
        return _dot(a, b)
    return None


# -- the rewrite --------------------------------------------------------------------


def drop_unbroadcasts(stmts, inference):
    """Replace ``_rt.unbroadcast(g, x)`` by ``g`` where the shapes surely agree."""
    rt = inference.rt
    count = 0
    for node in [n for s in stmts for n in walk(s)]:
        count += replace_children(node, lambda v: _simplified(v, inference, rt))
    return count


def _simplified(e, inference, rt):
    if not (
        isinstance(e, gast.Call)
        and isinstance(e.func, gast.Attribute)
        and isinstance(e.func.value, gast.Name)
        and e.func.value.id == rt
        and not e.keywords
    ):
        return None
    if e.func.attr == "unbroadcast" and len(e.args) == 2:
        g, x = (inference.shape(a) for a in e.args)
        if isinstance(g, tuple) and isinstance(x, tuple):
            if g == x:
                return e.args[0]
            rows = _picked_row_sums(e, g, x, inference, rt)
            return rows if rows is not None else _summed_to(e.args[0], g, x)
    if e.func.attr in ("matmul_adjoint_a", "matmul_adjoint_b", "dot_adjoint"):
        direct = _direct_product(e, inference)
        if direct is not None:
            return direct
    if e.func.attr == "add_at" and len(e.args) == 4:
        changed = False
        stand_in = _indexed_stand_in(e, inference, rt)
        if stand_in is not None:
            e.args[1] = stand_in
            changed = True
        if _distinct_picks(e, inference, rt):
            e.func.attr = "scatter_distinct"
            del e.args[0]
            changed = True
        return e if changed else None
    if e.func.attr == "mean_adjoint" and 2 <= len(e.args) <= 5:
        return _mean_to_expand(e, inference)
    if e.func.attr == "expand_reduced" and 2 <= len(e.args) <= 4:
        x = inference.shape(e.args[1])
        if isinstance(x, tuple):
            # the reduced array is read only for its shape
            shape = _shape_node(x)
            e.func.attr = "expand_to"
            e.args[1] = shape
            return e
    return None


_STAND_IN_OPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*"}


def _indexed_stand_in(e, inference, rt):
    """For ``_rt.add_at(_rt.ZERO, x, i, g)`` (the adjoint of ``x[i]``, which reads only
    ``x``'s type, shape and dtype) where ``x`` is bound once to ``a + b``, ``a - b`` or
    ``a * b`` of names bound at most once (and numbers), an array of a known shape with
    at least one axis, and ``i`` is no plain integer (the compiled code of ``jit=True``
    takes those): ``_rt.result_like(a, op, b)``, so that ``x`` itself need not be
    computed for the backward sweep (the softmax's ``logp`` read at its labels).
    None where that does not apply."""
    dx, x, index, _ = e.args
    if not (is_attr_of(dx, rt, "ZERO") and isinstance(x, gast.Name)):
        return None
    shape = inference.shape(x)
    if not (isinstance(shape, tuple) and shape) or inference._is_int(index):
        return None
    if isinstance(index, gast.Tuple) and all(inference._is_int(c) for c in index.elts):
        return None
    binding = inference.single_binding(x.id)
    if binding is None or type(binding.value.op) not in _STAND_IN_OPS:
        return None
    operands = [binding.value.left, binding.value.right]
    names = set()
    for o in operands:
        if isinstance(o, gast.Name):
            names.add(o.id)
        elif not (isinstance(o, gast.Constant) and type(o.value) in (int, float, complex)):
            return None
    if names and not inference.unchanged_between(names, binding, e):
        return None
    op = gast.Constant(_STAND_IN_OPS[type(binding.value.op)], None)
    func = gast.Attribute(gast.Name(rt, gast.Load(), None, None), "result_like", gast.Load())
    return gast.Call(func, [clone(operands[0]), op, clone(operands[1])], [])


def _picked_row_sums(e, gshape, xshape, inference, rt):
    """``_rt.unbroadcast(s, x)`` (or of ``-s``) summing an ``(n, m)`` ``s`` to ``(n, 1)``,
    where ``s`` is the adjoint of one pick per row, ``t[np.arange(n), c]`` (an
    ``add_at`` of distinct places, or ``scatter_distinct``), bound just before: each
    row holds one ``g`` and zeros, so its sum is that ``g``
    (``_rt.picked_row_sums(s, g)``, without the pass over ``s``: the softmax
    cross-entropy's log-sum-exp adjoint).  None where that does not apply."""
    arg = e.args[0]
    negated = isinstance(arg, gast.UnaryOp) and isinstance(arg.op, gast.USub)
    s = arg.operand if negated else arg
    if not (isinstance(s, gast.Name) and len(gshape) == 2 and xshape == (gshape[0], 1)):
        return None
    if gshape[1] == 1:  # (no sum to make)
        return None
    found = inference.binding_just_before(s.id, e)
    if found is None:
        return None
    binding, bound = found
    call = binding.value
    if not (is_call_of(call, rt, "add_at") or is_call_of(call, rt, "scatter_distinct")):
        return None
    args = call.args
    if call.func.attr == "add_at":
        if len(args) != 4 or not _distinct_picks(call, inference, rt):
            return None
        args = args[1:]
    if len(args) != 3 or not isinstance(args[1], gast.Tuple) or len(args[1].elts) != 2:
        return None
    rows, cols = args[1].elts
    n = gshape[0]
    if inference._arange_length(rows) != n or inference.shape(cols) != (n,):
        return None
    g = args[2]
    if isinstance(g, gast.Name):
        if g.id in bound:
            return None  # (g bound again on the way; s is bound once)
    elif not (isinstance(g, gast.Constant) and type(g.value) is float):
        return None
    func = gast.Attribute(gast.Name(rt, gast.Load(), None, None), "picked_row_sums", gast.Load())
    out = gast.Call(func, [clone(s), clone(g)], [])
    return gast.UnaryOp(gast.USub(), out) if negated else out


def _distinct_picks(e, inference, rt):
    """Whether ``_rt.add_at(_rt.ZERO, x, i, g)`` picks distinct places: ``i`` is a tuple
    of vectors of one known length ``n``, one of them ``np.arange(n)``, whose values
    are distinct, so every tuple of the index is (the softmax cross-entropy's
    ``logp[np.arange(N), labels]``).  Then nothing is added twice, and the adjoint is
    zeros with ``g`` written in (``_rt.scatter_distinct``)."""
    dx, _, index, _ = e.args
    if not (is_attr_of(dx, rt, "ZERO") and isinstance(index, gast.Tuple) and len(index.elts) >= 2):
        return False
    ranges = [inference._arange_length(c) for c in index.elts]
    shapes = [(r,) if r is not None else inference.shape(c) for r, c in zip(ranges, index.elts)]
    if not all(isinstance(s, tuple) and len(s) == 1 for s in shapes) or len(set(shapes)) != 1:
        return False
    return any(r is not None for r in ranges)


def _summed_to(g, gshape, xshape):
    """``_rt.unbroadcast(g, x)`` for shapes known to differ, as the sums it does there
    (``g.sum(axis=...)``: the reductions ``np.sum`` calls, without its Python wrapper
    or the helper's tests), or None when ``x``'s shape is not one ``g`` broadcasts
    from.  ``g`` may be the symbolic zero, whose ``sum`` is itself."""
    extra = len(gshape) - len(xshape)
    if extra < 0:
        return None
    rest = gshape[extra:]
    if any(n != m and n != 1 for n, m in zip(xshape, rest)):
        return None
    negated = isinstance(g, gast.UnaryOp) and isinstance(g.op, gast.USub)
    out = g.operand if negated else g
    if extra:
        out = _sum_call(out, tuple(range(extra)), False, gshape)
    axes = tuple(i for i, n in enumerate(xshape) if n == 1 and rest[i] != 1)
    if axes:
        out = _sum_call(out, axes, True, rest)
    if negated:
        # -(g.sum()) for (-g).sum(): the same bits (rounding is symmetric under
        # negation), one pass over the small result instead of the large operand
        return g if out is g.operand else gast.UnaryOp(gast.USub(), out)
    return out


def _sum_call(g, axes, keepdims, gshape):
    axis = const(axes[0]) if len(axes) == 1 else gast.Tuple([const(a) for a in axes], gast.Load())
    keywords = [gast.keyword("axis", axis)]
    if keepdims:
        keywords.append(gast.keyword("keepdims", const(True)))
    call = gast.Call(gast.Attribute(g, "sum", gast.Load()), [], keywords)
    if _by_product(gshape, axes):
        call.srcad_unbroadcast = True  # (made _rt.sum_axes at the end: sums_by_products)
    return call


def _by_product(shape, axes):
    """Whether ``_rt.sum_axes`` may sum an array of ``shape`` over ``axes`` as a product
    with ones (runtime/core.py; the dtype decides at run time)."""
    nd, k = len(shape), len(axes)
    if not (nd > 1 and 0 < k < nd and math.prod(shape) >= 64):
        return False
    if axes == tuple(range(k)):
        return True
    return axes == tuple(range(nd - k, nd)) and math.prod(shape[nd - k :]) <= 128


def sums_by_products(fdef, rt):
    """The sums ``_summed_to`` wrote (``g.sum(axis=..., keepdims=...)``, marked) become
    ``_rt.sum_axes(g, axis, keepdims)``, which sums a float array over short axes as a
    product with ones (runtime/core.py: a 1000 x 10 array's row sums in 3 us instead
    of 16).  Done after the optimizer's passes, which know the method form (a sum is
    linear, pure, floating); the same sums, so only rounding may change.  A user's
    own ``.sum`` is never marked: the primal keeps its bits.  Each call is changed in
    place (one walk, no parent looked up: compile time)."""
    for n in walk(fdef):
        if type(n) is gast.Call and _marked_sum(n):
            kw = {k.arg: k.value for k in n.keywords}
            args = [n.func.value, kw["axis"]]
            if "keepdims" in kw:
                args.append(kw["keepdims"])
            n.func = gast.Attribute(
                gast.Name(rt, gast.Load(), None, None), "sum_axes", gast.Load()
            )
            n.args, n.keywords = args, []
    return fdef


def _marked_sum(e):
    """Whether ``e`` is still a sum ``_sum_call`` made, in the form it made it."""
    if not (getattr(e, "srcad_unbroadcast", False) and isinstance(e, gast.Call)):
        return False
    kw = {k.arg: k.value for k in e.keywords}
    return (
        isinstance(e.func, gast.Attribute)
        and e.func.attr == "sum"
        and not e.args
        and set(kw) <= {"axis", "keepdims"}
        and "axis" in kw
    )


def _direct_product(e, inference):
    """The adjoint of a product of matrices (and of a matrix and a vector) of known
    ranks as the one BLAS call it is (``g @ b.T``, ``a.T @ g``, ``g @ a``), without
    the runtime helper's dispatch on ranks.  Other ranks keep the helper."""
    if e.func.attr == "dot_adjoint":
        if not 3 <= len(e.args) <= 4:
            return None
        wrt = e.args[3] if len(e.args) == 4 else const(0)
        if not (isinstance(wrt, gast.Constant) and wrt.value in (0, 1)):
            return None
        first = wrt.value == 0
    else:
        if len(e.args) != 3:
            return None
        first = e.func.attr == "matmul_adjoint_a"
    g, a, b = e.args[:3]
    sg, sa, sb = inference.shape(g), inference.shape(a), inference.shape(b)
    if not (isinstance(sg, tuple) and isinstance(sa, tuple) and isinstance(sb, tuple)):
        return None  # (an incoming adjoint that may be a placeholder has no one shape)
    ranks = (len(sa), len(sb))
    if ranks == (2, 2) and len(sg) == 2:
        return _matmul_node(g, _transposed(b)) if first else _matmul_node(_transposed(a), g)
    if ranks == (2, 1) and len(sg) == 1:
        # (M @ v): dM = outer(g, v), dv = g @ M
        return _outer(g, b) if first else _matmul_node(g, a)
    if ranks == (1, 2) and len(sg) == 1:
        # (v @ M): dv = M @ g, dM = outer(v, g)
        return _matmul_node(b, g) if first else _outer(a, g)
    if ranks == (1, 1) and sg == ():
        return gast.BinOp(g, gast.Mult(), b if first else a)  # (v . u): dv = g u
    return None


def _outer(u, v):
    """``u[:, None] * v``: the outer product of two vectors."""
    col = gast.Subscript(
        u,
        gast.Tuple([gast.Slice(None, None, None), gast.Constant(None, None)], gast.Load()),
        gast.Load(),
    )
    return gast.BinOp(col, gast.Mult(), v)


def _matmul_node(x, y):
    return gast.BinOp(x, gast.MatMult(), y)


def _transposed(x):
    return gast.Attribute(x, "T", gast.Load())


def _shape_node(shape):
    """``(n, m, ...)`` as a tuple display of constants."""
    return gast.Tuple([const(n) for n in shape], gast.Load())


def _mean_to_expand(e, inference):
    """``_rt.mean_adjoint(g, x, axis, keepdims)`` of a known shape: ``g / count``
    spread with ``_rt.expand_to``, without reading ``x``."""
    x = inference.shape(e.args[1])
    axis = e.args[2] if len(e.args) > 2 else gast.Constant(None, None)
    keep = e.args[3] if len(e.args) > 3 else gast.Constant(False, None)
    where = e.args[4] if len(e.args) > 4 else gast.Constant(True, None)
    if not (isinstance(where, gast.Constant) and where.value is True):
        return None
    if not isinstance(x, tuple) or _reduce(x, axis, keep) is None:
        return None
    axes = axes_of(axis, len(x))
    count = 1
    for a in axes:
        count *= x[a]
    if count == 0:
        return None
    shape = _shape_node(x)
    g = gast.BinOp(e.args[0], gast.Div(), gast.Constant(float(count), None))
    rt = e.func.value
    return gast.Call(gast.Attribute(rt, "expand_to", gast.Load()), [g, shape, axis, keep], [])


def specialize(params, primal, code, resolve, rt_name, seed=None, stack=None):
    """Rewrite the backward sweep ``code`` in place for parameters of known shapes
    (``params``: name -> shape tuple); ``primal`` is the body it belongs to, and
    ``seed`` the ``(adjoint, value)`` names of the output (the adjoint has the shape
    of the value)."""
    stmts = list(primal) + list(code)
    if seed is not None:
        stmts.append(assign(seed[0], name(seed[1]), None))
    inference = ShapeInference(params, stmts, resolve, rt_name, stack).run()
    drop_unbroadcasts(code, inference)
    mark_scalar_spreads(code, inference)
    return inference


_ELEMENTWISE_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div)


def mark_scalar_spreads(code, inference):
    """Marks for ``optimize.keep_scalar_spreads``: an assignment ``d =
    _rt.expand_to(s, shape)`` of a number ``s`` gets ``srcad_spread``, and a name
    read as an operand of ``+ - * /`` whose other operand has the very same known
    shape (at least one axis), or as a value of ``np.where`` whose condition has it,
    gets ``srcad_fullop``: there, the number gives the same elements and the same
    result shape as the array it was spread into."""
    rt = inference.rt
    zero = None  # (the names that may hold the symbolic zero, when first needed)
    for s in code:
        for n in walk(s):
            if isinstance(n, gast.BinOp) and isinstance(n.op, _ELEMENTWISE_OPS):
                a, b = inference.shape(n.left), inference.shape(n.right)
                if isinstance(a, tuple) and a and a == b:
                    product = isinstance(n.op, (gast.Mult, gast.Div))
                    if not product and zero is None:
                        zero = _maybe_zero(code)
                    for side in (n.left, n.right):
                        other = n.right if side is n.left else n.left
                        if not product and _may_be_zero(other, zero):
                            # ZERO + s is the number s: the shape goes (fuzz 100026)
                            continue
                        if isinstance(side, gast.Name):
                            side.srcad_fullop = True
                            side.srcad_fullmul = product
                        elif product and _kept_dims_spread(side, a, inference, rt):
                            # g * w for expand_to(g, shape, axis, True) * w: the same
                            # elements, without making the spread array.  (Products
                            # only: were w the symbolic zero, w + g would have g's
                            # shape, where ZERO * g is ZERO either way.)
                            if side is n.left:
                                n.left = side.args[0]
                            else:
                                n.right = side.args[0]
            elif (
                isinstance(n, gast.Call)
                and len(n.args) == 3
                and not n.keywords
                and inference._object(n.func) == (True, np.where)
            ):
                # np.where(c, d, e) with c of d's full shape: a number for d gives the
                # same elements and result shape
                c = inference.shape(n.args[0])
                if isinstance(c, tuple) and c:
                    for side in n.args[1:]:
                        if isinstance(side, gast.Name) and inference.shape(side) == c:
                            side.srcad_fullop = True
            elif (
                isinstance(n, gast.Assign)
                and len(n.targets) == 1
                and isinstance(n.targets[0], gast.Name)
            ):
                v = _unmasked(n.value, rt)
                if (
                    is_call_of(v, rt, "expand_to")
                    and _spreads_whole(v)
                    and inference.shape(v.args[0]) == ()
                ):
                    n.srcad_spread = True
                elif _kept_dims_spread(v, inference.shape(v), inference, rt):
                    n.srcad_spread = "product"  # (read as a factor only: see above)


def _maybe_zero(code):
    from .optimize import maybe_zero_names  # (optimize reads this module's results)

    return maybe_zero_names(gast.Module(list(code), []))


def _may_be_zero(e, zero):
    """Whether ``e`` may evaluate to the symbolic zero (shape inference leaves the
    zero out of its joins, so a name that may hold it still has a shape)."""
    return any(
        (isinstance(m, gast.Name) and m.id in zero)
        or (isinstance(m, gast.Attribute) and m.attr == "ZERO")
        for m in walk(e)
    )


def _kept_dims_spread(call, shape, inference, rt):
    """``_rt.expand_to(g, shape, axis, True)`` of an array ``g`` whose known shape
    broadcasts to ``shape`` axis by axis (a reduction's adjoint with its axes kept):
    as an operand of ``+ - * /`` whose other operand has ``shape``, ``g`` gives the
    same elements and dtype (the spread is a broadcast view of ``g``)."""
    if not (
        is_call_of(call, rt, "expand_to")
        and not call.keywords
        and len(call.args) == 4
        and isinstance(call.args[3], gast.Constant)
        and call.args[3].value is True
        and isinstance(shape, tuple)
        and shape
    ):
        return False
    g = inference.shape(call.args[0])
    return (
        isinstance(g, tuple)
        and len(g) == len(shape)
        and inference.shape(call) == shape
        and all(m == n or m == 1 for m, n in zip(g, shape))
    )


def _unmasked(e, rt):
    """``g`` for ``_rt.masked(g, True)`` (which the optimizer folds to ``g``)."""
    if (
        is_call_of(e, rt, "masked")
        and not e.keywords
        and (
            len(e.args) == 1
            or (
                len(e.args) == 2
                and isinstance(e.args[1], gast.Constant)
                and e.args[1].value is True
            )
        )
    ):
        return e.args[0]
    return e


def _spreads_whole(call):
    """``expand_to(g, shape)``, with ``axis=None, keepdims=False`` if written."""
    args = call.args
    if call.keywords or not 2 <= len(args) <= 4:
        return False
    rest = [
        (None, args[2]) if len(args) > 2 else None,
        (False, args[3]) if len(args) > 3 else None,
    ]
    return all(r is None or (isinstance(r[1], gast.Constant) and r[1].value is r[0]) for r in rest)


def object_of(f, local, resolve):
    """``(found, object)`` of a dotted name ``f`` (``np.linalg.norm``) of code whose
    local names are ``local`` (never resolved: they are the code's own values)."""
    if isinstance(f, gast.Name):
        return (False, None) if f.id in local else resolve(f.id)
    if isinstance(f, gast.Attribute):
        found, base = object_of(f.value, local, resolve)
        if found and hasattr(base, f.attr):
            return True, getattr(base, f.attr)
    return False, None


def resolver_for(parsed, ns=None):
    """``resolve(name) -> (found, object)`` for the free names of generated code (of
    the user's function itself without ``ns``, the names srcad injects)."""
    injected = ns.injected if ns is not None else {}

    def resolve(n):
        if n in injected:
            return True, injected[n]
        if n in parsed.closure:
            return True, parsed.closure[n]
        if n in parsed.globals:
            return True, parsed.globals[n]
        if hasattr(builtins, n):
            return True, getattr(builtins, n)
        return False, None

    return resolve


def floating_kind(value):
    """``"f"`` when ``value`` surely holds floating point or complex numbers (a float
    or complex array, a Python or NumPy float): the sign pass may move its sign
    (negations.py); ``"n"`` the same for a narrower type than float64 and complex128
    (float32, float16, complex64: the gradient's seed is not the float64 ``1.0``,
    driver.py); ``"s"`` for booleans and integers narrower than 32 bits, whose
    floating results are narrower than float64; ``"o"`` for anything else (integers
    wrap)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        if dtype.kind not in "fc":
            # (booleans and integers of one or two bytes: np.exp of them is float16 or
            # float32, identities.py)
            return "s" if dtype.kind in "biu" and dtype.itemsize < 4 else "o"
        return "f" if dtype in (np.float64, np.complex128) else "n"
    return "f" if type(value) in (float, complex) else "o"


def real_kind(value):
    """``"a"`` for a NumPy array or scalar of real numbers (bool, integer or floating
    point), ``"p"`` for a real Python number, ``""`` for anything else (realness.py:
    the scalar seed needs a real output; a Python float's ``**`` may be complex)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        real = dtype.kind in "biuf"
        return "a" if real and isinstance(value, (np.ndarray, np.generic)) else ""
    return "p" if type(value) in (bool, int, float) else ""


def shape_key(value):
    """The shape (a tuple) srcad specializes on for an argument value, else None."""
    t = type(value)
    if t is np.ndarray:
        return tuple(value.shape)
    if t is float or t is int or isinstance(value, np.generic):
        return ()
    return None


__all__ = [
    "ShapeInference",
    "specialize",
    "resolver_for",
    "shape_key",
    "floating_kind",
    "real_kind",
    "axes_of",
    "join",
    "broadcast",
]
