"""Negations that cancel: one pass over generated code, exact to the last bit.

Adjoint templates are full of signs: the adjoint of ``a - b`` is ``-d`` for ``b``,
of ``1 / s`` is ``-d * r / s``, of ``-z`` is ``-d``.  Chained, they give code such as::

    dshifted = -dp * p / s          # the template of 1 / s
    dneg_z = dshifted * exp_neg_z   # of np.exp
    dz = -dneg_z                    # of -z

where a hand-written gradient has no sign at all (``dz = dp * p / s * exp_neg_z``).
On arrays each sign is a full pass over memory.  This pass moves a sign to the top
of its expression, into a numeric constant (``-(d * 0.01)`` -> ``d * -0.01``),
into a subtraction (``a + -b`` -> ``a - b``), or onto the next sign it meets; and it
carries the sign of a temporary read exactly once into the expression that reads it
when the sign cancels there (or, carried on, cancels further down a chain).

Exactness: IEEE rounding is symmetric and ``x - y`` is ``x + (-y)`` by definition,
so ``(-a) * b == -(a * b)``, ``a / (-b) == -(a / b)``, ``a + (-b) == a - b``,
``(-a) + b == b - a`` and ``(-a) - (-b) == b - a`` hold bit for bit (signed zeros
included); they hold for integers too.  ``-(a + b)`` is *not* ``(-a) - b`` (for
``a == -b`` one is -0, the other +0), so a sign never leaves a sum upwards.
Only ``+ - * /`` and unary minus are touched: not ``//``, ``%``, ``**`` (not odd
in their operands) nor ``@`` (a BLAS reduction order is not ours to promise).
One function takes a sign into its name: ``_rt.logistic(-x)`` is
``_rt.logistic_neg(x)`` and the other way round (the runtime computes the same
``exp`` of the same ``x``; ``-(-x)`` is ``x``), so the adjoint of
``np.logaddexp(0.0, -z)`` reads ``logistic_neg(z)``, not ``z`` negated twice.
Integers break all of this (``-u`` of a uint8 wraps, an int 0 has no sign, ``u * -2``
is an OverflowError under NEP 50), so only the sign of a value that surely holds
floating point leaves it (``floating_names``, ``surely_floating``), and only a float
literal takes a sign.

When a temporary is carried: it is bound once and read once in the whole function,
the read is in a later statement of the same block, reached from the statement's
root through arithmetic only (not inside a call, but for the argument of the two
logistic helpers, which are pure), and nothing in between binds a
name the carried expression reads or can write into an array (only pure
assignments, the output's check ``_rt.seed``, or ``x = stack.pop()`` of a list it does
not read, lie in between).
"""

import gast

from .astutil import clone, least_fixpoint, walk
from .vocab import assigns_one_name, attr, call, is_call_of, name, popped_from

_SIGNED = (gast.Mult, gast.Div)  # odd in each operand
_SUMS = (gast.Add, gast.Sub)


def _is_neg(e):
    return isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub)


def _neg(e):
    return gast.UnaryOp(op=gast.USub(), operand=e)


# the runtime's pair of mirrored functions: f(-x) is other(x), bit for bit
_MIRRORED = {"logistic": "logistic_neg", "logistic_neg": "logistic"}


def _mirrored(e):
    """The name of ``e``'s mirror when ``e`` is ``_rt.logistic(x)`` or
    ``_rt.logistic_neg(x)`` (one positional argument); else None."""
    for fname, mirror in _MIRRORED.items():
        if is_call_of(e, "_rt", fname) and len(e.args) == 1 and not e.keywords:
            return mirror
    return None


def _rt_call(fname, arg):
    return call(attr(name("_rt"), fname), [arg])


def _number(e):
    return (
        isinstance(e, gast.Constant)
        and type(e.value) in (int, float)  # (not bool: -True is -1, not a bool)
    )


def _signable(e):
    """A number that can carry a sign: a float.  Not an int: ``x * -0`` is ``x * 0``
    while ``-(x * 0)`` is -0.0 for a float ``x`` > 0, and ``u * -2`` of a uint8 ``u``
    is an OverflowError where ``-(u * 2)`` wraps."""
    return isinstance(e, gast.Constant) and type(e.value) is float


