"""Adjoint products simplified with what their factors are: ``p * s`` is 1 for
``p = 1.0 / s``, ``p * e`` is ``1 - p`` for ``s = 1.0 + e``, and ``1 - p`` may cancel.

Design note.  The chain rule takes one step at a time, so the adjoint of a sigmoid
written out, ``p = 1.0 / (1.0 + np.exp(-z))``, is ``dp * p * p * exp_neg_z``, and under
a binary cross-entropy ``dp`` is ``y * shifted - shifted_y / shifted_p`` (``shifted``
the ``1.0 + exp_neg_z``, ``shifted_p`` the ``1.0 - p``): six passes over the data where
a person writes ``y - p``, a fifth of a logistic regression's gradient.  The steps
are right; what they miss is algebra across them.  This pass does that algebra, on
the straight-line gradients the specialization makes (shapes.py):

1. A statement of the backward sweep ``v = E``, ``E`` made of ``+ - * /``, numbers
   and names, is read as a sum of monomials ``c * a1**k1 * a2**k2 ...`` (integer
   powers, negative for a division by a name), seeing through the temporaries of the
   sweep that are read only there and are themselves such arithmetic.
2. Each monomial is contracted with identities read off single bindings:
   ``p * s -> c`` for ``p = c / s``; ``p * b -> q`` for ``p = 1 / s``, ``s = 1 + b``
   and ``q = 1 - p`` (the sigmoid: ``p * exp(-z)`` is ``1 - p``); ``a * a**-1 -> 1``.
3. Then, as an alternative, every factor bound to ``c + b`` or ``c - b`` (a number
   and a name) is expanded, and like monomials are collected (``y * (1 - p) -
   (1 - y) * p`` is ``y - p``).
4. The cheapest of these, each also with the factors all its terms share taken out
   (``(y - sy) * d * p * sp``), is written in place of ``E`` when it costs fewer
   operations than ``E`` and the temporaries read only by it, which the dead-code
   pass then drops (and the primal's ``1 - y``, where nothing else reads it).  Never
   a bare name: that would bind a second name to an array (an argument's, maybe).

When.  Only where every value is surely unchanged from its binding to its reads and
the algebra cannot change a type: the function is one straight block of assignments
of one name each (no loop, no branch), every name is bound once (a parameter never),
nothing writes into an array (``factors._may_write``), every argument is a real
float64 array or number or an integer, and nothing in the function names a narrower
dtype (so every floating value is float64, whatever its factors).  Every operation
read is surely floating (an integer product that wraps would not wrap any more), and
each term of the new expression holds a floating factor, written first; the new
expression's broadcast shape is the old one's, with every factor's
shape known (a cancelled factor could have broadcast the result); no factor may be
the symbolic zero; only the backward sweep is rewritten, so the primal keeps its
bits.

Numbers.  The identities hold in real arithmetic.  The result is rounded as a
hand-written gradient is, not as the chain rule's steps were: within a few ulp where
those steps were accurate, better where they were not (``1 - p`` for ``p * exp(-z)``
does not round ``exp``).  Where a step overflowed or divided by zero (``exp(-z)``
infinite for ``z < -709``, ``1 - p`` zero), the chain rule gives ``inf * 0``, NaN,
and the simplified expression the finite derivative.  ``ENABLED = False`` switches
the pass off.  Tests: tests/compiler/test_identities.py.
"""

import math

import gast
import numpy as np

from .astutil import walk
from .factors import _may_write
from .negations import surely_floating
from .optimize import _name_uses
from .vocab import assigns_one_name, const, name

ENABLED = True
_MAX_TERMS = 16
_DEPTH = 6
# names that could make a value narrower than float64 (or complex)
_NARROWING = frozenset(
    "astype float32 float16 half single complex64 complex128 complex csingle "
    "longdouble clongdouble view frombuffer".split()
)


