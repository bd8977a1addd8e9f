"""Like terms of an adjoint sum collected: ``d * (0.5 * r) + (d * r) * 0.5`` -> ``d * r``.

Design note.  The product rule splits every product into one term per factor, and the
adjoint of a name is the sum of those terms.  When two factors are the same value up to
a constant (``0.5 * r * r``: ``s = 0.5 * r``, then ``s * r``), the terms are the same
product up to a constant, but each is computed on its own::

    scaled_r = 0.5 * r
    dscaled_r = d * r
    dr = d * scaled_r
    dr = dr + dscaled_r * 0.5

three passes over the array and one more to keep ``scaled_r`` for the backward sweep,
where a person writes ``dr = d * r``.  This pass reads each term of such a sum as a
monomial, ``c * a1 * a2 * ...`` (``c`` a number, the ``a`` opaque values, compared as
written), seeing through temporaries bound to products (``scaled_r`` is ``0.5 * r``,
``dscaled_r`` is ``d * r``), and writes the terms that are one monomial as one
product, at the place of the last of them.  The temporaries that fed only those terms
are then read by nothing, and the pass drops their bindings.  One term written twice
and seen through nothing is left to ``optimize.double_repeated_terms`` (``v + v``:
exact, at the same cost).  Cost: each block is first tested cheaply for two terms
alike (``_alike``); the analyses of the whole function run only then.

When.  A *sum* is a run of statements of one block ``v = T1`` (or ``v = v + T1``),
``v = v + T2``, ``v = v - T3``, ... where no statement in between reads ``v``, every
statement in between is a pure assignment (or a ``# Grad of:`` line, or a pop of a stack
the terms do not read), and no ``T`` reads ``v``.  A term is seen through:

- ``a * b``, ``-a``, ``a / c`` for a number ``c`` other than 0;
- a number (int or float, not bool), which goes into the coefficient;
- a name bound once in the whole function, by a pure assignment earlier in the same
  block, to a product of that kind (four levels deep at most).

Anything else is an opaque factor.  Terms with the same factors (as a multiset) are
collected when:

- at least one factor surely holds floating point (``negations.floating_names``), so
  the product is floating whatever order it is taken in, and the coefficient, a
  Python float, keeps its dtype (NEP 50);
- no factor mentions the symbolic zero or a name that may hold it;
- nothing between the first statement involved (a term, or the binding of a
  temporary seen through) and the last term binds a name a factor reads, or writes
  into an array (``negations._harmless``): every factor has the same value there;
- the sum of the coefficients is a finite number other than 0 (``t - t`` is NaN for
  an infinite ``t``: not collected);
- the new product costs fewer operations than the terms it replaces, each ``+``
  between them counted.

Numbers.  The product is taken in a new order and the coefficients summed in
floating point, so the result rounds as a hand-written gradient does, not bit for bit
as the terms did (within a few ulp; exact where the constants are powers of two, as
in ``0.5 * r * r``).  Where a term was infinite or NaN the product is too, for the
same elements.  ``ENABLED = False`` switches the pass off (the exact tests compare
with the unoptimized code bit for bit).

Tests: tests/compiler/test_like_terms.py.
"""

import functools
import math

import gast

from .astutil import clone, statement_lists, walk
from .negations import _harmless, _Index, surely_floating
from .vocab import assigns_one_name, const, name

ENABLED = True
_DEPTH = 4  # temporaries seen through, nested


def collect_like_terms(fdef, floating_params=frozenset()):
    """Collect like terms in every sum of ``fdef``; True when the code changed (the
    pure bindings that nothing reads any more are dropped here: ``_drop_unread``)."""
    if not ENABLED:
        return False
    blocks = [b for b in statement_lists(fdef.body) if len(b) >= 2 and _alike(b)]
    if not blocks:
        return False  # (no two terms of a sum alike: most functions)
    from .optimize import _pure

    ctx = _Context(fdef, floating_params, _pure)
    unread = set()  # names the collected terms read, or saw through
    for block in blocks:
        # (sums interleave: after a change the sums of the block are found again)
        while any(_collect(block, chain, ctx, unread) for chain in _sums(block, ctx)):
            pass
    if unread:
        _drop_unread(fdef, ctx.ix, unread, _pure)
    return bool(unread)


