"""A constant factor of the backward sweep applied once, where the arrays are smallest.

Design note.  The gradient of ``np.mean(np.logaddexp(0.0, -z) + (1.0 - y) * z)`` with
``z = X @ w`` (1000 samples, 20 features) starts from the mean's factor ``1/1000``.
Once the seed is folded in, every term the mean reaches is multiplied by it::

    dz = 0.001 * (1.0 - y)
    dneg_z = 0.001 * _rt.logistic_neg(z)
    dz = dz - dneg_z
    dw = dz @ X

Two passes over 1000 numbers, where a person writes ``X.T @ (p - y) / n``: one
multiplication, on the 20 numbers of the result.  The backward sweep is linear, so
the factor can go anywhere along the way; this pass moves it to where it costs least::

    dz = 1.0 - y
    dneg_z = _rt.logistic_neg(z)
    dz = dz - dneg_z
    dw = 0.001 * (dz @ X)

How.  Over the top-level statements of the backward sweep (``start`` on, never the
primal: the value ``value_and_grad`` returns keeps its bits), in order:

- an *origin* is ``v = c * P`` (or ``P * c``): ``c`` a float constant (a literal, or a
  name bound once in the function to an expression of literals) with
  ``1e-9 <= |c| <= 1e9``, ``P`` floating point, mentioning no symbolic zero: an
  arithmetic expression or a NumPy/``_rt`` function call that surely makes a new
  array, or a bare name (or a view of one) only where nothing in the function writes
  into an array (``v`` then shares that array, and every read that needs ``v``'s true
  value makes a new one).  ``v = P`` then holds ``v / c``: ``v`` is *pending* with
  factor ``c``;
- ``t = E`` where ``E`` is linear in pending names of one factor ``c`` (each term has
  exactly one pending factor: ``a + b``, ``a - b``, ``-a``, ``a * K``, ``a / K``,
  ``a @ K``, ``K @ a``, ``a[i]``, ``a.T``, sums, reshapes, ``_rt.unbroadcast(a, x)``
  and a few more, ``K`` mentioning no pending name and no symbolic zero) leaves
  ``t`` pending with factor ``c``;
- any other read of a pending name (a nonlinear use, a sum with something not
  pending, a call not listed, the ``return``, a loop or branch that mentions it, an
  augmented assignment, a push) needs the true value: the statement that bound that
  name becomes ``t = c * (E)`` (an origin: stays ``c * P``), and the plan is made
  again until no read needs more.

The plan is taken only if it pays: the elements of the origins' arrays (a pass each,
saved) must be at least twice the elements of the arrays the factor is applied to
again, and at least 64 (shapes from shapes.py on the final code; an unknown size
stops the pass).

Numbers.  ``c * (a - b)`` instead of ``c * a - c * b`` rounds differently, as a
hand-written gradient does (well within the tests' tolerances); and between the
origin and the place the factor is applied, values are ``1/c`` times the true ones,
so for ``|c| < 1`` an intermediate within a factor ``1/|c|`` of the largest float
could overflow where the original would not (with ``c = 1/n`` that needs values
near ``1e305`` for ``n = 1000``).  The bounds on ``|c|`` keep that factor at most
``1e9``.  Only the specialized gradient of ``grad``/``value_and_grad`` runs this pass.

Tests: tests/compiler/test_scalar_factors.py.
"""

import math

import gast

from ..runtime.core import NUMPY_WRITERS
from .astutil import walk
from .negations import surely_floating
from .vocab import FOLDABLE, UNOPS, assigns_one_name, const

ENABLED = True  # (tests switch the pass off to compare)
MIN_SAVED = 64  # elements: under this, nothing is moved (a campaign may lower it to 1)

_LOW, _HIGH = 1e-9, 1e9
# ``np.f(a, ...)``: linear in ``a``, with at most this many positional arguments
# (``np.sum(a, axis, dtype)``: a dtype could make it integer) and no keyword but these
_NP_LINEAR_FIRST = {
    "sum": 2, "mean": 2, "cumsum": 2, "transpose": 2, "reshape": 2, "ravel": 1,
    "squeeze": 2, "expand_dims": 2, "swapaxes": 3, "moveaxis": 3, "negative": 1,
    "copy": 1,
}  # fmt: skip
# ``a.f(...)``: the same for methods (positional arguments besides ``a``)
_METHOD_LINEAR = {
    "sum": 1, "mean": 1, "cumsum": 1, "transpose": 8, "reshape": 8, "ravel": 0,
    "squeeze": 1, "copy": 0, "flatten": 0, "swapaxes": 2,
}  # fmt: skip
_SHAPE_KEYWORDS = frozenset({"axis", "axes", "keepdims"})
# ``np.f(a, b)``, no keywords: bilinear (one argument pending, the other not)
_BILINEAR = frozenset({"dot", "matmul", "outer", "inner", "multiply", "kron"})
# ``_rt.f(g, ...)``: linear in the first argument (runtime/core.py, runtime/grads)
_RT_LINEAR_FIRST = frozenset({"unbroadcast", "expand_reduced", "expand_to", "pick_adjoint"})
# calls an origin may be: each makes a new floating-point array
_FRESH_CALLS = frozenset(
    {"exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan", "tanh",
     "sinh", "cosh", "arctan", "logaddexp", "logistic", "logistic_neg", "reciprocal"}
)  # fmt: skip


