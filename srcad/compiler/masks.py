"""One mask for the ``np.where`` calls that test the same condition, exact.

Design note.  The adjoint of ``np.where(c, x, y)`` is ``np.where(c, g, 0.0)`` for ``x``
and ``np.where(c, 0.0, g)`` for ``y``, each with the condition written out again, so the
Huber loss's ``np.where(a < 1.0, ...)`` compares the samples twice in the backward sweep
(three times under ``value_and_grad``), where a person computes the mask once::

    a_mask = a < 1.0
    dscaled_r_times_r = np.where(a_mask, 1.0, 0.0)
    dshifted_a = np.where(a_mask, 0.0, 1.0)

When.  Two or more ``np.where`` calls in statements of one block test the same
comparison (written alike, pure: names, numbers, arithmetic and pure calls), every
call is evaluated whenever its statement runs (not under ``x if c else y``, ``and``,
``or``, a lambda or a comprehension), and no statement from the first of them up to the
last binds a name the comparison reads or writes into an array
(``negations._harmless``).  The mask is then bound once, right before the first, and
read by all.

Exact: the same comparison of the same values, made once; a comparison makes a new
boolean array (or a bool), which nothing writes into.  Tests: tests/compiler/
test_like_terms.py (the masks section).
"""

import gast

from .astutil import children, clone, statement_lists, walk
from .negations import _fresh, _harmless
from .vocab import assign, is_call_of, name

_CONDITIONAL = frozenset(
    {gast.IfExp, gast.BoolOp, gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp}
    | {gast.GeneratorExp}
)


def share_masks(fdef, pure):
    """Bind each repeated ``np.where`` comparison once (``pure(e)``: whether evaluating
    ``e`` changes nothing); True when the code changed."""
    taken = None
    changed = False
    for block in statement_lists(fdef.body):
        while True:
            found = _repeated(block, pure)
            if found is None:
                break
            if taken is None:
                taken = {n.id for n in walk(fdef) if isinstance(n, gast.Name)}
            first, cmp_, calls = found
            left = cmp_.left
            mask = _fresh(f"{left.id}_mask" if isinstance(left, gast.Name) else "mask", taken)
            for c in calls:
                c.args[0] = name(mask)
            line = getattr(block[first], "srcad_line", None)
            block.insert(first, assign(mask, clone(cmp_), line))
            changed = True
    return changed


def _repeated(block, pure):
    """``(index of the first statement, the comparison, the calls)`` for the first
    comparison two statements of ``block`` test with ``np.where`` that may be shared;
    else None."""
    seen = {}  # dump of the comparison -> [(statement index, call)]
    for j, s in enumerate(block):
        if not isinstance(s, (gast.Assign, gast.Expr, gast.Return)) or s.value is None:
            continue
        for c in _where_calls(s.value):
            seen.setdefault(gast.dump(c.args[0]), []).append((j, c))
    for uses in seen.values():
        if len({j for j, _ in uses}) < 2:
            continue
        cmp_ = uses[0][1].args[0]
        if not pure(cmp_):
            continue
        names = {n.id for n in walk(cmp_) if isinstance(n, gast.Name)}
        first, last = uses[0][0], uses[-1][0]
        if all(_harmless(block[k], names) for k in range(first, last)):
            return first, cmp_, [c for _, c in uses]
    return None


def _where_calls(e):
    """The ``np.where(comparison, a, b)`` calls ``e`` surely evaluates."""
    out, stack = [], [e]
    while stack:
        n = stack.pop()
        t = type(n)
        if t in _CONDITIONAL:
            continue
        if (
            t is gast.Call
            and is_call_of(n, "np", "where")
            and len(n.args) == 3
            and not n.keywords
            and isinstance(n.args[0], gast.Compare)
        ):
            out.append(n)
        stack += [c for c in children(n) if type(c) not in _LEAVES]
    return out


_LEAVES = (gast.Name, gast.Constant)
