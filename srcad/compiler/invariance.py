"""Values the output does not depend on: the max a stable softmax shifts out.

``z = z - np.max(z, axis=1, keepdims=True)`` before a softmax or a log-softmax keeps
``exp`` from overflowing, and changes nothing else: both are invariant to adding a
constant to each row.  The chain rule does not know that.  It gives the max an
adjoint, ``-sum(dz, axis=1)``, that is zero in exact arithmetic, and spreads it over
the places of the max (``_rt.extremum_weights``): a third of a softmax
cross-entropy's gradient spent on rounding errors.  JAX's ``log_softmax`` avoids it
with a ``stop_gradient``; code written by hand pays it.

This pass proves, for a name ``c`` bound to a reduction (a max, a min, a mean or a
sum of something), that the function's result does not change when ``c`` does, and
then ``c`` is left out of the active names (its adjoint is not computed).  The proof
is an abstract interpretation of the straight-line statements after ``c`` is bound,
on a perturbation ``c + e`` (``e`` any array of ``c``'s shape, broadcast the way
``c`` is).  Each name is, as a function of ``e``:

- invariant: it does not depend on ``c`` at all;
- ``Shift(a)``: its value plus ``a * e``, broadcast to its shape;
- ``Scale(a)``: its value times ``exp(a * e)``, broadcast;
- unknown.

``c`` itself is ``Shift(1)``.  ``x - c`` is ``Shift(-1)``; ``exp`` takes ``Shift(a)``
to ``Scale(a)`` and ``log`` back; a sum, mean, max or min with ``keepdims=True`` over
axes along which ``e`` is constant (its size there is 1) keeps a ``Scale``; a mean,
max or min keeps a ``Shift``; ``Shift(a) - Shift(a)`` and ``Scale(a) / Scale(a)``
are invariant.  So ``z - log(sum(exp(z), axis, keepdims=True))`` and
``exp(z) / sum(exp(z), axis, keepdims=True)`` of a shifted ``z`` are invariant, and
so is ``m + log(sum(exp(x - m), ...))``.  The pass needs the shapes of the
specialization (shapes.py) for the axes.

It is conservative: anything it does not model is unknown; a statement other than
``name = expression`` that reads a name depending on ``c`` (a loop, a branch, a
store into a container, a call that might mutate its argument) stops the proof; so
does a nested function or ``eval``, which could read a name behind its back.  The
result must come out invariant, or nothing changes.  Only reverse mode uses it;
the values it drops have the adjoint 0 in exact arithmetic, so only rounding
changes.  Tests: tests/compiler/test_invariance.py.
"""

import gast
import numpy as np

from .astutil import walk
from .shapes import ShapeInference, axes_of

_INV = "invariant"
_UNKNOWN = None
_ABORT = "abort"

_SHIFT = "shift"
_SCALE = "scale"

# reductions: what each keeps (over axes along which the perturbation is constant)
_KEEPS = {
    "sum": {_SCALE},
    "mean": {_SCALE, _SHIFT},
    "max": {_SCALE, _SHIFT},
    "amax": {_SCALE, _SHIFT},
    "min": {_SCALE, _SHIFT},
    "amin": {_SCALE, _SHIFT},
}
_SHAPE_ATTRS = frozenset({"shape", "ndim", "dtype", "size"})
_SNEAKY = frozenset({"eval", "exec", "locals", "vars", "globals", "__import__"})
_EXP_LOG = frozenset({"exp", "log"})


def gradient_free(body, params, shapes, active, resolve, rt_name):
    """The active names of the straight-line ``body`` (a normalized function body
    ending with its ``return``) whose value the result provably does not depend on.
    ``params``: the parameters' names; ``shapes``: parameter name -> shape (the
    specialization's)."""
    if not body or not isinstance(body[-1], gast.Return):
        return set()
    candidates = _candidates(body, active, params)
    if not candidates:
        return set()
    shapes = _LazyShapes(ShapeInference(shapes, body, resolve, rt_name))
    return {c for pos, c in candidates if _Proof(shapes, c).holds(body[pos + 1 :])}


class _LazyShapes:
    """The shape inference, run at the first shape asked for (most proofs stop
    before a reduction, and need none)."""

    def __init__(self, inference):
        self.inference = inference  # (its names and callee look-up are ready)
        self.done = False

    def shape(self, e):
        if not self.done:
            self.inference.run()
            self.done = True
        return self.inference.shape(e)