def defer_scalar_factors(fdef, start, sizes, floating, maybe_zero, rt_name="_rt"):
    """Move constant factors of ``fdef``'s backward sweep (top-level statements from
    index ``start``) to where they cost least (module note).  ``sizes``: name ->
    number of elements, or None when unknown; ``floating``: names that surely hold
    floating point; ``maybe_zero``: names that may hold the symbolic zero (each a set,
    or a function of no argument that makes it, called only if needed).  Returns
    whether anything changed."""
    if not ENABLED:
        return False
    body = fdef.body
    consts = _constant_names(fdef)
    ctx = _Context(consts, floating, maybe_zero, rt_name, not _may_write(fdef, rt_name))
    stmts = body[start:]
    # (first by shape alone, without the analyses: can the origins in sight pay at all?)
    sights = [s for s in stmts if ctx.origin(s, shape_only=True) is not None]
    if sum(sizes.get(s.targets[0].id) or 0 for s in sights) < MIN_SAVED:
        return False
    origins = {id(s): c for s in sights if (c := ctx.origin(s)) is not None}
    if not origins:
        return False
    forced = set()
    while True:
        needs, linear, acting = _plan(stmts, origins, forced, ctx)
        if needs <= forced:
            break
        forced |= needs
    kept = [s for s in stmts if id(s) in acting]
    applied = [s for s in stmts if id(s) in forced and id(s) in linear]
    saved = _elements(kept, sizes)
    spent = _elements(applied, sizes)
    if saved is None or spent is None or saved < MIN_SAVED or saved < 2 * spent:
        return False
    for s in kept:
        e = s.value
        s.value = e.right if origins[id(s)][2] == "left" else e.left
    for s in applied:
        s.value = gast.BinOp(_factor_node(linear[id(s)]), gast.Mult(), s.value)
    return True


class _Context:
    def __init__(self, consts, floating, maybe_zero, rt_name, no_writes=False):
        self.consts = consts  # name -> (value, its constant expression)
        self.no_writes = no_writes  # whether the function surely writes into no array
        self._floating = floating
        self._maybe_zero = maybe_zero
        self.rt = rt_name

    # (both analyses walk the whole function: made only when an origin is in sight)
    @property
    def floating(self):
        self._floating = _made(self._floating)
        return self._floating

    @property
    def maybe_zero(self):
        self._maybe_zero = _made(self._maybe_zero)
        return self._maybe_zero

    def factor(self, e):
        """The float value of constant ``e`` within the bounds, else None."""
        if isinstance(e, gast.Name):
            hit = self.consts.get(e.id)
            v = hit[0] if hit is not None else None
        else:
            v = _evaluate(e)
        if type(v) is not float or not math.isfinite(v) or not _LOW <= abs(v) <= _HIGH:
            return None
        if v == 1.0:
            return None  # (nothing to move)
        return v

    def origin(self, s, shape_only=False):
        """The factor of origin ``v = c * P`` (module note), else None; ``shape_only``:
        of ``v = c * P`` with any ``P``."""
        if not assigns_one_name(s):
            return None
        e = s.value
        if not (isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult)):
            return None
        for c_node, p, side in ((e.left, e.right, "left"), (e.right, e.left, "right")):
            c = self.factor(c_node)
            if c is not None and (shape_only or self.fresh_floating(p)):
                return (c, _key(c_node), side)
        return None

    def fresh_floating(self, p):
        if self.mentions_zero(p) or not surely_floating(p, self.floating):
            return False
        if isinstance(p, (gast.BinOp, gast.UnaryOp)):
            # (``ZERO + g`` is ``g`` itself: ruled out above, no name may be ZERO)
            return True
        if isinstance(p, (gast.Name, gast.Subscript, gast.Attribute)):
            # ``v = y``: ``v`` shares ``y``'s array, which is safe only where nothing
            # ever writes into an array (then a write through ``v`` is never needed:
            # every other read of ``v`` needs the true value, a new array)
            return self.no_writes and _view_of_name(p)
        if isinstance(p, gast.Call) and isinstance(p.func, gast.Attribute):
            mod = p.func.value
            return (
                isinstance(mod, gast.Name)
                and mod.id in ("np", self.rt)
                and p.func.attr in _FRESH_CALLS
            )
        return False

    def mentions_zero(self, e):
        for m in walk(e):
            if isinstance(m, gast.Name) and m.id in self.maybe_zero:
                return True
            if isinstance(m, gast.Attribute) and m.attr == "ZERO":
                return True
        return False