def simplify_products(fdef, start, shapes, floating, maybe_zero, rt_name="_rt", small=()):
    """Rewrite the backward sweep of ``fdef`` (top-level statements from ``start``) with
    the identities of the module note; True when something changed (the caller drops
    the bindings nothing reads any more).  ``shapes``: name -> shape tuple (or anything
    else when unknown); ``floating``: names that surely hold floating point;
    ``maybe_zero``: names that may hold the symbolic zero (each a set, or a function
    that makes it, called only where the pass may apply); ``small``: parameters that
    hold booleans or integers narrower than 32 bits (shapes.floating_kind)."""
    if not ENABLED:
        return False
    facts = _Facts.of(fdef, rt_name)
    if facts is None:
        return False
    # (the two analyses of the whole function, made only now: compile time)
    floating = floating() if callable(floating) else floating
    maybe_zero = maybe_zero() if callable(maybe_zero) else maybe_zero
    maybe_zero = frozenset(maybe_zero) | facts.narrow_names(small)
    changed = False
    for i in range(start, len(fdef.body)):
        s = fdef.body[i]
        if not assigns_one_name(s) or not _arithmetic(s.value):
            continue
        new = _rewrite(s, i, start, facts, shapes, floating, maybe_zero)
        if new is not None:
            s.value = facts.value[s.targets[0].id] = new
            facts.reads = _reads(fdef)  # (temporaries read by it are read by nothing now)
            changed = True
    return changed