def _candidates(body, active, params):
    """``(position, name)`` of the top-level ``name = reduction`` statements binding
    an active name bound nowhere else (nor a parameter: activity is by name, so a
    parameter rebound is one name for two values), that a later ``+`` or ``-``
    reads.  None at all in a body without an ``exp`` or a ``log`` (what the proof
    needs to cancel a shift, bar a shift taken out twice: not worth the shape
    inference for every function), or with a nested function, a lambda or ``eval``,
    which may read a name later without naming it where it runs."""
    counts = dict.fromkeys(params, 1)  # (a parameter is bound on entry)
    operands = set()
    exp_or_log = False
    for s in body:
        for n in walk(s):
            if isinstance(n, gast.Name):
                if isinstance(n.ctx, (gast.Store, gast.Del)):
                    counts[n.id] = counts.get(n.id, 0) + 1
                elif n.id in _SNEAKY:
                    return []
                exp_or_log = exp_or_log or n.id in _EXP_LOG
            elif isinstance(n, gast.BinOp) and isinstance(n.op, (gast.Add, gast.Sub)):
                operands.update(m.id for m in (n.left, n.right) if isinstance(m, gast.Name))
            elif isinstance(n, gast.Attribute):
                exp_or_log = exp_or_log or n.attr in _EXP_LOG
            elif isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda)):
                return []
    if not exp_or_log:
        return []
    out = []
    for pos, s in enumerate(body):
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
        ):
            c = s.targets[0].id
            if c in active and c in operands and counts.get(c) == 1 and _reduced(s.value):
                out.append((pos, c))
    return out


def _reduced(e):
    """Is ``e`` written as a reduction (``np.max(z, ...)``, ``z.mean(...)``): what a
    value shifted out is made by (the proof itself finds out what it is)."""
    return (
        isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute) and e.func.attr in _KEEPS
    )


class _Abort(Exception):
    pass