def signs(e):
    """How many unary minus nodes ``e`` holds (each a pass over an array)."""
    return sum(1 for n in walk(e) if _is_neg(n))


def lift(e, floating=None):
    """``e`` with its signs moved up and cancelled (a new tree; ``e`` is untouched
    where it changes).  ``floating(x)``: whether ``x`` surely holds floating-point
    (or complex) values: only such a value's sign leaves it (``-x`` of an integer
    array wraps: ``-u * 0.5`` of a uint8 ``u`` is not ``u * -0.5``).  Default: only
    what is floating by its form (``surely_floating`` with no names)."""
    if floating is None:
        floating = _by_form
    return _lift(e, floating)


def _lift(e, floating):
    if _is_neg(e):
        inner = _lift(e.operand, floating)
        if _is_neg(inner):  # -(-x) is x, wrapped integers too
            return inner.operand
        taken = _into_number(inner)  # (the product stays as exact: IEEE, or a ring)
        return taken if taken is not None else _neg(inner)
    if isinstance(e, gast.BinOp) and isinstance(e.op, _SIGNED + _SUMS):
        return _binop(_lift(e.left, floating), e.op, _lift(e.right, floating), floating)
    mirror = _mirrored(e)
    if mirror is not None:
        arg = _lift(e.args[0], floating)
        if _is_neg(arg) and floating(arg.operand):  # (an integer's -u wraps)
            return _rt_call(mirror, arg.operand)
        if arg is not e.args[0]:
            return _rt_call(e.func.attr, arg)
    return e


def _by_form(e):
    return surely_floating(e, frozenset())


def _into_number(e):
    """``-e`` with the sign taken by a number ``e`` is odd in (``2.0 * x`` ->
    ``-2.0 * x``); None when there is none.  (Not a zero divisor: Python floats.)"""
    if _signable(e):
        return gast.Constant(value=-e.value, kind=None)
    if isinstance(e, gast.BinOp) and isinstance(e.op, _SIGNED):
        left = _into_number(e.left)
        if left is not None:
            return gast.BinOp(left=left, op=e.op, right=e.right)
        if isinstance(e.op, gast.Div) and _number(e.right) and e.right.value == 0:
            return None
        right = _into_number(e.right)
        if right is not None:
            return gast.BinOp(left=e.left, op=e.op, right=right)
    return None


def _binop(left, op, right, floating):
    ln = _is_neg(left) and floating(left.operand)
    rn = _is_neg(right) and floating(right.operand)
    a = left.operand if ln else left
    b = right.operand if rn else right
    if isinstance(op, _SIGNED):
        if ln == rn:
            return gast.BinOp(left=a, op=op, right=b)
        if _signable(b) and not (isinstance(op, gast.Div) and b.value == 0):
            return gast.BinOp(left=a, op=op, right=gast.Constant(value=-b.value, kind=None))
        if _signable(a) and isinstance(op, gast.Mult):
            return gast.BinOp(left=gast.Constant(value=-a.value, kind=None), op=op, right=b)
        return _neg(gast.BinOp(left=a, op=op, right=b))
    # ``-(a + b)`` is not ``(-a) + (-b)`` when ``a == -b``: +0 against -0.  So a sum
    # only loses signs into its own subtraction and never gives one to its parent.
    if isinstance(op, gast.Add):
        if rn:
            return gast.BinOp(left=left, op=gast.Sub(), right=b)  # (a or -a) - b
        if ln:
            return gast.BinOp(left=b, op=gast.Sub(), right=a)
        return gast.BinOp(left=a, op=op, right=b)
    # subtraction
    if ln and rn:
        return gast.BinOp(left=b, op=gast.Sub(), right=a)
    if rn:
        return gast.BinOp(left=a, op=gast.Add(), right=b)
    return gast.BinOp(left=left, op=op, right=right)


# -- the pass ----------------------------------------------------------------------