def _made(names):
    """``names``, or what it makes when it is a function of no argument."""
    return names() if callable(names) else names


def _plan(stmts, origins, forced, ctx):
    """One pass of the plan: ``(needs, linear, acting)``; ``needs``: the binding
    statements whose value a read needs true (beyond ``forced``); ``linear``:
    statement id -> the factor of each binding linear in pending names; ``acting``:
    the origins that leave their name pending.  A factor is ``(value, name)``: two
    factors are the same when both are (a name read twice, or the same literal)."""
    pending = {}  # name -> (factor, binding statement)
    needs = set()
    linear = {}
    acting = set()
    for s in stmts:
        if assigns_one_name(s):
            t = s.targets[0].id
            deg = _degree(s.value, pending, ctx)
            if deg is None:  # a read that needs true values
                needs |= {id(pending[n][1]) for n in _pending_in(s.value, pending)}
                pending.pop(t, None)
            elif deg == 0:
                c = origins.get(id(s))
                if c is not None and id(s) not in forced:
                    pending[t] = (c[:2], s)
                    acting.add(id(s))
                else:
                    pending.pop(t, None)
            else:
                linear[id(s)] = deg
                if id(s) in forced:
                    pending.pop(t, None)
                else:
                    pending[t] = (deg, s)
        else:
            # any mention, a store too: ``v += y`` writes into ``v``'s array (and
            # reads its value), and after a branch or loop that binds ``v`` its value
            # may be either
            named = {m.id for m in walk(s) if isinstance(m, gast.Name)}
            needs |= {id(pending[n][1]) for n in named if n in pending}
            for n in named:
                pending.pop(n, None)
    return needs - forced, linear, acting


def _degree(e, pending, ctx):
    """0 when ``e`` reads no pending name, the factor when it is linear in pending
    names of that one factor, None otherwise (module note)."""
    if not _pending_in(e, pending):
        return 0
    if isinstance(e, gast.Name):
        return pending[e.id][0]
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
        return _degree(e.operand, pending, ctx)
    if isinstance(e, gast.BinOp):
        a = _degree(e.left, pending, ctx)
        b = _degree(e.right, pending, ctx)
        if a is None or b is None:
            return None
        if isinstance(e.op, (gast.Add, gast.Sub)):
            return a if a != 0 and a == b else None
        if isinstance(e.op, (gast.Mult, gast.MatMult)):
            return _one_of(a, b, e.left, e.right, ctx)
        if isinstance(e.op, gast.Div):
            return a if b == 0 and not ctx.mentions_zero(e.right) else None
        return None
    if isinstance(e, gast.Subscript):
        if _pending_in(e.slice, pending):
            return None
        return _degree(e.value, pending, ctx)
    if isinstance(e, gast.Attribute):
        return _degree(e.value, pending, ctx) if e.attr == "T" else None
    if isinstance(e, gast.Call):
        return _call_degree(e, pending, ctx)
    return None


def _one_of(a, b, left, right, ctx):
    """The factor of a product with one pending side and one constant-free-of-zero side."""
    if a != 0 and b == 0 and not ctx.mentions_zero(right):
        return a
    if b != 0 and a == 0 and not ctx.mentions_zero(left):
        return b
    return None


def _call_degree(e, pending, ctx):
    f = e.func
    if not isinstance(f, gast.Attribute):
        return None
    recv = f.value
    if isinstance(recv, gast.Name) and recv.id == "np":
        most = _NP_LINEAR_FIRST.get(f.attr)
        if most is not None:
            return _first_linear(e, len(e.args) <= most, pending, ctx)
        if f.attr in _BILINEAR and len(e.args) == 2 and not e.keywords:
            a = _degree(e.args[0], pending, ctx)
            b = _degree(e.args[1], pending, ctx)
            if a is None or b is None:
                return None
            return _one_of(a, b, e.args[0], e.args[1], ctx)
        return None
    if isinstance(recv, gast.Name) and recv.id == ctx.rt:
        if f.attr in _RT_LINEAR_FIRST and not e.keywords:
            return _first_linear(e, True, pending, ctx)
        return None
    most = _METHOD_LINEAR.get(f.attr)
    if most is None or len(e.args) > most or not _shape_keywords(e):
        return None
    if any(_pending_in(a, pending) for a in e.args):
        return None
    return _degree(recv, pending, ctx)  # a.sum(axis=0), a.reshape(n, m)