class _Facts:
    """What the bindings of a straight-line function say: ``index[n]`` (the position
    of ``n``'s binding; parameters -1), ``value[n]``, ``reads[n]`` (how often read),
    and the identities ``recip`` (``p -> (c, s)`` for ``p = c / s``), ``affine`` (``a ->
    (c, k, b)`` for ``a = c + k * b``, ``k`` 1 or -1) and ``logistic`` (``(p, b) -> q``
    for ``p = 1 / s``, ``s = 1 + b``, ``q = 1 - p``)."""

    @classmethod
    def of(cls, fdef, rt_name):
        body = fdef.body
        if not body or not isinstance(body[-1], gast.Return):
            return None
        params = [a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
        if fdef.args.vararg or fdef.args.kwarg:
            return None
        facts = cls()
        facts.index = {p: -1 for p in params}
        facts.value = {}
        for i, s in enumerate(body[:-1]):
            if getattr(s, "srcad_comment", None) is not None:
                continue
            if not assigns_one_name(s):
                return None
            t = s.targets[0].id
            if t in facts.index:
                return None  # (bound twice, or a parameter bound)
            facts.index[t] = i
            facts.value[t] = s.value
        stores, loads = _name_uses(fdef)
        if sum(stores.values()) != len(facts.value) + len(params):
            return None  # (a name bound inside an expression: a walrus, a comprehension)
        for n in walk(fdef):
            if isinstance(n, gast.keyword) and n.arg == "dtype":
                return None
            if isinstance(n, gast.Name) and n.id in _NARROWING:
                return None
            if isinstance(n, gast.Attribute) and n.attr in _NARROWING:
                return None
            if isinstance(n, gast.Constant) and type(n.value) is str and _names_dtype(n.value):
                return None
        if _may_write(fdef, rt_name):
            return None
        facts.reads = {n: len(v) for n, v in loads.items()}
        facts._identities()
        return facts

    def narrow_names(self, small):
        """Names whose floating values may be narrower than float64: the ``small``
        parameters, every comparison, logical or bitwise result and bool-valued call,
        and whatever reads one of them (conservative: ``a * k`` of a float64 ``a`` is
        float64, but ``np.exp(k)`` of an int8 ``k`` is float16)."""
        narrow = set(small)
        for t, v in self.value.items():  # (in the order of the bindings)
            if any(_narrowing_node(n) or (isinstance(n, gast.Name) and n.id in narrow)
                   for n in walk(v)):  # fmt: skip
                narrow.add(t)
        return frozenset(narrow)

    def _identities(self):
        self.recip, self.affine, self.logistic = {}, {}, {}
        for t, v in self.value.items():
            if not isinstance(v, gast.BinOp):
                continue
            left, right = _number(v.left), _number(v.right)
            if isinstance(v.op, gast.Div) and left and isinstance(v.right, gast.Name):
                self.recip[t] = (left, v.right.id)
            elif isinstance(v.op, (gast.Add, gast.Sub)):
                if left is not None and isinstance(v.right, gast.Name):
                    k = 1 if isinstance(v.op, gast.Add) else -1
                    self.affine[t] = (left, k, v.right.id)
                elif right is not None and isinstance(v.left, gast.Name):
                    c = right if isinstance(v.op, gast.Add) else -right
                    self.affine[t] = (c, 1, v.left.id)
        for p, (c, s) in self.recip.items():
            if c != 1 or s not in self.affine:
                continue
            c0, k, b = self.affine[s]
            if c0 != 1 or k != 1:
                continue
            for q, (cq, kq, bq) in self.affine.items():
                if bq == p and cq == 1 and kq == -1:
                    self.logistic[p, b] = q
                    break


_BOOL_CALLS = frozenset(
    "isnan isinf isfinite isneginf isposinf isclose signbit logical_and logical_or "
    "logical_not logical_xor equal not_equal less less_equal greater greater_equal any "
    "all array_equal allclose iscomplex isreal".split()
)


def _narrowing_node(n):
    """Whether ``n`` makes booleans (whose floating results are float16)."""
    if isinstance(n, (gast.Compare, gast.BoolOp, gast.BitAnd, gast.BitOr, gast.BitXor)):
        return True
    if isinstance(n, (gast.Invert, gast.Not)):
        return True
    if isinstance(n, gast.Call):
        f = n.func
        return isinstance(f, (gast.Attribute, gast.Name)) and (
            getattr(f, "attr", None) in _BOOL_CALLS or getattr(f, "id", None) in _BOOL_CALLS
        )
    return False


def _names_dtype(text):
    """Whether ``text`` names a NumPy dtype other than float64 (``'float32'``, ``'f4'``)."""
    try:
        return np.dtype(text) != np.float64
    except (TypeError, ValueError, SyntaxError):
        return False


def _reads(fdef):
    """How often each name of ``fdef`` is read."""
    return {n: len(v) for n, v in _name_uses(fdef)[1].items()}


def _number(e):
    """The value of a finite int or float constant other than 0, else None."""
    if isinstance(e, gast.Constant) and type(e.value) in (int, float):
        v = float(e.value)
        if v != 0 and math.isfinite(v):
            return v
    return None


def _arithmetic(e):
    """Whether ``e`` is ``+ - * /`` and unary signs over names and numbers, with at
    least one operation."""
    if not isinstance(e, (gast.BinOp, gast.UnaryOp)):
        return False
    for n in walk(e):
        if isinstance(n, gast.BinOp):
            if not isinstance(n.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
                return False
        elif isinstance(n, gast.UnaryOp):
            if not isinstance(n.op, (gast.USub, gast.UAdd)):
                return False
        elif isinstance(n, gast.Constant):
            if _number(n) is None:
                return False
        elif not isinstance(n, gast.Name):
            return False
    return True


# -- polynomials: {monomial: coefficient}, a monomial a sorted tuple of (name, power) --


def _mono_mul(a, b, sign=1):
    powers = dict(a)
    for n, k in b:
        powers[n] = powers.get(n, 0) + sign * k
    return tuple(sorted((n, k) for n, k in powers.items() if k))


def _add(p, q, scale=1.0):
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, 0.0) + scale * c
    return {m: c for m, c in out.items() if c != 0}


def _mul(p, q):
    out = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = _mono_mul(m1, m2)
            out[m] = out.get(m, 0.0) + c1 * c2
    out = {m: c for m, c in out.items() if c != 0}
    return out if len(out) <= _MAX_TERMS else None


class _Expander:
    """Expressions as polynomials, seeing through the sweep's temporaries read once."""

    def __init__(self, facts, at, start, maybe_zero, floating):
        self.facts, self.at, self.start, self.maybe_zero = facts, at, start, maybe_zero
        self.floating = floating
        self.cost = 0  # operations of everything expanded

    def poly(self, e, depth=0):
        if isinstance(e, gast.Constant):
            c = _number(e)
            return None if c is None else {(): c}
        if isinstance(e, gast.Name):
            return self._name(e.id, depth)
        if not surely_floating(e, self.floating):
            return None  # (an integer operation wraps: the new one would not)
        if isinstance(e, gast.UnaryOp):
            p = self.poly(e.operand, depth)
            self.cost += 1
            if p is None:
                return None
            return p if isinstance(e.op, gast.UAdd) else {m: -c for m, c in p.items()}
        if not isinstance(e, gast.BinOp):
            return None
        left, right = self.poly(e.left, depth), self.poly(e.right, depth)
        self.cost += 1
        if left is None or right is None:
            return None
        if isinstance(e.op, gast.Add):
            return _add(left, right)
        if isinstance(e.op, gast.Sub):
            return _add(left, right, -1.0)
        if isinstance(e.op, gast.Mult):
            return _mul(left, right)
        if len(right) != 1:
            return None  # (a division by a sum: not a monomial's inverse)
        ((m, c),) = right.items()
        return {_mono_mul(k, m, -1): v / c for k, v in left.items()}

    def _name(self, n, depth):
        f = self.facts
        i = f.index.get(n)
        if i is None or i >= self.at or n in self.maybe_zero:
            return None
        v = f.value.get(n)
        if (
            depth < _DEPTH
            and i >= self.start
            and f.reads.get(n) == 1
            and v is not None
            and _arithmetic(v)
        ):
            return self.poly(v, depth + 1)
        return {((n, 1),): 1.0}


def _contract(p, facts):
    """``p`` with the identities of its factors applied to each monomial, and like
    monomials collected."""
    out = {}
    for m, c in p.items():
        m, c = _contract_mono(m, c, facts)
        out[m] = out.get(m, 0.0) + c
    return {m: c for m, c in out.items() if c != 0}


def _contract_mono(m, c, facts):
    powers = dict(m)
    changed = True
    while changed:
        changed = False
        for p in list(powers):
            a = powers.get(p, 0)
            if not a:
                continue
            if p in facts.recip:  # p * s = c0 (p = c0 / s)
                c0, s = facts.recip[p]
                b = powers.get(s, 0)
                if a * b > 0:
                    k = min(abs(a), abs(b))
                    sign = 1 if a > 0 else -1
                    powers[p] -= sign * k
                    powers[s] -= sign * k
                    c = c * _power(c0, k) if sign > 0 else c / _power(c0, k)
                    changed = True
                    continue
            if a > 0:  # p * b = q (the sigmoid: p = 1 / (1 + b), q = 1 - p)
                for b in list(powers):
                    q = facts.logistic.get((p, b))
                    if q is not None and powers.get(b, 0) > 0 and powers.get(p, 0) > 0:
                        k = min(powers[p], powers[b])
                        powers[p] -= k
                        powers[b] -= k
                        powers[q] = powers.get(q, 0) + k
                        changed = True
    return tuple(sorted((n, k) for n, k in powers.items() if k)), c


def _power(c, k):
    """``c ** k`` of a float, infinite where Python's would raise (an overflow)."""
    try:
        return c**k
    except OverflowError:
        return math.inf


def _expand_affine(p, facts, at):
    """``p`` with every factor bound (before statement ``at``) to ``c + k * b``
    expanded, where it has a positive power of at most 2; None if nothing is."""
    out, any_expanded = {}, False
    for m, c in p.items():
        term = {(): c}
        for n, k in m:
            aff = facts.affine.get(n)
            if aff is not None and 0 < k <= 2 and facts.index[n] < at:
                c0, kb, b = aff
                factors = [{(): c0, ((b, 1),): float(kb)}] * k
                any_expanded = True
            else:
                factors = [{((n, k),): 1.0}]
            for factor in factors:
                term = _mul(term, factor)
                if term is None:
                    return None
        out = _add(out, term)
    if not any_expanded or len(out) > _MAX_TERMS:
        return None
    return out


def _cost(p, floating):
    """Operations to compute ``p`` as ``_emit`` writes it."""
    if not p:
        return math.inf
    terms = _ordered(p, floating)
    ops = len(terms) - 1 + (1 if terms[0][1] < 0 else 0)
    for m, c in terms:
        ups = sum(k for _, k in m if k > 0)
        downs = sum(-k for _, k in m if k < 0)
        ops += downs if not ups else ups - 1 + (abs(c) != 1) + downs
    return ops


def _ordered(p, floating):
    """The terms of ``p`` in ``_emit``'s order: floating terms first, a positive one
    leading where there is one."""
    return sorted(p.items(), key=lambda mc: (not any(n in floating for n, _ in mc[0]), mc[1] < 0))


def _rewrite(s, i, start, facts, shapes, floating, maybe_zero):
    target = s.targets[0].id
    shape = shapes.get(target)
    if not (isinstance(shape, tuple) and shape) or target not in floating:
        return None
    ex = _Expander(facts, i, start, maybe_zero, floating)
    p = ex.poly(s.value)
    if p is None:
        return None
    before = ex.cost
    best = None
    contracted = _contract(p, facts)
    candidates = [contracted]
    affine = _expand_affine(contracted, facts, i)
    if affine is not None:
        candidates.append(_contract(affine, facts))
    forms = []
    for cand in candidates:
        forms.append(((), cand))
        common, rest = _common_factor(cand)
        if common:
            forms.append((common, rest))
            more = _expand_affine(rest, facts, i)
            if more is not None:
                forms.append((common, _contract(more, facts)))
    best, best_cost = None, before
    for common, rest in forms:
        cost = _cost(rest, floating) + sum(k for _, k in common)  # (one * per factor)
        if 0 < cost < best_cost and _fits(
            rest, common, shape, shapes, floating, maybe_zero, facts, i
        ):
            best, best_cost = (common, rest), cost
    return None if best is None else _emit(best[1], floating, best[0])


def _common_factor(p):
    """``(g, r)`` with ``p == g * r``, ``g`` the factors (positive powers) every term of
    ``p`` has, for a ``p`` of two terms or more; ``((), p)`` where there are none."""
    if len(p) < 2:
        return (), p
    monos = list(p)
    shared = dict(monos[0])
    for m in monos[1:]:
        powers = dict(m)
        shared = {n: min(k, powers.get(n, 0)) for n, k in shared.items()}
    common = tuple(sorted((n, k) for n, k in shared.items() if k > 0))
    if not common:
        return (), p
    return common, {_mono_mul(m, common, -1): c for m, c in p.items()}


def _fits(p, common, shape, shapes, floating, maybe_zero, facts, at):
    """Whether the factors of ``common * p`` are all bound before ``at``, none may be
    the symbolic zero, every shape is known and broadcasts to ``shape`` exactly, and
    every term of ``p`` with two factors or more has a floating one, as has some term;
    and every coefficient is a finite number other than 0."""
    if not all(c != 0 and math.isfinite(c) for c in p.values()):
        return False
    shs = []
    for m in list(p) + [common]:
        names = [n for n, _ in m]
        for n in names:
            if n in maybe_zero or facts.index.get(n, at) >= at:
                return False
            sh = shapes.get(n)
            if not isinstance(sh, tuple):
                return False
            shs.append(sh)
        if m is not common and sum(abs(k) for _, k in m) >= 2:
            if not any(n in floating for n in names):
                return False
    if not any(n in floating for m in p for n, _ in m):
        return False
    try:
        return _broadcast(shs) == shape
    except ValueError:
        return False


def _broadcast(shapes):
    out = ()
    for s in shapes:
        n = max(len(out), len(s))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(s)) + s
        dims = []
        for x, y in zip(a, b):
            if x != y and 1 not in (x, y):
                raise ValueError
            dims.append(max(x, y) if 1 in (x, y) else x)
        out = tuple(dims)
    return out


def _emit(p, floating, common=()):
    """``p`` (times the factors ``common``) as an expression: floating terms first, a
    positive one leading, each term's floating factor first, divisions last."""
    out = None
    for m, c in _ordered(p, floating):
        term = _term(m, abs(c), floating)
        if out is None:
            out = term if c > 0 else gast.UnaryOp(gast.USub(), term)
        else:
            out = gast.BinOp(out, gast.Add() if c > 0 else gast.Sub(), term)
    for n, k in common:
        for _ in range(k):
            out = gast.BinOp(out, gast.Mult(), name(n))
    return out


def _term(m, c, floating):
    ups = sorted((n for n, k in m if k > 0), key=lambda n: n not in floating)
    factors = [n for n in ups for _ in range(dict(m)[n])]
    downs = [n for n, k in m if k < 0 for _ in range(-k)]
    if not factors:
        e = const(c)
    else:
        e = name(factors[0])
        for n in factors[1:]:
            e = gast.BinOp(e, gast.Mult(), name(n))
        if c != 1:
            e = gast.BinOp(e, gast.Mult(), const(c))
    for n in downs:
        e = gast.BinOp(e, gast.Div(), name(n))
    return e