def _drop_unread(fdef, ix, names, pure):
    """Drop the pure bindings of ``names`` that nothing reads any more, and then of
    the names those read (the temporaries the collected terms saw through: most fed
    only them)."""
    loads = {}
    for n in walk(fdef):
        if type(n) is gast.Name and isinstance(n.ctx, gast.Load):
            loads[n.id] = loads.get(n.id, 0) + 1
    work = list(names)
    while work:
        t = work.pop()
        found = ix.assigned.get(t, ())
        if loads.get(t) or ix.stores.get(t) != 1 or t in ix.other or len(found) != 1:
            continue
        d = found[0]
        block = next((b for b in ix.blocks if any(s is d for s in b)), None)
        if block is None or not pure(d.value):
            continue
        block[:] = [s for s in block if s is not d]
        for n in walk(d.value):
            if type(n) is gast.Name:
                loads[n.id] -= 1
                work.append(n.id)


class _Context:
    """What the pass knows of the function; the analyses that walk all of it are made
    only when a sum has terms to collect (most have none)."""

    def __init__(self, fdef, floating_params, pure):
        self.fdef, self.floating_params, self.pure = fdef, floating_params, pure
        self.steps = {}  # id(statement) -> (its value, _step's answer)

    @functools.cached_property
    def ix(self):
        return _Index(self.fdef)

    @functools.cached_property
    def floating(self):
        return _Floating(self.ix, self.fdef, self.floating_params)

    @functools.cached_property
    def zero(self):
        from .optimize import _maybe_zero

        return _maybe_zero(self.fdef)


class _Floating:
    """The names that surely hold floating point, asked one at a time (``in``), where
    ``negations.floating_names`` finds them all: every binding of the name is a plain
    assignment of a surely floating value; a parameter only when in ``params``.  A
    name asked while it is being answered counts as not floating there (so a name that
    only feeds itself is not taken, as in the least fixpoint); values popped from a
    stack are not taken.  Every "yes" holds: none rests on an assumption."""

    def __init__(self, ix, fdef, params):
        a = fdef.args
        every = a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
        self.args = {p.id for p in every if p is not None}
        self.ix, self.params, self.memo = ix, params, {}

    def __contains__(self, n):
        if n in self.memo:
            return self.memo[n]
        ix = self.ix
        ok = n not in ix.other and (n in self.params if n in self.args else n in ix.assigned)
        self.memo[n] = False  # (while being answered)
        ok = ok and all(surely_floating(d.value, self) for d in ix.assigned.get(n, ()))
        self.memo[n] = ok
        return ok


class _Sum:
    def __init__(self, var, fresh):
        self.var, self.fresh = var, fresh
        self.members = []  # [(index in the block, sign, term)]


def _continues(s):
    """``(sign, T)`` for ``v = v + T`` or ``v = v - T``; else None (``s`` assigns one
    name)."""
    v, e = s.targets[0].id, s.value
    if (
        isinstance(e, gast.BinOp)
        and isinstance(e.op, (gast.Add, gast.Sub))
        and isinstance(e.left, gast.Name)
        and e.left.id == v
    ):
        return (1 if isinstance(e.op, gast.Add) else -1), e.right
    return None


def _step(s, pure):
    """``((v, sign, term, head), names s mentions)``: the step for ``v = T`` (head) or
    ``v = v + T`` / ``v = v - T`` with a pure value and a ``T`` that does not read
    ``v`` (else None), in one walk of the statement."""
    if not assigns_one_name(s):
        return None, {n.id for n in walk(s) if isinstance(n, gast.Name)}
    v = s.targets[0].id
    names, calls = set(), False
    for n in walk(s.value):
        if type(n) is gast.Name:
            names.add(n.id)
        elif type(n) is gast.Call:
            calls = True
    mentioned = names | {v}
    if calls and not pure(s.value):
        return None, mentioned
    more = _continues(s)
    if more is not None:
        if _reads(more[1], v):
            return None, mentioned
        return (v, more[0], more[1], False), mentioned
    if v in names:
        return None, mentioned
    return (v, 1, s.value, True), mentioned


def _reads(e, v):
    return any(isinstance(n, gast.Name) and n.id == v for n in walk(e))