def cancel_negations(fdef, protected=(), float_params=frozenset()):
    """Rewrite ``fdef`` in place: every plain assignment whose signs ``lift``
    reduces, and every chain of single-use temporaries along which a sign cancels.
    ``float_params``: parameters that surely hold floating point (Python floats, and
    float arrays in a transformation specialized on them)."""
    ix = _Index(fdef)
    if not ix.signed:
        return fdef  # (most functions, once the other passes ran: nothing to do)
    a = fdef.args
    protected = set(protected) | {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    protected |= {p.id for p in (a.vararg, a.kwarg) if p is not None}
    names = ix.floating_names(fdef, float_params)

    def floating(e):
        return surely_floating(e, names)

    for block in ix.blocks:
        for s in block:
            if assigns_one_name(s):
                before = signs(s.value)
                if before:
                    new = lift(s.value, floating)
                    if signs(new) < before:
                        s.value = new
    carried = False
    for block in ix.blocks:
        i = 0
        while i < len(block):
            gone = _carry(block, i, ix.stores, ix.loads, protected, floating)
            for t in gone:  # (the carried temporaries: one binding and one read less)
                ix.stores[t] -= 1
                ix.loads[t] -= 1
            carried = carried or bool(gone)
            if not gone:
                i += 1
    # (the lifts above kept every Name node, so the index holds unless code moved)
    _pull_signs(_Index(fdef) if carried else ix, protected, names, floating)
    return fdef


class _Index:
    """One walk of a function: its statement lists, how often each name is bound and
    read, the plain assignments of each name, and the other bindings."""

    def __init__(self, fdef):
        self.blocks = [fdef.body]
        self.stores, self.loads = {}, {}
        self.assigned = {}  # name -> [plain assignment statements]
        self.reads = {}  # name -> a Name node reading it (the one, where read once)
        self.other = set()  # names bound another way (a loop, a tuple, del, ...)
        self.signed = False
        plain_targets = set()
        for n in walk(fdef):
            if isinstance(n, (gast.For, gast.While, gast.If)):
                self.blocks += [n.body, n.orelse]
            elif assigns_one_name(n):
                self.assigned.setdefault(n.targets[0].id, []).append(n)
                plain_targets.add(id(n.targets[0]))
            elif isinstance(n, gast.Name):
                if isinstance(n.ctx, gast.Load):
                    self.loads[n.id] = self.loads.get(n.id, 0) + 1
                    self.reads[n.id] = n
                else:
                    self.stores[n.id] = self.stores.get(n.id, 0) + 1
                    if id(n) not in plain_targets and not isinstance(n.ctx, gast.Param):
                        self.other.add(n.id)
            elif _is_neg(n):
                self.signed = True

    def floating_names(self, fdef, float_params=frozenset()):
        """Names that surely hold floating-point values: every binding is a plain
        assignment of a surely floating value (the least fixpoint, so a name that only
        feeds itself is not taken); parameters only when in ``float_params``.  A value
        popped from a list used only as a stack (:func:`_stacks`) counts as floating
        when everything pushed onto that list is."""
        values = {k: [s.value for s in v] for k, v in self.assigned.items()}
        for k in self.other:
            values.setdefault(k, []).append(None)
        a = fdef.args
        for p in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
            if p is not None:
                one = gast.Constant(value=1.0, kind=None) if p.id in float_params else None
                values.setdefault(p.id, []).append(one)
        stacks = _stacks(fdef, self)
        if stacks:
            # a value popped from a stack is one pushed onto it: taken as floating
            # first, which holds when everything pushed is floating (an inductive
            # invariant: the stack starts empty and gets only those values)
            hopeful = {
                k: [v for v in vs if not _popped_from(v, stacks)] for k, vs in values.items()
            }
            names = least_fixpoint(hopeful, _all_floating)
            if all(surely_floating(e, names) for es in stacks.values() for e in es):
                return frozenset(names)
        return frozenset(least_fixpoint(values, _all_floating))


# -- which values are surely floating point ---------------------------------------------

# functions whose result is floating point (or complex) whatever they are given
_FLOAT_RESULTS = frozenset(
    "exp exp2 expm1 log log2 log10 log1p sqrt cbrt sin cos tan arcsin arccos arctan "
    "arctan2 sinh cosh tanh arcsinh arccosh arctanh asin acos atan atan2 asinh acosh "
    "atanh logaddexp logaddexp2 hypot erf erfc gamma lgamma logistic true_divide "
    "mean average var std".split()
)
# NumPy functions that make float64 arrays when given a shape and nothing else
_FLOAT_MAKERS = frozenset({"zeros", "ones", "empty"})
# runtime helpers whose result is their first argument, reshaped or summed
_LIKE_FIRST = frozenset({"expand_to", "expand_reduced", "unbroadcast", "instantiate"})


def surely_floating(e, names):
    """Whether ``e`` surely evaluates to floating-point or complex values (a
    number, an array or ``_rt.ZERO``), given ``names`` that surely hold such."""
    if isinstance(e, gast.Constant):
        return type(e.value) in (float, complex)
    if isinstance(e, gast.Name):
        return e.id in names
    if isinstance(e, gast.Attribute):
        return e.attr == "ZERO" and isinstance(e.value, gast.Name) and e.value.id == "_rt"
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.Div):
            return True  # true division: floating even of integers
        if isinstance(e.op, (gast.Add, gast.Sub, gast.Mult, gast.Pow, gast.MatMult)):
            # NumPy promotes an integer operand to the floating one
            return surely_floating(e.left, names) or surely_floating(e.right, names)
        return False
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
        return surely_floating(e.operand, names)
    if isinstance(e, gast.IfExp):
        return surely_floating(e.body, names) and surely_floating(e.orelse, names)
    if isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute):
        mod = e.func.value
        if not isinstance(mod, gast.Name):
            return False
        if mod.id in ("np", "math") and e.func.attr in _FLOAT_RESULTS:
            return True
        if mod.id == "np" and e.func.attr in _FLOAT_MAKERS:
            return len(e.args) == 1 and not e.keywords  # (no dtype: float64)
        if mod.id == "np" and e.func.attr == "where" and len(e.args) == 3 and not e.keywords:
            # (the branches' result type: floating when both are)
            return surely_floating(e.args[1], names) and surely_floating(e.args[2], names)
        if mod.id == "_rt" and e.func.attr in _LIKE_FIRST and e.args:
            return surely_floating(e.args[0], names)
        if mod.id == "_rt" and e.func.attr in _MIRRORED:
            return True
    return False