def _shape_keywords(e):
    return all(k.arg in _SHAPE_KEYWORDS for k in e.keywords)


def _first_linear(e, few, pending, ctx):
    """The degree of ``f(a, *rest)``, linear in ``a``: None unless ``rest`` (and the
    keywords) read no pending name and no symbolic zero."""
    args = e.args
    if not few or not args or not _shape_keywords(e):
        return None
    rest = args[1:] + [k.value for k in e.keywords]
    if any(_pending_in(a, pending) or ctx.mentions_zero(a) for a in rest):
        return None
    return _degree(args[0], pending, ctx)


def _view_of_name(p):
    while isinstance(p, (gast.Subscript, gast.Attribute)):
        if isinstance(p, gast.Attribute) and p.attr != "T":
            return False
        p = p.value
    return isinstance(p, gast.Name)


# calls that surely write into no array (anything else may: a user function, a
# method not listed, ``np.copyto``, an ``out=``)
_PURE_RT = (
    _RT_LINEAR_FIRST
    | _FRESH_CALLS
    | {"seed", "dot_adjoint", "mean_adjoint", "scatter_distinct", "picked_row_sums"}
)
_PURE_METHODS = frozenset(
    {"sum", "mean", "reshape", "copy", "astype", "dot", "transpose", "ravel", "flatten",
     "squeeze", "append", "pop", "max", "min", "any", "all", "item", "conj", "prod"}
)  # fmt: skip
_PURE_BUILTINS = frozenset({"len", "range", "float", "int", "abs", "min", "max", "tuple"})


def _may_write(fdef, rt):
    """Whether some statement of ``fdef`` may write into an array: a store through a
    subscript or an attribute, an augmented assignment, or a call not known to be
    free of writes (module note; conservative)."""
    for n in walk(fdef):
        if isinstance(n, (gast.Subscript, gast.Attribute)) and not isinstance(n.ctx, gast.Load):
            return True
        if isinstance(n, gast.AugAssign):
            return True
        if isinstance(n, gast.Call) and not _pure_call(n, rt):
            return True
    return False


def _pure_call(n, rt):
    if any(k.arg == "out" or k.arg is None for k in n.keywords):
        return False
    if any(isinstance(a, gast.Starred) for a in n.args):
        return False
    f = n.func
    if isinstance(f, gast.Name):
        return f.id in _PURE_BUILTINS
    if not isinstance(f, gast.Attribute):
        return False
    mod = f.value
    if isinstance(mod, gast.Name) and mod.id == "np":
        # (a third positional argument may be ``out``: np.add(a, b, c))
        return f.attr not in NUMPY_WRITERS and len(n.args) <= 2
    if isinstance(mod, gast.Name) and mod.id == "math":
        return True
    if isinstance(mod, gast.Name) and mod.id == rt:
        return f.attr in _PURE_RT
    return f.attr in _PURE_METHODS and (f.attr == "reshape" or len(n.args) <= 1)


def _pending_in(node, pending):
    if not pending:
        return ()
    return [
        m.id
        for m in walk(node)
        if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Load) and m.id in pending
    ]


def _key(c_node):
    """How a factor is written back: the name it was read through, else its value."""
    return c_node.id if isinstance(c_node, gast.Name) else None


def _factor_node(factor):
    value, name_ = factor
    if name_ is not None:
        return gast.Name(name_, gast.Load(), None, None)
    return const(value)


def _elements(stmts, sizes):
    total = 0
    for s in stmts:
        n = sizes.get(s.targets[0].id)
        if n is None:
            return None
        total += n
    return total


def _constant_names(fdef):
    """Names bound exactly once in ``fdef``, at its top level, to an expression of
    number literals: name -> (value, expression)."""
    counts = {}
    for m in walk(fdef):
        if isinstance(m, gast.Name) and not isinstance(m.ctx, gast.Load):
            counts[m.id] = counts.get(m.id, 0) + 1
    for a in fdef.args.args + fdef.args.posonlyargs + fdef.args.kwonlyargs:
        counts[a.id] = counts.get(a.id, 0) + 1
    out = {}
    for s in fdef.body:
        if assigns_one_name(s) and counts.get(s.targets[0].id) == 1:
            v = _evaluate(s.value)
            if v is not None:
                out[s.targets[0].id] = (v, s.value)
    return out