def _sums(block, ctx):
    """The sums of ``block`` with two terms or more, in order."""
    open_, done = {}, []
    steps = ctx.steps
    for j, s in enumerate(block):
        if getattr(s, "srcad_comment", None) is not None:
            continue
        known = steps.get(id(s))
        value = getattr(s, "value", None)
        if known is None or known[0] is not value:
            known = steps[id(s)] = (value, _step(s, ctx.pure))
        step, mentioned = known[1]
        more = step is not None and not step[3] and step[0] in open_
        for v in [v for v in open_ if v in mentioned]:
            if not (more and v == step[0]):
                done.append(open_.pop(v))
        # (a write into an array: nothing moves past it; a step is a pure assignment)
        if step is None and open_ and not _harmless(s, set()):
            done += open_.values()
            open_ = {}
        if step is None:
            continue
        v, sign, term, head = step
        if not more:
            open_[v] = _Sum(v, head)
        open_[v].members.append((j, sign, term))
    done += open_.values()
    done.sort(key=lambda c: c.members[0][0])
    return [c for c in done if len(c.members) >= 2]


class _Mono:
    """``coef * atoms[0] * atoms[1] * ...``, each atom ``(node, index of the statement
    of the block that evaluates it)``."""

    def __init__(self, coef, atoms, seen=()):
        self.coef, self.atoms = coef, atoms
        self.seen = seen  # (the temporaries seen through)

    def key(self):
        return tuple(sorted(gast.dump(a) for a, _ in self.atoms))


def _mono(e, at, bind, depth=0):
    """The monomial of ``e`` evaluated at the statement ``at`` of its block;
    ``bind(name, at)``: ``(binding, its index)`` of a temporary to see through, or
    None."""
    if _number(e):
        return _Mono(float(e.value), [])
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        m = _mono(e.operand, at, bind, depth)
        return _Mono(-m.coef, m.atoms, m.seen)
    if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult):
        a = _mono(e.left, at, bind, depth)
        b = _mono(e.right, at, bind, depth)
        return _Mono(a.coef * b.coef, a.atoms + b.atoms, a.seen + b.seen)
    if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Div) and _number(e.right):
        if e.right.value != 0:
            a = _mono(e.left, at, bind, depth)
            return _Mono(a.coef / e.right.value, a.atoms, a.seen)
    if isinstance(e, gast.Name) and depth < _DEPTH:
        found = bind(e.id, at)
        if found is not None:
            m = _mono(found[0].value, found[1], bind, depth + 1)
            return _Mono(m.coef, m.atoms, m.seen + (e.id,))
    return _Mono(1.0, [(e, at)])


def _number(e):
    return (
        isinstance(e, gast.Constant)
        and type(e.value) in (int, float)
        and math.isfinite(e.value)
        and abs(e.value) < 1e300
    )


def _binding(t, at, where, ctx):
    """``(the one binding of t, its index)``: a pure assignment of a product in the
    same block before the statement ``at``, to see through; else None."""
    ix = ctx.ix
    found = ix.assigned.get(t, ())
    if ix.stores.get(t) != 1 or t in ix.other or len(found) != 1:
        return None
    d = found[0]
    k = where.get(id(d), at)
    if k >= at or not _product_form(d.value) or not ctx.pure(d.value):
        return None
    return d, k


def _product_form(v):
    return (isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.USub)) or (
        isinstance(v, gast.BinOp) and isinstance(v.op, (gast.Mult, gast.Div))
    )


def _alike(block):
    """Whether two terms of one name's sums in ``block`` may be one monomial: the
    cheap test before the real one (which walks every statement).  Seen through
    here: any name bound once in the block to a product, before its read (a superset
    of what ``_binding`` allows, so terms that are alike there are alike here)."""
    local, terms = {}, {}
    for j, s in enumerate(block):
        if not assigns_one_name(s):
            continue
        v = s.targets[0].id
        local[v] = None if v in local else j
        more = _continues(s)
        terms.setdefault(v, []).append((j, more[1] if more else s.value))

    def bind(t, at):
        k = local.get(t)
        if k is None or k >= at or not _product_form(block[k].value):
            return None
        return block[k], k

    for v, ts in terms.items():
        if len(ts) < 2 or local.get(v) is not None:  # (a sum binds its name twice)
            continue
        keys = {}
        for j, t in ts:
            m = _mono(t, j, bind)
            if m.atoms:
                key = m.key()
                if key in keys and not _repeats([keys[key], (t, m)]):
                    return True
                keys[key] = (t, m)
    return False


