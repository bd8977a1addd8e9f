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
are then dead code.

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

import math

import gast

from .astutil import clone, walk
from .negations import _harmless, _Index, surely_floating
from .vocab import assigns_one_name, const, name

ENABLED = True
_DEPTH = 4  # temporaries seen through, nested


def collect_like_terms(fdef, floating_params=frozenset()):
    """Collect like terms in every sum of ``fdef``; True when the code changed (the
    temporaries it no longer reads are left for dead-code elimination)."""
    if not ENABLED or not _has_sums(fdef):
        return False
    from .optimize import _maybe_zero, _pure

    ix = _Index(fdef)
    ctx = _Context(ix, ix.floating_names(fdef, floating_params), _maybe_zero(fdef), _pure)
    changed = False
    for block in ix.blocks:
        # (sums interleave: after a change the sums of the block are found again)
        while any(_collect(block, chain, ctx) for chain in _sums(block, _pure)):
            changed = True
    return changed


def _has_sums(fdef):
    """Whether ``fdef`` holds a ``v = v + T`` or ``v = v - T`` at all (most do not)."""
    for s in walk(fdef):
        if isinstance(s, gast.Assign):
            step = _step(s, lambda e: True)
            if step is not None and not step[3]:
                return True
    return False


class _Context:
    def __init__(self, ix, floating, zero, pure):
        self.ix, self.floating, self.zero, self.pure = ix, floating, zero, pure


class _Sum:
    def __init__(self, var, fresh):
        self.var, self.fresh = var, fresh
        self.members = []  # [(index in the block, sign, term)]


def _step(s, pure):
    """``(v, sign, term, head)`` for ``v = T`` (head) or ``v = v + T`` / ``v = v - T``
    with a pure value and a ``T`` that does not read ``v``; else None."""
    if not assigns_one_name(s) or not pure(s.value):
        return None
    v, e = s.targets[0].id, s.value
    if (
        isinstance(e, gast.BinOp)
        and isinstance(e.op, (gast.Add, gast.Sub))
        and isinstance(e.left, gast.Name)
        and e.left.id == v
        and not _reads(e.right, v)
    ):
        return v, (1 if isinstance(e.op, gast.Add) else -1), e.right, False
    if _reads(e, v):
        return None
    return v, 1, e, True


def _reads(e, v):
    return any(isinstance(n, gast.Name) and n.id == v for n in walk(e))


def _sums(block, pure):
    """The sums of ``block`` with two terms or more, in order."""
    open_, done = {}, []
    for j, s in enumerate(block):
        if getattr(s, "srcad_comment", None) is not None:
            continue
        step = _step(s, pure)
        more = step is not None and not step[3] and step[0] in open_
        mentioned = {n.id for n in walk(s) if isinstance(n, gast.Name)}
        for v in list(open_):
            if v in mentioned and not (more and v == step[0]):
                done.append(open_.pop(v))
        if not _harmless(s, set()):  # (a write into an array: nothing moves past it)
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

    def __init__(self, coef, atoms):
        self.coef, self.atoms = coef, atoms

    def key(self):
        return tuple(sorted(gast.dump(a) for a, _ in self.atoms))


def _mono(e, at, block, where, ctx, depth=0):
    """The monomial of ``e`` evaluated at ``block[at]``; ``where``: block index of
    each statement (by id)."""
    if _number(e):
        return _Mono(float(e.value), [])
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        m = _mono(e.operand, at, block, where, ctx, depth)
        return _Mono(-m.coef, m.atoms)
    if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult):
        a = _mono(e.left, at, block, where, ctx, depth)
        b = _mono(e.right, at, block, where, ctx, depth)
        return _Mono(a.coef * b.coef, a.atoms + b.atoms)
    if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Div) and _number(e.right):
        if e.right.value != 0:
            a = _mono(e.left, at, block, where, ctx, depth)
            return _Mono(a.coef / e.right.value, a.atoms)
    if isinstance(e, gast.Name) and depth < _DEPTH:
        d = _binding(e.id, at, where, ctx)
        if d is not None:
            return _mono(d.value, where[id(d)], block, where, ctx, depth + 1)
    return _Mono(1.0, [(e, at)])


def _number(e):
    return (
        isinstance(e, gast.Constant)
        and type(e.value) in (int, float)
        and math.isfinite(e.value)
        and abs(e.value) < 1e300
    )


def _binding(t, at, where, ctx):
    """The one binding of ``t``, a product in the same block before ``block[at]``, to
    see through; else None."""
    ix = ctx.ix
    found = ix.assigned.get(t, ())
    if ix.stores.get(t) != 1 or t in ix.other or len(found) != 1 or t in ctx.zero:
        return None
    d = found[0]
    if where.get(id(d), at) >= at or not ctx.pure(d.value):
        return None
    v = d.value
    if isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.USub):
        return d
    if isinstance(v, gast.BinOp) and isinstance(v.op, (gast.Mult, gast.Div)):
        return d
    return None


def _ops(e):
    return sum(1 for n in walk(e) if isinstance(n, (gast.BinOp, gast.UnaryOp, gast.Call)))


def _collect(block, chain, ctx):
    where = {id(s): k for k, s in enumerate(block)}
    monos = [_mono(t, j, block, where, ctx) for j, _, t in chain.members]
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
    if not plan:
        return False
    _rewrite(block, chain, plan)
    return True


def _merged(block, chain, monos, members, ctx):
    """The product replacing the terms ``members`` of ``chain``, or None."""
    coef = sum(chain.members[i][1] * monos[i].coef for i in members)
    if coef == 0 or not math.isfinite(coef):
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