def _all_floating(vs, ok):
    return all(v is not None and surely_floating(v, ok) for v in vs)


def _stacks(fdef, ix):
    """``{name: [pushed expressions]}`` for the lists used only as stacks: bound once,
    to ``[]``, and read only as ``S.append(e)`` and ``S.pop()`` (the save plan's
    ``_stack``, or a user's list used the same way)."""
    empty = {
        k
        for k, v in ix.assigned.items()
        if len(v) == 1
        and ix.stores.get(k) == 1
        and k not in ix.other
        and isinstance(v[0].value, gast.List)
        and not v[0].value.elts
    }
    if not empty:
        return {}
    pushed = {k: [] for k in empty}
    uses = {}
    for n in walk(fdef):
        if (
            isinstance(n, gast.Call)
            and isinstance(n.func, gast.Attribute)
            and isinstance(n.func.value, gast.Name)
            and n.func.value.id in empty
            and not n.keywords
        ):
            k = n.func.value.id
            if n.func.attr == "append" and len(n.args) == 1:
                pushed[k].append(n.args[0])
            elif not (n.func.attr == "pop" and not n.args):
                continue
            uses[k] = uses.get(k, 0) + 1
    return {k: v for k, v in pushed.items() if uses.get(k, 0) == ix.loads.get(k, 0)}


def _popped_from(e, stacks):
    return popped_from(e) in stacks


def floating_names(fdef, float_params=frozenset()):
    """Names of ``fdef`` that surely hold floating-point values (``_Index``)."""
    return _Index(fdef).floating_names(fdef, float_params)