def _repeats(terms):
    """Whether ``terms`` (``(term, its monomial)``) are one term written again, seen
    through nothing: ``double_repeated_terms`` adds such (``v = v + v``), bit for bit,
    at the same cost."""
    first = gast.dump(terms[0][0])
    return all(not m.seen and gast.dump(t) == first for t, m in terms)


def _ops(e):
    return sum(1 for n in walk(e) if isinstance(n, (gast.BinOp, gast.UnaryOp, gast.Call)))


def _collect(block, chain, ctx, unread):
    where = {id(s): k for k, s in enumerate(block)}

    def bind(t, at):
        return _binding(t, at, where, ctx)

    monos = [_mono(t, j, bind) for j, _, t in chain.members]
    groups = {}
    for i, m in enumerate(monos):
        if m.atoms:
            groups.setdefault(m.key(), []).append(i)
    plan = {}  # member index -> new term (None: the term goes)
    for members in groups.values():
        if len(members) < 2:
            continue
        new = _merged(block, chain, monos, members, ctx)
        if new is None:
            continue
        for i in members[:-1]:
            plan[i] = None
        plan[members[-1]] = new
        for i in members:
            unread.update(monos[i].seen)
            unread.update(n.id for n in walk(chain.members[i][2]) if type(n) is gast.Name)
    if not plan:
        return False
    _rewrite(block, chain, plan)
    return True


def _merged(block, chain, monos, members, ctx):
    """The product replacing the terms ``members`` of ``chain``, or None."""
    coef = sum(chain.members[i][1] * monos[i].coef for i in members)
    if coef == 0 or not math.isfinite(coef):
        return None
    if _repeats([(chain.members[i][2], monos[i]) for i in members]):
        return None
    atoms = [a for a, _ in monos[members[0]].atoms]
    if not any(surely_floating(a, ctx.floating) for a in atoms):
        return None
    last = chain.members[members[-1]][0]
    own = {j for j, _, _ in chain.members}
    for i in members:
        for a, at in monos[i].atoms:  # (each factor as read where it was read)
            if _mentions_zero(a, ctx.zero) or _reads(a, chain.var):
                return None
            names = {n.id for n in walk(a) if isinstance(n, gast.Name)}
            for k in range(at + 1, last):
                if k not in own and not _harmless(block[k], names):
                    return None
    new = _product(atoms, coef)
    old = sum(_ops(chain.members[i][2]) for i in members) + len(members) - 1
    return new if _ops(new) < old else None


def _mentions_zero(e, zero):
    for n in walk(e):
        if isinstance(n, gast.Name) and n.id in zero:
            return True
        if isinstance(n, gast.Attribute) and n.attr == "ZERO":
            return True
    return False


def _product(atoms, coef):
    e = clone(atoms[0])
    for a in atoms[1:]:
        e = gast.BinOp(left=e, op=gast.Mult(), right=clone(a))
    if coef == -1.0 and len(atoms) > 1:
        return gast.UnaryOp(op=gast.USub(), operand=e)
    if coef != 1.0 or len(atoms) == 1:  # (one factor: a new array, never an alias)
        e = gast.BinOp(left=e, op=gast.Mult(), right=const(float(coef)))
    return e


def _rewrite(block, chain, plan):
    """Put the planned terms in place: the first term left binds ``v`` afresh (when
    the sum started afresh), the rest add to it; statements left with no term go."""
    gone, first = [], True
    for i, (j, sign, term) in enumerate(chain.members):
        planned = i in plan
        if planned:
            term, sign = plan[i], 1
            if term is None:
                gone.append(j)
                continue
        head = first and chain.fresh
        if planned or (head and i > 0):  # (else the statement stays as it is)
            if head:
                value = term if sign == 1 else gast.UnaryOp(op=gast.USub(), operand=term)
            else:
                op = gast.Add() if sign == 1 else gast.Sub()
                value = gast.BinOp(left=name(chain.var, gast.Load()), op=op, right=term)
            block[j].value = value
        first = False
    for j in sorted(gone, reverse=True):
        del block[j]