class _Proof:
    """Does the result stay the same when name ``c`` (of shape ``shape``) changes?"""

    def __init__(self, shapes, c):
        self.shapes = shapes
        self.inf = shapes.inference
        self.c = c
        self.state = {c: (_SHIFT, 1.0)}  # names that depend on c -> their kind

    def holds(self, stmts):
        try:
            for s in stmts:
                if isinstance(s, gast.Return):
                    return s.value is not None and self.value(s.value) == _INV
                self.statement(s)
        except _Abort:
            return False
        return False

    def depends(self, node):
        return any(isinstance(n, gast.Name) and n.id in self.state for n in walk(node))

    def statement(self, s):
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
        ):
            v = self.value(s.value)
            if v == _INV:
                self.state.pop(s.targets[0].id, None)
            else:
                self.state[s.targets[0].id] = v
            return
        if self.depends(s):
            raise _Abort  # a loop, a branch, a store or a call on what depends on c
        for n in walk(s):  # (rebinding a name that depends on c, maybe: unknown)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                if n.id in self.state:
                    self.state[n.id] = _UNKNOWN

    # -- expressions ----------------------------------------------------------------

    def value(self, e):
        if not self.depends(e):
            return _INV
        if isinstance(e, gast.Name):
            return self.state[e.id]
        if isinstance(e, gast.BinOp):
            return self.binop(e.op, self.value(e.left), self.value(e.right), e.right)
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
            v = self.value(e.operand)
            return _neg(v) if isinstance(e.op, gast.USub) else v
        if isinstance(e, gast.Call):
            return self.call(e)
        if isinstance(e, gast.Attribute):
            self.value(e.value)  # (for its effects)
            return _INV if e.attr in _SHAPE_ATTRS else _UNKNOWN
        if isinstance(e, (gast.Subscript, gast.Compare, gast.IfExp, gast.BoolOp)):
            return self.pure_parts(e)
        if isinstance(e, (gast.Tuple, gast.List, gast.Constant)):
            return self.pure_parts(e)
        raise _Abort  # a comprehension, an assignment expression, a yield...

    def pure_parts(self, e):
        """An expression with no effect of its own: unknown, once its parts are
        checked for effects."""
        for child in gast.iter_child_nodes(e):
            if isinstance(child, gast.expr):
                self.value(child)
        return _UNKNOWN

    def binop(self, op, a, b, right):
        if isinstance(op, (gast.Add, gast.Sub)):
            sub = isinstance(op, gast.Sub)
            if a == _INV and _kind(b) == _SHIFT:
                return _neg(b) if sub else b
            if _kind(a) == _SHIFT and b == _INV:
                return a
            if _kind(a) == _SHIFT and _kind(b) == _SHIFT:
                return _make(_SHIFT, a[1] - b[1] if sub else a[1] + b[1])
            return _UNKNOWN
        if isinstance(op, (gast.Mult, gast.Div)):
            div = isinstance(op, gast.Div)
            if _kind(a) == _SCALE and b == _INV:
                return a
            if a == _INV and _kind(b) == _SCALE:
                return _make(_SCALE, -b[1]) if div else b
            if _kind(a) == _SCALE and _kind(b) == _SCALE:
                return _make(_SCALE, a[1] - b[1] if div else a[1] + b[1])
            k = _number(right)
            if _kind(a) == _SHIFT and k is not None and (k != 0 or not div):
                return _make(_SHIFT, a[1] / k if div else a[1] * k)
            return _UNKNOWN
        return _UNKNOWN

    def call(self, e):
        f = e.func
        args = list(e.args)
        kw = {k.arg: k.value for k in e.keywords}
        if any(k.arg is None for k in e.keywords) or any(
            isinstance(a, gast.Starred) for a in args
        ):
            raise _Abort
        method = (
            isinstance(f, gast.Attribute)
            and isinstance(f.value, gast.Name)
            and f.value.id in self.inf.local
        )
        if method:
            if f.attr not in _KEEPS or self.depends_any(args, kw):
                raise _Abort  # (a method might change its object or its arguments)
            return self.reduction(f.attr, f.value, args, kw)
        if self.depends(f):
            raise _Abort
        found, obj = self.inf._object(f)
        if not found:
            raise _Abort
        if isinstance(obj, np.ufunc) and not kw and len(args) == obj.nin:
            return self.ufunc(obj, args)
        name = getattr(obj, "__name__", None)
        if name in _KEEPS and getattr(np, name, None) is obj and args:
            if self.depends_any(args[1:], kw):
                raise _Abort
            return self.reduction(name, args[0], args[1:], kw)
        if obj in (np.shape, np.ndim, np.size) and len(args) == 1 and not kw:
            return _INV
        raise _Abort

    def depends_any(self, args, kw):
        return any(self.depends(a) for a in list(args) + list(kw.values()))

    def ufunc(self, u, args):
        vals = [self.value(a) for a in args]
        if u is np.exp and _kind(vals[0]) == _SHIFT:
            return (_SCALE, vals[0][1])
        if u is np.log and _kind(vals[0]) == _SCALE:
            return (_SHIFT, vals[0][1])
        if u is np.negative:
            return _neg(vals[0])
        ops = {
            np.add: gast.Add(),
            np.subtract: gast.Sub(),
            np.multiply: gast.Mult(),
            np.divide: gast.Div(),
        }
        if u in ops:
            return self.binop(ops[u], vals[0], vals[1], args[1])
        return _UNKNOWN

    def reduction(self, fname, x, args, kw):
        """``np.<fname>(x, *args, **kw)`` or ``x.<fname>(*args, **kw)``."""
        v = self.value(x)
        if _kind(v) not in _KEEPS[fname] or len(args) > 1 or set(kw) - {"axis", "keepdims"}:
            return _UNKNOWN
        if args and "axis" in kw:
            return _UNKNOWN
        axis = args[0] if args else kw.get("axis")
        xshape = self.shapes.shape(x)
        eshape = self.shapes.shape(gast.Name(self.c, gast.Load(), None, None))
        if not (isinstance(xshape, tuple) and isinstance(eshape, tuple)) or not _constant_along(
            eshape, xshape, axis, kw.get("keepdims")
        ):
            return _UNKNOWN
        return v


def _constant_along(eshape, xshape, axis, keepdims):
    """Is the perturbation, of shape ``eshape`` broadcast to ``xshape``, constant
    along the reduced axes, and still aligned with the result?"""
    if not (isinstance(keepdims, gast.Constant) and keepdims.value is True):
        return False  # (without keepdims the axes shift: not modelled)
    try:
        if np.broadcast_shapes(eshape, xshape) != xshape:
            return False
    except ValueError:
        return False
    n = len(xshape)
    axes = axes_of(axis, n)
    if axes is None:
        return False
    lead = n - len(eshape)  # the axes the perturbation is broadcast along from nothing
    return all(a < lead or eshape[a - lead] == 1 for a in axes)


def _kind(v):
    return v[0] if isinstance(v, tuple) else None


def _make(kind, a):
    return _INV if a == 0 else (kind, a)


def _neg(v):
    if _kind(v) == _SHIFT:
        return (_SHIFT, -v[1])
    if _kind(v) == _SCALE or v == _INV:
        return v
    return _UNKNOWN


def _number(e):
    """A real number written in the code (``2.0``, ``-1``), else None."""
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        k = _number(e.operand)
        return None if k is None else -k
    if isinstance(e, gast.Constant) and type(e.value) in (int, float):
        return float(e.value)
    return None