def _pull_signs(ix, protected, names, floating):
    """``v = -(t * y)`` where ``t``, bound once and read only here, is ``c * L``
    with a number ``c``: ``neg_t = -c * L`` and ``v = neg_t * y``.  The sign goes
    back up the chain of single-use temporaries to the first binding that absorbs
    it; every temporary on the way now holds the negated value, so it is renamed
    ``neg_...`` (the code is read).  Nothing moves, so nothing in between matters."""
    if not ix.signed:
        return
    single = {
        t: v[0]
        for t, v in ix.assigned.items()
        if ix.stores.get(t) == 1 and ix.loads.get(t) == 1 and t not in protected
    }
    taken_names = set(ix.stores) | set(ix.loads)
    for block in ix.blocks:
        for s in block:
            if not assigns_one_name(s) or not signs(s.value):
                continue
            value = lift(s.value, floating)
            if not _is_neg(value):
                continue
            found = _absorber(value.operand, single, [], names, floating)
            if found is None:
                continue
            chain, d, new = found
            if d is s:
                continue
            d.value = new
            s.value = value.operand
            for t in chain:
                fresh = _fresh("neg_" + t, taken_names)
                single[t].targets[0].id = fresh
                ix.reads[t].id = fresh
                single.pop(t)


def _fresh(base, taken):
    fresh, k = base, 1
    while fresh in taken:
        k += 1
        fresh = f"{base}{k}"
    taken.add(fresh)
    return fresh


def _absorber(e, single, chain, names, floating):
    """``(temporaries whose value flips, the binding that takes the sign, its new
    value)`` for the first single-use temporary on a sign-odd path of ``e`` whose
    binding absorbs a sign, following such temporaries down; None when none does."""
    if len(chain) > 20:
        return None
    for t in _odd_names(e):
        d = single.get(t)
        if d is None or t in chain or t not in names:  # (-(t * y) is (-t) * y)
            continue
        taken = lift(_neg(clone(d.value)), floating)
        if signs(taken) <= signs(d.value):
            return chain + [t], d, taken
        if _is_neg(taken):
            deeper = _absorber(taken.operand, single, chain + [t], names, floating)
            if deeper is not None:
                return deeper
    return None


def _odd_names(e):
    """Names ``e`` is odd in: reached from its root through ``*`` and ``/`` only."""
    out, stack = [], [e]
    while stack:
        x = stack.pop()
        if isinstance(x, gast.Name):
            out.append(x.id)
        elif isinstance(x, gast.BinOp) and isinstance(x.op, _SIGNED):
            stack += [x.left, x.right]
    return out


def _carry(block, i, stores, loads, protected, floating):
    """Carry the sign of ``block[i]`` (``t = -E``) down its chain of single-use
    temporaries if it cancels somewhere; the names of the temporaries that went
    (empty when the code did not change)."""
    s = block[i]
    if not assigns_one_name(s) or not _is_neg(lift(s.value, floating)):
        return []  # (lift builds new nodes only where it changes something)
    plan = _chain(block, i, stores, loads, protected, clone(s.value), floating)
    if plan is None:
        return []
    gone = []
    for j, value in plan:
        if value is None:
            gone.append(j)
        else:
            block[j].value = value
    names = [block[j].targets[0].id for j in gone]
    for j in sorted(gone, reverse=True):
        del block[j]
    return names


