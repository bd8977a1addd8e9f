"""A rule template's call that the primal already made: read it, do not make it again.

Design note.  The adjoint of ``np.sin(x)`` calls ``np.cos(x)``; so does the tangent.
Code that computes both functions of one value (a rotation, polar coordinates, a
pendulum) already holds ``c = np.cos(x)`` when the rule for ``s = np.sin(x)`` runs.
Both transformations see every name, at the point of a statement's adjoint or
tangent, as it was at that statement in the primal: forward mode writes the tangent
beside the statement, and reverse mode restores overwritten names on the way back
(reverse.py, saveplan.py).  So where ``c`` holds ``np.cos(x)`` at ``s``'s statement,
the template may read ``c``: the very number the call would give.

When ``c`` holds it is decided here, conservatively, per statement list:

* the binding is a plain assignment of one name to a call whose function is a dotted
  name and whose arguments are names and constants (``c = np.cos(x)``), pure (no
  random draw, no ``out=``, no user function), and ``c`` is not one of its arguments;
* every statement after it, up to the one whose rule reads it, is such a pure
  assignment of one name, and none binds ``c`` or a name the call reads (anything
  else: an item or attribute assignment, an augmented assignment, a branch, a loop, a
  call that may write, forgets everything known);
* the statement itself binds neither; ``c`` is never written in place anywhere in the
  function (nor, in reverse mode, changed in a way the save plan cannot undo).

In reverse mode a call made *after* the statement counts too when its name is bound
once in the whole function, at top level: nothing ever restores it, so through the
whole backward sweep it holds that one value, and the same conditions between the two
statements make it the value the call would give at the earlier one.  So of
``c = np.cos(x); s = np.sin(x)`` both adjoints read the other's name.  (Not in a loop:
there the name holds the previous iteration's value when the earlier statement's
adjoint runs.)

Only a call spelled the same way counts (the same dotted function, the same names and
constants), and a template writes NumPy as the user's name only when that name is
NumPy (templates.Namespace), so equal spelling is the same function of the same
value.  Tests: tests/compiler/test_reuse_primal_calls.py (random programs, with the
reuse and without it, bit for bit).
"""

import gast

from .astutil import walk
from .saveplan import _root_name
from .vocab import assigns_one_name, dotted, name

# (tests switch it off to compare with and without, bit for bit)
REUSE_PRIMAL_CALLS = True


def available_calls(fdef, pure, excluded, later_ok=None):
    """``{id(statement): {call key: (name, names the call reads)}}`` for every statement
    of ``fdef`` at which a name holds a call's value (see the module note).
    ``pure(value)``: whether an assigned value is pure; ``excluded``: names never
    read for a call.

    ``later_ok(name, statement)``: whether a call bound *after* a statement may be read
    by that statement's rule too (reverse mode: a name bound once, at top level, holds
    its one value for the whole backward sweep).  Then the same conditions hold between
    the statement and the later binding, read the other way."""
    avail = {}
    for block in _blocks(fdef):
        known = {}
        for st in block:
            if known:
                avail[id(st)] = known
            known = _after(st, known, pure, excluded)
        if later_ok is None:
            continue
        ahead = {}
        for st in reversed(block):
            if ahead:
                here = avail.get(id(st), {})
                avail[id(st)] = {**ahead, **here}  # (an earlier binding first)
            ahead = _after(st, ahead, pure, excluded, later_ok)
    return avail


def reuse(s, inl, known):
    """Read, in the instantiated template ``inl`` of statement ``s``, every call that a
    name holds there (``known``: this statement's entry of :func:`available_calls`)."""
    bound_here = {t.id for t in s.targets if isinstance(t, gast.Name)}
    names = {k: c for k, (c, reads) in known.items() if not ({c} | reads) & bound_here}
    if not names:
        return
    inl.contributions = [(p, _replace_calls(e, names)) for p, e in inl.contributions]
    for st in inl.prelude:
        if isinstance(st, gast.Assign):
            st.value = _replace_calls(st.value, names)


def written_in_place(fdef):
    """Names written through a subscript or an attribute (any store or delete, in any
    target), or by an augmented assignment."""
    out = set()
    for n in walk(fdef):
        if isinstance(n, (gast.Subscript, gast.Attribute)) and isinstance(
            n.ctx, (gast.Store, gast.Del)
        ):
            out.add(_root_name(n))
        elif isinstance(n, gast.AugAssign):
            out.add(_root_name(n.target))
    out.discard(None)
    return out


def _after(st, known, pure, excluded, later_ok=None):
    """What ``known`` becomes across ``st`` (a new dict; empty when ``st`` is not a pure
    assignment of one name).  ``later_ok``: scanning backwards (``available_calls``),
    ``st``'s own call counts only when its name passes it."""
    if not (
        assigns_one_name(st) and getattr(st, "srcad_book", False) is not True and pure(st.value)
    ):
        return {}
    t = st.targets[0].id
    out = {k: v for k, v in known.items() if v[0] != t and t not in v[1]}
    key = call_key(st.value)
    if key is not None and t not in excluded and (later_ok is None or later_ok(t, st)):
        reads = {n.id for n in walk(st.value) if isinstance(n, gast.Name)}
        if t not in reads:
            out[key] = (t, frozenset(reads))
    return out


def call_key(v):
    """A key for ``f(a, b)`` whose function is a dotted name and whose arguments are
    names and constants (no keywords, no ``*``): what two equal calls share; else None."""
    if not isinstance(v, gast.Call) or v.keywords or not v.args:
        return None
    parts = dotted(v.func)
    if parts is None or len(parts) < 2:
        return None
    args = []
    for a in v.args:
        if isinstance(a, gast.Name):
            args.append(("n", a.id))
        elif isinstance(a, gast.Constant) and type(a.value) in (int, float, bool):
            args.append(("c", type(a.value).__name__, repr(a.value)))
        else:
            return None
    return (parts[0], tuple(parts[1:]), tuple(args))


def _replace_calls(e, names):
    """``e`` with every call whose key is in ``names`` (key -> name) read from that name."""
    key = call_key(e)
    if key is not None and key in names:
        return name(names[key])
    for field, value in gast.iter_fields(e):
        if isinstance(value, gast.AST):
            setattr(e, field, _replace_calls(value, names))
        elif isinstance(value, list):
            new = [_replace_calls(x, names) if isinstance(x, gast.AST) else x for x in value]
            setattr(e, field, new)
    return e


def _blocks(fdef):
    """Every statement list of ``fdef`` (the body, and those of its compound statements)."""
    out = [fdef.body]
    for n in walk(fdef):
        if n is not fdef and isinstance(n, (gast.For, gast.While, gast.If, gast.With, gast.Try)):
            for field in ("body", "orelse", "finalbody"):
                sub = getattr(n, field, None)
                if isinstance(sub, list) and sub:
                    out.append(sub)
    return out