def _evaluate(e):
    """The value of an expression of float and int literals under ``+ - * /`` and
    unary minus, as Python computes it (vocab's operator tables), else None."""
    if isinstance(e, gast.Constant):
        return e.value if type(e.value) in (float, int) else None
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        v = _evaluate(e.operand)
        return None if v is None else UNOPS[gast.USub](v)
    if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
        a, b = _evaluate(e.left), _evaluate(e.right)
        if a is None or b is None:
            return None
        try:
            return FOLDABLE[type(e.op)](a, b)
        except (ZeroDivisionError, OverflowError):
            return None
    return None


# -- a reciprocal read twice ---------------------------------------------------------------


def square_reciprocals(fdef, floating, rt_name="_rt", start=0):
    """``E * r / s`` (and ``r / s``) becomes ``E * r * r``, and ``E / r`` becomes
    ``E * s``, where ``r`` is bound once in
    ``fdef``, at its top level, to ``1.0 / s`` (or ``1 / s``), ``s`` is a parameter never
    bound again or a name bound once in ``fdef``, at its top level, and nothing in
    ``fdef`` writes into an array: then ``r`` holds ``1/s`` wherever both are read.  The
    adjoint of ``p = 1.0 / (1.0 + np.exp(-z))`` is ``dp * p / shifted * exp_neg`` (the
    division rule's ``-d * result / y``), and of ``np.log(p)`` is ``dlog_p / p``; a
    multiplication is half a division's time.

    ``E * s`` rounds once where ``E / r`` rounds twice (and keeps the value where ``r``
    overflowed to infinity or fell to a subnormal: more accurate, never less).  Not
    exact to the bit either, as accurate: ``fl(fl(g r) / s)`` and ``fl(fl(g r) r)`` each
    round twice from the true ``g / s**2`` besides ``r``'s own rounding, and both
    overflow, underflow, and give zeros, infinities, NaN and signs alike (``r`` is
    ``1/s``: ``s`` zero, infinite or NaN makes ``r`` infinite, zero or NaN with the
    matching sign).  ``floating``: names that surely hold floating point (``E * s`` of
    an integer ``E`` and ``s`` would be an integer), or a function that makes them.
    Only the top-level statements from index ``start`` are rewritten (the backward
    sweep: the primal keeps its bits).  Returns whether anything changed."""
    if not ENABLED:
        return False
    stores = {}  # (bindings in the body: a parameter's own binding is not counted)
    for m in walk(fdef):
        if isinstance(m, gast.Name) and isinstance(m.ctx, (gast.Store, gast.Del)):
            stores[m.id] = stores.get(m.id, 0) + 1
    params = {a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs}
    top = {s.targets[0].id for s in fdef.body if assigns_one_name(s)}
    recips = {}  # r -> s
    for s in fdef.body:
        v = s.value if assigns_one_name(s) else None
        if not (
            isinstance(v, gast.BinOp)
            and isinstance(v.op, gast.Div)
            and isinstance(v.left, gast.Constant)
            and type(v.left.value) in (int, float)
            and v.left.value == 1
            and isinstance(v.right, gast.Name)
        ):
            continue
        r, d = s.targets[0].id, v.right.id
        fixed = stores.get(d, 0) == 0 if d in params else (stores.get(d) == 1 and d in top)
        if stores.get(r) == 1 and fixed and r != d:
            recips[r] = d
    if not recips or _may_write(fdef, rt_name):
        return False
    floating = _made(floating)
    changed = False
    for e in (n for st in fdef.body[start:] for n in walk(st)):
        if not (isinstance(e, gast.BinOp) and isinstance(e.op, gast.Div)):
            continue
        if not isinstance(e.right, gast.Name):
            continue
        right = e.right.id
        if right in recips:  # E / r: E * s (floating: an integer product would not be)
            if not (recips[right] in floating or surely_floating(e.left, floating)):
                continue
            e.op, e.right = gast.Mult(), gast.Name(recips[right], gast.Load(), None, None)
            changed = True
            continue
        r = _last_factor(e.left)
        if r is not None and recips.get(r) == right:  # E * r / s: E * r * r
            e.op, e.right = gast.Mult(), gast.Name(r, gast.Load(), None, None)
            changed = True
    return changed


def _last_factor(e):
    """``r`` of ``E * r`` or of ``r`` itself, else None."""
    if isinstance(e, gast.Name):
        return e.id
    if (
        isinstance(e, gast.BinOp)
        and isinstance(e.op, gast.Mult)
        and isinstance(e.right, gast.Name)
    ):
        return e.right.id
    return None