def _chain(block, i, stores, loads, protected, value, floating):
    """``[(index, new value or None), ...]``: the statements from ``block[i]`` (whose
    value is ``value``) on, when its sign, carried on, cancels; None marks a
    statement that goes (a carried temporary).  None when the sign does not cancel.

    The value bound at ``i`` is read once: ``t`` is bound and read once in the whole
    function, or the next statement that names ``t`` reads it once and binds it
    again (``dp = -a`` then ``dp = dp + b``)."""
    s = block[i]
    if not assigns_one_name(s):
        return None
    t = s.targets[0].id
    value = lift(value, floating)
    if not _is_neg(value) or t in protected:
        return None
    single = stores.get(t) == 1 and loads.get(t) == 1
    carried = value.operand
    read = _loads_of(carried)
    for j in range(i + 1, len(block)):
        use = block[j]
        named = [n for n in walk(use) if isinstance(n, gast.Name) and n.id == t]
        if not named:
            if not _harmless(use, read | {t}):
                return None
            continue
        spot = _arithmetic_read(use, t) if assigns_one_name(use) and _pure(use.value) else None
        if spot is None or len(named) != (1 if single else 2):
            return None  # read elsewhere (a call, a branch, a loop), or twice
        if not single and use.targets[0].id != t:
            return None
        new = lift(_replace(use.value, spot, _neg(clone(carried))), floating)
        if signs(new) <= signs(use.value):  # the sign cancelled here
            return [(i, None), (j, new)]
        rest = _chain(block, j, stores, loads, protected, new, floating)
        return None if rest is None else [(i, None)] + rest
    return None


def _pure(e):
    """Whether evaluating ``e`` changes nothing (no call that may write into the
    array a carried expression reads: it is evaluated after the rest of ``e``)."""
    from .optimize import _pure as pure

    return pure(e)


def _loads_only(s):
    """Names ``s`` only reads (never binds nor deletes)."""
    load, other = set(), set()
    for n in walk(s):
        if isinstance(n, gast.Name):
            (load if isinstance(n.ctx, gast.Load) else other).add(n.id)
    return load - other


def _loads_of(e):
    return {n.id for n in walk(e) if isinstance(n, gast.Name)}


def _arithmetic_read(s, t):
    """The ``Name`` node reading ``t`` in ``s.value`` when it hangs from the root
    through ``+ - * /`` and unary minus only; else None."""
    stack = [s.value]
    while stack:
        e = stack.pop()
        if isinstance(e, gast.Name) and e.id == t:
            return e
        if _is_neg(e):
            stack.append(e.operand)
        elif isinstance(e, gast.BinOp) and isinstance(e.op, _SIGNED + _SUMS):
            stack += [e.left, e.right]
        elif _mirrored(e) is not None:
            stack.append(e.args[0])
    return None


def _replace(e, spot, new):
    if e is spot:
        return new
    if _is_neg(e):
        return _neg(_replace(e.operand, spot, new))
    if isinstance(e, gast.BinOp) and isinstance(e.op, _SIGNED + _SUMS):
        left, right = _replace(e.left, spot, new), _replace(e.right, spot, new)
        return gast.BinOp(left=left, op=e.op, right=right)
    if _mirrored(e) is not None:
        return _rt_call(e.func.attr, _replace(e.args[0], spot, new))
    return e


def _seeds(s):
    """Whether ``s`` is ``v = _rt.seed(value, 'f')``: it raises (a non-scalar or
    complex output) or makes a new array of ones, and writes into nothing."""
    from .optimize import _pure

    return (
        assigns_one_name(s)
        and is_call_of(s.value, "_rt", "seed")
        and not s.value.keywords
        and all(_pure(a) for a in s.value.args)
    )


def _harmless(s, names):
    """Whether ``s`` may stand between a temporary's binding and its read once its
    value is evaluated at the read: it binds none of ``names`` and writes into no
    array (a pure assignment, the output's check ``v = _rt.seed(...)``,
    ``x = stack.pop()`` of a list not in ``names``, or a ``# Grad of:`` line)."""
    from .optimize import _pure_targets  # (optimize imports this module)

    if getattr(s, "srcad_comment", None) is not None:
        return True  # a ``# Grad of:`` line (vocab.Comment)
    if not isinstance(s, gast.Assign):
        return False
    bound = {n.id for n in walk(s) if isinstance(n, gast.Name)} - _loads_only(s)
    if bound & names:
        return False
    if _pure_targets(s) is not None:
        return True
    if _seeds(s):
        return True  # (a check of the output that makes a new array: no write)
    stack = popped_from(s.value)
    return assigns_one_name(s) and stack is not None and stack not in names
